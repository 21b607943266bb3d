package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
	"gavel/migrations/dbtest"
)

// server is one running Gavel (Main on :0 with the test clock) on its own
// fresh database, with staff tokens and a pool for looking at the rows.
type server struct {
	m     *Main
	url   string
	dbURL string
	store *postgres.Store
	pool  *pgxpool.Pool
	logs  *syncBuffer
	ctx   context.Context
	// world builds fixtures through the server's own store, with quick
	// accounts (these sign in by token; sign-up and login have their own
	// tests through the API).
	world *auctiontest.World

	clerk, finance, auditor, admin *account
}

// account is a user with a bearer token.
type account struct {
	*auction.User
	token string
}

// syncBuffer collects the server's log lines from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startOn starts a Main on dbURL with the test clock and its logs (all
// levels) captured.
func startOn(t testing.TB, dbURL string, configure ...func(*Main)) (*Main, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	m := NewMain()
	m.Config.Addr = "127.0.0.1:0"
	m.Config.DatabaseURL = dbURL
	m.Config.TestClock = true
	// The test clock ticks before it answers; the background scheduler is
	// not needed and would only compete for the two CPUs.
	m.Config.TickInterval = time.Hour
	m.Log = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, f := range configure {
		f(m)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if t.Failed() {
			// The server's warnings and errors explain most failures.
			for _, line := range strings.Split(logs.String(), "\n") {
				if strings.Contains(line, `"level":"WARN"`) || strings.Contains(line, `"level":"ERROR"`) {
					t.Log(line)
				}
			}
		}
	})
	return m, logs
}

func newServer(t testing.TB, configure ...func(*Main)) *server {
	t.Helper()
	dbURL := dbtest.URL(t)
	m, logs := startOn(t, dbURL, configure...)
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s := &server{m: m, url: m.URL(), dbURL: dbURL, store: m.Store(), pool: pool, logs: logs, ctx: context.Background()}
	s.world = auctiontest.On(t, s.store, auctiontest.WithQuickAccounts())
	s.world.Court = "上海市第一中级人民法院"
	s.clerk = s.token(t, s.world.Clerk)
	s.finance = s.token(t, s.world.Finance)
	s.auditor = s.staff(t, auction.RoleAuditor)
	s.admin = s.staff(t, auction.RoleAdmin)
	return s
}

var seq atomic.Int64

func next() int64 { return seq.Add(1) }

// staff creates a staff account (the CLI's job; `gavel users add` has its own test).
func (s *server) staff(t testing.TB, role string) *account {
	t.Helper()
	return s.token(t, s.world.In(t).User(role, ""))
}

func (s *server) token(t testing.TB, u *auction.User) *account {
	t.Helper()
	return &account{User: u, token: s.world.In(t).Token(u, auction.TokenAPI, time.Hour)}
}

// person is the personal data of a test bidder; every field is unique so a
// leak can be found by searching for it.
type person struct {
	email, name, idNumber, phone string
}

func newPerson() person {
	n := next()
	return person{
		email:    fmt.Sprintf("bidder%d.leak@example.test", n),
		name:     fmt.Sprintf("竞买人姓名%d", n),
		idNumber: auctiontest.ResidentID(fmt.Sprint("person ", n)),
		phone:    fmt.Sprintf("139%08d", n),
	}
}

// bidder creates a verified bidder account with a token: bidders are
// verified, as those who use a privilege are; tests of unverified claims
// make their accounts through sign-up. idNumber may be set to match a
// priority holder or an applicant; empty means a fresh one.
func (s *server) bidder(t testing.TB, idNumber string) (*account, person) {
	t.Helper()
	p := newPerson()
	if idNumber != "" {
		p.idNumber = idn(idNumber)
	}
	w := s.world.In(t)
	u := w.Account(auction.NewUser{Email: p.email, Role: auction.RoleBidder, RealName: p.name, IDNumber: p.idNumber, Phone: p.phone})
	w.Verify(u)
	return s.token(t, u), p
}

