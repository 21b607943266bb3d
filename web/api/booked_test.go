package api_test

import (
	"fmt"
	"log/slog"
	"math"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/postgres"
	"gavel/web"
)

// twin is a second web server on the same database, as a second
// `gavel serve` behind the proxy: its own pool and store, the same clock.
func (e *moneyEnv) twin(t *testing.T) *moneyEnv {
	t.Helper()
	pool, err := pgxpool.New(e.Ctx, e.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := postgres.New(postgres.Config{Pool: pool, Clock: e.Clock, Rulebook: auction.SPC2016})
	srv := httptest.NewServer(web.New(web.Config{Store: store, Log: slog.New(slog.DiscardHandler), NoLimits: true}).Handler())
	t.Cleanup(srv.Close)
	other := *e
	other.url = srv.URL
	return &other
}

// raceHTTP sends eight requests at once, alternating between the two
// servers, and wants exactly one answered ok and seven 409
// duplicate_reference.
func raceHTTP(t *testing.T, servers [2]*moneyEnv, ok int, request func(i int) (path, body string)) {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	answers := make([]moneyResponse, 8)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			path, body := request(i)
			answers[i] = servers[i%2].do(t, "POST", path, auction.RoleFinance, body)
		}()
	}
	close(start)
	wg.Wait()
	var good, dup int
	for _, r := range answers {
		switch {
		case r.status == ok:
			good++
		case r.status == 409 && r.code() == auction.EDuplicateReference:
			dup++
		default:
			t.Fatalf("unexpected answer %d %s", r.status, r.body)
		}
	}
	if good != 1 || dup != 7 {
		t.Fatalf("%d booked, %d duplicates; want 1 and 7", good, dup)
	}
}

// Each kind of money entry is booked once over HTTP, with eight identical
// requests at the same moment on two web servers.
func TestMoneyBookedOnceOverTwoServers(t *testing.T) {
	t.Parallel()
	e := newMoneyEnv(t, false)
	servers := [2]*moneyEnv{e, e.twin(t)}

	// Deposit confirmations: eight deposits, one transfer.
	a := e.AnnouncedCar("车辆")
	var deposits []string
	for i := range 8 {
		u := e.user(t, fmt.Sprintf("b%d-%s", i, a.ID[:8]), auction.RoleBidder)
		reg := e.Register(u, a.ID)
		deposits = append(deposits, reg.Deposit.ID)
	}
	raceHTTP(t, servers, 200, func(i int) (string, string) {
		return "/api/v1/deposits/" + deposits[i] + "/confirm", `{"reference":"CONF-RACE"}`
	})
	for i, id := range deposits {
		if r := e.do(t, "POST", "/api/v1/deposits/"+id+"/confirm", auction.RoleFinance, fmt.Sprintf(`{"reference":"CONF-%d"}`, i)); r.status != 200 &&
			r.code() != auction.EDepositNotPending {
			t.Fatalf("confirm %d: %d %s", i, r.status, r.body)
		}
	}
	// Deposit refunds: the round fails, eight deposits to pay back.
	e.TickAt(a.StartsAt)
	e.TickAt(a.EndsAt)
	raceHTTP(t, servers, 200, func(i int) (string, string) {
		return "/api/v1/deposits/" + deposits[i] + "/refunded", `{"reference":"REFUND-RACE"}`
	})

	// Balance payments: one transfer typed eight times.
	sold := e.soldOverHTTP(t)
	balance := "/api/v1/auctions/" + sold.ID + "/balance-payments"
	raceHTTP(t, servers, 201, func(int) (string, string) { return balance, `{"amount":1000,"reference":"BAL-RACE"}` })
	if m := e.do(t, "GET", "/api/v1/auctions/"+sold.ID+"/money", auction.RoleFinance, "").json(t); m["balance_received"] != float64(1000) {
		t.Fatalf("balance received %v after the race", m["balance_received"])
	}
	// Balance refunds: the whole price paid, its excess paid back once.
	r := e.do(t, "POST", balance, auction.RoleFinance, fmt.Sprintf(`{"amount":%d,"reference":"WHOLE"}`, sold.StartPrice))
	if r.status != 201 {
		t.Fatalf("whole price: %d %s", r.status, r.body)
	}
	paymentID := r.json(t)["id"].(string)
	raceHTTP(t, servers, 200, func(int) (string, string) {
		return "/api/v1/balance-payments/" + paymentID + "/refunded", `{"reference":"BACK-RACE"}`
	})
	// Remittances: one transfer to the case typed eight times.
	raceHTTP(t, servers, 201, func(int) (string, string) {
		return "/api/v1/cases/" + sold.CaseID + "/remittances", `{"amount":100,"reference":"REMIT-RACE"}`
	})
	rs := e.do(t, "GET", "/api/v1/cases/"+sold.CaseID+"/remittances", auction.RoleFinance, "").json(t)
	if n := len(rs["remittances"].([]any)); n != 1 {
		t.Fatalf("%d remittances after the race", n)
	}
}

// An amount no transfer can have is refused with 422 and books nothing;
// every money read still answers afterwards.
func TestHugeAmountsRefused(t *testing.T) {
	t.Parallel()
	e := newMoneyEnv(t, false)
	a := e.soldOverHTTP(t)
	for _, tc := range []struct{ path, body, code string }{
		{"/api/v1/auctions/" + a.ID + "/balance-payments", fmt.Sprintf(`{"amount":%d,"reference":"HUGE"}`, int64(math.MaxInt64)), auction.EInvalidField},
		{"/api/v1/auctions/" + a.ID + "/balance-payments", fmt.Sprintf(`{"amount":%d,"reference":"TOO-MUCH"}`, a.StartPrice+100_001), auction.EOverpayment},
		{"/api/v1/cases/" + a.CaseID + "/remittances", fmt.Sprintf(`{"amount":%d,"reference":"HUGE-R"}`, int64(math.MaxInt64)), auction.EOverpayment},
	} {
		if r := e.do(t, "POST", tc.path, auction.RoleFinance, tc.body); r.status != 422 || r.code() != tc.code {
			t.Fatalf("%s %s: %d %s", tc.path, tc.body, r.status, r.body)
		}
	}
	// The whole price plus the margin is still a transfer that can happen.
	if r := e.do(t, "POST", "/api/v1/auctions/"+a.ID+"/balance-payments", auction.RoleFinance,
		fmt.Sprintf(`{"amount":%d,"reference":"EDGE"}`, a.StartPrice+100_000)); r.status != 201 {
		t.Fatalf("the margin's edge: %d %s", r.status, r.body)
	}
	for _, path := range []string{"/api/v1/ledger", "/api/v1/auctions/" + a.ID + "/money", "/api/v1/reconciliation",
		"/api/v1/cases/" + a.CaseID + "/proceeds", "/api/v1/refunds-due"} {
		if r := e.do(t, "GET", path, auction.RoleFinance, ""); r.status != 200 {
			t.Fatalf("GET %s after the refusals: %d %s", path, r.status, r.body)
		}
	}
}
