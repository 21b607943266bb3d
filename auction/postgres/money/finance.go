package money

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
	"gavel/payments"
)

// RecordBalancePayment records a balance payment; when the applied deposit
// plus the balance received reach the hammer price the auction is settled.
// A payment above what is outstanding is recorded whole, because the money
// did reach the court's account: the part that was owed goes to the case's
// proceeds and the rest is its excess, owed back to the buyer. A payment
// above the whole hammer price plus a margin (payments.BalancePaymentFits)
// is a typing error, refused with overpayment.
// Payments of one auction are serialised by its row lock, so only the
// payment that settles it can carry an excess; once settled it takes no
// more. The reference is booked once (duplicate_reference).
// Returns not_found, invalid_field, duplicate_reference, auction_not_sold
// or overpayment.
func (s *Store) RecordBalancePayment(ctx context.Context, by, auctionID string, amount int64, reference string) (*payments.BalancePayment, []auction.Event, error) {
	p, events, err := s.recordBalancePayment(ctx, by, auctionID, amount, reference)
	if err == nil && len(events) > 0 {
		s.db.Announce(ctx, auction.Change{AuctionID: p.AuctionID, Events: events})
	}
	return p, events, err
}

func (s *Store) recordBalancePayment(ctx context.Context, by, auctionID string, amount int64, reference string) (*payments.BalancePayment, []auction.Event, error) {
	if amount <= 0 || amount > payments.MaxAmount {
		return nil, nil, auction.FieldError("amount", "must be a positive amount in fen, at most %d", int64(payments.MaxAmount))
	}
	reference, err := cleanReference(reference, "the transfer's reference")
	if err != nil {
		return nil, nil, err
	}
	var out *payments.BalancePayment
	var events []auction.Event
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, events, err = s.bookBalancePayment(ctx, tx, by, auctionID, amount, reference)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return out, events, nil
}

