package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"gavel/auction/casereport"
	noticepg "gavel/auction/notice/postgres"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/jobs"
	"gavel/auction/postgres"
	"gavel/migrations/dbtest"
	"gavel/payments"
	"gavel/payments/paymentstest"
	"gavel/payments/stripe"
	"gavel/web"
)

const moneyWebhookSecret = "whsec_web_test"

// moneyEnv is the web server with the job runner, as `gavel serve` wires
// it, over a world (auctiontest.World) whose cases are of a Shenzhen court,
// with Stripe played by a fake provider behind the real signature check.
type moneyEnv struct {
	*auctiontest.World
	fake   *paymentstest.Fake
	jobs   *jobs.Jobs
	url    string
	tokens map[string]string
	users  map[string]*auction.User
	// dbURL is the test database's, for a second instance on it.
	dbURL string
}

func newMoneyEnv(t *testing.T, stripeDeposits bool) *moneyEnv {
	t.Helper()
	pool, dbURL := dbtest.Pool(t)
	e := &moneyEnv{dbURL: dbURL, fake: paymentstest.New(payments.ProviderStripe), tokens: map[string]string{}, users: map[string]*auction.User{}}
	j, err := jobs.New(jobs.Config{Pool: pool, Providers: []payments.Provider{e.fake},
		Events:       stripe.New(stripe.Config{WebhookSecret: moneyWebhookSecret}),
		MoneyBackoff: casereport.Backoff{First: 10 * time.Millisecond, Max: 50 * time.Millisecond}, FetchPollInterval: 20 * time.Millisecond,
		IntentSweep: time.Hour, TestOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var provider payments.Provider = payments.Bank{}
	if stripeDeposits {
		provider = e.fake
	}
	e.World = auctiontest.NewWorld(t, pool, auctiontest.WithStore(func(c *postgres.Config) { c.Payments, c.Hooks = provider, j.Hooks() }))
	e.Court = "深圳市中级人民法院"
	j.Bind(e.Store)
	if err := j.Start(e.Ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = j.Stop(ctx)
	})
	e.jobs = j
	srv := httptest.NewServer(web.New(web.Config{Store: e.Store, Log: slog.New(slog.DiscardHandler), NoLimits: true, Jobs: j, Notices: noticepg.New(pool, e.Clock)}).Handler())
	t.Cleanup(srv.Close)
	e.url = srv.URL
	e.name(auction.RoleClerk, e.Clerk)
	e.name(auction.RoleFinance, e.Finance)
	for _, role := range []string{auction.RoleAuditor, auction.RoleBidder} {
		e.user(t, role, role)
	}
	return e
}

// user creates an account with role that requests name as (moneyEnv.do).
func (e *moneyEnv) user(t *testing.T, name, role string) *auction.User {
	t.Helper()
	return e.name(name, e.User(role, name))
}

// name lets requests act as u by name, with an API token of u's.
func (e *moneyEnv) name(name string, u *auction.User) *auction.User {
	e.users[name], e.tokens[name] = u, e.Token(u, auction.TokenAPI, auction.TokenTTL)
	return u
}

type moneyResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r moneyResponse) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("%d %s: %v", r.status, r.body, err)
	}
	return m
}

func (r moneyResponse) code() string {
	var b struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(r.body, &b)
	return b.Error.Code
}

func (e *moneyEnv) do(t *testing.T, method, path, as, body string, header ...string) moneyResponse {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if as != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[as])
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return moneyResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

func csvRows(t *testing.T, r moneyResponse) [][]string {
	t.Helper()
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment; filename=") {
		t.Fatalf("CSV answer %d %v: %s", r.status, r.header, r.body)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[len(rows)-1][0] != "TOTAL" {
		t.Fatalf("last row %v", rows[len(rows)-1])
	}
	return rows
}

