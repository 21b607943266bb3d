// Package postgres stores Gavel's auctions, accounts and money in PostgreSQL.
// It is the single authority: every rule that must hold across requests and
// instances (one winner, seq without gaps, balanced ledger) is decided inside
// a short transaction here. This package holds the bidding core (the bid
// queue, registration, the tick) with what processes on one database share,
// and composes the service stores of its subpackages (oversight, money,
// court) into the one Store that cmd/gavel wires.
package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/casereport"
	"gavel/auction/courtdoc"
	"gavel/auction/postgres/court"
	"gavel/auction/postgres/internal/pgtx"
	"gavel/auction/postgres/money"
	"gavel/auction/postgres/oversight"
	"gavel/payments"
)

// Store is the PostgreSQL adapter for the auction domain: the bidding core
// here, and the stores of the other services, embedded so that their
// methods are the Store's.
type Store struct {
	*oversightStore
	*moneyStore
	*courtStore
	// db is what the services share: pool, clock, rulebook, zone, hooks,
	// publisher (internal/pgtx).
	db *pgtx.DB
	// Provider names the deposit provider new registrations use ("bank" or "stripe").
	provider string
	// payments starts each new deposit at the provider (startDeposit).
	payments payments.Provider
	hooks    Hooks
	// bids queues the bids of each auction for one worker (queue.go).
	bids auctionQueue
	// arrivals stamps each bid with the moment it was received (arrival.go).
	arrivals *auction.Arrivals
	// late holds the bids received after the end as stored that wait for
	// the bids received before them (late.go).
	late auctionQueue
	// heartbeat is this process's, whose own runs a late bid does not wait
	// for; nil when the process publishes none.
	heartbeat *Heartbeat
	// beforeBatch, set only by tests, runs before a bid batch locks its
	// auction: it holds a batch back to decide it late.
	beforeBatch func(auctionID string)
	// beforeJoin, set only by tests, runs in a worker's batch transaction
	// once its bids are decided, before the bids that arrived meanwhile
	// join it.
	beforeJoin func(auctionID string)
	// lateWaits, set only by tests, runs each time late bids are left
	// waiting for earlier ones (late.go).
	lateWaits func(auctionID string)
}

// The service stores under names of their own: embedded, they are unexported
// fields whose methods are promoted to the Store.
type (
	oversightStore = oversight.Store
	moneyStore     = money.Store
	courtStore     = court.Store
)

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
	Arrivals *auction.Arrivals
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
	db := &pgtx.DB{Pool: c.Pool, Clock: c.Clock, Rulebook: c.Rulebook.In(c.Zone), Zone: c.Zone,
		Hooks: pgtx.Hooks{AfterClose: c.Hooks.AfterClose, Notify: c.Hooks.Notify}}
	return &Store{oversightStore: oversight.New(db, c.Wall), moneyStore: money.New(db, c.Payments),
		courtStore: court.New(db), db: db, provider: c.Provider, payments: c.Payments, hooks: c.Hooks, arrivals: c.Arrivals,
		heartbeat: c.Heartbeat}
}

// Zone is the court's time zone, whose calendar days the rulebook counts.
func (s *Store) Zone() *time.Location { return s.db.Zone }

// Arrive stamps a bid received now (see Arrivals): the HTTP handler and the
// socket call it as soon as they have read the bid, hand it to PlaceBid and
// release it when answered.
func (s *Store) Arrive() *auction.Arrival { return s.arrivals.Arrive() }

// Pool exposes the pool for the live feed's LISTEN connection and readiness checks.
func (s *Store) Pool() *pgxpool.Pool { return s.db.Pool }

// Rulebook is the rulebook new auctions are scheduled under.
func (s *Store) Rulebook() auction.Rulebook { return s.db.Rulebook }

// Clock is the store's clock.
func (s *Store) Clock() auction.Clock { return s.db.Clock }

// The store is the domain's services.
var (
	_ auction.Services = (*Store)(nil)
	_ auction.Books    = (*Store)(nil)
	_ casereport.Log   = (*Store)(nil)
)

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.Pool.Ping(ctx) }

// Unavailable reports whether err means the database could not be reached
// or could not answer in time (unavailable), for callers that hold the store
// as the domain's services.
func (s *Store) Unavailable(err error) bool { return unavailable(err) }

// PublishTo makes the store hand every change to p once its transaction has
// committed: the one place changes leave for the live feed, however they
// were made (a request, a socket, the scheduler). Call it before serving.
func (s *Store) PublishTo(p auction.Publisher) { s.db.Publisher = p }
