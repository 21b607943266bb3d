package money

import (
	"context"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/casereport"
	"gavel/auction/postgres/internal/pgtx"
	"gavel/payments"
)

// Remit records that finance paid amount of a case's proceeds to the case
// (reference: the transfer's), as one ledger transaction case_proceeds ->
// court_escrow, a provider record of the transfer, and a proceeds.remitted
// notification to the case system. Returns not_found, invalid_field,
// duplicate_reference (the transfer is already booked as a remittance) or
// overpayment (more than the case has in escrow).
func (s *Store) Remit(ctx context.Context, by, caseID string, amount int64, reference string) (*payments.Remittance, error) {
	if amount <= 0 {
		return nil, auction.FieldError("amount", "must be a positive amount in fen")
	}
	reference, err := cleanReference(reference, "the transfer's reference")
	if err != nil {
		return nil, err
	}
	out := &payments.Remittance{CaseID: caseID, Amount: amount, Reference: reference}
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		// The case row lock serialises remittances of one case, so two
		// cannot both spend the same balance.
		var caseNumber string
		if err := tx.QueryRow(ctx, `SELECT case_number FROM cases WHERE id = $1 FOR UPDATE`, caseID).Scan(&caseNumber); err != nil {
			return pgtx.Translate(err, "case")
		}
		now := s.db.Clock.Now()
		var err error
		if out.ID, err = bookReference(ctx, tx, payments.BookRemittance, reference, "", now); err != nil {
			return err
		}
		var balance, remitted int64
		if err := tx.QueryRow(ctx, `SELECT
				coalesce((SELECT -sum(e.amount) FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
					WHERE t.case_id = $1 AND e.account = $2), 0)::bigint,
				coalesce((SELECT sum(amount) FROM remittances WHERE case_id = $1), 0)::bigint`,
			caseID, payments.AccountCaseProceeds).Scan(&balance, &remitted); err != nil {
			return err
		}
		if amount > balance {
			return auction.Errorf(auction.EOverpayment, "only %d of this case's proceeds is in escrow", balance)
		}
		out.CreatedAt, out.Balance = now, balance-amount
		if err := s.db.Record(ctx, tx, pgtx.LedgerTx{Kind: payments.TxProceedsRemitted, CaseID: caseID, Reference: reference,
			Entries: payments.Move(payments.AccountCaseProceeds, payments.AccountEscrow, amount)}); err != nil {
			return err
		}
		if err := s.recordProvider(ctx, tx, providerRecord{Provider: payments.ProviderBank, Kind: payments.RecordProceedsRemitted,
			CaseID: caseID, Amount: amount, Ref: reference}); err != nil {
			return err
		}
		id, err := s.db.NotifyCaseOnly(ctx, tx, caseID, caseNumber, casereport.NotifyProceedsRemitted, map[string]any{
			"remittance_id": out.ID, "amount": amount, "reference": reference,
			"remitted_total": remitted + amount, "balance": out.Balance})
		if err != nil {
			return err
		}
		out.NotificationID = &id
		_, err = tx.Exec(ctx, `INSERT INTO remittances (id, case_id, amount, reference, recorded_by, notification_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, out.ID, caseID, amount, reference, pgtx.Nullable(by), id, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Remittances lists what was remitted to a case, oldest first. Returns not_found.
func (s *Store) Remittances(ctx context.Context, caseID string) ([]payments.Remittance, error) {
	var exists bool
	if err := s.db.Pool.QueryRow(ctx, `SELECT true FROM cases WHERE id = $1`, caseID).Scan(&exists); err != nil {
		return nil, pgtx.Translate(err, "case")
	}
	scan := func(r pgx.CollectableRow) (payments.Remittance, error) {
		var m payments.Remittance
		err := r.Scan(&m.ID, &m.CaseID, &m.Amount, &m.Reference, &m.CreatedAt, &m.NotificationID)
		m.CreatedAt = m.CreatedAt.UTC()
		return m, err
	}
	return pgtx.List(ctx, s.db.Pool, scan, `SELECT id, case_id, amount, reference, created_at, notification_id::text FROM remittances
		WHERE case_id = $1 ORDER BY created_at, id`, caseID)
}
