package api_test

import (
	"testing"
	"time"

	"gavel/auction"
)

// GET /deadlines lists a released deposit's refund with its rule, turns it
// overdue once 24 hours have passed, and refuses an unknown kind.
func TestDeadlinesAPI(t *testing.T) {
	t.Parallel()
	e := newMoneyEnv(t, false)
	a := e.AnnouncedCar("车辆")
	u := e.user(t, "dl", auction.RoleBidder)
	reg := e.Register(u, a.ID)
	if r := e.do(t, "POST", "/api/v1/deposits/"+reg.Deposit.ID+"/confirm", auction.RoleFinance, `{"reference":"BANK-DL-1"}`); r.status != 200 {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	e.TickAt(a.StartsAt)
	e.TickAt(a.EndsAt) // no bids: failed, the deposit released
	refund := func(role string) map[string]any {
		t.Helper()
		r := e.do(t, "GET", "/api/v1/deadlines?kind=refund", role, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", role, r.status, r.body)
		}
		for _, d := range r.json(t)["deadlines"].([]any) {
			if m := d.(map[string]any); m["deposit_id"] == reg.Deposit.ID {
				return m
			}
		}
		return nil
	}
	due := a.EndsAt.Add(24 * time.Hour).Format(time.RFC3339)
	for _, role := range []string{auction.RoleClerk, auction.RoleFinance} {
		if d := refund(role); d == nil || d["due_at"] != due || d["overdue"] != false || d["rule"] == "" || d["kind"] != "refund" {
			t.Fatalf("%s sees %v, want the refund due %s", role, d, due)
		}
	}
	e.Clock.Set(a.EndsAt.Add(24 * time.Hour))
	if d := refund(auction.RoleFinance); d == nil || d["overdue"] != true {
		t.Fatalf("after 24 h: %v", d)
	}
	// Every kind of the list is one of the four; the failed round's next
	// round is listed for the clerk.
	r := e.do(t, "GET", "/api/v1/deadlines", auction.RoleClerk, "").json(t)
	var reauction bool
	for _, d := range r["deadlines"].([]any) {
		m := d.(map[string]any)
		if m["kind"] == "reauction" && m["auction_id"] == a.ID {
			reauction = true
		}
	}
	if !reauction {
		t.Fatalf("the failed round's next round is not listed: %v", r)
	}
	if r := e.do(t, "GET", "/api/v1/deadlines?kind=soon", auction.RoleClerk, ""); r.status != 422 || r.code() != auction.EInvalidField {
		t.Fatalf("unknown kind: %d %s", r.status, r.body)
	}
}
