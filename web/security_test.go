package web_test

import (
	"encoding/json"
	"fmt"
	"gavel/web/limit"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gavel/auction"
	"gavel/web"
)

// doFrom sends a request from a given peer address.
func (w *secWorld) doFrom(peer, method, path, token, body string, header ...string) secResponse {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = peer
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	w.srv.Handler().ServeHTTP(rec, req)
	r := secResponse{status: rec.Code, body: rec.Body.String(), header: rec.Header()}
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &e) == nil {
		r.code = e.Error.Code
	}
	return r
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	w := newSecWorld(t, false)
	for _, tc := range []struct {
		name, path, token string
		header            []string
		csp, hsts         string
		noStore           bool
	}{
		{name: "public API", path: "/api/v1/auctions/" + w.a.ID, csp: web.APICSP},
		{name: "unknown route", path: "/api/v1/nope", csp: web.APICSP},
		{name: "signed in", path: "/api/v1/me", token: w.tokens[roleBidder], csp: web.APICSP, noStore: true},
		{name: "behind TLS", path: "/api/v1/auctions", header: []string{"X-Forwarded-Proto", "https"}, csp: web.APICSP,
			hsts: "max-age=63072000; includeSubDomains"},
		{name: "bad token", path: "/api/v1/me", header: []string{"Authorization", "Bearer nope"}, csp: web.APICSP, noStore: true},
	} {
		r := w.do(http.MethodGet, tc.path, tc.token, "", tc.header...)
		h := r.header
		if h.Get("Content-Security-Policy") != tc.csp || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", tc.name, h.Get("Content-Security-Policy"))
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("%s: headers %v", tc.name, h)
		}
		if h.Get("Strict-Transport-Security") != tc.hsts {
			t.Errorf("%s: HSTS %q, want %q", tc.name, h.Get("Strict-Transport-Security"), tc.hsts)
		}
		if tc.noStore != (h.Get("Cache-Control") == "no-store") {
			t.Errorf("%s: Cache-Control %q", tc.name, h.Get("Cache-Control"))
		}
	}
}

