package money

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
	"gavel/payments"
)

// OweBackBalancePayments makes every balance payment of a locked auction
// that the case still keeps owed back to its payer, as of now: the part
// that went toward the price (amount - excess; an excess is already owed
// back on its own) leaves the case's proceeds for refunds due in one ledger
// transaction, and each payment is listed for finance (BalanceReturnsDue)
// until MarkBalanceReturned records the transfer. It is the one operation
// for every reason money paid toward a price goes back: an annulled sale,
// a defaulted buyer. It returns the total owed back.
func OweBackBalancePayments(ctx context.Context, tx pgx.Tx, w *pgtx.Writes, a *pgtx.Row, now time.Time) (int64, error) {
	var total int64
	err := tx.QueryRow(ctx, `WITH owed AS (
			UPDATE balance_payments SET owed_back_at = $2
			WHERE auction_id = $1 AND owed_back_at IS NULL AND amount > excess
			RETURNING amount - excess AS amount)
		SELECT coalesce(sum(amount), 0)::bigint FROM owed`, a.ID, now).Scan(&total)
	if err != nil {
		return 0, err
	}
	w.Record(pgtx.LedgerTx{Kind: payments.TxBalanceOwedBack, AuctionID: a.ID, CaseID: a.CaseID,
		Entries: payments.Move(payments.AccountCaseProceeds, payments.AccountRefundsDue, total)}, now)
	return total, nil
}

const balanceReturnColumns = `b.id, b.auction_id, a.case_id, b.reference, b.amount - b.excess, b.owed_back_at, b.return_reference, b.returned_at`

func scanBalanceReturn(r pgx.Row) (payments.BalanceReturn, error) {
	var p payments.BalanceReturn
	err := r.Scan(&p.PaymentID, &p.AuctionID, &p.CaseID, &p.Reference, &p.Amount, &p.OwedSince, &p.ReturnReference, &p.ReturnedAt)
	for _, t := range []**time.Time{&p.OwedSince, &p.ReturnedAt} {
		if *t != nil {
			at := (*t).UTC()
			*t = &at
		}
	}
	return p, err
}

// BalanceReturnsDue lists the balance payments owed back and not yet paid
// back, oldest first.
func (s *Store) BalanceReturnsDue(ctx context.Context) ([]payments.BalanceReturn, error) {
	scan := func(r pgx.CollectableRow) (payments.BalanceReturn, error) { return scanBalanceReturn(r) }
	return pgtx.List(ctx, s.db.Pool, scan, `SELECT `+balanceReturnColumns+` FROM balance_payments b JOIN auctions a ON a.id = b.auction_id
		WHERE b.owed_back_at IS NOT NULL AND b.returned_at IS NULL ORDER BY b.owed_back_at, b.id`)
}

// MarkBalanceReturned records that finance paid an owed-back balance
// payment back (reference: that transfer's): refunds due -> court escrow,
// with the bank's record of the transfer for reconciliation. Returns
// not_found, invalid_field, duplicate_reference (the transfer is already
// booked as a balance refund), or invalid_state when the payment is not
// owed back or was already paid back.
func (s *Store) MarkBalanceReturned(ctx context.Context, paymentID, reference string) (*payments.BalanceReturn, error) {
	reference, err := cleanReference(reference, "the transfer's reference")
	if err != nil {
		return nil, err
	}
	var p payments.BalanceReturn
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		// The row lock serialises two marks of one payment: the money goes
		// back once.
		if err := lockPaymentAuction(ctx, tx, paymentID); err != nil {
			return err
		}
		var err error
		p, err = scanBalanceReturn(tx.QueryRow(ctx, `SELECT `+balanceReturnColumns+` FROM balance_payments b
			JOIN auctions a ON a.id = b.auction_id WHERE b.id = $1 FOR UPDATE OF b`, paymentID))
		if err != nil {
			return pgtx.Translate(err, "balance payment")
		}
		now := s.db.Clock.Now()
		// The same kind as MarkBalanceRefunded's: a transfer back to a
		// payer is booked once, whichever way finance records it.
		if _, err := bookReference(ctx, tx, payments.BookBalanceRefund, reference, p.PaymentID, now); err != nil {
			return err
		}
		switch {
		case p.ReturnedAt != nil:
			return auction.Errorf(auction.EInvalidState, "this payment was already paid back (reference %s)", *p.ReturnReference)
		case p.OwedSince == nil:
			return auction.Errorf(auction.EInvalidState, "this payment is not owed back: the case keeps it")
		}
		if _, err := tx.Exec(ctx, `UPDATE balance_payments SET return_reference = $2, returned_at = $3 WHERE id = $1`, p.PaymentID, reference, now); err != nil {
			return err
		}
		p.ReturnReference, p.ReturnedAt = &reference, &now
		if err := s.db.Record(ctx, tx, pgtx.LedgerTx{Kind: payments.TxBalanceReturned, AuctionID: p.AuctionID, CaseID: p.CaseID, Reference: reference,
			Entries: payments.Move(payments.AccountRefundsDue, payments.AccountEscrow, p.Amount)}); err != nil {
			return err
		}
		return s.recordProvider(ctx, tx, providerRecord{Provider: payments.ProviderBank, Kind: payments.RecordBalanceReturned,
			AuctionID: p.AuctionID, CaseID: p.CaseID, Amount: p.Amount, Ref: reference})
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}