// bookBalancePayment is RecordBalancePayment inside tx, for a payment typed
// by finance or matched on the bank statement.
func (s *Store) bookBalancePayment(ctx context.Context, tx pgx.Tx, by, auctionID string, amount int64, reference string) (*payments.BalancePayment, []auction.Event, error) {
	var out *payments.BalancePayment
	var events []auction.Event
	err := func() error {
		a, _, err := pgtx.LockAuctionWithCategory(ctx, tx, auctionID)
		if err != nil {
			return err
		}
		now := s.db.Clock.Now()
		id, err := bookReference(ctx, tx, payments.BookBalancePayment, reference, "", now)
		if err != nil {
			return err
		}
		if a.Status != auction.StatusSold {
			return auction.Errorf(auction.EAuctionNotSold, "balance payments are taken only for a sold auction awaiting payment (status %s)", a.Status)
		}
		// received is what earlier payments brought toward the hammer
		// price, their excess left out.
		var applied, received int64
		if err := tx.QueryRow(ctx, `SELECT
				coalesce((SELECT sum(amount) FROM deposits WHERE auction_id = $1 AND status = 'applied'), 0)::bigint,
				coalesce((SELECT sum(amount - excess) FROM balance_payments WHERE auction_id = $1 AND owed_back_at IS NULL), 0)::bigint`, a.ID).Scan(&applied, &received); err != nil {
			return err
		}
		owed := max(*a.HammerPrice-applied-received, 0)
		toward := min(amount, owed)
		if !payments.BalancePaymentFits(amount, *a.HammerPrice) {
			return auction.Errorf(auction.EOverpayment, "amount: %d is more than the whole hammer price %d plus 1,000 yuan (%d is still owed); check the figure",
				amount, *a.HammerPrice, owed)
		}
		out = &payments.BalancePayment{ID: id, AuctionID: a.ID, Amount: amount, Reference: reference, ReceivedAt: now, Outstanding: owed - toward,
			Status: a.Status, Excess: amount - toward}
		if _, err := tx.Exec(ctx, `INSERT INTO balance_payments (id, auction_id, amount, excess, reference, recorded_by, received_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			id, a.ID, amount, out.Excess, reference, pgtx.Nullable(by), now); err != nil {
			return err
		}
		// One transaction: the whole transfer enters escrow, the case is
		// owed what went toward the price, the buyer is owed the excess. It
		// and the notification of a settlement are written together at the
		// payment's time (writes).
		var w pgtx.Writes
		w.Record(pgtx.LedgerTx{Kind: payments.TxBalanceReceived, AuctionID: a.ID, CaseID: a.CaseID, Reference: reference,
			Entries: []payments.Entry{
				{Account: payments.AccountEscrow, Amount: amount},
				{Account: payments.AccountCaseProceeds, Amount: -toward},
				{Account: payments.AccountRefundsDue, Amount: -out.Excess},
			}}, now)
		// Balance payments are bank transfers finance saw arrive: the
		// provider's side of the same movement, for reconciliation, is the
		// whole transfer, excess included.
		if err := s.recordProvider(ctx, tx, providerRecord{Provider: payments.ProviderBank, Kind: payments.RecordBalanceReceived,
			AuctionID: a.ID, CaseID: a.CaseID, Amount: amount, Ref: reference}); err != nil {
			return err
		}
		if out.Outstanding == 0 {
			a.Status, out.Status = auction.StatusSettled, auction.StatusSettled
			data := map[string]any{"hammer_price": *a.HammerPrice, "deposit_applied": applied, "balance_received": received + toward}
			e, err := pgtx.AppendEvent(ctx, tx, a, auction.EventSettled, now, data)
			if err != nil {
				return err
			}
			events = append(events, e)
			w.Notify(a, "auction.settled", data, now)
		}
		if err := s.db.Flush(ctx, tx, &w); err != nil {
			return err
		}
		return pgtx.SaveAuction(ctx, tx, a)
	}()
	if err != nil {
		return nil, nil, err
	}
	return out, events, nil
}

// balancePaymentColumns read a payment with what it has due back, for
// scanRefundablePayment.
const balancePaymentColumns = `b.id, b.auction_id, b.amount, b.reference, b.received_at, b.excess, b.excess_refund_reference, b.excess_refunded_at,
	CASE WHEN b.owed_back_at IS NULL THEN 0 ELSE b.amount - b.excess END, b.owed_back_at, b.return_reference, b.returned_at`

// scanRefundablePayment reads a payment that has money due back to its
// payer (an excess, or the whole payment after a default), then the extra
// columns into more. Outstanding and Status are what the payment brought:
// an excess only comes with the payment that settled its auction.
func scanRefundablePayment(r pgx.Row, more ...any) (payments.BalancePayment, error) {
	p := payments.BalancePayment{}
	err := r.Scan(append([]any{&p.ID, &p.AuctionID, &p.Amount, &p.Reference, &p.ReceivedAt, &p.Excess, &p.ExcessRefundReference, &p.ExcessRefundedAt,
		&p.OwedBack, &p.OwedBackAt, &p.ReturnReference, &p.ReturnedAt}, more...)...)
	p.ReceivedAt = p.ReceivedAt.UTC()
	for _, t := range []**time.Time{&p.ExcessRefundedAt, &p.OwedBackAt, &p.ReturnedAt} {
		if *t != nil {
			at := (*t).UTC()
			*t = &at
		}
	}
	if p.Excess > 0 {
		p.Status = auction.StatusSettled
	}
	p.RefundDue = p.Due()
	return p, err
}

// BalanceRefundsDue lists the balance payments with money to pay back to
// their payer, oldest first: an excess above what was owed, or, after a
// default or an annulment, the payment itself.
func (s *Store) BalanceRefundsDue(ctx context.Context) ([]payments.BalancePayment, error) {
	scan := func(r pgx.CollectableRow) (payments.BalancePayment, error) { return scanRefundablePayment(r) }
	return pgtx.List(ctx, s.db.Pool, scan, `SELECT `+balancePaymentColumns+` FROM balance_payments b
		WHERE (b.excess > 0 AND b.excess_refunded_at IS NULL) OR (b.owed_back_at IS NOT NULL AND b.returned_at IS NULL AND b.amount > b.excess)
		ORDER BY b.received_at, b.id`)
}

// MarkBalanceRefunded records that finance paid back to its payer what a
// balance payment had due (reference: that transfer's): its excess, and
// after a default or an annulment the payment itself, in one transfer:
// refunds due -> court escrow, as a deposit refund is, with the bank's
// record of the transfer for reconciliation. Returns not_found,
// invalid_field, duplicate_reference (the transfer is already booked as a
// balance refund), or invalid_state when nothing is due back.
func (s *Store) MarkBalanceRefunded(ctx context.Context, paymentID, reference string) (*payments.BalancePayment, error) {
	reference, err := cleanReference(reference, "the refund transfer's reference")
	if err != nil {
		return nil, err
	}
	var p payments.BalancePayment
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		// The row lock serialises two marks of one payment: the second sees
		// the first's and is refused, so the money is paid out once.
		var caseID string
		if err := lockPaymentAuction(ctx, tx, paymentID); err != nil {
			return err
		}
		var err error
		p, err = scanRefundablePayment(tx.QueryRow(ctx, `SELECT `+balancePaymentColumns+`, a.case_id FROM balance_payments b
			JOIN auctions a ON a.id = b.auction_id WHERE b.id = $1 FOR UPDATE OF b`, paymentID), &caseID)
		if err != nil {
			return pgtx.Translate(err, "balance payment")
		}
		now := s.db.Clock.Now()
		if _, err := bookReference(ctx, tx, payments.BookBalanceRefund, reference, p.ID, now); err != nil {
			return err
		}
		due := p.Due()
		if due == 0 {
			return auction.Errorf(auction.EInvalidState, "nothing of this payment is due back to its payer (no excess, or it was paid back)")
		}
		kind, record := payments.TxExcessRefunded, payments.RecordExcessReturned
		if p.Excess > 0 && p.ExcessRefundedAt == nil {
			p.ExcessRefundReference, p.ExcessRefundedAt = &reference, &now
		}
		if p.OwedBack > 0 && p.ReturnedAt == nil {
			p.ReturnReference, p.ReturnedAt = &reference, &now
			kind, record = payments.TxBalanceReturned, payments.RecordBalanceReturned
		}
		p.RefundDue = 0
		if _, err := tx.Exec(ctx, `UPDATE balance_payments SET excess_refund_reference = $2, excess_refunded_at = $3,
				return_reference = $4, returned_at = $5 WHERE id = $1`,
			p.ID, p.ExcessRefundReference, p.ExcessRefundedAt, p.ReturnReference, p.ReturnedAt); err != nil {
			return err
		}
		var w pgtx.Writes
		w.Record(pgtx.LedgerTx{Kind: kind, AuctionID: p.AuctionID, CaseID: caseID, Reference: reference,
			Entries: payments.Move(payments.AccountRefundsDue, payments.AccountEscrow, due)}, now)
		if err := s.db.Flush(ctx, tx, &w); err != nil {
			return err
		}
		return s.recordProvider(ctx, tx, providerRecord{Provider: payments.ProviderBank, Kind: record,
			AuctionID: p.AuctionID, CaseID: caseID, Amount: due, Ref: reference})
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// CaseProceeds sums what every round of every lot of a case received.
func (s *Store) CaseProceeds(ctx context.Context, caseID string) (*payments.Proceeds, error) {
	p := &payments.Proceeds{CaseID: caseID, Currency: "CNY", Items: []payments.ProceedsItem{}}
	if err := s.db.Pool.QueryRow(ctx, `SELECT case_number FROM cases WHERE id = $1`, caseID).Scan(&p.CaseNumber); err != nil {
		return nil, pgtx.Translate(err, "case")
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT a.id, a.lot_id, a.round, a.status, a.hammer_price,
			coalesce((SELECT sum(amount) FROM deposits d WHERE d.auction_id = a.id AND d.status = 'applied'), 0)::bigint,
			coalesce((SELECT sum(amount - excess) FROM balance_payments b WHERE b.auction_id = a.id AND b.owed_back_at IS NULL), 0)::bigint,
			coalesce((SELECT sum(amount) FROM deposits d WHERE d.auction_id = a.id AND d.status = 'forfeited'), 0)::bigint,
			coalesce((SELECT sum(amount - excess) FROM balance_payments b WHERE b.auction_id = a.id AND b.owed_back_at IS NOT NULL), 0)::bigint,
			f.auction_costs, f.resale_shortfall, f.case_debt, f.resale_auction_id::text
		FROM auctions a LEFT JOIN forfeit_allocations f ON f.auction_id = a.id
		WHERE a.case_id = $1 AND a.status <> 'draft' ORDER BY a.created_at, a.id`, caseID)
	if err != nil {
		return nil, err
	}
	p.Items, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (payments.ProceedsItem, error) {
		var i payments.ProceedsItem
		var costs, shortfall, debt *int64
		var resale *string
		err := r.Scan(&i.AuctionID, &i.LotID, &i.Round, &i.Status, &i.HammerPrice, &i.DepositApplied, &i.BalanceReceived, &i.ForfeitedDeposit,
			&i.BalanceOwedBack, &costs, &shortfall, &debt, &resale)
		if costs != nil {
			i.ForfeitAllocation = &payments.ForfeitAllocation{AuctionCosts: *costs, ResaleShortfall: *shortfall, CaseDebt: *debt, ResaleAuctionID: resale}
		}
		return i, err
	})
	if err != nil {
		return nil, err
	}
	for _, i := range p.Items {
		p.TotalReceived += i.DepositApplied + i.BalanceReceived + i.ForfeitedDeposit
	}
	err = s.db.Pool.QueryRow(ctx, `SELECT -coalesce(sum(e.amount), 0)::bigint FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
		WHERE t.case_id = $1 AND e.account = $2`, caseID, payments.AccountCaseProceeds).Scan(&p.LedgerBalance)
	return p, err
}

