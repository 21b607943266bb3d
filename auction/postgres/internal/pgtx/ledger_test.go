package pgtx_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction/auctiontest"
	"gavel/auction/postgres/internal/pgtx"
	"gavel/migrations/dbtest"
	"gavel/payments"
)

// A ledger transaction is one statement, yet the ledger keeps its rules: the
// entries in their order at the time given (or the clock's), zero entries
// dropped, an unbalanced transaction refused at commit, entries append-only.
func TestRecordInOneStatement(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	ctx := context.Background()
	clockAt := auctiontest.Start
	s := &pgtx.DB{Pool: pool, Clock: auctiontest.NewClock(clockAt)}
	queuedAt := clockAt.Add(-time.Hour)

	entries := []payments.Entry{{Account: payments.AccountEscrow, Amount: 300}, {Account: payments.AccountAuctionCosts, Amount: 0},
		{Account: payments.AccountBidderDeposits, Amount: -100}, {Account: payments.AccountCaseProceeds, Amount: -200}}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var w pgtx.Writes
		w.Record(pgtx.LedgerTx{Kind: "queued", Reference: "Q", Entries: entries}, queuedAt)
		w.Record(pgtx.LedgerTx{Kind: "nothing", Entries: payments.Move(payments.AccountEscrow, payments.AccountRefundsDue, 0)}, queuedAt)
		if err := s.Flush(ctx, tx, &w); err != nil {
			return err
		}
		return s.Record(ctx, tx, pgtx.LedgerTx{Kind: "direct", Entries: payments.Move(payments.AccountEscrow, payments.AccountRefundsDue, 5)})
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT t.kind, t.reference, t.created_at, string_agg(e.account || ':' || e.amount, ' ' ORDER BY e.id)
		FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id GROUP BY t.id ORDER BY t.id`)
	if err != nil {
		t.Fatal(err)
	}
	type written struct {
		kind, reference string
		at              time.Time
		entries         string
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (written, error) {
		var w written
		return w, r.Scan(&w.kind, &w.reference, &w.at, &w.entries)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []written{
		{"queued", "Q", queuedAt, "court_escrow:300 bidder_deposits:-100 case_proceeds:-200"},
		{"direct", "", clockAt, "court_escrow:5 refunds_due:-5"},
	}
	if len(got) != len(want) {
		t.Fatalf("ledger %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].kind != want[i].kind || got[i].reference != want[i].reference || !got[i].at.Equal(want[i].at) || got[i].entries != want[i].entries {
			t.Fatalf("ledger transaction %d: %+v, want %+v", i, got[i], want[i])
		}
	}

	err = s.InTx(ctx, func(tx pgx.Tx) error {
		return s.Record(ctx, tx, pgtx.LedgerTx{Kind: "unbalanced", Entries: []payments.Entry{{Account: payments.AccountEscrow, Amount: 100},
			{Account: payments.AccountRefundsDue, Amount: -50}}})
	})
	if err == nil || !strings.Contains(err.Error(), "does not balance") {
		t.Fatalf("unbalanced transaction: %v, want refused at commit", err)
	}
	if _, err := pool.Exec(ctx, `UPDATE ledger_entries SET amount = amount * 2`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("changing entries: %v, want refused", err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM ledger_transactions`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d ledger transactions after the refusals, want 2 (%v)", n, err)
	}
}
