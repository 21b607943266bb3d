package jobs_test

import (
	"testing"
	"time"

	"gavel/auction"
	"gavel/payments"
)

func (e *env) stripeEventRows(t testing.TB) int {
	t.Helper()
	var n int
	if err := e.Pool.QueryRow(e.Ctx, `SELECT count(*) FROM stripe_events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Forged, tampered and foreign-version webhooks are refused and change
// nothing: no event row, no job, the deposit as it was.
func TestStripeWebhookForged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{stripe: true})
	a := e.Announced("住宅")
	reg := e.Register(e.Bidder(), a.ID)
	ref := e.fake.Ref(reg.Deposit.ID)
	e.fake.Authorize(ref, a.EndsAt.Add(72*time.Hour))

	wrongSecret, wrongHeader := stripeEvent(t, "evt_forged", "payment_intent.succeeded", ref, reg.Deposit.ID, "whsec_not_ours")
	good, goodHeader := stripeEvent(t, "evt_good", "payment_intent.succeeded", ref, reg.Deposit.ID, webhookSecret)
	tampered := append([]byte{}, good...)
	tampered[len(tampered)-3] = ' '
	cases := map[string]struct {
		payload []byte
		header  string
	}{
		"wrong secret":     {wrongSecret, wrongHeader},
		"tampered payload": {tampered, goodHeader},
		"no signature":     {good, ""},
		"garbage header":   {good, "t=1,v1=zz"},
		"stale timestamp":  {good, "t=1000," + goodHeader[len("t=")+10+1:]},
	}
	for name, c := range cases {
		err := e.jobs.ReceiveStripeEvent(e.Ctx, c.payload, c.header)
		if auction.ErrorCode(err) != auction.EInvalidRequest {
			t.Errorf("%s: got %v, want invalid_request", name, err)
		}
	}
	e.settle(t)
	if n := e.stripeEventRows(t); n != 0 {
		t.Fatalf("%d events recorded from forged webhooks", n)
	}
	if n := e.jobCount(t, "stripe_event"); n != 0 {
		t.Fatalf("%d jobs from forged webhooks", n)
	}
	e.wantDeposit(t, reg.Deposit.ID, auction.DepositPending, "")
	e.wantLedger(t, reg.Deposit.ID)
}

// The same event delivered twice is recorded and applied once; events
// arriving out of order converge on the provider's current state, because
// each re-reads the payment instead of trusting its own content.
func TestStripeWebhookDuplicatedAndReordered(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{stripe: true})
	a := e.Announced("住宅")
	reg := e.Register(e.Bidder(), a.ID)
	ref := e.fake.Ref(reg.Deposit.ID)

	// The bidder paid outright: Stripe sends "succeeded" and, delayed, the
	// older "amount_capturable_updated"; "succeeded" is also delivered twice.
	e.fake.Pay(ref)
	succeeded, sh := stripeEvent(t, "evt_succeeded", "payment_intent.succeeded", ref, reg.Deposit.ID, webhookSecret)
	older, oh := stripeEvent(t, "evt_capturable", "payment_intent.amount_capturable_updated", ref, reg.Deposit.ID, webhookSecret)
	for _, ev := range []struct {
		payload []byte
		header  string
	}{{succeeded, sh}, {succeeded, sh}, {older, oh}, {succeeded, sh}} {
		if err := e.jobs.ReceiveStripeEvent(e.Ctx, ev.payload, ev.header); err != nil {
			t.Fatal(err)
		}
	}
	e.settle(t)
	if n := e.stripeEventRows(t); n != 2 {
		t.Fatalf("%d event rows, want 2 (one per event id)", n)
	}
	if n := e.jobCount(t, "stripe_event"); n != 2 {
		t.Fatalf("%d stripe_event jobs, want 2", n)
	}
	for _, id := range []string{"evt_succeeded", "evt_capturable"} {
		if done, err := e.Store.StripeEventProcessed(e.Ctx, id); err != nil || !done {
			t.Fatalf("event %s processed=%v %v", id, done, err)
		}
	}
	e.wantDeposit(t, reg.Deposit.ID, auction.DepositHeld, payments.IntentCaptured)
	e.wantLedger(t, reg.Deposit.ID, payments.TxDepositHeld)
	e.wantMoves(t, reg.Deposit.ID, 0, 0, 0)
	if got := e.registration(t, reg.ID); got.Status != auction.RegistrationQualified || got.BidderCode == nil {
		t.Fatalf("registration after payment: %+v", got)
	}

	// A cancellation event that overtook its own cause (nothing was
	// cancelled at the provider) changes nothing either.
	e.deliver(t, "payment_intent.canceled", reg.Deposit.ID)
	e.wantDeposit(t, reg.Deposit.ID, auction.DepositHeld, payments.IntentCaptured)

	// Events about payments that are not deposits, and about other objects,
	// are recorded (to recognise duplicates) and otherwise ignored.
	other, otherHeader := stripeEvent(t, "evt_other", "payment_intent.succeeded", "pi_unknown", "", webhookSecret)
	if err := e.jobs.ReceiveStripeEvent(e.Ctx, other, otherHeader); err != nil {
		t.Fatal(err)
	}
	e.settle(t)
	if done, err := e.Store.StripeEventProcessed(e.Ctx, "evt_other"); err != nil || !done {
		t.Fatalf("event about an unknown payment: processed=%v %v", done, err)
	}
	e.wantDeposit(t, reg.Deposit.ID, auction.DepositHeld, payments.IntentCaptured)
}

// An event that arrives before the registration stored its payment id
// still finds its deposit through the payment's metadata.
func TestStripeWebhookBeforeAttach(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{stripe: true})
	a := e.Announced("住宅")
	reg := e.Register(e.Bidder(), a.ID)
	ref := e.fake.Ref(reg.Deposit.ID)
	if _, err := e.Pool.Exec(e.Ctx, `UPDATE deposits SET provider_ref = '', client_secret = '' WHERE id = $1`, reg.Deposit.ID); err != nil {
		t.Fatal(err)
	}
	e.fake.Authorize(ref, a.EndsAt.Add(72*time.Hour))
	e.deliver(t, "payment_intent.amount_capturable_updated", reg.Deposit.ID)
	d := e.deposit(t, reg.Deposit.ID)
	if d.Status != auction.DepositHeld || d.ProviderRef != ref {
		t.Fatalf("deposit %+v, want held with ref %s", d, ref)
	}
}
