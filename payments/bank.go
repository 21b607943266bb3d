package payments

import "context"

// Bank is the default provider: the bidder transfers the deposit to the
// court's account quoting the reference shown at registration, finance
// confirms the transfer, and finance pays released deposits back and marks
// them refunded. No API is involved, so every automatic step is ErrManual.
type Bank struct{}

var _ Provider = Bank{}

// Name is "bank".
func (Bank) Name() string { return ProviderBank }

// Start returns ErrManual: the transfer reference is all the bidder needs.
func (Bank) Start(context.Context, DepositRequest) (*Intent, error) { return nil, ErrManual }

// Lookup returns ErrManual: a bank transfer is known when finance confirms it.
func (Bank) Lookup(context.Context, string) (*Intent, error) { return nil, ErrManual }

// Capture returns ErrManual: money on the court's account is already taken.
func (Bank) Capture(context.Context, string, string) (*Intent, error) { return nil, ErrManual }

// Release returns ErrManual: finance transfers the money back by hand.
func (Bank) Release(context.Context, string, int64, string) (*Intent, error) {
	return nil, ErrManual
}
