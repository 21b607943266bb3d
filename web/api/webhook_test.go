package api_test

import (
	"fmt"
	noticepg "gavel/auction/notice/postgres"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"gavel/auction"
	"gavel/payments"
	"gavel/payments/stripe"
	"gavel/web"
)

func signedEvent(id, typ, ref, depositID, secret string) ([]byte, string) {
	payload := fmt.Appendf(nil, `{"id":%q,"object":"event","api_version":%q,"created":%d,"type":%q,"data":{"object":{"id":%q,"object":"payment_intent","metadata":{"deposit_id":%q}}}}`,
		id, stripe.APIVersion, time.Now().Unix(), typ, ref, depositID)
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret})
	return sp.Payload, sp.Header
}

// With Stripe, registration answers the PaymentIntent's client_secret;
// Stripe's signed webhook qualifies the bidder (after re-reading the
// payment); a forged one gets 400 and changes nothing; a duplicate is 200.
func TestStripeRegistrationAndWebhook(t *testing.T) {
	t.Parallel()
	e := newMoneyEnv(t, true)
	a := e.AnnouncedCar("车辆")
	r := e.do(t, "POST", "/api/v1/auctions/"+a.ID+"/registrations", auction.RoleBidder, "{}")
	reg := r.json(t)
	dep := reg["deposit"].(map[string]any)
	if r.status != 201 || dep["provider"] != payments.ProviderStripe || dep["client_secret"] == nil || dep["client_secret"] == "" || reg["bidder_code"] != nil {
		t.Fatalf("registration: %d %s", r.status, r.body)
	}
	depositID := dep["id"].(string)
	ref := e.fake.Ref(depositID)
	if dep["client_secret"] != ref+"_secret" {
		t.Fatalf("client secret %v for payment %s", dep["client_secret"], ref)
	}
	mine := e.do(t, "GET", "/api/v1/me/registrations", auction.RoleBidder, "").json(t)["registrations"].([]any)
	if mine[0].(map[string]any)["deposit"].(map[string]any)["client_secret"] != dep["client_secret"] {
		t.Fatalf("my registrations: %v", mine)
	}
	if r := e.do(t, "POST", "/api/v1/deposits/"+depositID+"/confirm", auction.RoleFinance, `{"reference":"BANK-1"}`); r.status != 409 || r.code() != auction.EInvalidState {
		t.Fatalf("finance confirming a Stripe deposit: %d %s", r.status, r.body)
	}

	e.fake.Authorize(ref, a.EndsAt.Add(72*time.Hour))
	forged, forgedSig := signedEvent("evt_forged", "payment_intent.amount_capturable_updated", ref, depositID, "whsec_someone_else")
	for _, sig := range []string{forgedSig, "", "t=1,v1=00"} {
		r := e.do(t, "POST", "/api/v1/webhooks/stripe", "", string(forged), "Stripe-Signature", sig)
		if r.status != 400 || r.code() != auction.EInvalidRequest {
			t.Fatalf("forged webhook: %d %s", r.status, r.body)
		}
	}
	if _, err := e.Store.StripeEventProcessed(e.Ctx, "evt_forged"); auction.ErrorCode(err) != auction.ENotFound {
		t.Fatalf("a forged event was recorded: %v", err)
	}

	payload, sig := signedEvent("evt_ok", "payment_intent.amount_capturable_updated", ref, depositID, moneyWebhookSecret)
	for range 2 {
		if r := e.do(t, "POST", "/api/v1/webhooks/stripe", "", string(payload), "Stripe-Signature", sig); r.status != 200 || r.json(t)["received"] != true {
			t.Fatalf("webhook: %d %s", r.status, r.body)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		done, err := e.Store.StripeEventProcessed(e.Ctx, "evt_ok")
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the webhook was not applied within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	mine = e.do(t, "GET", "/api/v1/me/registrations", auction.RoleBidder, "").json(t)["registrations"].([]any)
	got := mine[0].(map[string]any)
	if got["status"] != auction.RegistrationQualified || got["bidder_code"] == nil || got["deposit"].(map[string]any)["status"] != auction.DepositHeld {
		t.Fatalf("registration after the webhook: %v", got)
	}
}

// Without Stripe configured the webhook route answers 404.
func TestStripeWebhookWithoutStripe(t *testing.T) {
	t.Parallel()
	e := newMoneyEnv(t, false)
	srv := httptest.NewServer(web.New(web.Config{Store: e.Store, Log: slog.New(slog.DiscardHandler), NoLimits: true, Notices: noticepg.New(e.Store.Pool(), e.Store.Clock())}).Handler())
	defer srv.Close()
	e.url = srv.URL
	payload, sig := signedEvent("evt_x", "payment_intent.succeeded", "pi_x", "", moneyWebhookSecret)
	if r := e.do(t, "POST", "/api/v1/webhooks/stripe", "", string(payload), "Stripe-Signature", sig); r.status != 404 || r.code() != auction.ENotFound {
		t.Fatalf("webhook without Stripe: %d %s", r.status, r.body)
	}
}
