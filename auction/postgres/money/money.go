// Package money keeps the court's money in PostgreSQL: deposits and their
// provider state machine, balance payments, the ledger's reads and
// reconciliation, bank statements, remittances, forfeits and the court's
// receiving accounts. Bidding and the court move money inside their own
// transactions through its exported functions.
package money

import (
	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
	"gavel/payments"
)

// Store is the money service (auction.Books) on the adapter's kernel.
type Store struct {
	db *pgtx.DB
	// payments is the deposit provider whose balance reconciliation reads.
	payments payments.Provider
}

// New returns the store on db, reconciling against the provider p.
func New(db *pgtx.DB, p payments.Provider) *Store { return &Store{db: db, payments: p} }

// The store is the domain's money service.
var _ auction.Books = (*Store)(nil)
