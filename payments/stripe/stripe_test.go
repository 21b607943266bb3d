package stripe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"gavel/payments"
	"gavel/payments/stripe/stripemock"
)

// mockURL is the address of the stripe-mock process TestMain started;
// empty when it is not installed (each test then skips, saying so).
var mockURL string

// TestMain runs one real stripe-mock for the package.
func TestMain(m *testing.M) {
	url, stop, err := stripemock.Run()
	if err != nil && !errors.Is(err, stripemock.ErrNotInstalled) {
		panic(err)
	}
	mockURL = url
	code := m.Run()
	if stop != nil {
		stop()
	}
	os.Exit(code)
}

// request is one call the provider made, as the proxy saw it.
type request struct {
	Method, Path, Query, IdempotencyKey, Version string
	Form                                         url.Values
}

// proxy stands between the provider and stripe-mock: it records each
// request and can play Stripe states stripe-mock's fixed fixtures never
// show (a held or captured intent, an unknown id).
type proxy struct {
	mu       sync.Mutex
	requests []request
	status   string // rewrites payment_intent.status in answers when set
	refunded int64  // rewrites latest_charge.amount_refunded when set
	notFound bool
	// sources rewrites the source of each listed balance transaction when
	// set: stripe-mock's fixture has an application fee there.
	sources []map[string]any
}

func (p *proxy) calls() []request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]request{}, p.requests...)
}

func (p *proxy) posts() []request {
	var out []request
	for _, r := range p.calls() {
		if r.Method == http.MethodPost {
			out = append(out, r)
		}
	}
	return out
}

// rewriteSources gives a balance transaction list one transaction per
// source, each a copy of the first with that source.
func rewriteSources(resp *http.Response, sources []map[string]any) error {
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var list map[string]any
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	data, _ := list["data"].([]any)
	if len(data) == 0 {
		return fmt.Errorf("stripe-mock listed no balance transaction")
	}
	var out []any
	for i, src := range sources {
		var bt map[string]any
		raw, _ := json.Marshal(data[0])
		_ = json.Unmarshal(raw, &bt)
		bt["id"], bt["source"], bt["type"] = fmt.Sprintf("txn_%d", i+1), src, src["object"]
		out = append(out, bt)
	}
	list["data"], list["has_more"] = out, false
	b, _ = json.Marshal(list)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Del("Content-Length")
	return nil
}

