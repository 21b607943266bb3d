// Package court keeps the court's side of an auction in PostgreSQL: cases,
// lots and their corrections, rounds from draft to publication with their
// documents, the court's actions on a round (suspend, cancel, annul,
// resume), the deadlines of the law, results and the case system's
// notifications.
package court

import (
	"gavel/auction"
	"gavel/auction/casereport"
	"gavel/auction/postgres/internal/pgtx"
)

// Store is the court's services on the adapter's kernel.
type Store struct {
	db *pgtx.DB
}

// New returns the store on db.
func New(db *pgtx.DB) *Store { return &Store{db: db} }

// The store is the domain's case services and the case system's log.
var (
	_ auction.Cases  = (*Store)(nil)
	_ casereport.Log = (*Store)(nil)
)
