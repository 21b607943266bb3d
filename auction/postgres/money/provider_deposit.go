package money

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
	"gavel/payments"
)

// This file is the deposit state machine as driven by a payment provider's
// API (Stripe): the store decides every transition, in one transaction with
// its ledger entries and provider records; the provider only reports, through
// a re-read payment (payments.Intent), what happened at its end. The bank
// provider drives the same machine through ConfirmDeposit and MarkRefunded.

// ProviderDeposit is a deposit as the payment jobs see it.
type ProviderDeposit struct {
	ID             string
	RegistrationID string
	AuctionID      string
	CaseID         string
	Status         string
	Provider       string
	ProviderRef    string
	ProviderState  string
	Amount         int64
	Currency       string
	AuctionStatus  string
	EndsAt         time.Time
	CaptureBefore  *time.Time
}

// BiddingOver reports whether the deposit's auction can no longer be bid on,
// so an unpaid deposit there will never be needed.
func (d *ProviderDeposit) BiddingOver(now time.Time) bool {
	open := (d.AuctionStatus == auction.StatusAnnounced || d.AuctionStatus == auction.StatusBidding) && now.Before(d.EndsAt)
	return !open && d.AuctionStatus != auction.StatusSuspended
}

const providerDepositColumns = `d.id, d.registration_id, d.auction_id, a.case_id, d.status, d.provider, d.provider_ref, d.provider_state,
	d.amount, a.currency, a.status, a.ends_at, d.capture_before`

func scanProviderDeposit(r pgx.Row) (*ProviderDeposit, error) {
	d := &ProviderDeposit{}
	err := r.Scan(&d.ID, &d.RegistrationID, &d.AuctionID, &d.CaseID, &d.Status, &d.Provider, &d.ProviderRef, &d.ProviderState,
		&d.Amount, &d.Currency, &d.AuctionStatus, &d.EndsAt, &d.CaptureBefore)
	d.EndsAt = d.EndsAt.UTC()
	return d, err
}

// lockDeposit reads a deposit and its auction's state, locking the deposit
// row for a state change. The auction's row is share-locked first (always
// auction before deposit, the close's order): a close claims its auctions
// FOR UPDATE SKIP LOCKED, so it cannot run while a deposit of the auction
// changes, and the change sees the auction as the close left it. Without it
// a confirmation that read the auction as open could commit a held deposit
// after the close had released the others, and it would stay held.
func lockDeposit(ctx context.Context, tx pgx.Tx, id string) (*ProviderDeposit, error) {
	if _, err := tx.Exec(ctx, `SELECT 1 FROM auctions WHERE id = (SELECT auction_id FROM deposits WHERE id = $1) FOR SHARE`, id); err != nil {
		return nil, pgtx.Translate(err, "deposit")
	}
	d, err := scanProviderDeposit(tx.QueryRow(ctx, `SELECT `+providerDepositColumns+`
		FROM deposits d JOIN auctions a ON a.id = d.auction_id WHERE d.id = $1 FOR UPDATE OF d`, id))
	if err != nil {
		return nil, pgtx.Translate(err, "deposit")
	}
	return d, nil
}

// ProviderDeposit returns one deposit with what the payment jobs need.
func (s *Store) ProviderDeposit(ctx context.Context, id string) (*ProviderDeposit, error) {
	d, err := scanProviderDeposit(s.db.Pool.QueryRow(ctx, `SELECT `+providerDepositColumns+`
		FROM deposits d JOIN auctions a ON a.id = d.auction_id WHERE d.id = $1`, id))
	if err != nil {
		return nil, pgtx.Translate(err, "deposit")
	}
	return d, nil
}

// DepositByProviderRef finds the deposit a provider's payment belongs to.
func (s *Store) DepositByProviderRef(ctx context.Context, provider, ref string) (*ProviderDeposit, error) {
	d, err := scanProviderDeposit(s.db.Pool.QueryRow(ctx, `SELECT `+providerDepositColumns+`
		FROM deposits d JOIN auctions a ON a.id = d.auction_id WHERE d.provider = $1 AND d.provider_ref = $2`, provider, ref))
	if err != nil {
		return nil, pgtx.Translate(err, "deposit")
	}
	return d, nil
}

