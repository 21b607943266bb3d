package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	noticepg "gavel/auction/notice/postgres"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
	"gavel/web"
)

// errorMessage is the message of an error answer.
func errorMessage(t *testing.T, r secResponse) string {
	t.Helper()
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("not an error body: %d %s", r.status, r.body)
	}
	return e.Error.Message
}

// A token that no longer works makes its bearer signed out, not refused:
// routes that need nobody answer as they would without it, and only routes
// that need a user refuse, with 401 unauthenticated saying why.
func TestStaleTokenIsSignedOut(t *testing.T) {
	t.Parallel()
	w := newSecWorld(t, false)
	bidder := w.users[roleBidder]
	revoked := w.token(bidder)
	if err := w.Store.RevokeToken(w.Ctx, revoked); err != nil {
		t.Fatal(err)
	}
	expired, _, err := w.Store.CreateToken(w.Ctx, bidder.ID, auction.TokenAPI, -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	const why = "the token is invalid, expired or revoked"
	a := w.a.ID
	for name, stale := range map[string]string{"unknown": "expired-token", "revoked": revoked, "expired": expired} {
		r := w.do(http.MethodPost, "/api/v1/auth/login", stale, fmt.Sprintf(`{"email":%q,"password":"correct horse battery"}`, bidder.Email))
		if r.status != http.StatusOK || !strings.Contains(r.body, `"token"`) {
			t.Errorf("%s token, login: %d %s", name, r.status, r.body)
		}
		r = w.do(http.MethodPost, "/api/v1/auth/signup", stale, fmt.Sprintf(
			`{"email":"stale-%s-%d@sec.example","password":"0123456789","real_name":"New Bidder","id_number":"%s","phone":"13600000000"}`, name, auctiontest.Next(), idn(fmt.Sprint("new", auctiontest.Next()))))
		if r.status != http.StatusCreated {
			t.Errorf("%s token, signup: %d %s", name, r.status, r.body)
		}
		for _, p := range []string{"/api/v1/auctions/" + a, "/api/v1/auctions/" + a + "/events", "/api/v1/auctions/" + a + "/bids", "/auctions/" + a} {
			if r := w.do(http.MethodGet, p, stale, ""); r.status != http.StatusOK {
				t.Errorf("%s token, GET %s: %d %s", name, p, r.status, r.body)
			}
		}
		if r := w.do(http.MethodGet, "/api/v1/nope", stale, ""); r.status != http.StatusNotFound || r.code != auction.ENotFound {
			t.Errorf("%s token, unknown route: %d %s", name, r.status, r.body)
		}
		r = w.do(http.MethodGet, "/api/v1/me", stale, "")
		if r.status != http.StatusUnauthorized || r.code != auction.EUnauthenticated || errorMessage(t, r) != why {
			t.Errorf("%s token, GET /api/v1/me: %d %s", name, r.status, r.body)
		}
	}

	// Every route: with a stale token, public routes never answer 401
	// unauthenticated, API routes that need a user answer it with the reason,
	// and pages send the visitor to sign in.
	table := routeTable(w.srv)
	for _, k := range secRouteKeys(w.srv.Echo()) {
		entry, ok := table[k]
		if !ok {
			continue
		}
		acc := entry.Access
		method, route, _ := strings.Cut(k, " ")
		r := w.do(method, w.path(route), "expired-token", "{}", "Idempotency-Key", "stale")
		switch {
		case r.status >= 500:
			t.Errorf("%s with a stale token: %d %s", k, r.status, r.body)
		case acc.Public && r.status == http.StatusUnauthorized && r.code == auction.EUnauthenticated:
			t.Errorf("public %s with a stale token: %d %s", k, r.status, r.body)
		case !acc.Public && entry.Page && !secLoginRedirect(r):
			t.Errorf("page %s with a stale token: %d, want a redirect to sign in", k, r.status)
		case !acc.Public && !entry.Page && (r.status != http.StatusUnauthorized || r.code != auction.EUnauthenticated || errorMessage(t, r) != why):
			t.Errorf("%s with a stale token: %d %s, want 401 unauthenticated: %s", k, r.status, r.body, why)
		}
	}
}

// The scheme is matched without regard to case (RFC 7235); an Authorization
// header that is not a bearer token leaves the request signed out, and routes
// that need a user say how to send one.
func TestAuthorizationHeaderForms(t *testing.T) {
	t.Parallel()
	w := newSecWorld(t, false)
	valid := w.tokens[roleBidder]
	get := func(path, auth string) secResponse {
		return w.do(http.MethodGet, path, "", "", "Authorization", auth)
	}
	for _, h := range []string{"Bearer " + valid, "bearer " + valid, "BEARER " + valid, "Bearer  " + valid} {
		if r := get("/api/v1/me", h); r.status != http.StatusOK || !strings.Contains(r.body, w.users[roleBidder].ID) {
			t.Errorf("%q: %d %s", h, r.status, r.body)
		}
	}
	const how = "use Authorization: Bearer <token>"
	for _, h := range []string{"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer" + valid, "Token " + valid, valid} {
		if r := get("/api/v1/auctions/"+w.a.ID, h); r.status != http.StatusOK {
			t.Errorf("%q on a public route: %d %s", h, r.status, r.body)
		}
		if r := get("/api/v1/nope", h); r.status != http.StatusNotFound || r.code != auction.ENotFound {
			t.Errorf("%q on an unknown route: %d %s", h, r.status, r.body)
		}
		r := get("/api/v1/me", h)
		if r.status != http.StatusUnauthorized || r.code != auction.EUnauthenticated || errorMessage(t, r) != how {
			t.Errorf("%q on a protected route: %d %s, want 401 unauthenticated: %s", h, r.status, r.body, how)
		}
	}
	// Without any credentials the refusal says to sign in.
	if r := w.do(http.MethodGet, "/api/v1/me", "", ""); r.status != http.StatusUnauthorized || r.code != auction.EUnauthenticated ||
		!strings.Contains(errorMessage(t, r), "sign in first") {
		t.Errorf("no credentials: %d %s", r.status, r.body)
	}
}

// A token that cannot be checked because the database does not answer fails
// the request (503), rather than letting it through signed out.
func TestTokenLookupFailureFails(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(context.Background(), "postgres://gavel@127.0.0.1:1/gavel?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := postgres.New(postgres.Config{Pool: pool, Clock: auction.SystemClock{}, Rulebook: auction.SPC2016})
	srv := web.New(web.Config{Store: store, Log: slog.New(slog.DiscardHandler), NoLimits: true, Notices: noticepg.New(pool, store.Clock())})
	get := func(auth string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		return rec
	}
	if rec := get(""); rec.Code != http.StatusOK {
		t.Fatalf("healthz without a token: %d %s", rec.Code, rec.Body)
	}
	rec := get("Bearer some-token")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), auction.EUnavailable) {
		t.Fatalf("healthz with a token the database cannot check: %d %s", rec.Code, rec.Body)
	}
}

