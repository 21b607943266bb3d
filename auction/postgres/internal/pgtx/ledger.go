package pgtx

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/payments"
)

// LedgerTx records one balanced ledger transaction inside tx. A zero amount
// records nothing (an exempt applicant's zero deposit moves no money).
type LedgerTx struct {
	Kind      string
	AuctionID string
	DepositID string
	CaseID    string
	Reference string
	Entries   []payments.Entry
}

// Nullable is s, or SQL NULL when it is empty.
func Nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ledgerSQL writes a ledger transaction and its entries, in their order, in
// one statement. The deferred ledger_balanced trigger still checks at commit
// that the entries sum to zero.
const ledgerSQL = `WITH t AS (
		INSERT INTO ledger_transactions (kind, auction_id, deposit_id, case_id, reference, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id)
	INSERT INTO ledger_entries (transaction_id, account, amount)
	SELECT t.id, e.account, e.amount FROM t, unnest($7::text[], $8::bigint[]) WITH ORDINALITY AS e(account, amount, n)
	ORDER BY e.n`

// Record writes l at the clock's time.
func (db *DB) Record(ctx context.Context, tx pgx.Tx, l LedgerTx) error {
	var w Writes
	w.Record(l, db.Clock.Now())
	return db.Flush(ctx, tx, &w)
}

// Record queues l, the money moving at the time given.
func (w *Writes) Record(l LedgerTx, at time.Time) {
	var accounts []string
	var amounts []int64
	for _, e := range l.Entries {
		if e.Amount != 0 {
			accounts, amounts = append(accounts, e.Account), append(amounts, e.Amount)
		}
	}
	if len(accounts) == 0 {
		return
	}
	w.Queue(ledgerSQL, l.Kind, Nullable(l.AuctionID), Nullable(l.DepositID), Nullable(l.CaseID), l.Reference, at, accounts, amounts)
}