func TestRateLimitsHTTP(t *testing.T) {
	t.Parallel()
	w := newSecWorld(t, true)
	const office = "203.0.113.50:4000"

	// 60 sign-ups a minute from one address are allowed (a few real
	// accounts, the rest refused by validation: each counts). The sign-in
	// floor is the same limiter shape, proven at 60 a minute for an hour in
	// TestSignupAndLoginLimitsAllowSixtyPerMinute; here a few prove the wiring
	// (each sign-in costs a password hash, real or not).
	for i := 0; i < 60; i++ {
		body := `{}`
		if i < 5 {
			body = fmt.Sprintf(`{"email":"office%d@sec.example","password":"correct horse battery","real_name":"Office Person","id_number":"%s","phone":"1360000%04d"}`, i, idn(fmt.Sprint("OFF-", i)), i)
		}
		if r := w.doFrom(office, http.MethodPost, "/api/v1/auth/signup", "", body); r.status == http.StatusTooManyRequests || r.status >= 500 {
			t.Fatalf("sign-up %d from one address: %d %s", i, r.status, r.code)
		}
	}
	for i := 0; i < 15; i++ {
		body := fmt.Sprintf(`{"email":"office%d@sec.example","password":"correct horse battery"}`, i%5)
		if i >= 5 {
			body = fmt.Sprintf(`{"email":"nobody%d@sec.example","password":"wrong password"}`, i)
		}
		r := w.doFrom(office, http.MethodPost, "/api/v1/auth/login", "", body)
		if r.status == http.StatusTooManyRequests || (i < 5 && r.status != http.StatusOK) {
			t.Fatalf("sign-in %d from one address: %d %s", i, r.status, r.code)
		}
	}
	// A script signing up without pause is stopped, with Retry-After; another
	// address is not.
	var r secResponse
	for i := 0; i < 200 && r.status != http.StatusTooManyRequests; i++ {
		r = w.doFrom(office, http.MethodPost, "/api/v1/auth/signup", "", `{}`)
	}
	if r.status != http.StatusTooManyRequests || r.code != auction.ERateLimited || r.header.Get("Retry-After") == "" {
		t.Fatalf("flood of sign-ups: %d %s Retry-After %q", r.status, r.code, r.header.Get("Retry-After"))
	}
	if r := w.doFrom("198.51.100.77:1", http.MethodPost, "/api/v1/auth/signup", "", `{}`); r.status == http.StatusTooManyRequests {
		t.Fatal("another address is limited too")
	}

	// Repeated failures slow down sign-in to that account from the guessing
	// address only: the owner, elsewhere, signs in with the right password
	// (a stranger cannot lock a bidder out before the close).
	victim := `{"email":"office1@sec.example","password":"%s"}`
	const guesser, owner = "192.0.2.10:1", "198.51.100.20:1"
	for i := 0; i <= limit.LoginFreeFailures; i++ {
		if r := w.doFrom(guesser, http.MethodPost, "/api/v1/auth/login", "", fmt.Sprintf(victim, "guess"+fmt.Sprint(i))); r.code != auction.EInvalidCredentials {
			t.Fatalf("failure %d: %d %s", i, r.status, r.code)
		}
	}
	r = w.doFrom(guesser, http.MethodPost, "/api/v1/auth/login", "", fmt.Sprintf(victim, "correct horse battery"))
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" {
		t.Fatalf("the guessing address after %d failures: %d %s Retry-After %q", limit.LoginFreeFailures+1, r.status, r.code, r.header.Get("Retry-After"))
	}
	if r := w.doFrom(owner, http.MethodPost, "/api/v1/auth/login", "", fmt.Sprintf(victim, "correct horse battery")); r.status != http.StatusOK {
		t.Fatalf("the owner at another address: %d %s", r.status, r.code)
	}
	// Guesses spread over many addresses slow down new addresses, not the
	// owner's known one.
	for i := 0; i <= limit.LoginAccountFreeFailures; i++ {
		w.doFrom(fmt.Sprintf("10.%d.%d.1:1", i/200, i%200), http.MethodPost, "/api/v1/auth/login", "", fmt.Sprintf(victim, "spread"))
	}
	if r := w.doFrom("10.99.99.1:1", http.MethodPost, "/api/v1/auth/login", "", fmt.Sprintf(victim, "correct horse battery")); r.status != http.StatusTooManyRequests {
		t.Fatalf("a new address during a spread attack: %d %s", r.status, r.code)
	}
	if r := w.doFrom(owner, http.MethodPost, "/api/v1/auth/login", "", fmt.Sprintf(victim, "correct horse battery")); r.status != http.StatusOK {
		t.Fatalf("the owner's known address during a spread attack: %d %s", r.status, r.code)
	}
	if r := w.doFrom(guesser, http.MethodPost, "/api/v1/auth/login", "", `{"email":"office2@sec.example","password":"correct horse battery"}`); r.status != http.StatusOK {
		t.Fatalf("another account from the guessing address: %d %s", r.status, r.code)
	}

	// Bids and public reads are never limited per address: four bidders
	// behind one address outbid each other 200 times.
	bidders := []string{w.tokens[roleBidder], w.token(w.secrets[0]), w.token(w.secrets[1])}
	fourth := w.person("Fourth Bidder", "FOURTH-1", "13500000004")
	w.Qualify(fourth, w.a.ID)
	bidders = append(bidders, w.token(fourth))
	cur, err := w.Store.Auction(w.Ctx, w.a.ID)
	if err != nil {
		t.Fatal(err)
	}
	price := *cur.CurrentPrice
	start := 0 // the walker does not lead
	for i := 0; i < 200; i++ {
		price += w.a.Increment
		tok := bidders[(start+i)%len(bidders)]
		r := w.doFrom(office, http.MethodPost, "/api/v1/auctions/"+w.a.ID+"/bids", tok, fmt.Sprintf(`{"amount":%d}`, price),
			"Idempotency-Key", fmt.Sprintf("office-%d", i))
		if r.status != http.StatusCreated {
			t.Fatalf("bid %d from the shared address: %d %s", i, r.status, r.code)
		}
	}
	for i := 0; i < 300; i++ {
		if r := w.doFrom(office, http.MethodGet, "/api/v1/auctions/"+w.a.ID, "", ""); r.status != http.StatusOK {
			t.Fatalf("public read %d: %d %s", i, r.status, r.code)
		}
	}
	// One account firing bids without pause is stopped.
	r = secResponse{}
	for i := 0; i < 400 && r.status != http.StatusTooManyRequests; i++ {
		r = w.doFrom(office, http.MethodPost, "/api/v1/auctions/"+w.a.ID+"/bids", bidders[0], `{"amount":1}`, "Idempotency-Key", fmt.Sprintf("flood-%d", i))
	}
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("bid flood from one account: %d %s", r.status, r.code)
	}
}