// Confirmation returns the sale confirmation of a sold (or settled) auction;
// not_found before.
func (s *Store) Confirmation(ctx context.Context, auctionID string) (*auction.Confirmation, error) {
	c := &auction.Confirmation{AuctionID: auctionID}
	var hash []byte
	err := s.db.Pool.QueryRow(ctx, `SELECT r.bidder_code, u.real_name, a.hammer_price, a.closed_at, a.last_hash
		FROM auctions a JOIN registrations r ON r.id = a.winner_registration_id JOIN users u ON u.id = r.user_id
		WHERE a.id = $1 AND a.status IN ('sold', 'settled')`, auctionID).Scan(&c.BidderCode, &c.BuyerName, &c.HammerPrice, &c.ClosedAt, &hash)
	if err != nil {
		return nil, pgtx.Translate(err, "confirmation")
	}
	c.ClosedAt = c.ClosedAt.UTC()
	c.RecordHash = pgtx.HexHash(hash)
	return c, nil
}

// FinanceWork lists every auction finance has to act on, however many
// auctions there are: a deposit to confirm or to pay back, a sold auction
// whose balance is due, a default, a balance payment's excess or a whole
// owed-back balance payment to pay back.
// Earliest end first.
func (s *Store) FinanceWork(ctx context.Context) ([]auction.Listing, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+pgtx.ListingColumns+`
		FROM auctions a JOIN lots l ON l.id = a.lot_id JOIN cases c ON c.id = a.case_id
		WHERE a.status IN ('sold', 'defaulted')
		   OR EXISTS (SELECT 1 FROM deposits d WHERE d.auction_id = a.id AND d.status IN ('pending', 'refund_pending'))
		   OR EXISTS (SELECT 1 FROM balance_payments b WHERE b.auction_id = a.id AND b.excess > 0 AND b.excess_refunded_at IS NULL)
		   OR EXISTS (SELECT 1 FROM balance_payments b WHERE b.auction_id = a.id AND b.owed_back_at IS NOT NULL AND b.returned_at IS NULL)
		ORDER BY a.ends_at, a.id`)
	return s.db.CollectListings(rows, err)
}

