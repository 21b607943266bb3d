package jobs_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/casereport"
)

// receiver is a case system under test: it answers from a script, then 200.
type receiver struct {
	mu       sync.Mutex
	script   []func(w http.ResponseWriter)
	bodies   [][]byte
	headers  []string
	received chan struct{}
}

func newReceiver(t *testing.T, script ...func(w http.ResponseWriter)) (*receiver, string) {
	r := &receiver{script: script, received: make(chan struct{}, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n := len(r.bodies)
		r.bodies = append(r.bodies, body)
		r.headers = append(r.headers, req.Header.Get(casereport.SignatureHeader))
		r.mu.Unlock()
		r.received <- struct{}{}
		if n < len(r.script) {
			r.script[n](w)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return r, srv.URL
}

func (r *receiver) got() ([][]byte, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte{}, r.bodies...), append([]string{}, r.headers...)
}

func fail500(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) }

// waitDelivered waits until a notification of the case has been delivered
// attempts times.
func (e *env) waitNotification(t *testing.T, caseID, typ string, attempts int) casereport.CaseNotification {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ns, err := e.Store.CaseNotifications(e.Ctx, caseID)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			if n.Type == typ && n.Attempts >= attempts && n.DeliveredAt != nil {
				return n
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("notification %s not delivered in %d attempts: %+v", typ, attempts, ns)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A case system that fails twice (an error status, then no answer within
// the timeout) and then succeeds gets the same event three times: the same
// id, the same bytes, each validly signed; a receiver with the wrong secret
// can tell. Each attempt is in the delivery history.
func TestCaseWebhookRetriedUntilSuccess(t *testing.T) {
	t.Parallel()
	const secret = "case-secret"
	recv, url := newReceiver(t, fail500, func(w http.ResponseWriter) { time.Sleep(1500 * time.Millisecond) })
	e := newEnv(t, envOpts{caseURL: url, caseSecret: secret, caseTimeout: 500 * time.Millisecond})
	a := e.Announced("住宅")
	e.Open(a)
	e.Close(a) // no bids: auction.failed
	n := e.waitNotification(t, a.CaseID, casereport.NotifyAuctionFailed, 3)

	bodies, headers := recv.got()
	if len(bodies) != 3 {
		t.Fatalf("%d deliveries, want 3", len(bodies))
	}
	for i, b := range bodies {
		if !bytes.Equal(b, bodies[0]) {
			t.Fatalf("delivery %d differs from the first:\n%s\n%s", i+1, b, bodies[0])
		}
		if err := casereport.VerifySignature(secret, headers[i], b, time.Now(), 5*time.Minute); err != nil {
			t.Fatalf("delivery %d: signature %q: %v", i+1, headers[i], err)
		}
		if err := casereport.VerifySignature("not-the-secret", headers[i], b, time.Now(), 5*time.Minute); !errors.Is(err, casereport.ErrSignatureMismatch) {
			t.Fatalf("a receiver with the wrong secret accepted delivery %d: %v", i+1, err)
		}
	}
	var body map[string]any
	if err := json.Unmarshal(bodies[0], &body); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !equal(keys, []string{"auction_id", "case_number", "created_at", "data", "id", "type"}) {
		t.Fatalf("body keys %v", keys)
	}
	if body["id"] != n.ID || body["type"] != casereport.NotifyAuctionFailed || body["auction_id"] != a.ID {
		t.Fatalf("body %v, notification %s", body, n.ID)
	}
	if _, err := time.Parse(time.RFC3339, body["created_at"].(string)); err != nil {
		t.Fatalf("created_at: %v", err)
	}

	if len(n.History) != 3 || n.Attempts != 3 {
		t.Fatalf("history %+v", n.History)
	}
	if h := n.History[0]; h.Status == nil || *h.Status != 500 || h.Error == "" {
		t.Fatalf("attempt 1: %+v", h)
	}
	if h := n.History[1]; h.Status != nil || h.Error == "" {
		t.Fatalf("attempt 2 (no answer): %+v", h)
	}
	if h := n.History[2]; h.Status == nil || *h.Status != 204 || h.Error != "" {
		t.Fatalf("attempt 3: %+v", h)
	}
	for i := 1; i < 3; i++ {
		if gap := n.History[i].StartedAt.Sub(n.History[i-1].StartedAt); gap > 5*time.Second {
			t.Fatalf("retry %d came %s after the attempt before", i, gap)
		}
	}

	// A manual re-send delivers the same event again and says so.
	if err := e.jobs.ResendNotification(e.Ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	n = e.waitNotification(t, a.CaseID, casereport.NotifyAuctionFailed, 4)
	bodies, _ = recv.got()
	if len(bodies) != 4 || !bytes.Equal(bodies[3], bodies[0]) {
		t.Fatalf("re-send: %d deliveries", len(bodies))
	}
	if !n.History[3].Manual || n.History[2].Manual {
		t.Fatalf("history after re-send: %+v", n.History)
	}
	err := e.jobs.ResendNotification(e.Ctx, "00000000-0000-0000-0000-000000000000")
	wantCode(t, err, auction.ENotFound)
}

// Every outcome is notified: sold, settled, defaulted, deposit forfeited and
// proceeds remitted, each with the body of API.md.
func TestCaseWebhookOutcomes(t *testing.T) {
	t.Parallel()
	recv, url := newReceiver(t)
	e := newEnv(t, envOpts{caseURL: url, caseSecret: "s"})
	settled, defaulted := e.Announced("住宅"), e.Announced("住宅")
	buyer, defaulter := e.Bidder(), e.Bidder()
	for _, p := range []struct {
		u *auction.User
		a *auction.Auction
	}{{buyer, settled}, {defaulter, defaulted}} {
		e.Qualify(p.u, p.a.ID)
	}
	e.Open(settled)
	e.Bid(buyer, settled.ID, settled.StartPrice)
	e.Bid(defaulter, defaulted.ID, defaulted.StartPrice)
	e.Close(settled)
	if _, _, err := e.Store.RecordBalancePayment(e.Ctx, e.Finance.ID, settled.ID, settled.StartPrice-settled.Deposit, "BAL-1"); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(11 * 24 * time.Hour)
	e.Tick()
	if _, err := e.Store.Remit(e.Ctx, e.Finance.ID, settled.CaseID, settled.StartPrice, "REMIT-1"); err != nil {
		t.Fatal(err)
	}
	e.waitNotification(t, settled.CaseID, casereport.NotifyProceedsRemitted, 1)
	e.waitNotification(t, defaulted.CaseID, casereport.NotifyDepositForfeited, 1)
	e.settle(t)

	bodies, _ := recv.got()
	types := map[string]map[string]any{}
	for _, b := range bodies {
		var body map[string]any
		if err := json.Unmarshal(b, &body); err != nil {
			t.Fatal(err)
		}
		types[body["type"].(string)] = body
	}
	for _, typ := range []string{casereport.NotifyAuctionSold, casereport.NotifyAuctionSettled, casereport.NotifyAuctionDefaulted,
		casereport.NotifyDepositForfeited, casereport.NotifyProceedsRemitted} {
		if types[typ] == nil {
			t.Errorf("no %s delivered (got %d deliveries)", typ, len(bodies))
		}
	}
	r := types[casereport.NotifyProceedsRemitted]
	if r == nil {
		t.FailNow()
	}
	data := r["data"].(map[string]any)
	if r["auction_id"] != nil || data["amount"] != float64(settled.StartPrice) || data["reference"] != "REMIT-1" || data["balance"] != float64(0) {
		t.Fatalf("proceeds.remitted body %v", r)
	}
}

// Without a case system configured, notifications are recorded, not sent,
// and a re-send is refused.
func TestCaseWebhookNotConfigured(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	a := e.Announced("住宅")
	e.Open(a)
	e.Close(a)
	e.settle(t)
	ns, err := e.Store.CaseNotifications(e.Ctx, a.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 1 || ns[0].Type != casereport.NotifyAuctionFailed || ns[0].Attempts != 0 || ns[0].DeliveredAt != nil {
		t.Fatalf("notifications %+v", ns)
	}
	if n := e.jobCount(t, "case_webhook"); n != 0 {
		t.Fatalf("%d delivery jobs without a case system", n)
	}
	wantCode(t, e.jobs.ResendNotification(e.Ctx, ns[0].ID), auction.EInvalidState)
}
