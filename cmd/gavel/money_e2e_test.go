package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/casereport"
	"gavel/payments"
	"gavel/payments/stripe/stripemock"
)

// caseSystem is the court's case-management system as a test plays it.
type caseSystem struct {
	mu     sync.Mutex
	bodies [][]byte
	sigs   []string
}

func (c *caseSystem) received() ([][]byte, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte{}, c.bodies...), append([]string{}, c.sigs...)
}

// waitFor waits until the case system has received an event of type typ
// n times, and returns the bodies of that type.
func (c *caseSystem) waitFor(t *testing.T, typ string, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var got []map[string]any
		bodies, _ := c.received()
		for _, b := range bodies {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if m["type"] == typ {
				got = append(got, m)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the case system received %d %s, want %d", len(got), typ, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// `gavel serve --case-webhook-url --case-webhook-secret`: a sale is pushed
// to the case system signed, finance remits the proceeds and the case
// system hears of it, staff see the delivery history and re-send.
func TestE2ECaseWebhooksAndRemittance(t *testing.T) {
	t.Parallel()
	const secret = "e2e-case-secret"
	cs := &caseSystem{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		cs.mu.Lock()
		cs.bodies = append(cs.bodies, b)
		cs.sigs = append(cs.sigs, r.Header.Get(casereport.SignatureHeader))
		cs.mu.Unlock()
	}))
	defer recv.Close()
	s := newServer(t, func(m *Main) {
		m.Config.CaseWebhookURL = recv.URL
		m.Config.CaseWebhookSecret = secret
	})
	a := s.auction(t, lotSpec{})
	buyer, _ := s.bidder(t, "")
	s.qualify(t, buyer, a.ID)
	s.setClock(t, a.StartsAt)
	wantStatus(t, s.bid(t, buyer, a.ID, a.StartPrice), 201)
	s.setClock(t, a.EndsAt)

	sold := cs.waitFor(t, casereport.NotifyAuctionSold, 1)[0]
	if sold["auction_id"] != a.ID || sold["case_number"] == "" || sold["data"].(map[string]any)["hammer_price"] != float64(a.StartPrice) {
		t.Fatalf("auction.sold body %v", sold)
	}
	bodies, sigs := cs.received()
	for i := range bodies {
		if err := casereport.VerifySignature(secret, sigs[i], bodies[i], time.Now(), 5*time.Minute); err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}

	r := s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/balance-payments", s.finance, map[string]any{"amount": a.StartPrice - a.Deposit, "reference": "BAL-E2E"})
	wantStatus(t, r, 201)
	cs.waitFor(t, casereport.NotifyAuctionSettled, 1)
	r = s.do(t, "POST", "/api/v1/cases/"+a.CaseID+"/remittances", s.finance, map[string]any{"amount": a.StartPrice, "reference": "REMIT-E2E"})
	wantStatus(t, r, 201)
	remitted := cs.waitFor(t, casereport.NotifyProceedsRemitted, 1)[0]
	if remitted["auction_id"] != nil || remitted["data"].(map[string]any)["reference"] != "REMIT-E2E" {
		t.Fatalf("proceeds.remitted body %v", remitted)
	}

	// The receiver has the bodies; the attempts are recorded right after.
	var list struct {
		Notifications []struct {
			ID          string     `json:"id"`
			Type        string     `json:"type"`
			DeliveredAt *time.Time `json:"delivered_at"`
			History     []struct {
				Status *int `json:"status"`
			} `json:"history"`
		} `json:"notifications"`
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		r = s.do(t, "GET", "/api/v1/cases/"+a.CaseID+"/notifications", s.clerk, nil)
		wantStatus(t, r, 200)
		r.decode(t, &list)
		delivered := 0
		for _, n := range list.Notifications {
			if n.DeliveredAt != nil && len(n.History) == 1 && n.History[0].Status != nil && *n.History[0].Status == 200 {
				delivered++
			}
		}
		if len(list.Notifications) == 3 && delivered == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery history: %s", r.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var soldID string
	for _, n := range list.Notifications {
		if n.Type == casereport.NotifyAuctionSold {
			soldID = n.ID
		}
	}
	wantStatus(t, s.do(t, "POST", "/api/v1/case-notifications/"+soldID+"/resend", s.auditor, nil), 403)
	wantStatus(t, s.do(t, "POST", "/api/v1/case-notifications/"+soldID+"/resend", s.clerk, nil), 202)
	again := cs.waitFor(t, casereport.NotifyAuctionSold, 2)
	if again[1]["id"] != again[0]["id"] {
		t.Fatalf("a re-send changed the event id: %v then %v", again[0]["id"], again[1]["id"])
	}

	r = s.do(t, "GET", "/api/v1/reconciliation?from=2026-01-01", s.auditor, nil)
	wantStatus(t, r, 200)
	if ok := r.object(t)["ok"]; ok != true {
		t.Fatalf("reconciliation after a clean sale: %s", r.body)
	}
}

// With STRIPE_SECRET_KEY (here against stripe-mock), a registration answers
// the PaymentIntent's client_secret for Stripe.js, and the webhook endpoint
// refuses unsigned events.
func TestE2EStripeRegistration(t *testing.T) {
	t.Parallel()
	mock := stripemock.Start(t)
	s := newServer(t, func(m *Main) {
		m.Config.StripeSecretKey = "sk_test_gavele2e"
		m.Config.StripeWebhookKey = "whsec_gavel_e2e"
		m.Config.StripeAPIBase = mock
	})
	a := s.auction(t, lotSpec{})
	who, _ := s.bidder(t, "")
	r := s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/registrations", who, map[string]any{})
	wantStatus(t, r, 201)
	var reg auction.Registration
	r.decode(t, &reg)
	if reg.Deposit.Provider != payments.ProviderStripe || !strings.Contains(reg.Deposit.ClientSecret, "_secret_") || reg.Status != auction.RegistrationPending {
		t.Fatalf("stripe registration %s", r.body)
	}
	wantError(t, s.do(t, "POST", "/api/v1/webhooks/stripe", nil, map[string]any{"id": "evt_1"}, apiHeader{"Stripe-Signature", "t=1,v1=00"}),
		400, auction.EInvalidRequest)
}
