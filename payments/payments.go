// Package payments is the money side of Gavel: deposit providers, the
// double-entry ledger's chart of accounts, and reconciliation.
package payments

// Ledger accounts. Amounts in entries are positive for debits and negative for
// credits; every transaction sums to zero (enforced by the database).
const (
	// AccountEscrow is the court's deposit account (an asset): money actually held.
	AccountEscrow = "court_escrow"
	// AccountBidderDeposits is what the court owes bidders for deposits held.
	AccountBidderDeposits = "bidder_deposits"
	// AccountRefundsDue is money waiting to be paid back: deposits released,
	// the excess of balance payments above what the buyer owed, and balance
	// payments owed back (an annulled sale).
	AccountRefundsDue = "refunds_due"
	// AccountCaseProceeds is what the court owes the enforcement case.
	AccountCaseProceeds = "case_proceeds"
	// AccountForfeited holds a forfeited deposit until it is allocated in the legal order.
	AccountForfeited = "forfeited_deposits"
	// AccountAuctionCosts receives the first share of a forfeited deposit (Art. 24).
	AccountAuctionCosts = "auction_costs"
)

// Transaction kinds.
const (
	TxDepositHeld      = "deposit_held"
	TxDepositApplied   = "deposit_applied"
	TxDepositReleased  = "deposit_released"
	TxDepositRefunded  = "deposit_refunded"
	TxDepositForfeited = "deposit_forfeited"
	TxForfeitAllocated = "forfeiture_allocated"
	TxBalanceReceived  = "balance_received"
	TxProceedsRemitted = "proceeds_remitted"
	// TxExcessRefunded pays back the excess of a balance payment.
	TxExcessRefunded = "excess_refunded"
	// TxSaleAnnulled moves what a buyer paid toward an annulled sale (the
	// applied or forfeited deposit, the balance payments) out of the case's
	// proceeds into refunds due.
	TxSaleAnnulled = "sale_annulled"
	// TxBalanceOwedBack moves a balance payment out of the case's proceeds
	// into refunds due once it is owed back to its payer.
	TxBalanceOwedBack = "balance_owed_back"
	// TxBalanceReturned pays an owed-back balance payment back.
	TxBalanceReturned = "balance_returned"
)

// Entry is one line of a ledger transaction.
type Entry struct {
	Account string `json:"account"`
	Amount  int64  `json:"amount"`
}

// Move is the pair of entries that moves amount from credit to debit.
func Move(debit, credit string, amount int64) []Entry {
	return []Entry{{Account: debit, Amount: amount}, {Account: credit, Amount: -amount}}
}

// Provider names.
const (
	ProviderBank   = "bank"
	ProviderStripe = "stripe"
)

// Kinds of booked entries. Within one kind an outside reference (the bank's
// transaction reference, the provider's payment id) is booked at most once.
const (
	BookDepositConfirmation = "deposit_confirmation"
	BookDepositRefund       = "deposit_refund"
	BookBalancePayment      = "balance_payment"
	BookBalanceRefund       = "balance_refund"
	BookRemittance          = "remittance"
)

// MaxAmount bounds any single amount finance types (a balance payment, a
// remittance): 10 trillion yuan in fen, beyond any court sale, and small
// enough that sums of many entries stay far inside int64.
const MaxAmount = 1_000_000_000_000_000

// overpaymentMargin is how far above the hammer price a balance payment
// may go: 1,000 yuan, for a bank fee or rounding.
const overpaymentMargin = 100_000

// BalancePaymentFits reports whether a balance payment of amount is
// bookable for a sale at hammer: at most the hammer price plus 1,000 yuan.
// Above what is still owed is allowed (the usual mistake is a transfer of
// the whole price that forgot the deposit or an earlier part payment; that
// money did arrive and is paid back), but no real transfer for this sale
// exceeds the whole price: more is a typing error, refused before it could
// settle an auction on money that never existed.
func BalancePaymentFits(amount, hammer int64) bool {
	return amount-overpaymentMargin <= hammer
}
