package payments

import (
	"context"
	"time"
)

// BalanceTransaction is one movement of a provider's balance as the
// provider itself reports it (for Stripe, a balance transaction).
type BalanceTransaction struct {
	// ID is the provider's id of the movement (txn_...).
	ID string `json:"id"`
	// Type is the provider's type: charge or payment (money in), refund
	// or payment_refund (money out), or any other (fees, payouts, ...).
	Type string `json:"type"`
	// Reference is what Gavel books the movement under: the payment's id
	// for money in (the PaymentIntent), the refund's id for money out.
	Reference string `json:"reference"`
	// Amount is the gross amount, signed as it moves the balance (money in
	// positive); Fee is the provider's fee on it; Net = Amount - Fee.
	Amount   int64     `json:"amount"`
	Fee      int64     `json:"fee"`
	Net      int64     `json:"net"`
	Currency string    `json:"currency"`
	Created  time.Time `json:"created"`
}

// BalanceSource is a provider that can list its own balance transactions:
// the outside truth reconciliation sets the ledger against.
type BalanceSource interface {
	// BalanceTransactions lists the movements created in [from, to).
	BalanceTransactions(ctx context.Context, from, to time.Time) ([]BalanceTransaction, error)
}

// Differences between the ledger and the provider's balance, by name.
const (
	// ProviderBookedNotAtProvider: a captured payment or a refund is
	// booked, but the provider's balance shows no such movement.
	ProviderBookedNotAtProvider = "booked_not_at_provider"
	// ProviderNotBooked: the provider's balance moved, but nothing is
	// booked under its reference.
	ProviderNotBooked = "at_provider_not_booked"
	// ProviderAmountDiffers: the same reference, another gross amount.
	ProviderAmountDiffers = "amount_differs"
)

// ProviderDifference is one line where the ledger and the provider's own
// balance disagree. Amounts are signed as they move the balance.
type ProviderDifference struct {
	Status              string     `json:"status"`
	Reference           string     `json:"reference"`
	Kind                string     `json:"kind,omitempty"`
	DepositID           string     `json:"deposit_id,omitempty"`
	LedgerTransactionID *int64     `json:"ledger_transaction_id"`
	BalanceTransaction  string     `json:"balance_transaction,omitempty"`
	At                  *time.Time `json:"at"`
	Created             *time.Time `json:"created"`
	LedgerAmount        int64      `json:"ledger_amount"`
	ProviderAmount      int64      `json:"provider_amount"`
	Fee                 int64      `json:"fee"`
}

// ProviderBalance is the reconciliation of one provider's own balance
// transactions with the ledger for a period.
type ProviderBalance struct {
	Provider string `json:"provider"`
	// Error says why the provider could not be read; the comparison is then
	// empty and the reconciliation not ok.
	Error string `json:"error,omitempty"`
	// Transactions counts the provider's payment and refund movements of
	// the period; Gross, Fees and Net sum them (Net = Gross - Fees: what
	// the provider pays out for them). The ledger books gross amounts, so
	// Fees is the provider's charge for the period, not a difference.
	Transactions int                  `json:"transactions"`
	Gross        int64                `json:"gross"`
	Fees         int64                `json:"fees"`
	Net          int64                `json:"net"`
	Differences  []ProviderDifference `json:"differences"`
}

// paymentType reports whether a balance transaction type is a payment or
// a refund; other types (payouts, fees, adjustments) are not deposit money.
func paymentType(t string) bool {
	switch t {
	case "charge", "payment", "refund", "payment_refund":
		return true
	}
	return false
}

// CompareBalance sets the ledger's movements of one provider against the
// provider's balance transactions, by reference and direction. ledger holds
// the booked lines the provider must show: those of the period, and any
// older ones whose reference a transaction of the period quotes. txns holds
// the provider's transactions from a little before the period to now, so a
// payment booked at its authorisation and captured later is found. A
// ledger line is reported when its time is in [from, to); a transaction
// when its creation is.
func CompareBalance(provider string, ledger []Line, txns []BalanceTransaction, from, to time.Time) ProviderBalance {
	type key struct {
		in  bool
		ref string
	}
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	out := ProviderBalance{Provider: provider, Differences: []ProviderDifference{}}
	byRef := map[key][]int{}
	for i, t := range txns {
		if !paymentType(t.Type) {
			continue
		}
		byRef[key{t.Amount >= 0, t.Reference}] = append(byRef[key{t.Amount >= 0, t.Reference}], i)
		if in(t.Created) {
			out.Transactions++
			out.Gross += t.Amount
			out.Fees += t.Fee
			out.Net += t.Net
		}
	}
	used := make([]bool, len(txns))
	for _, l := range ledger {
		k := key{l.LedgerAmount >= 0, l.Reference}
		at := l.At
		q := byRef[k]
		if len(q) == 0 {
			if in(l.At) {
				out.Differences = append(out.Differences, ProviderDifference{Status: ProviderBookedNotAtProvider, Reference: l.Reference,
					Kind: l.Kind, DepositID: l.DepositID, LedgerTransactionID: l.LedgerTransactionID, At: &at, LedgerAmount: l.LedgerAmount})
			}
			continue
		}
		t := txns[q[0]]
		byRef[k], used[q[0]] = q[1:], true
		if t.Amount != l.LedgerAmount && (in(l.At) || in(t.Created)) {
			created := t.Created
			out.Differences = append(out.Differences, ProviderDifference{Status: ProviderAmountDiffers, Reference: l.Reference, Kind: l.Kind,
				DepositID: l.DepositID, LedgerTransactionID: l.LedgerTransactionID, BalanceTransaction: t.ID, At: &at, Created: &created,
				LedgerAmount: l.LedgerAmount, ProviderAmount: t.Amount, Fee: t.Fee})
		}
	}
	for i, t := range txns {
		if used[i] || !paymentType(t.Type) || !in(t.Created) {
			continue
		}
		created := t.Created
		out.Differences = append(out.Differences, ProviderDifference{Status: ProviderNotBooked, Reference: t.Reference,
			BalanceTransaction: t.ID, Created: &created, ProviderAmount: t.Amount, Fee: t.Fee})
	}
	return out
}
