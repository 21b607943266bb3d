package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"gavel/payments"
)

// ledgerTx records one balanced ledger transaction inside tx. A zero amount
// records nothing (an exempt applicant's zero deposit moves no money).
type ledgerTx struct {
	Kind      string
	AuctionID string
	DepositID string
	CaseID    string
	Reference string
	Entries   []payments.Entry
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Store) record(ctx context.Context, tx pgx.Tx, l ledgerTx) error {
	var entries []payments.Entry
	for _, e := range l.Entries {
		if e.Amount != 0 {
			entries = append(entries, e)
		}
	}
	if len(entries) == 0 {
		return nil
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO ledger_transactions (kind, auction_id, deposit_id, case_id, reference, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		l.Kind, nullable(l.AuctionID), nullable(l.DepositID), nullable(l.CaseID), l.Reference, s.clock.Now()).Scan(&id)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, err := tx.Exec(ctx, `INSERT INTO ledger_entries (transaction_id, account, amount) VALUES ($1, $2, $3)`, id, e.Account, e.Amount); err != nil {
			return err
		}
	}
	return nil
}
