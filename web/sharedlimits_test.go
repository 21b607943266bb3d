package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gavel/auction"
	"gavel/auction/auctiontest"
	noticepg "gavel/auction/notice/postgres"
	"gavel/auction/postgres"
	"gavel/auction/postgres/pglimit"
	"gavel/migrations/dbtest"
	"gavel/web"
	"gavel/web/limit"
)

// Two instances on one database share the sign-in backoff: failures from
// one address to one account sent to either count together, and that
// address is slowed on both, while the owner's own address is not; the
// sign-up limit of an address is one budget between them.
func TestSharedLimitsHoldAcrossInstances(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	ctx := context.Background()
	clock, err := postgres.NewTestClock(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	instance := func() http.Handler {
		store := postgres.New(postgres.Config{Pool: pool, Clock: clock, Rulebook: auction.SPC2016})
		return web.New(web.Config{Store: store, Notices: noticepg.New(pool, store.Clock()), Log: slog.New(slog.DiscardHandler),
			TestClock: clock, LimitStore: pglimit.New(pool)}).Handler()
	}
	servers := [2]http.Handler{instance(), instance()}
	store := postgres.New(postgres.Config{Pool: pool, Clock: clock, Rulebook: auction.SPC2016})
	if _, err := store.CreateUser(ctx, auction.NewUser{Email: "owner@shared.example", Password: "correct horse battery",
		Role: auction.RoleBidder, RealName: "Owner", IDNumber: auctiontest.IDNumber("shared-owner"), Phone: "13800001111"}); err != nil {
		t.Fatal(err)
	}
	post := func(i int, peer, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.RemoteAddr = peer
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		servers[i%2].ServeHTTP(rec, req)
		return rec
	}
	if rec := post(0, "198.51.100.20:1", "/api/v1/auth/login", `{"email":"owner@shared.example","password":"correct horse battery"}`); rec.Code != http.StatusOK {
		t.Fatalf("the owner's first sign-in: %d %s", rec.Code, rec.Body)
	}
	for i := 0; i < limit.LoginFreeFailures+1; i++ {
		rec := post(i, "192.0.2.10:1", "/api/v1/auth/login", `{"email":"owner@shared.example","password":"a guess"}`)
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	for i := range 2 {
		rec := post(i, "192.0.2.10:1", "/api/v1/auth/login", `{"email":"owner@shared.example","password":"correct horse battery"}`)
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
			t.Fatalf("instance %d after %d failures spread over two: %d %s", i, limit.LoginFreeFailures+1, rec.Code, rec.Body)
		}
	}

	// The owner signed in from home before: a known address, not slowed.
	for i := range 2 {
		if rec := post(i, "198.51.100.20:1", "/api/v1/auth/login", `{"email":"owner@shared.example","password":"correct horse battery"}`); rec.Code != http.StatusOK {
			t.Fatalf("the owner from home on instance %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	// Sign-ups from one address: refused bodies count too (they are cheap).
	allowed := 0
	for i := range 200 {
		if rec := post(i, "203.0.113.50:4000", "/api/v1/auth/signup", `{}`); rec.Code != http.StatusTooManyRequests {
			allowed++
		} else if allowed < 60 {
			t.Fatalf("sign-up refused after %d: the floor is 60 a minute", allowed)
		}
	}
	if allowed >= 200 || allowed > 130 {
		t.Fatalf("%d sign-ups admitted by two instances from one address: each counted its own budget", allowed)
	}
}