func newProvider(t *testing.T) (*Provider, *proxy) {
	t.Helper()
	if mockURL == "" {
		t.Skip("SKIPPED, the Stripe adapter is NOT tested in this run: " + stripemock.ErrNotInstalled.Error())
	}
	target, _ := url.Parse(mockURL)
	px := &proxy{}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(resp *http.Response) error {
		px.mu.Lock()
		status, refunded, sources := px.status, px.refunded, px.sources
		px.mu.Unlock()
		if sources != nil && resp.Request.URL.Path == "/v1/balance_transactions" {
			return rewriteSources(resp, sources)
		}
		if status == "" || !strings.HasPrefix(resp.Request.URL.Path, "/v1/payment_intents") {
			return nil
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		var obj map[string]any
		if json.Unmarshal(b, &obj) == nil && obj["object"] == "payment_intent" {
			obj["status"] = status
			if ch, ok := obj["latest_charge"].(map[string]any); ok {
				ch["amount_refunded"] = refunded
				if pmd, ok := ch["payment_method_details"].(map[string]any); ok {
					if card, ok := pmd["card"].(map[string]any); ok {
						card["capture_before"] = 1_790_000_000
					}
				}
			}
			b, _ = json.Marshal(obj)
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Del("Content-Length")
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		px.mu.Lock()
		px.requests = append(px.requests, request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			IdempotencyKey: r.Header.Get("Idempotency-Key"), Version: r.Header.Get("Stripe-Version"), Form: form})
		notFound := px.notFound
		px.mu.Unlock()
		if notFound {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such payment_intent"}}`)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return New(Config{SecretKey: "sk_test_gavel", WebhookSecret: "whsec_gavel", APIBase: srv.URL}), px
}

func TestStartCreatesManualCaptureIntent(t *testing.T) {
	t.Parallel()
	p, px := newProvider(t)
	in, err := p.Start(context.Background(), payments.DepositRequest{Key: payments.DepositKey("reg-1"), DepositID: "dep-1",
		RegistrationID: "reg-1", AuctionID: "auc-1", Amount: 7_000_000, Currency: "CNY"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(in.Ref, "pi_") || in.ClientSecret == "" || in.Status != payments.IntentOpen {
		t.Fatalf("intent %+v", in)
	}
	posts := px.posts()
	if len(posts) != 1 {
		t.Fatalf("%d POSTs", len(posts))
	}
	r := posts[0]
	want := map[string]string{"amount": "7000000", "currency": "cny", "capture_method": "manual", "payment_method_types[0]": "card",
		"metadata[deposit_id]": "dep-1", "metadata[registration_id]": "reg-1", "metadata[auction_id]": "auc-1"}
	for k, v := range want {
		if r.Form.Get(k) != v {
			t.Errorf("form %s = %q, want %q", k, r.Form.Get(k), v)
		}
	}
	if r.Path != "/v1/payment_intents" || r.IdempotencyKey != "deposit:reg-1" || r.Version != APIVersion {
		t.Fatalf("request %+v", r)
	}
}

func TestLookupReadsCaptureBefore(t *testing.T) {
	t.Parallel()
	p, px := newProvider(t)
	px.status = "requires_capture"
	in, err := p.Lookup(context.Background(), "pi_held")
	if err != nil {
		t.Fatal(err)
	}
	if in.Ref != "pi_held" || in.Status != payments.IntentAuthorized || !in.CaptureBefore.Equal(time.Unix(1_790_000_000, 0)) {
		t.Fatalf("intent %+v", in)
	}
	calls := px.calls()
	if len(calls) != 1 || calls[0].Method != http.MethodGet || !strings.Contains(calls[0].Query, "latest_charge") {
		t.Fatalf("calls %+v", calls)
	}
	px.mu.Lock()
	px.notFound = true
	px.mu.Unlock()
	if _, err := p.Lookup(context.Background(), "pi_nobody"); !errors.Is(err, payments.ErrUnknownPayment) {
		t.Fatalf("unknown intent: %v", err)
	}
}

func TestCaptureOnlyAHold(t *testing.T) {
	t.Parallel()
	p, px := newProvider(t)
	px.status = "requires_payment_method"
	if _, err := p.Capture(context.Background(), "pi_open", payments.CaptureKey("dep-1")); err != nil {
		t.Fatal(err)
	}
	if n := len(px.posts()); n != 0 {
		t.Fatalf("captured an unpaid intent (%d POSTs)", n)
	}
	px.mu.Lock()
	px.status = "requires_capture"
	px.mu.Unlock()
	if _, err := p.Capture(context.Background(), "pi_held", payments.CaptureKey("dep-1")); err != nil {
		t.Fatal(err)
	}
	posts := px.posts()
	if len(posts) != 1 || posts[0].Path != "/v1/payment_intents/pi_held/capture" || posts[0].IdempotencyKey != "capture:dep-1" {
		t.Fatalf("capture requests %+v", posts)
	}
}

func TestReleaseCancelsHoldsRefundsCaptures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range []struct {
		status   string
		refunded int64
		path     string
		key      string
		form     map[string]string
	}{
		{"requires_capture", 0, "/v1/payment_intents/pi_x/cancel", "release:dep-1:cancel", map[string]string{"cancellation_reason": "abandoned"}},
		{"requires_payment_method", 0, "/v1/payment_intents/pi_x/cancel", "release:dep-1:cancel", nil},
		{"succeeded", 0, "/v1/refunds", "release:dep-1:refund", map[string]string{"payment_intent": "pi_x", "amount": "1099"}},
		{"succeeded", 99, "/v1/refunds", "release:dep-1:refund", map[string]string{"amount": "1000"}},
		{"canceled", 0, "", "", nil},
		{"succeeded", 1099, "", "", nil},
	} {
		p, px := newProvider(t)
		px.status, px.refunded = c.status, c.refunded
		in, err := p.Release(ctx, "pi_x", 1099, payments.ReleaseKey("dep-1"))
		if err != nil {
			t.Fatalf("%s: %v", c.status, err)
		}
		posts := px.posts()
		if c.path == "" {
			if len(posts) != 0 {
				t.Fatalf("%s (refunded %d): released again: %+v", c.status, c.refunded, posts)
			}
			if !in.Released() {
				t.Fatalf("%s: intent %+v not released", c.status, in)
			}
			continue
		}
		if len(posts) != 1 || posts[0].Path != c.path || posts[0].IdempotencyKey != c.key {
			t.Fatalf("%s: requests %+v", c.status, posts)
		}
		for k, v := range c.form {
			if posts[0].Form.Get(k) != v {
				t.Errorf("%s: form %s = %q, want %q", c.status, k, posts[0].Form.Get(k), v)
			}
		}
		if c.path == "/v1/refunds" && (!strings.HasPrefix(in.RefundRef, "re_") || in.Refunded == c.refunded) {
			t.Fatalf("refund not reflected: %+v", in)
		}
	}
}

func TestIntentStatusMapping(t *testing.T) {
	t.Parallel()
	for status, want := range map[stripe.PaymentIntentStatus]string{
		stripe.PaymentIntentStatusRequiresPaymentMethod: payments.IntentOpen,
		stripe.PaymentIntentStatusRequiresConfirmation:  payments.IntentOpen,
		stripe.PaymentIntentStatusRequiresAction:        payments.IntentOpen,
		stripe.PaymentIntentStatusProcessing:            payments.IntentOpen,
		stripe.PaymentIntentStatusRequiresCapture:       payments.IntentAuthorized,
		stripe.PaymentIntentStatusSucceeded:             payments.IntentCaptured,
		stripe.PaymentIntentStatusCanceled:              payments.IntentCanceled,
	} {
		in := intentOf(&stripe.PaymentIntent{ID: "pi_1", Status: status, Amount: 500, Currency: "cny", Metadata: map[string]string{"deposit_id": "d"}})
		if in.Status != want || in.Currency != "CNY" || in.DepositID != "d" {
			t.Errorf("%s: %+v", status, in)
		}
	}
}

func signed(t *testing.T, payload, secret string) ([]byte, string) {
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(payload), Secret: secret})
	return sp.Payload, sp.Header
}

func TestVerifyEvent(t *testing.T) {
	t.Parallel()
	p := New(Config{WebhookSecret: "whsec_gavel"})
	event := func(id, typ, object string) string {
		return fmt.Sprintf(`{"id":%q,"object":"event","api_version":%q,"created":1790000000,"type":%q,"data":{"object":%s}}`, id, APIVersion, typ, object)
	}
	for _, c := range []struct {
		payload        string
		ref, depositID string
	}{
		{event("evt_1", "payment_intent.succeeded", `{"id":"pi_1","object":"payment_intent","metadata":{"deposit_id":"dep-1"}}`), "pi_1", "dep-1"},
		{event("evt_2", "charge.refunded", `{"id":"ch_1","object":"charge","payment_intent":"pi_2"}`), "pi_2", ""},
		{event("evt_3", "charge.expired", `{"id":"ch_1","object":"charge","payment_intent":{"id":"pi_3","object":"payment_intent"}}`), "pi_3", ""},
		{event("evt_4", "customer.created", `{"id":"cus_1","object":"customer"}`), "", ""},
	} {
		payload, header := signed(t, c.payload, "whsec_gavel")
		ev, err := p.VerifyEvent(payload, header)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Ref != c.ref || ev.DepositID != c.depositID || !strings.HasPrefix(ev.ID, "evt_") || !ev.Created.Equal(time.Unix(1_790_000_000, 0)) {
			t.Errorf("event %+v, want ref %q deposit %q", ev, c.ref, c.depositID)
		}
	}
	good := event("evt_5", "payment_intent.succeeded", `{"id":"pi_5","object":"payment_intent"}`)
	payload, header := signed(t, good, "whsec_other")
	if _, err := p.VerifyEvent(payload, header); !errors.Is(err, payments.ErrBadSignature) {
		t.Fatalf("wrong secret: %v", err)
	}
	old := strings.Replace(good, APIVersion, "2020-08-27", 1)
	payload, header = signed(t, old, "whsec_gavel")
	if _, err := p.VerifyEvent(payload, header); !errors.Is(err, payments.ErrBadSignature) {
		t.Fatalf("another API version: %v", err)
	}
	payload, header = signed(t, good, "whsec_gavel")
	if _, err := New(Config{}).VerifyEvent(payload, header); !errors.Is(err, payments.ErrBadSignature) {
		t.Fatalf("no webhook secret configured: %v", err)
	}
}

// Reconciliation reads Stripe's balance transactions of the period, with
// their sources expanded: a charge is reported under its PaymentIntent,
// with Stripe's amount, fee and net.
func TestBalanceTransactionsListsThePeriod(t *testing.T) {
	t.Parallel()
	p, px := newProvider(t)
	from, to := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	txns, err := p.BalanceTransactions(context.Background(), from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(txns) == 0 {
		t.Fatal("no balance transactions")
	}
	bt := txns[0]
	if !strings.HasPrefix(bt.ID, "txn_") || bt.Type == "" || bt.Net != bt.Amount-bt.Fee || bt.Currency == "" || bt.Reference == "" {
		t.Fatalf("balance transaction %+v", bt)
	}
	calls := px.calls()
	if len(calls) == 0 {
		t.Fatal("no request")
	}
	q, _ := url.ParseQuery(calls[0].Query)
	if calls[0].Method != http.MethodGet || calls[0].Path != "/v1/balance_transactions" || q.Get("created[gte]") != fmt.Sprint(from.Unix()) ||
		q.Get("created[lt]") != fmt.Sprint(to.Unix()) || q.Get("expand[0]") != "data.source" || calls[0].Version != APIVersion {
		t.Fatalf("request %+v", calls[0])
	}

	// A charge is known by its PaymentIntent, a refund by its own id.
	px.mu.Lock()
	px.sources = []map[string]any{
		{"id": "ch_1", "object": "charge", "payment_intent": "pi_deposit"},
		{"id": "re_1", "object": "refund", "payment_intent": "pi_deposit"},
	}
	px.mu.Unlock()
	if txns, err = p.BalanceTransactions(context.Background(), from, to); err != nil {
		t.Fatal(err)
	}
	if len(txns) != 2 || txns[0].Type != "charge" || txns[0].Reference != "pi_deposit" || txns[1].Type != "refund" || txns[1].Reference != "re_1" {
		t.Fatalf("balance transactions %+v", txns)
	}
}
