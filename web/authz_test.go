package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	noticepg "gavel/auction/notice/postgres"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
	"gavel/migrations/dbtest"
	"gavel/web"
)

// Roles, short.
const (
	roleBidder  = auction.RoleBidder
	roleClerk   = auction.RoleClerk
	roleFinance = auction.RoleFinance
	roleAuditor = auction.RoleAuditor
	roleAdmin   = auction.RoleAdmin
)

// endsSession are the routes that revoke the caller's token: each call
// gets a token of its own.
var endsSession = map[string]bool{
	"POST /api/v1/auth/logout": true,
	"POST /logout":             true,
}

// confidentialityExempt are the answers that may name a bidder before the
// close, and why. Each must leave a line in the audit log.
var confidentialityExempt = map[string]string{
	"GET /api/v1/deposits/:id/payer": "finance matches a bank transfer to a deposit (audited)",
	"GET /finance/auctions/:id":      "the finance desk names who paid each deposit (audited per deposit)",
}

// secWorld is a running auction seen through the web server: two bidders
// whose secIdentities must stay secret until the close, and one account per role.
type secWorld struct {
	*auctiontest.World
	srv     *web.Server
	logs    *secLog
	users   map[string]*auction.User
	tokens  map[string]string
	secrets []*auction.User
	// ids by kind: case, lot, auction, deposit, document.
	ids map[string]string
	a   *auction.Auction
}

// secLog collects what the server logs, to scan it too.
type secLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *secLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *secLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// newSecWorld builds the world (auctiontest.World) on the shared test
// clock, as `serve --test-clock` runs; limits off unless withLimits.
func newSecWorld(t testing.TB, withLimits bool) *secWorld {
	t.Helper()
	pool, _ := dbtest.Pool(t)
	clock, err := postgres.NewTestClock(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(clock.Close)
	w := &secWorld{World: auctiontest.NewWorld(t, pool, auctiontest.WithSharedClock(clock), auctiontest.WithQuickAccounts()),
		logs: &secLog{}, users: map[string]*auction.User{}, tokens: map[string]string{}, ids: map[string]string{}}
	w.Court = "上海市第一中级人民法院"
	w.srv = web.New(web.Config{Store: w.Store, Notices: noticepg.New(pool, clock), Log: slog.New(slog.NewJSONHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		TestClock: clock, NoLimits: !withLimits, Ticker: func(ctx context.Context) error { _, err := w.Store.Tick(ctx); return err }})
	w.users[roleClerk], w.users[roleFinance] = w.Clerk, w.Finance
	for _, role := range []string{roleAuditor, roleAdmin} {
		w.users[role] = w.User(role, "")
	}
	// The bidder walking the routes: a bidder like the secret ones.
	w.users[roleBidder] = w.person("Walker Bidder", "WALKER-ID-0001", "13800000001")
	for _, role := range []string{roleClerk, roleFinance, roleAuditor, roleAdmin, roleBidder} {
		w.tokens[role] = w.token(w.users[role])
	}
	w.secrets = []*auction.User{
		w.person("Xenia Secretname", "SECRET-ID-X-4471", "13911110001"),
		w.person("Yusuf Hiddenname", "SECRET-ID-Y-5582", "13922220002"),
	}

	c := w.Case(1)
	lot := w.Lot(c.ID, "住宅", 100_000_000)
	if _, err := w.Store.AddPriorityHolder(w.Ctx, lot.ID, auction.NewPriorityHolder{Name: "Tenant Holder", IDNumber: idn("HOLDER-1"), Rank: 1}); err != nil {
		t.Fatal(err)
	}
	doc, err := w.Store.AddDocument(w.Ctx, lot.ID, "photo", "front.png", "image/png", secPNG)
	if err != nil {
		t.Fatal(err)
	}
	a := w.Round(lot.ID, auction.RoundFirst, 70_000_000)
	var deposit string
	for _, u := range append([]*auction.User{w.users[roleBidder]}, w.secrets...) {
		reg := w.Qualify(u, a.ID)
		if u == w.secrets[0] {
			deposit = reg.Deposit.ID
		}
	}
	w.Open(a)
	price := a.StartPrice
	for _, u := range w.secrets {
		w.Bid(u, a.ID, price)
		price += a.Increment
	}
	w.a = w.Auction(a.ID)
	w.ids = map[string]string{"case": c.ID, "lot": lot.ID, "auction": a.ID, "deposit": deposit, "document": doc.ID, "lang": "en"}
	return w
}

// person is a bidder the test names, whose identity number is idn(key).
func (w *secWorld) person(name, key, phone string) *auction.User {
	return w.Account(auction.NewUser{Role: roleBidder, RealName: name, IDNumber: idn(key), Phone: phone})
}

// token is an API token of u's for an hour.
func (w *secWorld) token(u *auction.User) string { return w.Token(u, auction.TokenAPI, time.Hour) }

// secPNG is a 1x1 PNG.
var secPNG = []byte{0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0,
	0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0,
	0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82}

var secPathParam = regexp.MustCompile(`:[A-Za-z0-9_]+|\*`)

// path fills a route's parameters with ids of the right kind, told by the
// segment before each one (/cases/:id is a case).
func (w *secWorld) path(route string) string {
	segs := strings.Split(route, "/")
	for i, s := range segs {
		if !secPathParam.MatchString(s) || s != secPathParam.FindString(s) {
			continue
		}
		kind := ""
		if i > 0 {
			kind = strings.TrimSuffix(segs[i-1], "s")
		}
		switch {
		case s == "*":
			segs[i] = "app.js"
		case s == ":lang":
			segs[i] = w.ids["lang"]
		case w.ids[kind] != "":
			segs[i] = w.ids[kind]
		default:
			segs[i] = "00000000-0000-0000-0000-000000000000"
		}
	}
	return strings.Join(segs, "/")
}

type secResponse struct {
	status int
	code   string
	body   string
	header http.Header
}

// do sends one request as token (none when empty).
func (w *secWorld) do(method, path, token, body string, header ...string) secResponse {
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	} else {
		rd = strings.NewReader("")
	}
	req := httptest.NewRequest(method, path, rd)
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

// secrets returns what must not appear before the close: the secret bidders'
// names, id numbers, phones, emails and user ids.
func (w *secWorld) secretStrings() []string {
	var out []string
	for _, u := range w.secrets {
		out = append(out, u.RealName, u.IDNumber, u.Phone, u.Email, u.ID)
	}
	return out
}

func secLeaks(text string, secrets []string) []string {
	var found []string
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			found = append(found, s)
		}
	}
	return found
}

