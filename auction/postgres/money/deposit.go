package money

import (
	"context"
	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
	"gavel/payments"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
)

// Deposits as finance keeps them (bank transfers confirmed, refunds paid),
// and what bidding and the court do to deposits inside their own
// transactions: qualify a registration, release the held deposits of a
// closed or cancelled round.

// Deposits lists an auction's deposits for finance, by bidder code only.
func (s *Store) Deposits(ctx context.Context, auctionID string) ([]auction.Deposit, error) {
	if _, err := s.db.Auction(ctx, auctionID); err != nil {
		return nil, err
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT d.id, d.registration_id, r.bidder_code, d.amount, d.status, d.provider, d.pay_reference
		FROM deposits d JOIN registrations r ON r.id = d.registration_id WHERE d.auction_id = $1 ORDER BY r.created_at, d.id`, auctionID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (auction.Deposit, error) {
		d := auction.Deposit{AuctionID: auctionID}
		return d, row.Scan(&d.ID, &d.RegistrationID, &d.BidderCode, &d.Amount, &d.Status, &d.Provider, &d.PayReference)
	})
}

// ConfirmDeposit records that a bank transfer arrived: the deposit is held and
// the registration qualified with a bidder code. If the auction has already
// ended the money is released for refund at once. Returns not_found,
// invalid_field, duplicate_reference (the transfer is already booked for a
// deposit) or deposit_not_pending.
func (s *Store) ConfirmDeposit(ctx context.Context, depositID, reference string) (*auction.Deposit, error) {
	return s.byHand(ctx, depositID, reference, "the bank transfer's reference",
		"this deposit is paid through %s, which confirms it; finance confirms bank transfers only",
		func(tx pgx.Tx, d *ProviderDeposit, reference string) error {
			_, err := s.confirmLocked(ctx, tx, d, reference)
			return err
		})
}

// byHand applies finance's record of a bank transfer (what: the reference's
// name in a refusal) to the deposit, locked in one transaction. A deposit
// paid through a provider is the provider's to move: marking it by hand
// could race the job that moves it there (notBank says so, with the
// provider's name). Returns the deposit as it is then.
func (s *Store) byHand(ctx context.Context, depositID, reference, what, notBank string, act func(pgx.Tx, *ProviderDeposit, string) error) (*auction.Deposit, error) {
	reference, err := cleanReference(reference, what)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		d, err := lockDeposit(ctx, tx, depositID)
		if err != nil {
			return err
		}
		if d.Provider != payments.ProviderBank {
			return auction.Errorf(auction.EInvalidState, notBank, d.Provider)
		}
		return act(tx, d, reference)
	})
	if err != nil {
		return nil, err
	}
	return s.Deposit(ctx, depositID)
}

// releaseDeposit moves a held deposit to refund_pending (or straight to
// refunded when it is zero) in tx, as a close does (ReleaseDeposit).
func (s *Store) releaseDeposit(ctx context.Context, tx pgx.Tx, depositID, auctionID, caseID string, amount int64, now time.Time) error {
	var w pgtx.Writes
	ReleaseDeposit(&w, depositID, auctionID, caseID, amount, now)
	return s.db.Flush(ctx, tx, &w)
}

// MarkRefunded records that finance paid a released deposit back. Returns
// not_found, invalid_field, duplicate_reference (the transfer is already
// booked as a deposit refund) or invalid_state.
func (s *Store) MarkRefunded(ctx context.Context, depositID, reference string) (*auction.Deposit, error) {
	return s.byHand(ctx, depositID, reference, "the refund transfer's reference",
		"this deposit is refunded through %s by Gavel itself",
		func(tx pgx.Tx, d *ProviderDeposit, reference string) error {
			return s.refundLocked(ctx, tx, d, reference)
		})
}

// Deposit returns one deposit.
func (s *Store) Deposit(ctx context.Context, id string) (*auction.Deposit, error) {
	d := &auction.Deposit{ID: id}
	err := s.db.Pool.QueryRow(ctx, `SELECT d.registration_id, d.auction_id, r.bidder_code, d.amount, d.status, d.provider, d.pay_reference
		FROM deposits d JOIN registrations r ON r.id = d.registration_id WHERE d.id = $1`, id).
		Scan(&d.RegistrationID, &d.AuctionID, &d.BidderCode, &d.Amount, &d.Status, &d.Provider, &d.PayReference)
	return d, pgtx.Translate(err, "deposit")
}

// MarkRefundedBatch records many refunds at once, as finance pays them in
// one bank batch: all of them or, when one is refused, none (the error
// names it by its place in the list). Returns what MarkRefunded returns.
func (s *Store) MarkRefundedBatch(ctx context.Context, refunds []payments.RefundPaid) ([]auction.Deposit, error) {
	if len(refunds) == 0 || len(refunds) > 500 {
		return nil, auction.FieldError("refunds", "lists 1 to 500 refunds")
	}
	for i := range refunds {
		ref, err := cleanReference(refunds[i].Reference, "the refund transfer's reference")
		if err != nil {
			return nil, auction.FieldError("refunds", "item %d: %s", i+1, err.(*auction.Error).Message)
		}
		refunds[i].Reference = ref
	}
	// Deposits are locked in id order, so two batches sharing deposits
	// wait for each other instead of deadlocking.
	order := make([]int, len(refunds))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return refunds[order[a]].DepositID < refunds[order[b]].DepositID })
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		for _, i := range order {
			r := refunds[i]
			d, err := lockDeposit(ctx, tx, r.DepositID)
			if err == nil && d.Provider != payments.ProviderBank {
				err = auction.Errorf(auction.EInvalidState, "this deposit is refunded through %s by Gavel itself", d.Provider)
			}
			if err == nil {
				err = s.refundLocked(ctx, tx, d, r.Reference)
			}
			if e, ok := err.(*auction.Error); ok {
				return auction.Errorf(e.Code, "item %d: %s", i+1, e.Message)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]auction.Deposit, 0, len(refunds))
	for _, r := range refunds {
		d, err := s.Deposit(ctx, r.DepositID)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, nil
}

// HeldDeposit is a deposit still held when its auction closes.
type HeldDeposit struct {
	ID, Registration string
	Amount           int64
}

// HeldDeposits locks the held deposits of the auctions and returns them by
// auction, each auction's in id order.
func HeldDeposits(ctx context.Context, tx pgx.Tx, auctions []*pgtx.Row) (map[string][]HeldDeposit, error) {
	if len(auctions) == 0 {
		return nil, nil
	}
	ids := make([]string, len(auctions))
	for i, a := range auctions {
		ids[i] = a.ID
	}
	rows, err := tx.Query(ctx, `SELECT auction_id, id, registration_id, amount FROM deposits
		WHERE auction_id = ANY($1::uuid[]) AND status = 'held' ORDER BY auction_id, id FOR UPDATE`, ids)
	if err != nil {
		return nil, err
	}
	held := map[string][]HeldDeposit{}
	var auctionID string
	var d HeldDeposit
	_, err = pgx.ForEachRow(rows, []any{&auctionID, &d.ID, &d.Registration, &d.Amount}, func() error {
		held[auctionID] = append(held[auctionID], d)
		return nil
	})
	return held, err
}

// ReleaseDeposit queues into w what Store.releaseDeposit does in a transaction:
// the deposit goes to refund_pending (or straight to refunded when it is
// zero: nothing to pay back) and the ledger moves it to refunds due.
func ReleaseDeposit(w *pgtx.Writes, depositID, auctionID, caseID string, amount int64, now time.Time) {
	status := auction.DepositRefundPending
	if amount == 0 {
		status = auction.DepositRefunded
	}
	w.Queue(`UPDATE deposits SET status = $2, released_at = $3, updated_at = $3 WHERE id = $1`, depositID, status, now)
	w.Record(pgtx.LedgerTx{Kind: payments.TxDepositReleased, AuctionID: auctionID, DepositID: depositID, CaseID: caseID,
		Entries: payments.Move(payments.AccountBidderDeposits, payments.AccountRefundsDue, amount)}, now)
}

// AssignBidderCode gives a registration its random public code, retrying on
// the (rare) collision inside the auction.
func AssignBidderCode(ctx context.Context, tx pgx.Tx, regID string) error {
	for {
		sp, err := tx.Begin(ctx)
		if err != nil {
			return err
		}
		_, err = sp.Exec(ctx, `UPDATE registrations SET bidder_code = $2 WHERE id = $1 AND bidder_code IS NULL`, regID, pgtx.RandomCode("B", 5))
		if pgtx.IsUniqueViolation(err, "") {
			if err := sp.Rollback(ctx); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		return sp.Commit(ctx)
	}
}