// apiResponse is an HTTP answer.
type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r apiResponse) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// object decodes the body as a JSON object (numbers kept exact).
func (r apiResponse) object(t testing.TB) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(r.body))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

func (r apiResponse) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %T: %v: %s", v, err, r.body)
	}
}

// header is an extra request header for do.
type apiHeader struct{ key, value string }

// do sends a request. body is sent as is when it is a string or []byte,
// otherwise as JSON; nil sends no body. Every non-2xx answer is checked for
// the error shape of API.md.
func (s *server) do(t testing.TB, method, path string, who *account, body any, headers ...apiHeader) apiResponse {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if who != nil {
		req.Header.Set("Authorization", "Bearer "+who.token)
	}
	for _, h := range headers {
		req.Header.Set(h.key, h.value)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := apiResponse{status: res.StatusCode, header: res.Header, body: b}
	if r.status >= 300 && method != http.MethodHead {
		checkErrorShape(t, method+" "+path, r)
	}
	return r
}

// checkErrorShape: any non-2xx has {"error":{"code":"<snake_case>","message"}}.
func checkErrorShape(t testing.TB, what string, r apiResponse) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s: error with content type %q: %s", what, ct, r.body)
	}
	var e struct {
		Error *struct {
			Code    *string `json:"code"`
			Message *string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error == nil || e.Error.Code == nil || e.Error.Message == nil ||
		*e.Error.Message == "" || !snake(*e.Error.Code) {
		t.Fatalf("%s: error body lacks {\"error\":{\"code\",\"message\"}}: %s", what, r)
	}
}

func snake(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}

// wantError checks an error answer's status and code.
func wantError(t testing.TB, r apiResponse, status int, code string) {
	t.Helper()
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(r.body, &e)
	if r.status != status || e.Error.Code != code {
		t.Fatalf("want %d %s, got %s", status, code, r)
	}
}

func wantStatus(t testing.TB, r apiResponse, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("want %d, got %s", status, r)
	}
}

// setClock moves the shared test clock through the API; transitions due by
// then have been applied when it returns.
func (s *server) setClock(t testing.TB, to time.Time) {
	t.Helper()
	wantStatus(t, s.do(t, "POST", "/api/v1/test/clock", s.clerk, map[string]any{"set": to.UTC().Format(time.RFC3339Nano)}), 200)
}

func (s *server) now() time.Time { return s.store.Clock().Now() }

// lotSpec describes a lot and its first round for auction.
type lotSpec struct {
	category   string
	appraisal  int64
	applicants []auction.Party
	holders    []auction.NewPriorityHolder
	// startsIn is how long after the clock bidding opens (default 31 days).
	startsIn time.Duration
}

// auction creates a case, a lot and a published first round through the
// store: start 70% of the appraisal, increment 1,000 yuan, deposit 10%, 24 h.
func (s *server) auction(t testing.TB, spec lotSpec) *auction.Auction {
	t.Helper()
	return s.auctionIn(s.world.In(t), spec)
}