// A draft is public through the API (API.md lists draft among the statuses
// of GET /auctions/{id}); the catalogue and the auction page still show only
// published auctions.
func TestDraftIsPublicInTheAPI(t *testing.T) {
	t.Parallel()
	w := newSecWorld(t, false)
	draft := w.Draft(w.Car(w.ids["case"], "车辆").ID, auction.RoundFirst, 7_000_000, w.Now().Add(20*24*time.Hour).Truncate(time.Second))
	for _, who := range []string{"", roleBidder, roleClerk} {
		base := "/api/v1/auctions/" + draft.ID
		r := w.do(http.MethodGet, base, w.tokens[who], "")
		var a map[string]any
		if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &a) != nil || a["status"] != auction.StatusDraft ||
			a["current_price"] != nil || a["leader_code"] != nil || a["seq"] != float64(0) {
			t.Errorf("GET %s as %q: %d %s", base, who, r.status, r.body)
		}
		if r := w.do(http.MethodGet, base+"/bids", w.tokens[who], ""); r.status != http.StatusOK || r.body != "{\"bids\":[]}\n" {
			t.Errorf("a draft's bids as %q: %d %s", who, r.status, r.body)
		}
		if r := w.do(http.MethodGet, base+"/events", w.tokens[who], ""); r.status != http.StatusOK || r.body != "{\"events\":[],\"more\":false}\n" {
			t.Errorf("a draft's events as %q: %d %s", who, r.status, r.body)
		}
		if r := w.do(http.MethodGet, base+"/record", w.tokens[who], ""); r.status != http.StatusOK || !strings.Contains(r.body, `"valid":true`) {
			t.Errorf("a draft's record as %q: %d %s", who, r.status, r.body)
		}
		for _, q := range []string{"", "?status=draft"} {
			if r := w.do(http.MethodGet, "/api/v1/auctions"+q, w.tokens[who], ""); r.status != http.StatusOK || strings.Contains(r.body, draft.ID) {
				t.Errorf("the catalogue%s as %q lists a draft: %d", q, who, r.status)
			}
		}
	}
	if r := w.do(http.MethodGet, "/auctions/"+draft.ID, "", ""); r.status != http.StatusNotFound {
		t.Errorf("a draft's page, signed out: %d", r.status)
	}
	if r := w.do(http.MethodGet, "/api/v1/auctions/00000000-0000-0000-0000-000000000000", "", ""); r.status != http.StatusNotFound || r.code != auction.ENotFound {
		t.Errorf("an unknown auction: %d %s", r.status, r.body)
	}
}

