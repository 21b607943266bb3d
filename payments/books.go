package payments

import "time"

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
	// OwedBack is the part of the payment that had gone toward the price
	// and is owed back to the payer since the auction defaulted (or was
	// annulled), at OwedBackAt; 0 while the sale stands.
	OwedBack   int64      `json:"owed_back"`
	OwedBackAt *time.Time `json:"owed_back_at"`
	// ReturnReference and ReturnedAt record the transfer that paid back
	// what was owed back.
	ReturnReference *string    `json:"return_reference"`
	ReturnedAt      *time.Time `json:"returned_at"`
	// RefundDue is what is still to be paid back to the payer.
	RefundDue int64 `json:"refund_due"`
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
	// BalanceOwedBack is what the buyer paid toward the balance before the
	// round defaulted (or was annulled): owed back to them, not counted in
	// BalanceReceived nor in the total.
	BalanceOwedBack int64 `json:"balance_owed_back"`
	// ForfeitAllocation is how a defaulted round's forfeited deposit was
	// allocated; absent for any other round.
	ForfeitAllocation *ForfeitAllocation `json:"forfeit_allocation,omitempty"`
}

// ForfeitAllocation is a forfeited deposit allocated in the legal order
// (Art. 24): the round's recorded auction costs, then the re-sale shortfall
// (the defaulted hammer price minus the re-sale's, allocated when a later
// round of the lot is sold), then this case's debt. The three sum to the
// deposit.
type ForfeitAllocation struct {
	AuctionCosts    int64 `json:"auction_costs"`
	ResaleShortfall int64 `json:"resale_shortfall"`
	CaseDebt        int64 `json:"case_debt"`
	// ResaleAuctionID is the later round whose sale fixed the shortfall;
	// null until one is sold.
	ResaleAuctionID *string `json:"resale_auction_id"`
}

