// Package stripe is the Stripe deposit provider: a deposit is a
// PaymentIntent with manual capture, held on the bidder's card and captured,
// cancelled or refunded by Gavel's durable jobs. It speaks stripe-go v76,
// which pins the Stripe API version (stripe.APIVersion, 2023-10-16); the
// webhook endpoint in the Stripe dashboard must use the same version or
// webhook.ConstructEvent refuses its events.
package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	stripe "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
	"github.com/stripe/stripe-go/v76/webhook"

	"gavel/payments"
)

// APIVersion is the Stripe API version every request and webhook uses.
const APIVersion = stripe.APIVersion

// Config is what the provider needs.
type Config struct {
	// SecretKey is STRIPE_SECRET_KEY.
	SecretKey string
	// WebhookSecret is STRIPE_WEBHOOK_SECRET (whsec_...), which signs the
	// events Stripe posts to /api/v1/webhooks/stripe.
	WebhookSecret string
	// APIBase is STRIPE_API_BASE, e.g. a local stripe-mock; empty means Stripe.
	APIBase string
	// HTTPClient is optional; its timeout bounds every call.
	HTTPClient *http.Client
}

// Provider is the Stripe deposit provider.
type Provider struct {
	api           *client.API
	webhookSecret string
}

var (
	_ payments.Provider      = (*Provider)(nil)
	_ payments.EventVerifier = (*Provider)(nil)
	_ payments.BalanceSource = (*Provider)(nil)
)

// New returns a Stripe provider.
func New(c Config) *Provider {
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	bc := &stripe.BackendConfig{
		HTTPClient: c.HTTPClient,
		// Network failures are retried by Gavel's jobs, with backoff and
		// the same idempotency key; the library retries only briefly.
		MaxNetworkRetries: stripe.Int64(1),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	}
	if c.APIBase != "" {
		bc.URL = stripe.String(strings.TrimRight(c.APIBase, "/"))
	}
	api := client.New(c.SecretKey, &stripe.Backends{
		API:     stripe.GetBackendWithConfig(stripe.APIBackend, bc),
		Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, bc),
		Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, bc),
	})
	return &Provider{api: api, webhookSecret: c.WebhookSecret}
}

// Name is "stripe".
func (p *Provider) Name() string { return payments.ProviderStripe }

// Start creates the deposit's PaymentIntent: manual capture, so that a card
// hold can last until the close when the card allows it. The idempotency key
// (deposit:<registration>) makes a repeated call return the same intent.
func (p *Provider) Start(ctx context.Context, r payments.DepositRequest) (*payments.Intent, error) {
	params := &stripe.PaymentIntentParams{
		Amount:             stripe.Int64(r.Amount),
		Currency:           stripe.String(strings.ToLower(r.Currency)),
		CaptureMethod:      stripe.String(string(stripe.PaymentIntentCaptureMethodManual)),
		PaymentMethodTypes: stripe.StringSlice([]string{"card"}),
		Description:        stripe.String("Gavel auction deposit"),
	}
	params.Context = ctx
	params.SetIdempotencyKey(r.Key)
	params.AddMetadata("deposit_id", r.DepositID)
	params.AddMetadata("registration_id", r.RegistrationID)
	params.AddMetadata("auction_id", r.AuctionID)
	pi, err := p.api.PaymentIntents.New(params)
	if err != nil {
		return nil, fmt.Errorf("stripe: create payment intent: %w", err)
	}
	return intentOf(pi), nil
}

// Lookup re-reads a PaymentIntent with its latest charge, whose
// capture_before says how long an uncaptured hold lasts.
func (p *Provider) Lookup(ctx context.Context, ref string) (*payments.Intent, error) {
	params := &stripe.PaymentIntentParams{}
	params.Context = ctx
	params.AddExpand("latest_charge")
	pi, err := p.api.PaymentIntents.Get(ref, params)
	if isNotFound(err) {
		return nil, fmt.Errorf("stripe: payment intent %s: %w", ref, payments.ErrUnknownPayment)
	}
	if err != nil {
		return nil, fmt.Errorf("stripe: read payment intent: %w", err)
	}
	return intentOf(pi), nil
}

// Capture captures an authorised hold. A captured intent is returned as it is.
func (p *Provider) Capture(ctx context.Context, ref, key string) (*payments.Intent, error) {
	in, err := p.Lookup(ctx, ref)
	if err != nil || in.Status != payments.IntentAuthorized {
		return in, err
	}
	params := &stripe.PaymentIntentCaptureParams{}
	params.Context = ctx
	params.SetIdempotencyKey(key)
	params.AddExpand("latest_charge")
	pi, err := p.api.PaymentIntents.Capture(ref, params)
	if err != nil {
		return nil, fmt.Errorf("stripe: capture payment intent: %w", err)
	}
	return intentOf(pi), nil
}

// Release gives a deposit back after re-reading it: an unpaid or held
// intent is cancelled (key+":cancel"), a captured one refunded for what is
// not refunded yet (key+":refund"); a released one is left alone.
func (p *Provider) Release(ctx context.Context, ref string, amount int64, key string) (*payments.Intent, error) {
	in, err := p.Lookup(ctx, ref)
	if err != nil || in.Released() {
		return in, err
	}
	if in.Status == payments.IntentCaptured {
		return p.refund(ctx, in, amount-in.Refunded, key+":refund")
	}
	params := &stripe.PaymentIntentCancelParams{CancellationReason: stripe.String(string(stripe.PaymentIntentCancellationReasonAbandoned))}
	params.Context = ctx
	params.SetIdempotencyKey(key + ":cancel")
	pi, err := p.api.PaymentIntents.Cancel(ref, params)
	if err != nil {
		return nil, fmt.Errorf("stripe: cancel payment intent: %w", err)
	}
	return intentOf(pi), nil
}

