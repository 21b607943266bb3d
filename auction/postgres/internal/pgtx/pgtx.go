// Package pgtx is the PostgreSQL adapter's transaction kernel: what every
// service store of the adapter shares inside its transactions (the pool and
// clock, the auction row and its hash-chained events, batched writes, the
// ledger, audit and case-notification writers) and nothing else. It is
// internal so that nothing outside the adapter writes around its rules.
package pgtx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
)

// DB is what the adapter's service stores share: one pool, one clock, one
// rulebook and court zone, the hooks that act inside their transactions and
// the publisher that hears what they committed.
type DB struct {
	Pool  *pgxpool.Pool
	Clock auction.Clock
	// Rulebook is the rulebook new auctions are scheduled under, counting
	// days in Zone.
	Rulebook auction.Rulebook
	// Zone is the court's time zone: rulebook days are its calendar days,
	// and published documents write their dates and times in it.
	Zone  *time.Location
	Hooks Hooks
	// Publisher hears every change after its transaction commits (Announce).
	Publisher auction.Publisher
}

// Hooks let other parts of Gavel act inside the stores' transactions without
// the stores knowing them (the adapter's Hooks, less what only the tick asks).
type Hooks struct {
	// AfterClose runs in the transaction that closes, cancels or annuls
	// auctions: their deposits paid through a provider are released,
	// refunded or captured there.
	AfterClose func(ctx context.Context, tx pgx.Tx, closed []*auction.Auction) error
	// Notify runs in the transaction that records a case notification.
	Notify func(ctx context.Context, tx pgx.Tx, notificationID string) error
}

// InTx runs fn in a transaction, committing when it returns nil.
func (db *DB) InTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.Pool, fn)
}

// Announce hands committed changes to the publisher; it never waits for a
// watcher.
func (db *DB) Announce(ctx context.Context, changes ...auction.Change) {
	if db.Publisher != nil && len(changes) > 0 {
		db.Publisher.Publish(ctx, changes...)
	}
}

// RulebookOf is the named rulebook, counting days in the court's zone.
func (db *DB) RulebookOf(name string) (auction.Rulebook, error) {
	rb, err := auction.LookupRulebook(name)
	return rb.In(db.Zone), err
}

// Translate turns database errors into domain errors at the storage boundary.
func Translate(err error, notFound string) error {
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

// IsUniqueViolation tells whether err is a unique violation of constraint
// (of any constraint when it is "").
func IsUniqueViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && (constraint == "" || pe.ConstraintName == constraint)
}

// Querier is what both the pool and a transaction answer: reads shared by
// code inside and outside a transaction take one, so that code inside reads
// with its own connection and never waits on the pool for a second (a pool
// of N connections would deadlock under N concurrent transactions).
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// List runs a query and collects its rows with scan. It never returns a nil
// list: the lists the stores return are answered as JSON, where no rows must
// read [] and not null.
func List[T any](ctx context.Context, q Querier, scan pgx.RowToFunc[T], sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, scan)
	if out == nil {
		out = []T{}
	}
	return out, err
}

// CodeAlphabet avoids characters people confuse (0/O, 1/I/L).
const CodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// RandomCode is prefix and n random characters of CodeAlphabet: bidder
// codes and deposit payment references.
func RandomCode(prefix string, n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(CodeAlphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(fmt.Sprintf("crypto/rand: %v", err))
		}
		b[i] = CodeAlphabet[v.Int64()]
	}
	return prefix + string(b)
}

// NewUUID returns a random (version 4) UUID, made here rather than asked of
// PostgreSQL so that it costs no round trip.
func NewUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// IsUUID tells whether s is a UUID in its text form, so that a malformed
// one is refused before PostgreSQL is asked to cast it.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range strings.ToLower(s) {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case (c < '0' || c > '9') && (c < 'a' || c > 'f'):
			return false
		}
	}
	return true
}

// CleanLine trims a typed one-line field and refuses an empty one, one longer than
// max characters, invalid UTF-8 and control characters.
func CleanLine(field, v string, max int) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return "", auction.FieldError(field, "is required")
	case !utf8.ValidString(v):
		return "", auction.FieldError(field, "must be valid UTF-8 text")
	case utf8.RuneCountInString(v) > max:
		return "", auction.FieldError(field, "is at most %d characters", max)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return "", auction.FieldError(field, "must not contain control characters")
	}
	return v, nil
}