// DepositsOf returns the deposits of the auctions, by auction, each
// auction's in the order Deposits gives them.
func (s *Store) DepositsOf(ctx context.Context, auctionIDs []string) (map[string][]auction.Deposit, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT d.auction_id::text, d.id, d.registration_id, r.bidder_code, d.amount, d.status, d.provider, d.pay_reference
		FROM deposits d JOIN registrations r ON r.id = d.registration_id
		WHERE d.auction_id = ANY($1::uuid[]) ORDER BY d.auction_id, r.created_at, d.id`, auctionIDs)
	if err != nil {
		return nil, err
	}
	out := map[string][]auction.Deposit{}
	var d auction.Deposit
	_, err = pgx.ForEachRow(rows, []any{&d.AuctionID, &d.ID, &d.RegistrationID, &d.BidderCode, &d.Amount, &d.Status, &d.Provider, &d.PayReference}, func() error {
		out[d.AuctionID] = append(out[d.AuctionID], d)
		return nil
	})
	return out, err
}

// lockPaymentAuction share-locks the auction of a balance payment, before
// the payment's row is locked: auction before payment, the order of the
// court's actions and of recording payments. The other way round, a
// refund holding the payment would wait for the auction's row when it
// writes the ledger (the foreign key's lock) while an annulment holding
// the auction waits for the payment's row: a deadlock.
func lockPaymentAuction(ctx context.Context, tx pgx.Tx, paymentID string) error {
	_, err := tx.Exec(ctx, `SELECT 1 FROM auctions WHERE id = (SELECT auction_id FROM balance_payments WHERE id = $1) FOR SHARE`, paymentID)
	return pgtx.Translate(err, "balance payment")
}
