// Package oversight keeps who may act and what they did in PostgreSQL:
// accounts, sessions and identities, the restriction list and its
// interceptions, collusion signals, the hash-chained audit trail and the
// verified record.
package oversight

import (
	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
)

// Store is the accounts and oversight services on the adapter's kernel.
type Store struct {
	db *pgtx.DB
	// wall times token expiry. It is the system clock even under --test-clock:
	// a test that jumps a month past a notice period must not log everyone out.
	wall auction.Clock
}

// New returns the store on db, timing tokens by wall.
func New(db *pgtx.DB, wall auction.Clock) *Store { return &Store{db: db, wall: wall} }

// The store is the domain's account and oversight services.
var (
	_ auction.Accounts  = (*Store)(nil)
	_ auction.Oversight = (*Store)(nil)
)