// Finance works the money of a sold auction over HTTP: the ledger, the
// auction's summary, refunds due (JSON and CSV), the reconciliation (JSON
// and each CSV), a remittance, and the case's notifications.
func TestMoneyEndpoints(t *testing.T) {
	t.Parallel()
	e := newMoneyEnv(t, false)
	a := e.AnnouncedCar("车辆")
	winner, loser := e.user(t, "winner", auction.RoleBidder), e.user(t, "loser", auction.RoleBidder)
	var regs []*auction.Registration
	for _, u := range []*auction.User{winner, loser} {
		r := e.Register(u, a.ID)
		if resp := e.do(t, "POST", "/api/v1/deposits/"+r.Deposit.ID+"/confirm", auction.RoleFinance, `{"reference":"BANK-`+r.ID[:6]+`"}`); resp.status != 200 {
			t.Fatalf("confirm: %d %s", resp.status, resp.body)
		}
		regs = append(regs, r)
	}
	e.TickAt(a.StartsAt)
	e.Bid(winner, a.ID, a.StartPrice)
	e.TickAt(a.EndsAt)

	r := e.do(t, "GET", "/api/v1/ledger?auction_id="+a.ID+"&limit=2", auction.RoleAuditor, "")
	page := r.json(t)
	if r.status != 200 || page["more"] != true || len(page["transactions"].([]any)) != 2 || page["next_after"] == nil {
		t.Fatalf("ledger page: %d %s", r.status, r.body)
	}
	next := fmt.Sprint(page["next_after"])
	if r := e.do(t, "GET", "/api/v1/ledger?auction_id="+a.ID+"&after="+next, auction.RoleFinance, ""); len(r.json(t)["transactions"].([]any)) != 2 {
		t.Fatalf("ledger second page: %s", r.body)
	}
	for _, bad := range []string{"from=yesterday", "limit=-1", "auction_id=x"} {
		if r := e.do(t, "GET", "/api/v1/ledger?"+bad, auction.RoleFinance, ""); r.status != 422 || r.code() != auction.EInvalidField {
			t.Errorf("ledger?%s: %d %s", bad, r.status, r.body)
		}
	}

	m := e.do(t, "GET", "/api/v1/auctions/"+a.ID+"/money", auction.RoleFinance, "").json(t)
	if m["status"] != auction.StatusSold || m["outstanding"] != float64(a.StartPrice-a.Deposit) || m["deposit_applied"] != float64(a.Deposit) {
		t.Fatalf("money %v", m)
	}

	due := e.do(t, "GET", "/api/v1/refunds-due", auction.RoleFinance, "").json(t)
	if list := due["refunds_due"].([]any); len(list) != 1 || list[0].(map[string]any)["deposit_id"] != regs[1].Deposit.ID {
		t.Fatalf("refunds due %v", due)
	}
	rows := csvRows(t, e.do(t, "GET", "/api/v1/refunds-due", auction.RoleFinance, "", "Accept", "text/csv"))
	if len(rows) != 3 || rows[1][0] != regs[1].Deposit.ID || rows[2][4] != fmt.Sprint(a.Deposit) {
		t.Fatalf("refunds CSV %v", rows)
	}

	if r := e.do(t, "POST", "/api/v1/cases/"+a.CaseID+"/remittances", auction.RoleFinance, `{"amount":99999999999,"reference":"R"}`); r.status != 422 || r.code() != auction.EOverpayment {
		t.Fatalf("overpaid remittance: %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", "/api/v1/cases/"+a.CaseID+"/remittances", auction.RoleFinance, `{"reference":"R"}`); r.status != 422 {
		t.Fatalf("remittance without amount: %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", "/api/v1/cases/"+a.CaseID+"/remittances", auction.RoleFinance, `{"amount":1,"reference":"R","to":"x"}`); r.status != 400 {
		t.Fatalf("remittance with an unknown field: %d %s", r.status, r.body)
	}
	r = e.do(t, "POST", "/api/v1/cases/"+a.CaseID+"/remittances", auction.RoleFinance, fmt.Sprintf(`{"amount":%d,"reference":"REMIT-9"}`, a.Deposit))
	if r.status != 201 || r.json(t)["notification_id"] == nil || r.json(t)["amount"] != float64(a.Deposit) {
		t.Fatalf("remittance: %d %s", r.status, r.body)
	}
	list := e.do(t, "GET", "/api/v1/cases/"+a.CaseID+"/remittances", auction.RoleClerk, "").json(t)
	if len(list["remittances"].([]any)) != 1 {
		t.Fatalf("remittances %v", list)
	}

	// Two deposits held and one remittance, all matched; the loser's refund
	// is due but not yet overdue.
	rec := e.do(t, "GET", "/api/v1/reconciliation?from=2026-01-01", auction.RoleAuditor, "").json(t)
	if rec["ok"] != true || len(rec["lines"].([]any)) != 3 || len(rec["differences"].([]any)) != 0 {
		t.Fatalf("reconciliation: %v", rec)
	}
	e.Clock.Set(a.EndsAt.Add(25 * time.Hour))
	rec = e.do(t, "GET", "/api/v1/reconciliation?from=2026-01-01", auction.RoleAuditor, "").json(t)
	if rec["ok"] != false || rec["refunds_due_total"].(map[string]any)["overdue_count"] != float64(1) {
		t.Fatalf("an overdue refund is not flagged: %v", rec["refunds_due_total"])
	}
	for part, header := range map[string]string{"": "kind", "lines": "kind", "accounts": "account", "escrow": "provider", "refunds": "deposit_id"} {
		rows := csvRows(t, e.do(t, "GET", "/api/v1/reconciliation?from=2026-01-01&to=2027-01-01T00:00:00Z&part="+part, auction.RoleFinance, "", "Accept", "text/csv"))
		if rows[0][0] != header {
			t.Errorf("part %q: header %v", part, rows[0])
		}
	}
	accounts := csvRows(t, e.do(t, "GET", "/api/v1/reconciliation?from=2026-01-01&part=accounts&format=csv", auction.RoleFinance, ""))
	total := accounts[len(accounts)-1]
	if total[2] != total[3] || total[4] != "0" || total[5] != "0" {
		t.Fatalf("accounts TOTAL does not tie out: %v", total)
	}
	for _, bad := range []string{"part=pdf&format=csv", "from=2026-05-01&to=2026-04-01", "to=soon"} {
		if r := e.do(t, "GET", "/api/v1/reconciliation?"+bad, auction.RoleFinance, ""); r.status != 422 {
			t.Errorf("reconciliation?%s: %d %s", bad, r.status, r.body)
		}
	}

	ns := e.do(t, "GET", "/api/v1/cases/"+a.CaseID+"/notifications", auction.RoleClerk, "").json(t)["notifications"].([]any)
	var remitted map[string]any
	for _, n := range ns {
		if n.(map[string]any)["type"] == casereport.NotifyProceedsRemitted {
			remitted = n.(map[string]any)
		}
	}
	if len(ns) != 2 || remitted == nil || remitted["body"].(map[string]any)["id"] != remitted["id"] {
		t.Fatalf("notifications %v", ns)
	}
	id := remitted["id"].(string)
	if r := e.do(t, "GET", "/api/v1/case-notifications/"+id, auction.RoleAuditor, ""); r.status != 200 || r.json(t)["attempts"] != float64(0) {
		t.Fatalf("notification: %d %s", r.status, r.body)
	}
	// No case system is configured here: recorded, not sent, no re-send.
	if r := e.do(t, "POST", "/api/v1/case-notifications/"+id+"/resend", auction.RoleFinance, ""); r.status != 409 || r.code() != auction.EInvalidState {
		t.Fatalf("re-send without a case system: %d %s", r.status, r.body)
	}
	if r := e.do(t, "GET", "/api/v1/case-notifications/00000000-0000-0000-0000-000000000000", auction.RoleClerk, ""); r.status != 404 {
		t.Fatalf("unknown notification: %d", r.status)
	}
}