func TestNoLimitsHTTP(t *testing.T) {
	t.Parallel()
	w := newSecWorld(t, false)
	for i := 0; i < 300; i++ {
		if r := w.doFrom("203.0.113.60:1", http.MethodPost, "/api/v1/auth/signup", "", `{}`); r.status == http.StatusTooManyRequests {
			t.Fatalf("sign-up %d refused with --no-limits", i)
		}
	}
	for i := 0; i < 300; i++ {
		if r := w.doFrom("203.0.113.60:1", http.MethodPost, "/api/v1/auctions/"+w.a.ID+"/bids", w.tokens[roleBidder], `{"amount":1}`,
			"Idempotency-Key", fmt.Sprintf("nl-%d", i)); r.status == http.StatusTooManyRequests {
			t.Fatalf("bid %d refused with --no-limits", i)
		}
	}
}

func TestInterceptionsHTTP(t *testing.T) {
	t.Parallel()
	w := newSecWorld(t, false)
	listed := w.person("Listed Debtor", "110105198001010091", "13600000009")
	tok := w.token(listed)
	csv := "name,id_number,case_number\nListed Debtor,110105198001010091,(2025)京01执9号\n"
	req := httptest.NewRequest(http.MethodPost, "/api/v1/blacklist", strings.NewReader(csv))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+w.tokens[roleClerk])
	rec := httptest.NewRecorder()
	w.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("import: %d %s", rec.Code, rec.Body)
	}

	// The client's address: a peer on the internet cannot choose it with
	// X-Forwarded-For; a proxy on a private network can tell it.
	r := w.doFrom("203.0.113.5:999", http.MethodPost, "/api/v1/auctions/"+w.a.ID+"/registrations", tok, `{"declared_not_staff":true}`,
		"X-Forwarded-For", "10.9.9.9")
	if r.status != http.StatusForbidden || r.code != auction.EBidderRestricted {
		t.Fatalf("listed registration: %d %s", r.status, r.code)
	}
	r = w.doFrom("10.0.0.2:999", http.MethodPost, "/api/v1/auctions/"+w.a.ID+"/registrations", tok, `{}`,
		"X-Forwarded-For", "198.51.100.33")
	if r.code != auction.EBidderRestricted {
		t.Fatalf("listed registration through a proxy: %d %s", r.status, r.code)
	}

	r = w.do(http.MethodGet, "/api/v1/interceptions?auction_id="+w.a.ID, w.tokens[roleClerk], "")
	var got struct {
		Interceptions []struct {
			Stage    string `json:"stage"`
			IDNumber string `json:"id_number"`
			IP       string `json:"ip"`
		} `json:"interceptions"`
	}
	if err := json.Unmarshal([]byte(r.body), &got); err != nil || r.status != http.StatusOK || len(got.Interceptions) != 2 {
		t.Fatalf("interceptions: %d %s", r.status, r.body)
	}
	if i := got.Interceptions[0]; i.Stage != "registration" || i.IDNumber != "110105198001010091" || i.IP != "203.0.113.5" {
		t.Errorf("first interception: %+v", i)
	}
	if i := got.Interceptions[1]; i.IP != "198.51.100.33" {
		t.Errorf("second interception's address: %+v", i)
	}
	if strings.Contains(r.body, "bidder_code") {
		t.Error("interceptions name a bidder code")
	}
	if r := w.do(http.MethodGet, "/api/v1/interceptions", w.tokens[roleBidder], ""); r.status != http.StatusForbidden {
		t.Errorf("a bidder reads interceptions: %d", r.status)
	}

	// Taken off the list, the person registers.
	if r := w.do(http.MethodPost, "/api/v1/blacklist/remove", w.tokens[roleClerk], `{"id_numbers":["110105198001010091"]}`); r.status != http.StatusOK {
		t.Fatalf("remove: %d %s", r.status, r.body)
	}
	if r := w.do(http.MethodPost, "/api/v1/auctions/"+w.a.ID+"/registrations", tok, `{}`); r.status != http.StatusCreated {
		t.Fatalf("after removal: %d %s", r.status, r.body)
	}
}

