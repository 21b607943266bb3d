package money

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
	"gavel/payments"
)

// Ledger lists transactions in id order (the order they were written), a
// page at a time; more reports whether later ones match too.
func (s *Store) Ledger(ctx context.Context, f payments.LedgerFilter) (txs []payments.LedgerTransaction, more bool, err error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 1000 {
		f.Limit = 1000
	}
	for name, id := range map[string]string{"auction_id": f.AuctionID, "case_id": f.CaseID, "deposit_id": f.DepositID} {
		if id != "" && !pgtx.IsUUID(id) {
			return nil, false, auction.FieldError(name, "is not an id")
		}
	}
	var from, to *time.Time
	if !f.From.IsZero() {
		from = &f.From
	}
	if !f.To.IsZero() {
		to = &f.To
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT t.id, t.kind, t.auction_id::text, t.deposit_id::text, t.case_id::text, t.reference, t.created_at,
			(SELECT json_agg(json_build_object('account', e.account, 'amount', e.amount) ORDER BY e.id) FROM ledger_entries e WHERE e.transaction_id = t.id)
		FROM ledger_transactions t
		WHERE t.id > $1
		  AND ($2::uuid IS NULL OR t.auction_id = $2) AND ($3::uuid IS NULL OR t.case_id = $3) AND ($4::uuid IS NULL OR t.deposit_id = $4)
		  AND ($5 = '' OR t.kind = $5)
		  AND ($6 = '' OR EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id AND e.account = $6))
		  AND ($7::timestamptz IS NULL OR t.created_at >= $7) AND ($8::timestamptz IS NULL OR t.created_at < $8)
		ORDER BY t.id LIMIT $9`,
		f.After, pgtx.Nullable(f.AuctionID), pgtx.Nullable(f.CaseID), pgtx.Nullable(f.DepositID), f.Kind, f.Account, from, to, f.Limit+1)
	if err != nil {
		return nil, false, err
	}
	txs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (payments.LedgerTransaction, error) {
		var t payments.LedgerTransaction
		err := r.Scan(&t.ID, &t.Kind, &t.AuctionID, &t.DepositID, &t.CaseID, &t.Reference, &t.CreatedAt, &t.Entries)
		t.CreatedAt = t.CreatedAt.UTC()
		return t, err
	})
	if err != nil {
		return nil, false, err
	}
	if len(txs) > f.Limit {
		txs, more = txs[:f.Limit], true
	}
	if txs == nil {
		txs = []payments.LedgerTransaction{}
	}
	return txs, more, nil
}

// AuctionMoney summarises the money of one auction. Returns not_found.
func (s *Store) AuctionMoney(ctx context.Context, auctionID string) (*payments.AuctionMoney, error) {
	a, err := s.db.Auction(ctx, auctionID)
	if err != nil {
		return nil, err
	}
	m := &payments.AuctionMoney{AuctionID: a.ID, CaseID: a.CaseID, Status: a.Status, Currency: a.Currency, HammerPrice: a.HammerPrice,
		ClosedAt: a.ClosedAt, BalanceDueAt: a.BalanceDueAt, Deposits: map[string]payments.DepositTally{}, Accounts: map[string]int64{}}
	tx, err := s.db.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	rows, err := tx.Query(ctx, `SELECT status, count(*), coalesce(sum(amount), 0)::bigint FROM deposits WHERE auction_id = $1 GROUP BY status`, a.ID)
	if err != nil {
		return nil, err
	}
	var status string
	var tally payments.DepositTally
	if _, err := pgx.ForEachRow(rows, []any{&status, &tally.Count, &tally.Amount}, func() error {
		m.Deposits[status] = tally
		return nil
	}); err != nil {
		return nil, err
	}
	m.DepositApplied = m.Deposits[auction.DepositApplied].Amount
	m.ForfeitedDeposit = m.Deposits[auction.DepositForfeited].Amount
	if err := tx.QueryRow(ctx, `SELECT coalesce(sum(amount - excess), 0)::bigint FROM balance_payments WHERE auction_id = $1 AND owed_back_at IS NULL`, a.ID).Scan(&m.BalanceReceived); err != nil {
		return nil, err
	}
	if a.Status == auction.StatusSold && a.HammerPrice != nil {
		m.Outstanding = *a.HammerPrice - m.DepositApplied - m.BalanceReceived
	}
	rows, err = tx.Query(ctx, `SELECT e.account, sum(e.amount)::bigint FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
		WHERE t.auction_id = $1 GROUP BY e.account`, a.ID)
	if err != nil {
		return nil, err
	}
	var account string
	var balance int64
	if _, err := pgx.ForEachRow(rows, []any{&account, &balance}, func() error {
		m.Accounts[account] = balance
		return nil
	}); err != nil {
		return nil, err
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM ledger_transactions WHERE auction_id = $1`, a.ID).Scan(&m.LedgerTransactions); err != nil {
		return nil, err
	}
	due, err := refundsDue(ctx, tx, s.db.Clock.Now())
	if err != nil {
		return nil, err
	}
	m.RefundsDue = []payments.RefundDue{}
	for _, r := range due {
		if r.AuctionID == a.ID {
			m.RefundsDue = append(m.RefundsDue, r)
		}
	}
	return m, nil
}
