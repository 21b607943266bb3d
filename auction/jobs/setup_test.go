package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/casereport"
	"gavel/auction/jobs"
	"gavel/auction/notice/mail"
	noticepg "gavel/auction/notice/postgres"
	"gavel/auction/notice/sms"
	"gavel/auction/postgres"
	"gavel/auction/postgres/money"
	"gavel/migrations/dbtest"
	"gavel/payments"
	"gavel/payments/paymentstest"
	"gavel/payments/stripe"
)

const webhookSecret = "whsec_test_gavel"

type envOpts struct {
	// stripe makes new deposits go through the fake provider named "stripe".
	stripe bool
	// caseURL and caseSecret configure case webhooks.
	caseURL, caseSecret string
	caseTimeout         time.Duration
	// manual leaves the River client stopped: the test works jobs itself.
	manual bool
	// mail and sms deliver user notices (notice_test.go).
	mail *mail.Sender
	sms  sms.Provider
	// log receives the job runner's log.
	log *slog.Logger
}

// env is one test's world: a fresh database, a store, a fake provider and
// a running River client with retries shortened to milliseconds.
type env struct {
	ctx     context.Context
	pool    *pgxpool.Pool
	store   *postgres.Store
	clock   *auctiontest.Clock
	fake    *paymentstest.Fake
	jobs    *jobs.Jobs
	clerk   *auction.User
	finance *auction.User
	notices *noticepg.Store
}

var seq atomic.Int64

// tb is what the helpers need: satisfied by *testing.T and by *rapid.T, so
// the property test builds its fixtures with the same helpers.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

func newEnv(t *testing.T, o envOpts) *env { return newEnvTB(t, o) }

