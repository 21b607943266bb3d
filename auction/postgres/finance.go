package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/payments"
)

// BalancePayment is money received from the buyer toward the hammer price.
type BalancePayment struct {
	ID         string    `json:"id"`
	AuctionID  string    `json:"auction_id"`
	Amount     int64     `json:"amount"`
	Reference  string    `json:"reference"`
	ReceivedAt time.Time `json:"received_at"`
	// Outstanding is what the buyer still owes after this payment.
	Outstanding int64  `json:"outstanding"`
	Status      string `json:"status"`
	// Excess is the part of Amount above what the buyer still owed: their
	// money, booked to refunds due and paid back, never the case's.
	Excess int64 `json:"excess"`
	// ExcessRefundReference and ExcessRefundedAt record the transfer that
	// paid the excess back; null until finance records it.
	ExcessRefundReference *string    `json:"excess_refund_reference"`
	ExcessRefundedAt      *time.Time `json:"excess_refunded_at"`
}

// RecordBalancePayment records a balance payment; when the applied deposit
// plus the balance received reach the hammer price the auction is settled.
// A payment above what is outstanding is recorded whole, because the money
// did reach the court's account: the part that was owed goes to the case's
// proceeds and the rest is its excess, owed back to the buyer. Payments of
// one auction are serialised by its row lock, so only the payment that
// settles it can carry an excess; once settled it takes no more.
// Returns not_found, invalid_field or auction_not_sold.
func (s *Store) RecordBalancePayment(ctx context.Context, by, auctionID string, amount int64, reference string) (*BalancePayment, []auction.Event, error) {
	switch {
	case amount <= 0:
		return nil, nil, auction.FieldError("amount", "must be a positive amount in fen")
	case strings.TrimSpace(reference) == "":
		return nil, nil, auction.FieldError("reference", "is required (the transfer's reference)")
	}
	var out *BalancePayment
	var events []auction.Event
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		a, _, err := lockAuctionWithCategory(ctx, tx, auctionID)
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
		now := s.clock.Now()
		out = &BalancePayment{AuctionID: a.ID, Amount: amount, Reference: reference, ReceivedAt: now, Outstanding: owed - toward,
			Status: a.Status, Excess: amount - toward}
		if err := tx.QueryRow(ctx, `INSERT INTO balance_payments (auction_id, amount, excess, reference, recorded_by, received_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			a.ID, amount, out.Excess, reference, nullable(by), now).Scan(&out.ID); err != nil {
			return err
		}
		// One transaction: the whole transfer enters escrow, the case is
		// owed what went toward the price, the buyer is owed the excess. It
		// and the notification of a settlement are written together at the
		// payment's time (writes).
		var w writes
		w.record(ledgerTx{Kind: payments.TxBalanceReceived, AuctionID: a.ID, CaseID: a.CaseID, Reference: reference,
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
			e, err := appendEvent(ctx, tx, a, auction.EventSettled, now, data)
			if err != nil {
				return err
			}
			events = append(events, e)
			w.notify(a, "auction.settled", data, now)
		}
		if err := s.flush(ctx, tx, &w); err != nil {
			return err
		}
		return saveAuction(ctx, tx, a)
	})
	if err != nil {
		return nil, nil, err
	}
	return out, events, nil
}

// balancePaymentColumns read a payment with its excess, for
// scanExcessPayment.
const balancePaymentColumns = `b.id, b.auction_id, b.amount, b.reference, b.received_at, b.excess, b.excess_refund_reference, b.excess_refunded_at`

// scanExcessPayment reads a payment that carries an excess, then the extra
// columns into more. Such a payment is the one that settled its auction,
// so what it left outstanding is nothing and the status it brought is
// settled.
func scanExcessPayment(r pgx.Row, more ...any) (BalancePayment, error) {
	p := BalancePayment{Status: auction.StatusSettled}
	err := r.Scan(append([]any{&p.ID, &p.AuctionID, &p.Amount, &p.Reference, &p.ReceivedAt, &p.Excess, &p.ExcessRefundReference, &p.ExcessRefundedAt}, more...)...)
	p.ReceivedAt = p.ReceivedAt.UTC()
	if p.ExcessRefundedAt != nil {
		at := p.ExcessRefundedAt.UTC()
		p.ExcessRefundedAt = &at
	}
	return p, err
}

// ExcessesDue lists the balance payments whose excess has not been paid
// back yet, oldest first.
func (s *Store) ExcessesDue(ctx context.Context) ([]BalancePayment, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+balancePaymentColumns+` FROM balance_payments b
		WHERE b.excess > 0 AND b.excess_refunded_at IS NULL ORDER BY b.received_at, b.id`)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (BalancePayment, error) { return scanExcessPayment(r) })
	if out == nil {
		out = []BalancePayment{}
	}
	return out, err
}

// MarkExcessRefunded records that finance paid the excess of a balance
// payment back to the buyer (reference: that transfer's): refunds due ->
// court escrow, as a deposit refund is, with the bank's record of the
// transfer for reconciliation. Returns not_found, invalid_field, or
// invalid_state when the payment has no excess or it was already paid back.
func (s *Store) MarkExcessRefunded(ctx context.Context, paymentID, reference string) (*BalancePayment, error) {
	reference = strings.TrimSpace(reference)
	if reference == "" {
		return nil, auction.FieldError("reference", "is required (the refund transfer's reference)")
	}
	var p BalancePayment
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// The row lock serialises two marks of one payment: the second sees
		// the first's and is refused, so the excess is paid out once.
		var caseID string
		var err error
		p, err = scanExcessPayment(tx.QueryRow(ctx, `SELECT `+balancePaymentColumns+`, a.case_id FROM balance_payments b
			JOIN auctions a ON a.id = b.auction_id WHERE b.id = $1 FOR UPDATE OF b`, paymentID), &caseID)
		if err != nil {
			return translate(err, "balance payment")
		}
		switch {
		case p.Excess == 0:
			return auction.Errorf(auction.EInvalidState, "this payment brought no more than was owed: there is no excess to pay back")
		case p.ExcessRefundedAt != nil:
			return auction.Errorf(auction.EInvalidState, "the excess was already paid back (reference %s)", *p.ExcessRefundReference)
		}
		now := s.clock.Now()
		if _, err := tx.Exec(ctx, `UPDATE balance_payments SET excess_refund_reference = $2, excess_refunded_at = $3 WHERE id = $1`,
			p.ID, reference, now); err != nil {
			return err
		}
		p.ExcessRefundReference, p.ExcessRefundedAt = &reference, &now
		var w writes
		w.record(ledgerTx{Kind: payments.TxExcessRefunded, AuctionID: p.AuctionID, CaseID: caseID, Reference: reference,
			Entries: payments.Move(payments.AccountRefundsDue, payments.AccountEscrow, p.Excess)}, now)
		if err := s.flush(ctx, tx, &w); err != nil {
			return err
		}
		return s.recordProvider(ctx, tx, providerRecord{Provider: payments.ProviderBank, Kind: payments.RecordExcessReturned,
			AuctionID: p.AuctionID, CaseID: caseID, Amount: p.Excess, Ref: reference})
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// ProceedsItem is what one auction round of a case brought in. Balance
// received counts what went toward the hammer price: a payment's excess is
// the buyer's money, not the case's.
type ProceedsItem struct {
	AuctionID        string `json:"auction_id"`
	LotID            string `json:"lot_id"`
	Round            string `json:"round"`
	Status           string `json:"status"`
	HammerPrice      *int64 `json:"hammer_price"`
	DepositApplied   int64  `json:"deposit_applied"`
	BalanceReceived  int64  `json:"balance_received"`
	ForfeitedDeposit int64  `json:"forfeited_deposit"`
}

// Proceeds is a case's money at a glance.
type Proceeds struct {
	CaseID        string         `json:"case_id"`
	CaseNumber    string         `json:"case_number"`
	Currency      string         `json:"currency"`
	TotalReceived int64          `json:"total_received"`
	Items         []ProceedsItem `json:"items"`
	// LedgerBalance is the case_proceeds ledger account for this case; it
	// equals TotalReceived minus what has been remitted.
	LedgerBalance int64 `json:"ledger_balance"`
}

// CaseProceeds sums what every round of every lot of a case received.
func (s *Store) CaseProceeds(ctx context.Context, caseID string) (*Proceeds, error) {
	p := &Proceeds{CaseID: caseID, Currency: "CNY", Items: []ProceedsItem{}}
	if err := s.pool.QueryRow(ctx, `SELECT case_number FROM cases WHERE id = $1`, caseID).Scan(&p.CaseNumber); err != nil {
		return nil, translate(err, "case")
	}
	rows, err := s.pool.Query(ctx, `SELECT a.id, a.lot_id, a.round, a.status, a.hammer_price,
			coalesce((SELECT sum(amount) FROM deposits d WHERE d.auction_id = a.id AND d.status = 'applied'), 0)::bigint,
			coalesce((SELECT sum(amount - excess) FROM balance_payments b WHERE b.auction_id = a.id AND b.owed_back_at IS NULL), 0)::bigint,
			coalesce((SELECT sum(amount) FROM deposits d WHERE d.auction_id = a.id AND d.status = 'forfeited'), 0)::bigint
		FROM auctions a WHERE a.case_id = $1 AND a.status <> 'draft' ORDER BY a.created_at, a.id`, caseID)
	if err != nil {
		return nil, err
	}
	p.Items, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ProceedsItem, error) {
		var i ProceedsItem
		return i, r.Scan(&i.AuctionID, &i.LotID, &i.Round, &i.Status, &i.HammerPrice, &i.DepositApplied, &i.BalanceReceived, &i.ForfeitedDeposit)
	})
	if err != nil {
		return nil, err
	}
	for _, i := range p.Items {
		p.TotalReceived += i.DepositApplied + i.BalanceReceived + i.ForfeitedDeposit
	}
	err = s.pool.QueryRow(ctx, `SELECT -coalesce(sum(e.amount), 0)::bigint FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
		WHERE t.case_id = $1 AND e.account = $2`, caseID, payments.AccountCaseProceeds).Scan(&p.LedgerBalance)
	return p, err
}

// Confirmation is the published result of a sale (成交确认书): after the
// close the buyer's name may be shown (Art. 22).
type Confirmation struct {
	AuctionID   string    `json:"auction_id"`
	BidderCode  string    `json:"bidder_code"`
	BuyerName   string    `json:"buyer_name"`
	HammerPrice int64     `json:"hammer_price"`
	ClosedAt    time.Time `json:"closed_at"`
	RecordHash  string    `json:"record_hash"`
}

// Confirmation returns the sale confirmation of a sold (or settled) auction;
// not_found before.
func (s *Store) Confirmation(ctx context.Context, auctionID string) (*Confirmation, error) {
	c := &Confirmation{AuctionID: auctionID}
	var hash []byte
	err := s.pool.QueryRow(ctx, `SELECT r.bidder_code, u.real_name, a.hammer_price, a.closed_at, a.last_hash
		FROM auctions a JOIN registrations r ON r.id = a.winner_registration_id JOIN users u ON u.id = r.user_id
		WHERE a.id = $1 AND a.status IN ('sold', 'settled')`, auctionID).Scan(&c.BidderCode, &c.BuyerName, &c.HammerPrice, &c.ClosedAt, &hash)
	if err != nil {
		return nil, translate(err, "confirmation")
	}
	c.ClosedAt = c.ClosedAt.UTC()
	c.RecordHash = hexHash(hash)
	return c, nil
}

// FinanceWork lists every auction finance has to act on, however many
// auctions there are: a deposit to confirm or to pay back, a sold auction
// whose balance is due, a default, a balance payment's excess or a whole
// owed-back balance payment to pay back.
// Earliest end first.
func (s *Store) FinanceWork(ctx context.Context) ([]Listing, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+listingColumns+`
		FROM auctions a JOIN lots l ON l.id = a.lot_id JOIN cases c ON c.id = a.case_id
		WHERE a.status IN ('sold', 'defaulted')
		   OR EXISTS (SELECT 1 FROM deposits d WHERE d.auction_id = a.id AND d.status IN ('pending', 'refund_pending'))
		   OR EXISTS (SELECT 1 FROM balance_payments b WHERE b.auction_id = a.id AND b.excess > 0 AND b.excess_refunded_at IS NULL)
		   OR EXISTS (SELECT 1 FROM balance_payments b WHERE b.auction_id = a.id AND b.owed_back_at IS NOT NULL AND b.returned_at IS NULL)
		ORDER BY a.ends_at, a.id`)
	return s.collectListings(rows, err)
}

// DepositsOf returns the deposits of the auctions, by auction, each
// auction's in the order Deposits gives them.
func (s *Store) DepositsOf(ctx context.Context, auctionIDs []string) (map[string][]auction.Deposit, error) {
	rows, err := s.pool.Query(ctx, `SELECT d.auction_id::text, d.id, d.registration_id, r.bidder_code, d.amount, d.status, d.provider, d.pay_reference
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