// auctions creates n auctions like auction, several at a time.
func (s *server) auctions(t testing.TB, n int, spec lotSpec) []*auction.Auction {
	t.Helper()
	out := make([]*auction.Auction, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range out {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i] = s.auctionIn(s.world.Go(t), spec)
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return out
}

func (s *server) auctionIn(w *auctiontest.World, spec lotSpec) *auction.Auction {
	w.TB.Helper()
	if spec.category == "" {
		spec.category = auction.CategoryRealEstate
	}
	if spec.appraisal == 0 {
		spec.appraisal = 100_000_000
	}
	if spec.startsIn == 0 {
		spec.startsIn = 31 * 24 * time.Hour
	}
	c := w.CaseOf(auction.NewCase{Applicants: spec.applicants,
		Debtors: []auction.Party{{Name: "债务人", IDNumber: idn(fmt.Sprintf("D%d", next()))}}})
	lot := w.LotOf(c.ID, auction.NewLot{Title: "住宅", Description: "一套住宅", Category: spec.category, AppraisalValue: spec.appraisal})
	for _, h := range spec.holders {
		if _, err := w.Store.AddPriorityHolder(w.Ctx, lot.ID, h); err != nil {
			w.TB.Fatal(err)
		}
	}
	return w.Publish(w.Draft(lot.ID, auction.RoundFirst, spec.appraisal*70/100, s.now().Add(spec.startsIn).Truncate(time.Second)))
}

// qualify registers a bidder through the API and has finance confirm the
// deposit; it returns the bidder code.
func (s *server) qualify(t testing.TB, who *account, auctionID string) string {
	t.Helper()
	r := s.do(t, "POST", "/api/v1/auctions/"+auctionID+"/registrations", who, map[string]any{})
	wantStatus(t, r, 201)
	var reg auction.Registration
	r.decode(t, &reg)
	if reg.Status == auction.RegistrationPending {
		wantStatus(t, s.do(t, "POST", "/api/v1/deposits/"+reg.Deposit.ID+"/confirm", s.finance, map[string]any{"reference": "BANK-" + reg.ID[:8]}), 200)
	}
	regs, err := s.store.UserRegistrations(s.ctx, who.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range regs {
		if r.AuctionID == auctionID && r.BidderCode != nil {
			return *r.BidderCode
		}
	}
	t.Fatalf("bidder not qualified for %s", auctionID)
	return ""
}

// qualifyFast registers and confirms through the store (for bulk bidders).
func (s *server) qualifyFast(t testing.TB, who *account, auctionID string) string {
	t.Helper()
	return *s.world.In(t).Qualify(who.User, auctionID).BidderCode
}

var keySeq atomic.Int64

// bid places a bid through the API with a fresh idempotency key.
func (s *server) bid(t testing.TB, who *account, auctionID string, amount int64) apiResponse {
	t.Helper()
	return s.do(t, "POST", "/api/v1/auctions/"+auctionID+"/bids", who, map[string]any{"amount": amount},
		apiHeader{"Idempotency-Key", fmt.Sprintf("key-%d", keySeq.Add(1))})
}

// view is GET /auctions/{id} decoded.
func (s *server) view(t testing.TB, id string) auction.Auction {
	t.Helper()
	r := s.do(t, "GET", "/api/v1/auctions/"+id, nil, nil)
	wantStatus(t, r, 200)
	var a auction.Auction
	r.decode(t, &a)
	return a
}

// events is GET /auctions/{id}/events?since=0&limit=10000 decoded.
func (s *server) events(t testing.TB, id string) []auction.Event {
	t.Helper()
	r := s.do(t, "GET", "/api/v1/auctions/"+id+"/events?since=0&limit=10000", nil, nil)
	wantStatus(t, r, 200)
	var out struct {
		Events []auction.Event `json:"events"`
		More   bool            `json:"more"`
	}
	r.decode(t, &out)
	if out.More {
		t.Fatal("more than 10000 events")
	}
	return out.Events
}

// bids is GET /auctions/{id}/bids decoded.
func (s *server) bids(t testing.TB, id string) []auction.Bid {
	t.Helper()
	r := s.do(t, "GET", "/api/v1/auctions/"+id+"/bids", nil, nil)
	wantStatus(t, r, 200)
	var out struct {
		Bids []auction.Bid `json:"bids"`
	}
	r.decode(t, &out)
	return out.Bids
}

// wantGapless checks that events count 1, 2, 3 ... without gaps.
func wantGapless(t testing.TB, events []auction.Event) {
	t.Helper()
	for i, e := range events {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i+1, e.Seq)
		}
	}
}

// idn is the valid identity number tests know a person key by: the same key
// is the same person wherever it is used (account, applicant, holder, list).
var idn = auctiontest.IDNumber
