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
}

// RecordBalancePayment records a balance payment; when the applied deposit
// plus the balance received reach the hammer price the auction is settled.
// Returns not_found, invalid_field, auction_not_sold or overpayment.
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
		var applied, received int64
		if err := tx.QueryRow(ctx, `SELECT
				coalesce((SELECT sum(amount) FROM deposits WHERE auction_id = $1 AND status = 'applied'), 0)::bigint,
				coalesce((SELECT sum(amount) FROM balance_payments WHERE auction_id = $1), 0)::bigint`, a.ID).Scan(&applied, &received); err != nil {
			return err
		}
		outstanding := *a.HammerPrice - applied - received
		if amount > outstanding {
			return auction.Errorf(auction.EOverpayment, "only %d is outstanding", outstanding)
		}
		now := s.clock.Now()
		out = &BalancePayment{AuctionID: a.ID, Amount: amount, Reference: reference, ReceivedAt: now, Outstanding: outstanding - amount, Status: a.Status}
		if err := tx.QueryRow(ctx, `INSERT INTO balance_payments (auction_id, amount, reference, recorded_by, received_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			a.ID, amount, reference, nullable(by), now).Scan(&out.ID); err != nil {
			return err
		}
		if err := s.record(ctx, tx, ledgerTx{Kind: payments.TxBalanceReceived, AuctionID: a.ID, CaseID: a.CaseID, Reference: reference,
			Entries: payments.Move(payments.AccountEscrow, payments.AccountCaseProceeds, amount)}); err != nil {
			return err
		}
		// Balance payments are bank transfers finance saw arrive: the
		// provider's side of the same movement, for reconciliation.
		if err := s.recordProvider(ctx, tx, providerRecord{Provider: payments.ProviderBank, Kind: payments.RecordBalanceReceived,
			AuctionID: a.ID, CaseID: a.CaseID, Amount: amount, Ref: reference}); err != nil {
			return err
		}
		if out.Outstanding == 0 {
			a.Status, out.Status = auction.StatusSettled, auction.StatusSettled
			e, err := appendEvent(ctx, tx, a, auction.EventSettled, now, map[string]any{"hammer_price": *a.HammerPrice, "deposit_applied": applied, "balance_received": received + amount})
			if err != nil {
				return err
			}
			events = append(events, e)
			if err := s.notifyCase(ctx, tx, a, "auction.settled", map[string]any{"hammer_price": *a.HammerPrice, "deposit_applied": applied, "balance_received": received + amount}); err != nil {
				return err
			}
		}
		return saveAuction(ctx, tx, a)
	})
	if err != nil {
		return nil, nil, err
	}
	return out, events, nil
}

// ProceedsItem is what one auction round of a case brought in.
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
			coalesce((SELECT sum(amount) FROM balance_payments b WHERE b.auction_id = a.id), 0)::bigint,
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
// whose balance is due, a default. Earliest end first.
func (s *Store) FinanceWork(ctx context.Context) ([]Listing, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+listingColumns+`
		FROM auctions a JOIN lots l ON l.id = a.lot_id JOIN cases c ON c.id = a.case_id
		WHERE a.status IN ('sold', 'defaulted')
		   OR EXISTS (SELECT 1 FROM deposits d WHERE d.auction_id = a.id AND d.status IN ('pending', 'refund_pending'))
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