// AuctionCost is a cost the court recorded for an auction round.
type AuctionCost struct {
	ID          string    `json:"id"`
	AuctionID   string    `json:"auction_id"`
	Amount      int64     `json:"amount"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
}

// Proceeds is a case's money at a glance.
type Proceeds struct {
	CaseID        string         `json:"case_id"`
	CaseNumber    string         `json:"case_number"`
	Currency      string         `json:"currency"`
	TotalReceived int64          `json:"total_received"`
	Items         []ProceedsItem `json:"items"`
	// LedgerBalance is the case_proceeds ledger account for this case; it
	// equals TotalReceived minus the forfeited deposits' auction costs and
	// what has been remitted.
	LedgerBalance int64 `json:"ledger_balance"`
}

// BalanceReturn is a balance payment owed back to its payer.
type BalanceReturn struct {
	PaymentID string `json:"payment_id"`
	AuctionID string `json:"auction_id"`
	CaseID    string `json:"case_id"`
	Reference string `json:"reference"`
	Amount    int64  `json:"amount"`
	// OwedSince is when it became owed back (nil: the case keeps it).
	OwedSince *time.Time `json:"owed_since"`
	// ReturnReference and ReturnedAt record the transfer that paid it back.
	ReturnReference *string    `json:"return_reference"`
	ReturnedAt      *time.Time `json:"returned_at"`
}

// LedgerTransaction is one balanced ledger transaction with its entries.
type LedgerTransaction struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	AuctionID *string   `json:"auction_id"`
	DepositID *string   `json:"deposit_id"`
	CaseID    *string   `json:"case_id"`
	Reference string    `json:"reference"`
	CreatedAt time.Time `json:"created_at"`
	Entries   []Entry   `json:"entries"`
}

// LedgerFilter narrows the ledger listing; zero fields do not filter.
type LedgerFilter struct {
	AuctionID string
	CaseID    string
	DepositID string
	Account   string
	Kind      string
	From      time.Time
	To        time.Time
	// After is the id of the last transaction of the previous page.
	After int64
	// Limit is 100 by default and at most 1000.
	Limit int
}

// DepositTally counts deposits in one status.
type DepositTally struct {
	Count  int   `json:"count"`
	Amount int64 `json:"amount"`
}

// AuctionMoney is one auction's money at a glance, for finance.
type AuctionMoney struct {
	AuctionID    string     `json:"auction_id"`
	CaseID       string     `json:"case_id"`
	Status       string     `json:"status"`
	Currency     string     `json:"currency"`
	HammerPrice  *int64     `json:"hammer_price"`
	ClosedAt     *time.Time `json:"closed_at"`
	BalanceDueAt *time.Time `json:"balance_due_at"`
	// Deposits by status (pending, held, applied, refund_pending, refunded, forfeited).
	Deposits       map[string]DepositTally `json:"deposits"`
	DepositApplied int64                   `json:"deposit_applied"`
	// BalanceReceived is what balance payments brought toward the price;
	// an overpayment's excess is owed back and not counted.
	BalanceReceived  int64 `json:"balance_received"`
	ForfeitedDeposit int64 `json:"forfeited_deposit"`
	// Outstanding is what the buyer still owes (sold auctions only).
	Outstanding int64 `json:"outstanding"`
	// Accounts are this auction's ledger balances (debit positive).
	Accounts map[string]int64 `json:"accounts"`
	// LedgerTransactions counts this auction's ledger transactions.
	LedgerTransactions int `json:"ledger_transactions"`
	// RefundsDue are this auction's released deposits not yet paid back.
	RefundsDue []RefundDue `json:"refunds_due"`
}

// Remittance is money paid from the court's escrow to the enforcement case,
// which is what the sale was for.
type Remittance struct {
	ID             string    `json:"id"`
	CaseID         string    `json:"case_id"`
	Amount         int64     `json:"amount"`
	Reference      string    `json:"reference"`
	CreatedAt      time.Time `json:"created_at"`
	NotificationID *string   `json:"notification_id"`
	// Balance is what is left for the case in escrow after this remittance.
	Balance int64 `json:"balance,omitempty"`
}

// Due is what the payment still has to be paid back to its payer.
func (p *BalancePayment) Due() int64 {
	var due int64
	if p.ExcessRefundedAt == nil {
		due += p.Excess
	}
	if p.ReturnedAt == nil {
		due += p.OwedBack
	}
	return due
}

// Statement line outcomes of an import.
const (
	LineConfirmed = "confirmed" // booked by the import: an exact match
	LineBooked    = "matched"   // already booked (typed by finance) and agreeing
	LinePartial   = "partial"   // a likely entry, but the amount differs
	LineUnmatched = "unmatched" // nothing found
)

// StatementLine is an imported bank statement line and what became of it.
type StatementLine struct {
	ID                  string    `json:"id"`
	No                  int       `json:"no"`
	Reference           string    `json:"reference"`
	Direction           string    `json:"direction"`
	Amount              int64     `json:"amount"`
	BookedOn            time.Time `json:"booked_on"`
	Remittance          string    `json:"remittance"`
	CounterpartyName    string    `json:"counterparty_name"`
	CounterpartyAccount string    `json:"counterparty_account"`
	Status              string    `json:"status"`
	// MatchKind and MatchID name the entry it matched: a deposit, an
	// auction (balance payment), a ledger transaction.
	MatchKind string  `json:"match_kind"`
	MatchID   *string `json:"match_id"`
	// Note says why a line is partial or unmatched, for finance.
	Note string `json:"note"`
}

// StatementImport is what one import of a bank statement did.
type StatementImport struct {
	ID       string    `json:"id"`
	Format   string    `json:"format"`
	Filename string    `json:"filename"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	// Lines counts the statement's lines; Repeated those imported before
	// (nothing is done with them again).
	Lines    int `json:"lines"`
	Repeated int `json:"repeated"`
	// Counts of the new lines by outcome.
	Confirmed int `json:"confirmed"`
	Matched   int `json:"matched"`
	Partial   int `json:"partial"`
	Unmatched int `json:"unmatched"`
	// New are the lines this import added, in statement order.
	New []StatementLine `json:"new"`
}

// RefundPaid is one refund finance paid in a batch: the deposit and the
// transfer's reference.
type RefundPaid struct {
	DepositID string `json:"deposit_id"`
	Reference string `json:"reference"`
}

// DepositReceipt is what finance typed as received for a bank deposit. A
// receipt of the whole deposit confirms it; one of less is a part payment
// (Part), recorded and shown but never confirming the deposit.
type DepositReceipt struct {
	ID           string    `json:"id"`
	DepositID    string    `json:"deposit_id"`
	Reference    string    `json:"reference"`
	Amount       int64     `json:"amount"`
	Part         bool      `json:"part"`
	PayerName    string    `json:"payer_name"`
	PayerAccount string    `json:"payer_account"`
	RecordedAt   time.Time `json:"recorded_at"`
}

// DepositPayer is a deposit as the finance desk shows it (staff only: it
// names the bidder): who registered, what has been received for it (typed
// receipts and matched bank statement lines) and from which account.
type DepositPayer struct {
	DepositID  string `json:"deposit_id"`
	BidderName string `json:"bidder_name"`
	// Received is what arrived for the deposit; PartReceived is set when
	// only part of a pending deposit arrived.
	Received     int64  `json:"received"`
	PartReceived bool   `json:"part_received"`
	PayerName    string `json:"payer_name"`
	PayerAccount string `json:"payer_account"`
}
