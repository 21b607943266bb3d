package postgres_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/casereport"
)

// Every delivery attempt is kept; the first 2xx marks the notification
// delivered; the body read for delivery is the same bytes every time.
func TestNotificationDeliveryHistory(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	w.Open(a)
	w.Close(a)
	ns, err := w.Store.CaseNotifications(w.Ctx, a.CaseID)
	if err != nil || len(ns) != 1 || ns[0].Type != casereport.NotifyAuctionFailed {
		t.Fatalf("notifications %+v %v", ns, err)
	}
	id := ns[0].ID
	body, err := w.Store.NotificationBody(w.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := w.Store.NotificationBody(w.Ctx, id)
	if !bytes.Equal(body, again) {
		t.Fatal("the body differs between reads")
	}
	var parsed map[string]any
	if err := json.Unmarshal(body, &parsed); err != nil || parsed["id"] != id || parsed["auction_id"] != a.ID {
		t.Fatalf("body %s: %v", body, err)
	}
	start := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	s500, s200 := 500, 200
	for i, at := range []casereport.DeliveryAttempt{
		{Status: &s500, Error: "the case system answered 500", StartedAt: start, DurationMS: 12},
		{Error: "no answer within 10s", StartedAt: start.Add(2 * time.Second), DurationMS: 10000},
		{Status: &s200, StartedAt: start.Add(10 * time.Second), DurationMS: 8},
		{Status: &s200, Manual: true, StartedAt: start.Add(time.Hour), DurationMS: 9},
	} {
		if err := w.Store.RecordDelivery(w.Ctx, id, at); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	n, err := w.Store.CaseNotification(w.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if n.Attempts != 4 || len(n.History) != 4 || n.DeliveredAt == nil || !n.DeliveredAt.Equal(start.Add(10*time.Second)) ||
		*n.LastStatus != 200 || n.LastError != "" {
		t.Fatalf("notification %+v", n)
	}
	for i, h := range n.History {
		if h.Attempt != i+1 {
			t.Fatalf("history %+v", n.History)
		}
	}
	if n.History[1].Status != nil || n.History[1].DurationMS != 10000 || !n.History[3].Manual || !n.History[0].StartedAt.Equal(start) {
		t.Fatalf("history %+v", n.History)
	}
	err = w.Store.RecordDelivery(w.Ctx, "00000000-0000-0000-0000-000000000000", casereport.DeliveryAttempt{StartedAt: start})
	wantCode(t, err, auction.ENotFound)
	_, err = w.Store.CaseNotification(w.Ctx, "nope")
	wantCode(t, err, auction.ENotFound)
	_, err = w.Store.CaseNotifications(w.Ctx, "00000000-0000-0000-0000-000000000000")
	wantCode(t, err, auction.ENotFound)
}

// A close's notification carries the webhook body of API.md: a fresh
// version 4 id, the case's number, and the time of the tick that closed the
// auction.
func TestCloseNotificationBody(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	c, err := w.Store.Case(w.Ctx, a.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	w.Open(a)
	w.Clock.Set(a.EndsAt.Add(90 * time.Second))
	closedAt := w.Clock.Now()
	w.Tick()
	ns, err := w.Store.CaseNotifications(w.Ctx, a.CaseID)
	if err != nil || len(ns) != 1 {
		t.Fatalf("notifications %+v %v", ns, err)
	}
	n := ns[0]
	var body map[string]any
	if err := json.Unmarshal(n.Body, &body); err != nil {
		t.Fatal(err)
	}
	if !uuidV4.MatchString(n.ID) || body["id"] != n.ID || body["type"] != casereport.NotifyAuctionFailed ||
		body["case_number"] != c.CaseNumber || body["auction_id"] != a.ID ||
		body["created_at"] != closedAt.Format(time.RFC3339Nano) || !n.CreatedAt.Equal(closedAt) {
		t.Fatalf("notification %s created %s: %s", n.ID, n.CreatedAt, n.Body)
	}
	events, _, _ := w.Store.Events(w.Ctx, a.ID, 0, 100)
	closed := events[len(events)-1]
	data, _ := body["data"].(map[string]any)
	if data["outcome"] != "failed" || data["lot_id"] != a.LotID || data["round"] != a.Round || data["record_hash"] != closed.Hash {
		t.Fatalf("notification data %v, closed event %+v", data, closed)
	}
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
