package auction

import (
	"context"
	"time"

	"gavel/payments"
	"gavel/payments/statement"
)

// Books are the money of the auctions as finance keeps it: deposits, balance
// payments and what is owed back, the double-entry ledger, refunds due,
// reconciliation, and the proceeds remitted to each case.
type Books interface {
	// Deposits lists an auction's deposits for finance, by bidder code only.
	// Returns no error code of its own: a failure is the storage's.
	Deposits(ctx context.Context, auctionID string) ([]Deposit, error)

	// DepositsOf returns the deposits of the auctions, by auction, each
	// auction's in the order Deposits gives them.
	// Returns no error code of its own: a failure is the storage's.
	DepositsOf(ctx context.Context, auctionIDs []string) (map[string][]Deposit, error)

	// ConfirmDeposit records that a bank transfer arrived: the deposit is held and
	// the registration qualified with a bidder code. If the auction has already
	// ended the money is released for refund at once. Returns not_found,
	// invalid_field, duplicate_reference (the transfer is already booked for a
	// deposit) or deposit_not_pending.
	ConfirmDeposit(ctx context.Context, depositID, reference string) (*Deposit, error)

	// ReceiveDeposit records what finance saw arrive for a pending bank
	// deposit (by: the finance officer): the whole deposit confirms it as
	// ConfirmDeposit does; less is a part payment, recorded and shown, never
	// confirming. Returns not_found, invalid_field, duplicate_reference,
	// invalid_state (not a bank deposit) or deposit_not_pending.
	ReceiveDeposit(ctx context.Context, by, depositID string, r payments.DepositReceipt) (*Deposit, *payments.DepositReceipt, error)

	// DepositPayers returns, for the finance desk (staff only), each of the
	// deposits with its bidder's name, what was received and from
	// which account, by deposit id. Each deposit of an auction not closed
	// yet leaves an audit entry (actor, action, target the deposit).
	// Returns no error code of its own: a failure is the storage's.
	DepositPayers(ctx context.Context, actor *User, action string, depositIDs []string) (map[string]payments.DepositPayer, error)

	// MarkRefunded records that finance paid a released deposit back. Returns
	// not_found, invalid_field, duplicate_reference (the transfer is already
	// booked as a deposit refund) or invalid_state.
	MarkRefunded(ctx context.Context, depositID, reference string) (*Deposit, error)

	// MarkRefundedBatch records many refunds at once, as finance pays them
	// in one bank batch: all of them or, when one is refused, none (the
	// error names it by its place in the list). Returns what MarkRefunded
	// returns.
	MarkRefundedBatch(ctx context.Context, refunds []payments.RefundPaid) ([]Deposit, error)

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
	RecordBalancePayment(ctx context.Context, by, auctionID string, amount int64, reference string) (*payments.BalancePayment, []Event, error)

	// MarkBalanceRefunded records that finance paid back to its payer what a
	// balance payment had due (reference: that transfer's): its excess, and
	// after a default or an annulment the payment itself, in one transfer:
	// refunds due -> court escrow, as a deposit refund is, with the bank's
	// record of the transfer for reconciliation. Returns not_found,
	// invalid_field, duplicate_reference (the transfer is already booked as a
	// balance refund), or invalid_state when nothing is due back.
	MarkBalanceRefunded(ctx context.Context, paymentID, reference string) (*payments.BalancePayment, error)

	// BalanceRefundsDue lists the balance payments with money to pay back to
	// their payer, oldest first: an excess above what was owed, or, after a
	// default or an annulment, the payment itself.
	// Returns no error code of its own: a failure is the storage's.
	BalanceRefundsDue(ctx context.Context) ([]payments.BalancePayment, error)

	// BalanceReturnsDue lists the balance payments owed back and not yet paid
	// back, oldest first.
	BalanceReturnsDue(ctx context.Context) ([]payments.BalanceReturn, error)

	// MarkBalanceReturned records that finance paid an owed-back balance
	// payment back (reference: that transfer's): refunds due -> court escrow,
	// with the bank's record of the transfer for reconciliation. Returns
	// not_found, invalid_field, duplicate_reference (the transfer is already
	// booked as a balance refund), or invalid_state when the payment is not
	// owed back or was already paid back.
	MarkBalanceReturned(ctx context.Context, paymentID, reference string) (*payments.BalanceReturn, error)

	// Ledger lists transactions in id order (the order they were written), a
	// page at a time; more reports whether later ones match too.
	// Returns invalid_field.
	Ledger(ctx context.Context, f payments.LedgerFilter) (txs []payments.LedgerTransaction, more bool, err error)

	// AuctionMoney summarises the money of one auction. Returns not_found.
	AuctionMoney(ctx context.Context, auctionID string) (*payments.AuctionMoney, error)

	// RefundsDue lists released deposits not yet paid back, oldest first, with
	// the legal deadline (24 h after the close, or after the money arrived when
	// it came later) and whether it has passed.
	// Returns no error code of its own: a failure is the storage's.
	RefundsDue(ctx context.Context) ([]payments.RefundDue, error)

	// AccountTotals are the ledger totals per account of [from, to) and
	// their TOTAL row, as Reconcile gives them, without reading any
	// provider. Returns invalid_field when to is not after from.
	AccountTotals(ctx context.Context, from, to time.Time) ([]payments.AccountTotal, payments.AccountTotal, error)

	// Reconcile builds the reconciliation of [from, to): ledger totals per
	// account, every escrow movement matched line by line against the
	// provider's record of it, deposit money in escrow per provider at `to`,
	// and the refunds due now (overdue ones flagged). Returns invalid_field when
	// to is not after from.
	Reconcile(ctx context.Context, from, to time.Time) (*payments.Reconciliation, error)

	// Remit records that finance paid amount of a case's proceeds to the case
	// (reference: the transfer's), as one ledger transaction case_proceeds ->
	// court_escrow, a provider record of the transfer, and a proceeds.remitted
	// notification to the case system. Returns not_found, invalid_field,
	// duplicate_reference (the transfer is already booked as a remittance) or
	// overpayment (more than the case has in escrow).
	Remit(ctx context.Context, by, caseID string, amount int64, reference string) (*payments.Remittance, error)

	// Remittances lists what was remitted to a case, oldest first. Returns not_found.
	Remittances(ctx context.Context, caseID string) ([]payments.Remittance, error)

	// CaseProceeds sums what every round of every lot of a case received.
	// Returns not_found.
	CaseProceeds(ctx context.Context, caseID string) (*payments.Proceeds, error)

	// FinanceWork lists every auction finance has to act on, however many
	// auctions there are: a deposit to confirm or to pay back, a sold auction
	// whose balance is due, a default, a balance payment's excess or a whole
	// owed-back balance payment to pay back.
	// Earliest end first.
	// Returns no error code of its own: a failure is the storage's.
	FinanceWork(ctx context.Context) ([]Listing, error)

	// SetCourtAccount sets (or replaces) a court's receiving account, the
	// one bidders of its cases pay deposits and balances into; by is the
	// admin. Returns invalid_field.
	SetCourtAccount(ctx context.Context, by string, p PayTo) (*PayTo, error)

	// RecordAuctionCost records a cost of an auction round (by: the clerk
	// or finance officer); costs recorded before a default are the first
	// call on the forfeited deposit. Returns not_found or invalid_field.
	RecordAuctionCost(ctx context.Context, by, auctionID string, amount int64, description string) (*payments.AuctionCost, error)

	// AuctionCosts lists the costs recorded for an auction round, oldest
	// first. Returns not_found.
	AuctionCosts(ctx context.Context, auctionID string) ([]payments.AuctionCost, error)

	// ImportStatement takes in a parsed bank statement of the court's
	// account (by: the finance officer): each line kept once by its bank
	// reference, exact matches booked (a pending deposit's payment
	// reference and amount; a sold auction's buyer code and outstanding
	// balance), others listed. Importing it again books nothing.
	// Returns no error code of its own: a failure is the storage's.
	ImportStatement(ctx context.Context, by, filename string, st *statement.Statement) (*payments.StatementImport, error)

	// StatementLines lists the lines of one import, or with importID ""
	// every line finance still has to resolve.
	// Returns no error code of its own: a failure is the storage's.
	StatementLines(ctx context.Context, importID string) ([]payments.StatementLine, error)

	// CourtAccounts lists every court's receiving account by court name.
	// Returns no error code of its own: a failure is the storage's.
	CourtAccounts(ctx context.Context) ([]PayTo, error)
}
