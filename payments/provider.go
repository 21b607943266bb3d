package payments

import (
	"context"
	"errors"
	"time"
)

// Provider collects, holds and returns bidders' deposits. Gavel has two: the
// bank provider, whose money moves by transfers that finance confirms and
// refunds by hand, and Stripe, whose money moves by API calls made from
// durable jobs. The store decides every state change of a deposit; a provider
// only reports what happened at its end and carries out what was decided.
//
// Every call that moves money takes an idempotency key derived from Gavel's
// own ids, so a retried job or a restarted instance never holds, captures or
// refunds twice.
type Provider interface {
	// Name is the provider as stored on each deposit ("bank" or "stripe").
	Name() string
	// Start begins collecting a deposit and returns what the bidder needs to
	// pay it. Returns ErrManual when the bidder pays by bank transfer.
	Start(ctx context.Context, r DepositRequest) (*Intent, error)
	// Lookup re-reads a payment from the provider: webhooks and jobs act on
	// this, never on what a message claimed. Returns ErrManual for the bank.
	Lookup(ctx context.Context, ref string) (*Intent, error)
	// Capture takes the money of an authorised hold. Capturing a captured
	// payment is not an error. Returns ErrManual for the bank.
	Capture(ctx context.Context, ref, key string) (*Intent, error)
	// Release gives a deposit back: an authorised hold is cancelled, captured
	// money refunded, an unpaid payment voided. Releasing a released payment
	// is not an error. A provider derives one key per API call it makes from
	// key (a cancel and a refund are different requests). Returns ErrManual
	// for the bank.
	Release(ctx context.Context, ref string, amount int64, key string) (*Intent, error)
}

// ErrManual means the provider's money moves by people, not by API: finance
// confirms bank transfers and marks refunds paid (POST /deposits/{id}/confirm
// and /refunded), so there is nothing for a job to do.
var ErrManual = errors.New("payments: this provider's money is moved by finance, not by API")

// DepositRequest asks a provider to start collecting one deposit.
type DepositRequest struct {
	// Key makes the request idempotent: "deposit:<registration id>".
	Key            string
	DepositID      string
	RegistrationID string
	AuctionID      string
	Amount         int64
	Currency       string
}

// Intent statuses, the provider's view of one deposit payment.
const (
	// IntentOpen: created, the bidder has not paid (or the payment failed).
	IntentOpen = "open"
	// IntentAuthorized: the card is held for the amount; capturable.
	IntentAuthorized = "authorized"
	// IntentCaptured: the money is taken.
	IntentCaptured = "captured"
	// IntentCanceled: the payment was cancelled (a hold released or lapsed).
	IntentCanceled = "canceled"
)

// Intent is the provider's record of one deposit payment.
type Intent struct {
	Ref          string
	ClientSecret string
	Status       string
	Amount       int64
	Currency     string
	// DepositID comes back from the metadata Gavel attached, so an event that
	// arrives before the intent was stored still finds its deposit.
	DepositID string
	// CaptureBefore is when an uncaptured hold lapses (the charge's
	// capture_before); zero when unknown or not a hold.
	CaptureBefore time.Time
	// Refunded is how much of a captured payment has been refunded, and
	// RefundRef the provider's id of the latest refund.
	Refunded  int64
	RefundRef string
}

// Released reports whether the money has gone back to the bidder in full:
// the hold was cancelled or the capture refunded.
func (in *Intent) Released() bool {
	return in.Status == IntentCanceled || (in.Status == IntentCaptured && in.Amount > 0 && in.Refunded >= in.Amount)
}

// Paid reports whether the bidder's money is held or taken.
func (in *Intent) Paid() bool {
	return in.Status == IntentAuthorized || in.Status == IntentCaptured
}

// HoldMargin is how long an authorised card hold must outlast the close for
// Gavel to keep it uncaptured: the close can be extended by late bids, and the
// release or capture job needs time to run. A hold that lapses sooner is
// captured at once and refunded after the close instead.
const HoldMargin = time.Hour

// KeepHold reports whether a hold lapsing at captureBefore may stay
// uncaptured until an auction ending at endsAt closes.
func KeepHold(captureBefore, endsAt time.Time) bool {
	return !captureBefore.IsZero() && captureBefore.After(endsAt.Add(HoldMargin))
}

// Idempotency keys, derived from Gavel's ids so that each money movement can
// happen at most once whatever retries.
func DepositKey(registrationID string) string { return "deposit:" + registrationID }

// CaptureKey is the idempotency key of capturing a deposit's hold.
func CaptureKey(depositID string) string { return "capture:" + depositID }

// ReleaseKey is the idempotency key of releasing (cancelling or refunding) a deposit.
func ReleaseKey(depositID string) string { return "release:" + depositID }

// Event is a provider's notification that something happened to a payment.
// Its content is never trusted for state: only ID (to record it once) and
// Ref (which payment to re-read) are used.
type Event struct {
	ID   string
	Type string
	// Ref is the payment the event is about ("" when it concerns none).
	Ref string
	// DepositID is Gavel's deposit from the payment's metadata, when present.
	DepositID string
	Created   time.Time
}

// EventVerifier checks and decodes a provider's signed webhook.
type EventVerifier interface {
	// VerifyEvent returns ErrBadSignature when payload was not signed by
	// the provider with the configured secret.
	VerifyEvent(payload []byte, signature string) (*Event, error)
}

// ErrUnknownPayment means the provider has no payment with that id (an
// event about a payment made outside Gavel, or on another account).
var ErrUnknownPayment = errors.New("payments: the provider knows no such payment")

// ErrBadSignature means a webhook's signature did not verify.
var ErrBadSignature = errors.New("payments: the webhook signature does not verify")