// confirmLocked is the one way a pending deposit becomes held, for every
// provider: the deposit is held, the ledger and the provider record say so,
// and the registration is qualified with a bidder code. If bidding is over
// the money is released at once (released is true) and the registration
// stays pending: it arrived too late to bid with.
func (s *Store) confirmLocked(ctx context.Context, tx pgx.Tx, d *ProviderDeposit, reference string) (released bool, err error) {
	now := s.db.Clock.Now()
	if err := lockDepositReference(ctx, tx, reference); err != nil {
		return false, err
	}
	if _, err := bookReference(ctx, tx, payments.BookDepositConfirmation, reference, d.ID, now); err != nil {
		return false, err
	}
	if d.Status != auction.DepositPending {
		return false, auction.Errorf(auction.EDepositNotPending, "the deposit is %s, not pending", d.Status)
	}
	if _, err := tx.Exec(ctx, `UPDATE deposits SET status = 'held', confirm_reference = $2, held_at = $3, updated_at = $3 WHERE id = $1`,
		d.ID, reference, now); err != nil {
		return false, err
	}
	if err := s.db.Record(ctx, tx, pgtx.LedgerTx{Kind: payments.TxDepositHeld, AuctionID: d.AuctionID, DepositID: d.ID, CaseID: d.CaseID,
		Reference: reference, Entries: payments.Move(payments.AccountEscrow, payments.AccountBidderDeposits, d.Amount)}); err != nil {
		return false, err
	}
	if err := s.recordProvider(ctx, tx, providerRecord{Provider: d.Provider, Kind: payments.RecordDepositReceived, DepositID: d.ID,
		AuctionID: d.AuctionID, CaseID: d.CaseID, Amount: d.Amount, Ref: reference}); err != nil {
		return false, err
	}
	// A suspended auction may be resumed: money arriving meanwhile is held
	// for it, and released with the others if the court cancels instead.
	open := (d.AuctionStatus == auction.StatusAnnounced || d.AuctionStatus == auction.StatusBidding) && now.Before(d.EndsAt) ||
		d.AuctionStatus == auction.StatusSuspended
	if !open {
		d.Status = auction.DepositRefundPending
		if d.Amount == 0 {
			d.Status = auction.DepositRefunded
		}
		return true, s.releaseDeposit(ctx, tx, d.ID, d.AuctionID, d.CaseID, d.Amount, now)
	}
	d.Status = auction.DepositHeld
	if _, err := tx.Exec(ctx, `UPDATE registrations SET status = 'qualified' WHERE id = $1`, d.RegistrationID); err != nil {
		return false, err
	}
	return false, AssignBidderCode(ctx, tx, d.RegistrationID)
}

// refundLocked records that a released deposit went back to the bidder: a
// bank transfer finance made, or a Stripe cancellation or refund.
func (s *Store) refundLocked(ctx context.Context, tx pgx.Tx, d *ProviderDeposit, reference string) error {
	now := s.db.Clock.Now()
	if _, err := bookReference(ctx, tx, payments.BookDepositRefund, reference, d.ID, now); err != nil {
		return err
	}
	if d.Status != auction.DepositRefundPending {
		return auction.Errorf(auction.EInvalidState, "the deposit is %s, not refund_pending", d.Status)
	}
	if _, err := tx.Exec(ctx, `UPDATE deposits SET status = 'refunded', refund_reference = $2, updated_at = $3 WHERE id = $1`, d.ID, reference, now); err != nil {
		return err
	}
	d.Status = auction.DepositRefunded
	if err := s.db.Record(ctx, tx, pgtx.LedgerTx{Kind: payments.TxDepositRefunded, AuctionID: d.AuctionID, DepositID: d.ID, CaseID: d.CaseID,
		Reference: reference, Entries: payments.Move(payments.AccountRefundsDue, payments.AccountEscrow, d.Amount)}); err != nil {
		return err
	}
	return s.recordProvider(ctx, tx, providerRecord{Provider: d.Provider, Kind: payments.RecordDepositReturned, DepositID: d.ID,
		AuctionID: d.AuctionID, CaseID: d.CaseID, Amount: d.Amount, Ref: reference})
}

// Follow-up actions a deposit change calls for at the provider.
const (
	FollowupCapture = "capture"
	FollowupRelease = "release"
)

// DepositFollowup is provider work that a deposit change calls for; it is
// run by a durable job enqueued in the transaction of the change, so it
// happens exactly when the change commits.
type DepositFollowup struct {
	DepositID string
	Action    string
	// Delay is how long from now to wait before acting, measured on the
	// store's clock (under --test-clock a hold's lapse is test time too).
	Delay time.Duration
}

// Enqueue adds follow-ups inside the transaction that made them necessary.
type Enqueue func(ctx context.Context, tx pgx.Tx, f DepositFollowup) error

