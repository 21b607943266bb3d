package page_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gavel/auction"
)

// TestIdentityDesk: a clerk finds every account claiming a number however it
// is typed and verifies one through the page's form (the API call the page's
// script makes, with the session's CSRF token); the other claimant loses the
// number; the search is audited; an admin also sees the accounts the
// identity review flagged; a bidder may not open the desk.
func TestIdentityDesk(t *testing.T) {
	t.Parallel()
	w := pageSetup(t, "住宅")
	number := w.bidder.IDNumber
	var dupID string
	if err := w.Store.Pool().QueryRow(w.Ctx, `INSERT INTO users (email, password_hash, role, real_name, id_number, phone, created_at, id_issue)
		VALUES ('dup@example.test', 'x', 'bidder', '重复账户', $1, '1', now(), 'duplicate') RETURNING id`, number).Scan(&dupID); err != nil {
		t.Fatal(err)
	}
	clerk, csrf := w.signedIn(t, w.Clerk)
	typed := url.QueryEscape(strings.ToLower(number) + "\u200b")
	r := clerk.get("/clerk/identity?id_number=" + typed)
	if r.status != http.StatusOK || !strings.Contains(r.body, `data-user="`+w.bidder.ID+`"`) || !strings.Contains(r.body, `data-user="`+dupID+`"`) ||
		!strings.Contains(r.body, `data-api="/api/v1/users/`+dupID+`/verify"`) || strings.Contains(r.body, `id="issues"`) ||
		!strings.Contains(r.body, "重复") || strings.Contains(r.body, "identity.issue.") {
		t.Fatalf("clerk's search: %d %s", r.status, r.body)
	}
	if r := clerk.get("/clerk/identity?id_number=" + url.QueryEscape(strings.Repeat("1", 70))); r.status != http.StatusOK || !strings.Contains(r.body, `role="alert"`) {
		t.Fatalf("a number too long: %d", r.status)
	}
	var audited int
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT count(*) FROM audit_log WHERE action = 'GET /clerk/identity' AND actor_id = $1`, w.Clerk.ID).Scan(&audited); err != nil || audited != 1 {
		t.Fatalf("searches audited: %d %v", audited, err)
	}

	admin := w.User(auction.RoleAdmin, "")
	ab, _ := w.signedIn(t, admin)
	if r := ab.get("/clerk/identity"); r.status != http.StatusOK || !strings.Contains(r.body, `id="issues"`) || !strings.Contains(r.body, "dup@example.test") {
		t.Fatalf("admin's identity issues: %d %s", r.status, r.body)
	}

	// The page's verify form posts JSON with the session's CSRF token.
	body := strings.NewReader(`{"method":"desk","reference":"窗口 7"}`)
	req, _ := http.NewRequest(http.MethodPost, w.srv.URL+"/api/v1/users/"+dupID+"/verify", body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	res, err := clerk.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	_ = json.NewDecoder(res.Body).Decode(&v)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || v["verified"] != true {
		t.Fatalf("verify from the page: %d %v", res.StatusCode, v)
	}
	lost, err := w.Store.User(w.Ctx, w.bidder.ID)
	if err != nil || lost.IDNumber != "" || lost.IDClaimReleasedAt == nil {
		t.Fatalf("the other claimant: %+v %v", lost, err)
	}
	if r := ab.get("/clerk/identity"); strings.Contains(r.body, `id="issues"`) {
		t.Fatal("the resolved duplicate is still listed")
	}

	bidder, _ := w.signedIn(t, w.User(auction.RoleBidder, "desk"))
	if r := bidder.get("/clerk/identity"); r.status != http.StatusForbidden {
		t.Fatalf("a bidder at the desk: %d", r.status)
	}
}
