// Package postgres stores Gavel's auctions, accounts and money in PostgreSQL.
// It is the single authority: every rule that must hold across requests and
// instances (one winner, seq without gaps, balanced ledger) is decided inside
// a short transaction here.
package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/casereport"
	"gavel/auction/courtdoc"
	"gavel/payments"
)

// Store is the PostgreSQL adapter for the auction domain.
type Store struct {
	pool  *pgxpool.Pool
	clock auction.Clock
	// wall times token expiry. It is the system clock even under --test-clock:
	// a test that jumps a month past a notice period must not log everyone out.
	wall     auction.Clock
	rulebook auction.Rulebook
	// Provider names the deposit provider new registrations use ("bank" or "stripe").
	provider string
	// payments starts each new deposit at the provider (provider_deposit.go).
	payments payments.Provider
	hooks    Hooks
	// bids queues the bids of each auction for one worker (queue.go).
	bids bidQueue
	// arrivals stamps each bid with the moment it was received (arrival.go).
	arrivals *Arrivals
	// late holds the bids received after the end as stored that wait for
	// the bids received before them (late.go).
	late lateBids
	// heartbeat is this process's, whose own runs a late bid does not wait
	// for; nil when the process publishes none.
	heartbeat *Heartbeat
	// zone is the court's time zone (Config.Zone).
	zone *time.Location
	// publisher hears every change after its transaction commits (PublishTo).
	publisher auction.Publisher
	// beforeBatch, set only by tests, runs before a bid batch locks its
	// auction: it holds a batch back to decide it late.
	beforeBatch func(auctionID string)
	// lateWaits, set only by tests, runs each time late bids are left
	// waiting for earlier ones (late.go).
	lateWaits func(auctionID string)
}

// Hooks let other parts of Gavel act inside the store's transactions without
// the store knowing them: enqueue durable jobs in the same transaction as the
// state change that needs them.
type Hooks struct {
	// AfterClose runs in the close transaction of a batch of auctions, once
	// they are closed (not those suspended instead), and in the transaction
	// of a court's cancellation or annulment of one: their deposits paid
	// through a provider are released, refunded or captured there.
	AfterClose func(ctx context.Context, tx pgx.Tx, closed []*auction.Auction) error
	// Notify runs in the transaction that records a case notification.
	Notify func(ctx context.Context, tx pgx.Tx, notificationID string) error
	// Guard is the outage guard (Heartbeat.Guard), asked in the close
	// transaction of a batch of auctions whether each one's final window was
	// fully served; an auction in the answer had an outage and is suspended
	// instead of closed. Nil closes always.
	Guard func(ctx context.Context, tx pgx.Tx, auctions []*auction.Auction) (map[string]*Outage, error)
}

// Config is what a Store needs.
type Config struct {
	Pool     *pgxpool.Pool
	Clock    auction.Clock
	Wall     auction.Clock // optional; defaults to the system clock
	Rulebook auction.Rulebook
	Provider string
	// Payments is the provider new deposits are collected through; its Name
	// is the Provider when Provider is empty. Nil means the bank.
	Payments payments.Provider
	Hooks    Hooks
	// Arrivals stamps bids with their time of receipt; the heartbeat
	// publishes its horizon. Nil makes one on Clock.
	Arrivals *Arrivals
	// Heartbeat is the process's heartbeat publishing those arrivals'
	// horizon, if any: a bid received after the end waits for the other
	// processes' horizons, not for this one's (late.go).
	Heartbeat *Heartbeat
	// Zone is the court's time zone: rulebook days are its calendar days,
	// and published documents write their dates and times in it; nil is
	// courtdoc.DefaultZone.
	Zone *time.Location
}

// New returns a Store.
func New(c Config) *Store {
	if c.Payments == nil {
		c.Payments = payments.Bank{}
	}
	if c.Provider == "" {
		c.Provider = c.Payments.Name()
	}
	if c.Wall == nil {
		c.Wall = auction.SystemClock{}
	}
	if c.Arrivals == nil {
		c.Arrivals = auction.NewArrivals(c.Clock)
	}
	if c.Zone == nil {
		c.Zone = courtdoc.DefaultZone
	}
	return &Store{pool: c.Pool, clock: c.Clock, wall: c.Wall, rulebook: c.Rulebook.In(c.Zone), provider: c.Provider, payments: c.Payments, hooks: c.Hooks,
		arrivals: c.Arrivals, heartbeat: c.Heartbeat, zone: c.Zone}
}

// rulebookOf is the named rulebook, counting days in the court's zone.
func (s *Store) rulebookOf(name string) (auction.Rulebook, error) {
	rb, err := auction.LookupRulebook(name)
	return rb.In(s.zone), err
}

// Zone is the court's time zone, whose calendar days the rulebook counts.
func (s *Store) Zone() *time.Location { return s.zone }

// Arrive stamps a bid received now (see Arrivals): the HTTP handler and the
// socket call it as soon as they have read the bid, hand it to PlaceBid and
// release it when answered.
func (s *Store) Arrive() *Arrival { return s.arrivals.Arrive() }

// Pool exposes the pool for the live feed's LISTEN connection and readiness checks.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Rulebook is the rulebook new auctions are scheduled under.
func (s *Store) Rulebook() auction.Rulebook { return s.rulebook }

// Clock is the store's clock.
func (s *Store) Clock() auction.Clock { return s.clock }

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// translate turns database errors into domain errors at the storage boundary.
func translate(err error, notFound string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return auction.Errorf(auction.ENotFound, "%s not found", notFound)
	}
	var de *auction.Error
	if errors.As(err, &de) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "22P02" { // invalid_text_representation: a malformed uuid
		return auction.Errorf(auction.ENotFound, "%s not found", notFound)
	}
	return err
}

func isUniqueViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && (constraint == "" || pe.ConstraintName == constraint)
}

// codeAlphabet avoids characters people confuse (0/O, 1/I/L).
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

func randomCode(prefix string, n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(codeAlphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(fmt.Sprintf("crypto/rand: %v", err))
		}
		b[i] = codeAlphabet[v.Int64()]
	}
	return prefix + string(b)
}

// The store is the domain's services.
var (
	_ auction.Services = (*Store)(nil)
	_ auction.Books    = (*Store)(nil)
	_ casereport.Log   = (*Store)(nil)
)

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Unavailable is the package's Unavailable, for callers that hold the store
// as the domain's services.
func (s *Store) Unavailable(err error) bool { return Unavailable(err) }

// PublishTo makes the store hand every change to p once its transaction has
// committed: the one place changes leave for the live feed, however they
// were made (a request, a socket, the scheduler). Call it before serving.
func (s *Store) PublishTo(p auction.Publisher) { s.publisher = p }

// announce hands committed changes to the publisher; it never waits for a
// watcher.
func (s *Store) announce(ctx context.Context, changes ...auction.Change) {
	if s.publisher != nil && len(changes) > 0 {
		s.publisher.Publish(ctx, changes...)
	}
}

// querier is what both the pool and a transaction answer: reads shared by
// code inside and outside a transaction take one, so that code inside reads
// with its own connection and never waits on the pool for a second (a pool
// of N connections would deadlock under N concurrent transactions).
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