// StartIntent creates (or, by its idempotency key, finds again) the
// provider's payment for a pending deposit and stores its id and client
// secret. Returns payments.ErrManual for the bank.
func (s *Store) StartIntent(ctx context.Context, p payments.Provider, d *ProviderDeposit) error {
	in, err := p.Start(ctx, payments.DepositRequest{Key: payments.DepositKey(d.RegistrationID), DepositID: d.ID,
		RegistrationID: d.RegistrationID, AuctionID: d.AuctionID, Amount: d.Amount, Currency: d.Currency})
	if err != nil {
		return err
	}
	return s.attachIntent(ctx, d.ID, in)
}

// attachIntent stores the provider's payment id and the client secret the
// bidder's browser pays with. Attaching the same payment again is a no-op;
// another payment for a deposit that has one is refused with invalid_state.
func (s *Store) attachIntent(ctx context.Context, depositID string, in *payments.Intent) error {
	tag, err := s.db.Pool.Exec(ctx, `UPDATE deposits SET provider_ref = $2,
			client_secret = CASE WHEN $3 = '' THEN client_secret ELSE $3 END, updated_at = $4
		WHERE id = $1 AND (provider_ref = '' OR provider_ref = $2)`, depositID, in.Ref, in.ClientSecret, s.db.Clock.Now())
	if err != nil {
		return pgtx.Translate(err, "deposit")
	}
	if tag.RowsAffected() == 0 {
		if _, err := s.ProviderDeposit(ctx, depositID); err != nil {
			return err
		}
		return auction.Errorf(auction.EInvalidState, "the deposit already has another payment")
	}
	return nil
}

// MissingIntents lists pending provider deposits whose payment was never
// created (the call after registration failed), oldest first.
func (s *Store) MissingIntents(ctx context.Context, provider string, createdBefore time.Time, limit int) ([]ProviderDeposit, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+providerDepositColumns+` FROM deposits d JOIN auctions a ON a.id = d.auction_id
		WHERE d.status = 'pending' AND d.provider = $1 AND d.provider_ref = '' AND d.provider <> 'bank' AND d.updated_at < $2
		  AND a.status IN ('announced', 'bidding')
		ORDER BY d.updated_at LIMIT $3`, provider, createdBefore, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ProviderDeposit, error) {
		d, err := scanProviderDeposit(r)
		return *d, err
	})
}