func (p *Provider) refund(ctx context.Context, in *payments.Intent, amount int64, key string) (*payments.Intent, error) {
	params := &stripe.RefundParams{PaymentIntent: stripe.String(in.Ref), Amount: stripe.Int64(amount)}
	params.Context = ctx
	params.SetIdempotencyKey(key)
	params.AddMetadata("deposit_id", in.DepositID)
	r, err := p.api.Refunds.New(params)
	if err != nil {
		return nil, fmt.Errorf("stripe: refund payment intent: %w", err)
	}
	if r.Status == stripe.RefundStatusFailed || r.Status == stripe.RefundStatusCanceled {
		return nil, fmt.Errorf("stripe: refund %s is %s", r.ID, r.Status)
	}
	out := *in
	out.Refunded += r.Amount
	out.RefundRef = r.ID
	return &out, nil
}

// intentOf maps a PaymentIntent to the provider-neutral view.
func intentOf(pi *stripe.PaymentIntent) *payments.Intent {
	in := &payments.Intent{Ref: pi.ID, ClientSecret: pi.ClientSecret, Amount: pi.Amount, Currency: strings.ToUpper(string(pi.Currency)),
		DepositID: pi.Metadata["deposit_id"]}
	switch pi.Status {
	case stripe.PaymentIntentStatusRequiresCapture:
		in.Status = payments.IntentAuthorized
	case stripe.PaymentIntentStatusSucceeded:
		in.Status = payments.IntentCaptured
	case stripe.PaymentIntentStatusCanceled:
		in.Status = payments.IntentCanceled
	default:
		in.Status = payments.IntentOpen
	}
	if c := pi.LatestCharge; c != nil {
		in.Refunded = c.AmountRefunded
		if d := c.PaymentMethodDetails; d != nil && d.Card != nil && d.Card.CaptureBefore > 0 {
			in.CaptureBefore = time.Unix(d.Card.CaptureBefore, 0).UTC()
		}
		if c.Refunds != nil && len(c.Refunds.Data) > 0 {
			in.RefundRef = c.Refunds.Data[0].ID
		}
	}
	return in
}

// VerifyEvent checks a webhook's Stripe-Signature with webhook.ConstructEvent
// (which also refuses events of another API version) and returns the event
// with the PaymentIntent it concerns. Its content is used for nothing else:
// the job it starts re-reads the intent from Stripe.
func (p *Provider) VerifyEvent(payload []byte, signature string) (*payments.Event, error) {
	if p.webhookSecret == "" {
		return nil, fmt.Errorf("%w: STRIPE_WEBHOOK_SECRET is not set", payments.ErrBadSignature)
	}
	ev, err := webhook.ConstructEvent(payload, signature, p.webhookSecret)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", payments.ErrBadSignature, err)
	}
	out := &payments.Event{ID: ev.ID, Type: string(ev.Type), Created: time.Unix(ev.Created, 0).UTC()}
	if ev.Data == nil || ev.Data.Raw == nil {
		return out, nil
	}
	var obj struct {
		ID            string            `json:"id"`
		Object        string            `json:"object"`
		PaymentIntent json.RawMessage   `json:"payment_intent"`
		Metadata      map[string]string `json:"metadata"`
	}
	if err := json.Unmarshal(ev.Data.Raw, &obj); err != nil {
		return nil, fmt.Errorf("stripe: event %s: %w", ev.ID, err)
	}
	switch obj.Object {
	case "payment_intent":
		out.Ref = obj.ID
		out.DepositID = obj.Metadata["deposit_id"]
	case "charge", "refund":
		// payment_intent is an id, or an object when expanded.
		var id string
		if err := json.Unmarshal(obj.PaymentIntent, &id); err != nil {
			var o struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(obj.PaymentIntent, &o) == nil {
				id = o.ID
			}
		}
		out.Ref = id
	}
	return out, nil
}

// BalanceTransactions lists Stripe's balance transactions created in
// [from, to), every page, each with its source expanded so that a charge
// is known by its PaymentIntent (the reference Gavel books a deposit
// under) and a refund by its own id. Amounts, fees and net are Stripe's.
func (p *Provider) BalanceTransactions(ctx context.Context, from, to time.Time) ([]payments.BalanceTransaction, error) {
	params := &stripe.BalanceTransactionListParams{CreatedRange: &stripe.RangeQueryParams{
		GreaterThanOrEqual: from.Unix(), LesserThan: to.Unix()}}
	params.Context = ctx
	params.Limit = stripe.Int64(100)
	params.AddExpand("data.source")
	out := []payments.BalanceTransaction{}
	it := p.api.BalanceTransactions.List(params)
	for it.Next() {
		bt := it.BalanceTransaction()
		t := payments.BalanceTransaction{ID: bt.ID, Type: string(bt.Type), Amount: bt.Amount, Fee: bt.Fee, Net: bt.Net,
			Currency: strings.ToUpper(string(bt.Currency)), Created: time.Unix(bt.Created, 0).UTC()}
		if src := bt.Source; src != nil {
			t.Reference = src.ID
			if c := src.Charge; c != nil && c.PaymentIntent != nil && c.PaymentIntent.ID != "" {
				t.Reference = c.PaymentIntent.ID
			}
		}
		out = append(out, t)
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("stripe: list balance transactions: %w", err)
	}
	return out, nil
}

// isNotFound reports whether err is Stripe's answer for an unknown object.
func isNotFound(err error) bool {
	var se *stripe.Error
	return errors.As(err, &se) && se.HTTPStatusCode == http.StatusNotFound
}
