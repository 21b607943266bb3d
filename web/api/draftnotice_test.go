package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gavel/auction"
)

// Saving a draft whose start is inside the notice period (movable lot, first
// round: 15 calendar days) is allowed by API.md (201 on create, 200 on edit)
// but the answer names starts_at and the earliest legal start; publishing
// it is still refused with announcement_period_too_short. A start at the
// earliest legal one saves without a warning and publishes.
func TestSavedDraftNamesEarliestStart(t *testing.T) {
	t.Parallel()
	e := newMoneyEnv(t, false)
	e.Clock.Set(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
	c := e.Case(1_000_000)
	lot := e.Car(c.ID, "车辆")
	earliest := auction.SPC2016.EarliestStart(auction.RoundFirst, auction.CategoryMovable, e.Clock.Now()).UTC()
	body := func(start time.Time) string {
		return fmt.Sprintf(`{"round":"first","start_price":7000000,"increment":100000,"deposit":700000,"starts_at":%q,"ends_at":%q}`,
			start.Format(time.RFC3339), start.Add(24*time.Hour).Format(time.RFC3339))
	}
	early := earliest.Add(-time.Hour)
	r := e.do(t, "POST", "/api/v1/lots/"+lot.ID+"/auctions", auction.RoleClerk, body(early))
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	m := r.json(t)
	if m["status"] != "draft" || m["earliest_start"] != earliest.Format(time.RFC3339) {
		t.Fatalf("create answered %s, want earliest_start %s", r.body, earliest.Format(time.RFC3339))
	}
	warns, _ := m["warnings"].([]any)
	if len(warns) != 1 {
		t.Fatalf("warnings %v, want one", m["warnings"])
	}
	w := warns[0].(map[string]any)
	if w["field"] != "starts_at" || w["code"] != auction.EAnnouncementPeriodTooShort || !strings.Contains(w["message"].(string), earliest.Format(time.RFC3339)) {
		t.Errorf("warning %v", w)
	}
	id := m["id"].(string)
	if r := e.do(t, "POST", "/api/v1/auctions/"+id+"/publish", auction.RoleClerk, `{}`); r.status != 422 || !strings.Contains(string(r.body), auction.EAnnouncementPeriodTooShort) {
		t.Fatalf("publish of an early draft: %d %s", r.status, r.body)
	}
	// Edited to the earliest legal start: no warning, and it publishes.
	r = e.do(t, "PUT", "/api/v1/auctions/"+id, auction.RoleClerk, body(earliest))
	if r.status != 200 {
		t.Fatalf("edit: %d %s", r.status, r.body)
	}
	if m := r.json(t); len(m["warnings"].([]any)) != 0 || m["earliest_start"] != earliest.Format(time.RFC3339) {
		t.Errorf("edit answered %s", r.body)
	}
	// Edited back inside the notice period: the edit warns as the create did.
	r = e.do(t, "PUT", "/api/v1/auctions/"+id, auction.RoleClerk, body(early))
	if m := r.json(t); r.status != 200 || len(m["warnings"].([]any)) != 1 {
		t.Errorf("edit inside the notice period answered %d %s", r.status, r.body)
	}
	r = e.do(t, "PUT", "/api/v1/auctions/"+id, auction.RoleClerk, body(earliest))
	if r := e.do(t, "POST", "/api/v1/auctions/"+id+"/publish", auction.RoleClerk, `{}`); r.status != 200 {
		t.Fatalf("publish at the earliest start: %d %s", r.status, r.body)
	}
}