// newEnvTB is newEnv for tests and benchmarks alike.
func newEnvTB(t testing.TB, o envOpts) *env {
	t.Helper()
	pool, _ := dbtest.Pool(t)
	e := &env{ctx: context.Background(), pool: pool, clock: auctiontest.NewClock(auctiontest.Start),
		fake: paymentstest.New(payments.ProviderStripe)}
	e.notices = noticepg.New(pool, e.clock)
	j, err := jobs.New(jobs.Config{
		Log:                o.log,
		Notices:            e.notices,
		Mail:               o.mail,
		SMS:                o.sms,
		PublicURL:          "https://auction.court.example",
		NoticeBackoff:      casereport.Backoff{First: 10 * time.Millisecond, Max: 50 * time.Millisecond},
		Pool:               pool,
		Providers:          []payments.Provider{e.fake},
		Events:             stripe.New(stripe.Config{WebhookSecret: webhookSecret}),
		CaseWebhookURL:     o.caseURL,
		CaseWebhookSecret:  o.caseSecret,
		CaseWebhookTimeout: o.caseTimeout,
		CaseWebhookBackoff: casereport.Backoff{First: 20 * time.Millisecond, Max: 100 * time.Millisecond},
		MoneyBackoff:       casereport.Backoff{First: 10 * time.Millisecond, Max: 50 * time.Millisecond},
		FetchPollInterval:  20 * time.Millisecond,
		IntentSweep:        time.Hour,
		TestOnly:           true,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.jobs = j
	var provider payments.Provider = payments.Bank{}
	if o.stripe {
		provider = e.fake
	}
	e.store = postgres.New(postgres.Config{Pool: pool, Clock: e.clock, Rulebook: auction.SPC2016, Payments: provider, Hooks: j.Hooks()})
	j.Bind(e.store)
	if !o.manual {
		if err := j.Start(e.ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = j.Stop(ctx)
		})
	}
	e.clerk = e.mustUser(t, auction.RoleClerk, "")
	e.finance = e.mustUser(t, auction.RoleFinance, "")
	return e
}

func (e *env) mustUser(t tb, role, idNumber string) *auction.User {
	t.Helper()
	n := seq.Add(1)
	u, err := e.store.CreateUser(e.ctx, auction.NewUser{Email: fmt.Sprintf("j%d@example.test", n), Password: "correct horse battery",
		Role: role, RealName: fmt.Sprintf("Person %d", n), IDNumber: idNumber, Phone: fmt.Sprintf("1390000%04d", n)})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *env) bidder(t tb) *auction.User {
	return e.mustUser(t, auction.RoleBidder, idn(fmt.Sprintf("ID%d", seq.Add(1))))
}

// mustAuction creates a case, a real-estate lot and a published first round
// opening 31 days from the clock, bidding one day; deposit 10% of start.
func (e *env) mustAuction(t tb) *auction.Auction {
	t.Helper()
	n := seq.Add(1)
	c, err := e.store.CreateCase(e.ctx, e.clerk.ID, auction.NewCase{CaseNumber: fmt.Sprintf("(2026)京01执%d号", n), CourtName: "北京市第一中级人民法院",
		Debtors: []auction.Party{{Name: "债务人", IDNumber: idn(fmt.Sprintf("D%d", n))}}})
	if err != nil {
		t.Fatal(err)
	}
	return e.mustRound(t, c.ID, auction.RoundFirst, 70_000_000)
}

func (e *env) mustRound(t tb, caseID, round string, start int64) *auction.Auction {
	t.Helper()
	lot, err := e.store.CreateLot(e.ctx, caseID, auction.NewLot{Title: "住宅", Description: "一套住宅", Category: auction.CategoryRealEstate, AppraisalValue: 100_000_000})
	if err != nil {
		t.Fatal(err)
	}
	starts := e.clock.Now().Add(31 * 24 * time.Hour)
	a, err := e.store.ScheduleAuction(e.ctx, auction.ScheduleParams{LotID: lot.ID, Round: round, StartPrice: start,
		Increment: 100_000, Deposit: start / 10, StartsAt: starts, EndsAt: starts.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if a, err = e.store.PublishAuction(e.ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	return a
}

func (e *env) register(t tb, u *auction.User, a *auction.Auction) *auction.Registration {
	t.Helper()
	reg, err := e.store.Register(e.ctx, u, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// tick applies due transitions at the clock's time.
func (e *env) tick(t tb) {
	t.Helper()
	if _, err := e.store.Tick(e.ctx); err != nil {
		t.Fatal(err)
	}
}

func (e *env) open(t tb, a *auction.Auction) {
	t.Helper()
	if e.clock.Now().Before(a.StartsAt) {
		e.clock.Set(a.StartsAt)
	}
	e.tick(t)
}

func (e *env) close(t tb, a *auction.Auction) {
	t.Helper()
	got, err := e.store.Auction(e.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if e.clock.Now().Before(got.EndsAt) {
		e.clock.Set(got.EndsAt)
	}
	e.tick(t)
}

func (e *env) bid(t tb, u *auction.User, a *auction.Auction, amount int64) {
	t.Helper()
	if _, err := e.store.PlaceBid(e.ctx, auction.PlaceBid{AuctionID: a.ID, User: u, Amount: amount, Key: fmt.Sprintf("k%d", seq.Add(1))}); err != nil {
		t.Fatal(err)
	}
}

// settle waits until River has no job left that is due now: every job the
// test's actions enqueued has run (retries included).
func (e *env) settle(t tb) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var n int
		err := e.pool.QueryRow(e.ctx, `SELECT count(*) FROM river_job
			WHERE state IN ('available', 'running', 'pending') OR (state IN ('retryable', 'scheduled') AND scheduled_at <= now() + interval '1 second')`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still due after 15 s", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) deposit(t tb, id string) *money.ProviderDeposit {
	t.Helper()
	d, err := e.store.ProviderDeposit(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (e *env) registration(t tb, id string) *auction.Registration {
	t.Helper()
	r, err := e.store.Registration(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ledgerKinds lists the kinds of a deposit's ledger transactions in order.
func (e *env) ledgerKinds(t tb, depositID string) []string {
	t.Helper()
	rows, err := e.pool.Query(e.ctx, `SELECT kind FROM ledger_transactions WHERE deposit_id = $1 ORDER BY id`, depositID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, k)
	}
	return kinds
}

// jobCount counts River jobs of a kind, in any state.
func (e *env) jobCount(t tb, kind string) int {
	t.Helper()
	var n int
	if err := e.pool.QueryRow(e.ctx, `SELECT count(*) FROM river_job WHERE kind = $1`, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func wantCode(t tb, err error, code string) {
	t.Helper()
	if err == nil || auction.ErrorCode(err) != code {
		t.Fatalf("want error %s, got %v", code, err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// idn is the valid identity number tests know a person key by.
var idn = auctiontest.IDNumber