// routeKeys lists "METHOD /path" for every route on the router.
func secRouteKeys(e *echo.Echo) []string {
	seen := map[string]bool{}
	var keys []string
	for _, r := range e.Routes() {
		if r.Method == echo.RouteNotFound {
			continue // group catch-alls that only run middleware on 404s
		}
		k := r.Method + " " + r.Path
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// secIdentities are the callers: signed out, then one account per role.
var secIdentities = []string{"", roleBidder, roleClerk, roleFinance, roleAuditor, roleAdmin}

// routeTable is the server's route table by "METHOD /path".
func routeTable(srv *web.Server) map[string]web.Route {
	table := map[string]web.Route{}
	for _, r := range srv.Routes() {
		table[r.Method+" "+r.Path] = r
	}
	return table
}

// admitted reports whether the route table lets who (a role, "" when signed
// out) call a route.
func admitted(acc web.Access, who string) bool {
	return acc.Public || (who != "" && (len(acc.Roles) == 0 || secContains(acc.Roles, who)))
}

func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	w := newSecWorld(t, false)
	keys := secRouteKeys(w.srv.Echo())
	table := routeTable(w.srv)

	// Every route on the router must come from the table, where who may
	// call it is decided, and every entry must be on the router.
	registered := map[string]bool{}
	var missing []string
	for _, k := range keys {
		registered[k] = true
		if _, ok := table[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		t.Errorf("routes on the router that the route table (web/routes.go) does not list; add each there with its Access:\n\t%s",
			strings.Join(missing, "\n\t"))
	}
	var stale []string
	for k := range table {
		if !registered[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("route table entries that are not on the router:\n\t%s", strings.Join(stale, "\n\t"))
	}

	secrets := w.secretStrings()
	for _, k := range keys {
		entry, ok := table[k]
		if !ok {
			continue
		}
		acc := entry.Access
		method, route, _ := strings.Cut(k, " ")
		path := w.path(route)
		for _, who := range secIdentities {
			token := w.tokens[who]
			if who != "" && endsSession[k] {
				token = w.token(w.users[who])
			}
			r := w.do(method, path, token, "{}", "Idempotency-Key", "authz-"+who)
			name := who
			if name == "" {
				name = "signed out"
			}
			admitted := admitted(acc, who)
			switch {
			case r.status >= 500:
				t.Errorf("%s as %s: %d %s (a route must never fail on a well-formed request)", k, name, r.status, r.code)
			case admitted && ((r.status == http.StatusUnauthorized && (r.code == auction.EUnauthenticated || r.code == "")) ||
				(r.status == http.StatusForbidden && (r.code == auction.EForbidden || r.code == "")) ||
				secLoginRedirect(r)):
				t.Errorf("%s as %s: refused with %d %s, but the matrix admits %s", k, name, r.status, r.code, name)
			case !admitted && who == "" && !(r.status == http.StatusUnauthorized && r.code == auction.EUnauthenticated) && !(entry.Page && secLoginRedirect(r)):
				t.Errorf("%s signed out: %d %s, want 401 unauthenticated", k, r.status, r.code)
			case !admitted && who != "" && r.status != http.StatusForbidden:
				t.Errorf("%s as %s: %d %s, want 403 forbidden", k, name, r.status, r.code)
			}
			// Confidentiality: before the close nothing ties a bidder to a person.
			if _, exempt := confidentialityExempt[k]; exempt && admitted && who != "" {
				continue
			}
			if found := secLeaks(r.body+fmt.Sprint(r.header), secrets); len(found) > 0 {
				t.Errorf("%s as %s reveals a bidder before the close: %q", k, name, found)
			}
		}
	}
	if found := secLeaks(w.logs.String(), secrets); len(found) > 0 {
		t.Errorf("the log reveals a bidder: %q", found)
	}

	// Each exempt look was audited, by the account that looked.
	page, err := w.Store.AuditLog(w.Ctx, 0, 10000)
	if err != nil || !page.Valid {
		t.Fatalf("audit log: %+v %v", page, err)
	}
	for k := range confidentialityExempt {
		route := strings.SplitN(k, " ", 2)[1]
		for _, role := range table[k].Access.Roles {
			found := false
			for _, e := range page.Entries {
				found = found || (e.ActorID == w.users[role].ID && strings.HasSuffix(e.Action, route) && e.Target == w.ids["deposit"])
			}
			if !found {
				t.Errorf("%s by %s left no audit entry", k, role)
			}
		}
	}
}

func secContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func secLoginRedirect(r secResponse) bool {
	return r.status >= 300 && r.status < 400 && strings.HasPrefix(r.header.Get("Location"), "/login")
}

// TestConfidentialityLiveAndAfterClose scans the live feed before the close,
// then checks that the close lifts exactly what it should: the confirmation
// names the buyer (which also proves the scan would have caught a leak).
func TestConfidentialityLiveAndAfterClose(t *testing.T) {
	t.Parallel()
	w := newSecWorld(t, false)
	secrets := w.secretStrings()

	if secHasRoute(w.srv.Echo(), "GET /api/v1/auctions/:id/live") {
		ts := httptest.NewServer(w.srv.Handler())
		defer ts.Close()
		url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/api/v1/auctions/" + w.a.ID + "/live?since=0"
		ws, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		var last int64
		for last < w.a.Seq {
			_, frame, err := ws.ReadMessage()
			if err != nil {
				t.Fatalf("live feed: %v (after seq %d of %d)", err, last, w.a.Seq)
			}
			if found := secLeaks(string(frame), secrets); len(found) > 0 {
				t.Errorf("live frame reveals a bidder: %q in %s", found, frame)
			}
			var ev struct {
				Seq int64 `json:"seq"`
			}
			if json.Unmarshal(frame, &ev) == nil && ev.Seq > last {
				last = ev.Seq
			}
		}
	}
	for _, p := range []string{"/api/v1/auctions/%s/confirmation", "/api/v1/auctions/%s/signals"} {
		r := w.do(http.MethodGet, fmt.Sprintf(p, w.a.ID), w.tokens[roleClerk], "")
		if r.status < 400 {
			t.Errorf("%s before the close: %d, want a refusal", p, r.status)
		}
	}

	w.TickAt(w.a.EndsAt)
	r := w.do(http.MethodGet, "/api/v1/auctions/"+w.a.ID+"/confirmation", "", "")
	winner := w.secrets[1]
	if r.status != http.StatusOK || len(secLeaks(r.body, []string{winner.RealName})) != 1 {
		t.Fatalf("confirmation after the close: %d %s", r.status, r.body)
	}
	// Even now only the name is published: never the id number, phone, email or user id.
	if found := secLeaks(r.body, []string{winner.IDNumber, winner.Phone, winner.Email, winner.ID, w.secrets[0].RealName}); len(found) > 0 {
		t.Errorf("confirmation reveals more than the buyer's name: %q", found)
	}
	r = w.do(http.MethodGet, "/api/v1/auctions/"+w.a.ID+"/signals", w.tokens[roleClerk], "")
	if r.status != http.StatusOK {
		t.Fatalf("signals after the close: %d %s", r.status, r.body)
	}
}

func secHasRoute(e *echo.Echo, key string) bool {
	for _, k := range secRouteKeys(e) {
		if k == key {
			return true
		}
	}
	return false
}