// SyncIntent applies the provider's current view of a deposit's payment,
// freshly re-read from the provider, and returns the deposit after it. It is
// idempotent and order-free: applying the same or an older view again
// changes nothing that has already happened.
//
//   - pending, paid (held or captured): held and qualified exactly as a bank
//     confirmation (released at once when bidding is over). A hold that
//     lapses before the close plus payments.HoldMargin is captured now and
//     refunded later; one that outlives it is captured shortly before it
//     lapses, should the auction still be running then.
//   - refund_pending, released at the provider: refunded.
//   - held, applied or forfeited, released at the provider (a hold that
//     lapsed, a refund made outside Gavel): a provider record with no ledger
//     entry, which reconciliation reports for finance to resolve.
//
// Follow-ups are enqueued with enqueue inside the same transaction.
func (s *Store) SyncIntent(ctx context.Context, depositID string, in *payments.Intent, enqueue Enqueue) (*ProviderDeposit, error) {
	var out *ProviderDeposit
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		d, err := lockDeposit(ctx, tx, depositID)
		if err != nil {
			return err
		}
		if d.ProviderRef != "" && d.ProviderRef != in.Ref {
			return auction.Errorf(auction.EInvalidState, "payment %s is not this deposit's", in.Ref)
		}
		if in.Amount != d.Amount {
			return auction.Errorf(auction.EInvalidState, "the payment is for %d, the deposit for %d", in.Amount, d.Amount)
		}
		state := in.Status
		if in.Status == payments.IntentCaptured && in.Released() {
			state = "refunded"
		}
		var followups []DepositFollowup
		switch {
		case d.Status == auction.DepositPending && in.Paid():
			released, err := s.confirmLocked(ctx, tx, d, in.Ref)
			if err != nil {
				return err
			}
			switch {
			case released:
				followups = append(followups, DepositFollowup{DepositID: d.ID, Action: FollowupRelease})
			case in.Status == payments.IntentAuthorized && !payments.KeepHold(in.CaptureBefore, d.EndsAt):
				followups = append(followups, DepositFollowup{DepositID: d.ID, Action: FollowupCapture})
			case in.Status == payments.IntentAuthorized:
				followups = append(followups, DepositFollowup{DepositID: d.ID, Action: FollowupCapture,
					Delay: in.CaptureBefore.Add(-payments.HoldMargin).Sub(s.db.Clock.Now())})
			}
		case d.Status == auction.DepositRefundPending && in.Released():
			ref := in.RefundRef
			if ref == "" {
				ref = in.Ref
			}
			if err := s.refundLocked(ctx, tx, d, ref); err != nil {
				return err
			}
		case (d.Status == auction.DepositHeld || d.Status == auction.DepositApplied || d.Status == auction.DepositForfeited) &&
			in.Released() && d.ProviderState != payments.IntentCanceled && d.ProviderState != "refunded":
			ref := in.RefundRef
			if ref == "" {
				ref = in.Ref
			}
			if err := s.recordProvider(ctx, tx, providerRecord{Provider: d.Provider, Kind: payments.RecordDepositReturned, DepositID: d.ID,
				AuctionID: d.AuctionID, CaseID: d.CaseID, Amount: d.Amount, Ref: ref}); err != nil {
				return err
			}
		}
		var captureBefore *time.Time
		if !in.CaptureBefore.IsZero() {
			t := in.CaptureBefore.UTC()
			captureBefore = &t
		}
		if _, err := tx.Exec(ctx, `UPDATE deposits SET provider_ref = $2, provider_state = $3, capture_before = coalesce($4, capture_before),
				client_secret = CASE WHEN $5 = '' THEN client_secret ELSE $5 END WHERE id = $1`,
			d.ID, in.Ref, state, captureBefore, in.ClientSecret); err != nil {
			return err
		}
		d.ProviderRef, d.ProviderState = in.Ref, state
		if captureBefore != nil {
			d.CaptureBefore = captureBefore
		}
		if enqueue != nil {
			for _, f := range followups {
				if err := enqueue(ctx, tx, f); err != nil {
					return err
				}
			}
		}
		out = d
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CloseFollowups lists, inside the close transaction of a batch of
// auctions, the provider work their close calls for: release every released
// deposit (and void unpaid payments, which can no longer be used), capture
// the winner's. Bank deposits need none: finance moves that money.
func (s *Store) CloseFollowups(ctx context.Context, tx pgx.Tx, auctionIDs []string) ([]DepositFollowup, error) {
	rows, err := tx.Query(ctx, `SELECT id, CASE WHEN status = 'applied' THEN 'capture' ELSE 'release' END FROM deposits
		WHERE auction_id = ANY($1::uuid[]) AND provider <> 'bank'
		  AND (status = 'refund_pending' OR (status = 'pending' AND provider_ref <> '')
		       OR (status = 'applied' AND provider_state <> 'captured'))
		ORDER BY auction_id, id`, auctionIDs)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (DepositFollowup, error) {
		var f DepositFollowup
		return f, r.Scan(&f.DepositID, &f.Action)
	})
}

// RecordStripeEvent records a Stripe webhook event by its id. The first time
// an id is seen it returns true and runs then in the same transaction (to
// enqueue the job that re-reads the payment); a duplicate returns false and
// changes nothing.
func (s *Store) RecordStripeEvent(ctx context.Context, ev *payments.Event, then func(ctx context.Context, tx pgx.Tx) error) (bool, error) {
	fresh := false
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		created := ev.Created
		if created.IsZero() {
			created = s.db.Clock.Now()
		}
		tag, err := tx.Exec(ctx, `INSERT INTO stripe_events (id, type, object_ref, created_at, received_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (id) DO NOTHING`, ev.ID, ev.Type, ev.Ref, created.UTC(), s.db.Clock.Now())
		if err != nil {
			return err
		}
		if fresh = tag.RowsAffected() == 1; fresh && then != nil {
			return then(ctx, tx)
		}
		return nil
	})
	return fresh, err
}

// MarkStripeEventProcessed notes that an event's payment was re-read and applied.
func (s *Store) MarkStripeEventProcessed(ctx context.Context, id string) error {
	_, err := s.db.Pool.Exec(ctx, `UPDATE stripe_events SET processed_at = $2 WHERE id = $1 AND processed_at IS NULL`, id, s.db.Clock.Now())
	return err
}

// StripeEventProcessed reports whether an event has been applied (tests and
// support use it to see a webhook through).
func (s *Store) StripeEventProcessed(ctx context.Context, id string) (bool, error) {
	var at *time.Time
	err := s.db.Pool.QueryRow(ctx, `SELECT processed_at FROM stripe_events WHERE id = $1`, id).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, auction.Errorf(auction.ENotFound, "event not found")
	}
	return at != nil, err
}