// A time that is not an RFC 3339 string is a field error naming the field,
// like every other value of the wrong type.
func TestTimeFieldErrors(t *testing.T) {
	t.Parallel()
	w := newSecWorld(t, false)
	clerk := w.tokens[roleClerk]
	path := "/api/v1/lots/" + w.ids["lot"] + "/auctions"
	body := func(startsAt, endsAt string) string {
		return fmt.Sprintf(`{"round":"first","start_price":70000000,"increment":100000,"deposit":7000000,"starts_at":%s,"ends_at":%s}`, startsAt, endsAt)
	}
	const rfc = ": must be an RFC 3339 time such as 2026-03-01T02:00:00Z"
	for _, tc := range []struct{ body, want string }{
		{body(`"tomorrow"`, `"2026-03-02T02:00:00Z"`), "starts_at" + rfc},
		{body(`12345`, `"2026-03-02T02:00:00Z"`), "starts_at" + rfc},
		{body(`true`, `"2026-03-02T02:00:00Z"`), "starts_at" + rfc},
		{body(`{}`, `"2026-03-02T02:00:00Z"`), "starts_at" + rfc},
		{body(`"2026-03-01T02:00:00Z"`, `"2026-03-02 02:00:00"`), "ends_at" + rfc},
		{body(`"2026-03-01T02:00:00Z"`, `"2026-13-02T02:00:00Z"`), "ends_at" + rfc},
		{`{"round":"first","start_price":"70000000","starts_at":"2026-03-01T02:00:00Z"}`, "start_price: must be a JSON int64"},
	} {
		r := w.do(http.MethodPost, path, clerk, tc.body)
		if r.status != http.StatusUnprocessableEntity || r.code != auction.EInvalidField || errorMessage(t, r) != tc.want {
			t.Errorf("%s: %d %s, want 422 invalid_field %q", tc.body, r.status, r.body, tc.want)
		}
	}
	// A broken body stays malformed JSON, whatever its times.
	for _, b := range []string{`{"starts_at":"tomorrow"`, `{"starts_at":"tomorrow",}`, `{"starts_at":"tomorrow","Round":"first"}`} {
		if r := w.do(http.MethodPost, path, clerk, b); r.status != http.StatusBadRequest || r.code != auction.EInvalidRequest {
			t.Errorf("%s: %d %s, want 400 invalid_request", b, r.status, r.body)
		}
	}
	// The test clock's time too.
	r := w.do(http.MethodPost, "/api/v1/test/clock", clerk, `{"set":"soon"}`)
	if r.status != http.StatusUnprocessableEntity || errorMessage(t, r) != "set"+rfc {
		t.Errorf("test clock set: %d %s", r.status, r.body)
	}
}

// JSON keys are case-sensitive: a key that is not exactly a field's name is an
// unknown field (400 invalid_request naming it), at any depth.
func TestJSONKeysAreExact(t *testing.T) {
	t.Parallel()
	w := newSecWorld(t, false)
	bidder := w.users[roleBidder]
	clerk := w.tokens[roleClerk]
	refused := func(method, path, token, body, key string, header ...string) {
		t.Helper()
		r := w.do(method, path, token, body, header...)
		if r.status != http.StatusBadRequest || r.code != auction.EInvalidRequest || !strings.Contains(errorMessage(t, r), fmt.Sprintf("unknown field %q", key)) {
			t.Errorf("%s %s: %d %s, want 400 invalid_request naming %q", path, body, r.status, r.body, key)
		}
	}
	login := "/api/v1/auth/login"
	refused(http.MethodPost, login, "", fmt.Sprintf(`{"EMAIL":%q,"Password":"correct horse battery"}`, bidder.Email), "EMAIL")
	refused(http.MethodPost, login, "", fmt.Sprintf(`{"email":%q,"Password":"correct horse battery"}`, bidder.Email), "Password")
	if r := w.do(http.MethodPost, login, "", fmt.Sprintf(`{"email":%q,"password":"correct horse battery"}`, bidder.Email)); r.status != http.StatusOK {
		t.Errorf("login with exact keys: %d %s", r.status, r.body)
	}

	cases := "/api/v1/cases"
	refused(http.MethodPost, cases, clerk, `{"Case_Number":"(2026)沪01执9001号","court_name":"上海市第一中级人民法院"}`, "Case_Number")
	refused(http.MethodPost, cases, clerk, `{"case_number":"(2026)沪01执9002号","court_name":"上海市第一中级人民法院","applicants":[{"name":"A","id_number":"11010519491231002X","claim":1},{"Name":"B","id_number":"11010519491231002X","claim":1}]}`, "Name")
	r := w.do(http.MethodPost, cases, clerk, `{"case_number":"(2026)沪01执9003号","court_name":"上海市第一中级人民法院","applicants":[{"name":"A","id_number":"11010519491231002X","claim":1}],"debtors":[{"name":"D","id_number":"110105198001010091"}]}`)
	if r.status != http.StatusCreated {
		t.Errorf("case with exact keys: %d %s", r.status, r.body)
	}

	bids := "/api/v1/auctions/" + w.a.ID + "/bids"
	refused(http.MethodPost, bids, w.tokens[roleBidder], `{"Amount":70300000}`, "Amount", "Idempotency-Key", "exact-1")
	refused(http.MethodPost, "/api/v1/auctions/"+w.a.ID+"/registrations", w.tokens[roleBidder], `{"Declared_Not_Staff":true}`, "Declared_Not_Staff")
	r = w.do(http.MethodPost, bids, w.tokens[roleBidder], `{"amount":70300000}`, "Idempotency-Key", "exact-2")
	if r.status != http.StatusCreated {
		t.Errorf("bid with exact keys: %d %s", r.status, r.body)
	}
}