func TestAuditTrailHTTP(t *testing.T) {
	t.Parallel()
	w := newSecWorld(t, false)
	before, err := w.Store.AuditLog(w.Ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	peer := "198.51.100.140:5"
	ok := w.doFrom(peer, http.MethodPost, "/api/v1/cases", w.tokens[roleClerk],
		`{"case_number":"(2026)沪01执audit号","court_name":"上海市第一中级人民法院","applicants":[],"debtors":[]}`)
	refused := w.doFrom(peer, http.MethodPost, "/api/v1/cases", w.tokens[roleClerk], `{"case_number":""}`)
	// A bidder's actions are not staff actions.
	w.doFrom(peer, http.MethodPost, "/api/v1/auctions/"+w.a.ID+"/bids", w.tokens[roleBidder], `{"amount":1}`, "Idempotency-Key", "audit-1")
	if ok.status != http.StatusCreated || refused.status != http.StatusUnprocessableEntity {
		t.Fatalf("requests: %d, %d", ok.status, refused.status)
	}

	r := w.do(http.MethodGet, fmt.Sprintf("/api/v1/audit?since=%d", before.HeadSeq), w.tokens[roleAuditor], "")
	var page struct {
		Entries []struct {
			Seq       int64          `json:"seq"`
			ActorID   string         `json:"actor_id"`
			ActorRole string         `json:"actor_role"`
			Action    string         `json:"action"`
			Status    int            `json:"status"`
			IP        string         `json:"ip"`
			Detail    map[string]any `json:"detail"`
		} `json:"entries"`
		Valid bool `json:"valid"`
	}
	if err := json.Unmarshal([]byte(r.body), &page); err != nil || r.status != http.StatusOK || !page.Valid {
		t.Fatalf("audit: %d %s", r.status, r.body)
	}
	if len(page.Entries) != 4 {
		t.Fatalf("want attempt and outcome of two staff actions, got %d entries: %s", len(page.Entries), r.body)
	}
	wantStatus := []int{0, 201, 0, 422}
	for i, e := range page.Entries {
		phase := map[bool]string{true: "attempt", false: "outcome"}[i%2 == 0]
		if e.ActorID != w.users[roleClerk].ID || e.ActorRole != roleClerk || e.Action != "POST /api/v1/cases" || e.IP != "198.51.100.140" ||
			e.Status != wantStatus[i] || e.Detail["phase"] != phase {
			t.Errorf("entry %d: %+v", i, e)
		}
	}
	if page.Entries[3].Detail["error"] != auction.EInvalidField {
		t.Errorf("refused action's outcome names no error: %+v", page.Entries[3])
	}
	if strings.Contains(r.body, "上海市") {
		t.Error("the audit log copies request bodies")
	}
	for _, role := range []string{roleClerk, roleFinance, roleBidder} {
		if r := w.do(http.MethodGet, "/api/v1/audit", w.tokens[role], ""); r.status != http.StatusForbidden {
			t.Errorf("%s reads the audit log: %d", role, r.status)
		}
	}
}

func TestDeviceCookieAndSignalsHTTP(t *testing.T) {
	t.Parallel()
	w := newSecWorld(t, false)
	cookieOf := func(r secResponse) string {
		for _, c := range (&http.Response{Header: r.header}).Cookies() {
			if c.Name == web.DeviceCookie {
				if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
					t.Errorf("device cookie attributes: %+v", c)
				}
				return c.Value
			}
		}
		return ""
	}
	// Browsers get a device cookie on a page and at sign-in; static files
	// (which caches share) and API reads never set one.
	if cookieOf(w.do(http.MethodGet, "/", "", "", "Accept", "text/html,application/xhtml+xml")) == "" {
		t.Error("a page load sets no device cookie")
	}
	if c := cookieOf(w.do(http.MethodGet, "/static/app.js", "", "", "Accept", "*/*")); c != "" {
		t.Error("a static file sets a device cookie")
	}
	if c := cookieOf(w.do(http.MethodGet, "/api/v1/auctions/"+w.a.ID, "", "")); c != "" {
		t.Error("an API read sets a device cookie")
	}
	device := cookieOf(w.do(http.MethodPost, "/api/v1/auth/login", "", `{"email":"nobody@sec.example","password":"wrong password"}`))
	if device == "" {
		t.Fatal("sign-in sets no device cookie")
	}

	// The walker and X bid from one browser on one address.
	cur, err := w.Store.Auction(w.Ctx, w.a.ID)
	if err != nil {
		t.Fatal(err)
	}
	price := *cur.CurrentPrice
	for i, tok := range []string{w.tokens[roleBidder], w.token(w.secrets[0]), w.tokens[roleBidder]} {
		price += w.a.Increment
		r := w.doFrom("203.0.113.77:1", http.MethodPost, "/api/v1/auctions/"+w.a.ID+"/bids", tok, fmt.Sprintf(`{"amount":%d}`, price),
			"Idempotency-Key", fmt.Sprintf("dev-%d", i), "Cookie", web.DeviceCookie+"="+device)
		if r.status != http.StatusCreated {
			t.Fatalf("bid %d: %d %s", i, r.status, r.body)
		}
	}
	w.TickAt(w.a.EndsAt)
	r := w.do(http.MethodGet, "/api/v1/auctions/"+w.a.ID+"/signals", w.tokens[roleClerk], "")
	var got struct {
		Signals []struct {
			Kind        string   `json:"kind"`
			Value       string   `json:"value"`
			BidderCodes []string `json:"bidder_codes"`
		} `json:"signals"`
	}
	if err := json.Unmarshal([]byte(r.body), &got); err != nil || r.status != http.StatusOK {
		t.Fatalf("signals: %d %s", r.status, r.body)
	}
	kinds := map[string]int{}
	for _, s := range got.Signals {
		kinds[s.Kind] = len(s.BidderCodes)
		if s.Kind == "shared_device" && strings.Contains(device, s.Value) {
			t.Error("the signal shows the device cookie itself")
		}
	}
	if kinds["shared_ip"] != 2 || kinds["shared_device"] != 2 {
		t.Fatalf("signals: %s", r.body)
	}
	if r := w.do(http.MethodGet, "/api/v1/auctions/"+w.a.ID+"/signals", w.tokens[roleBidder], ""); r.status != http.StatusForbidden {
		t.Errorf("a bidder reads signals: %d", r.status)
	}
}
