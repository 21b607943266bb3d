package jobs_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

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

// env is one test's world (auctiontest.World) with a fake provider and a
// running River client with retries shortened to milliseconds.
type env struct {
	*auctiontest.World
	fake    *paymentstest.Fake
	jobs    *jobs.Jobs
	notices *noticepg.Store
}

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
	clock := auctiontest.NewClock(auctiontest.Start)
	e := &env{fake: paymentstest.New(payments.ProviderStripe), notices: noticepg.New(pool, clock)}
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
	e.World = auctiontest.NewWorld(t, pool, auctiontest.WithClock(clock), auctiontest.WithStore(func(c *postgres.Config) {
		c.Payments, c.Hooks = provider, j.Hooks()
	}))
	j.Bind(e.Store)
	if !o.manual {
		if err := j.Start(e.Ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = j.Stop(ctx)
		})
	}
	return e
}

// settle waits until River has no job left that is due now: every job the
// test's actions enqueued has run (retries included).
func (e *env) settle(t tb) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var n int
		err := e.Pool.QueryRow(e.Ctx, `SELECT count(*) FROM river_job
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
	d, err := e.Store.ProviderDeposit(e.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (e *env) registration(t tb, id string) *auction.Registration {
	t.Helper()
	r, err := e.Store.Registration(e.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ledgerKinds lists the kinds of a deposit's ledger transactions in order.
func (e *env) ledgerKinds(t tb, depositID string) []string {
	t.Helper()
	rows, err := e.Pool.Query(e.Ctx, `SELECT kind FROM ledger_transactions WHERE deposit_id = $1 ORDER BY id`, depositID)
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
	if err := e.Pool.QueryRow(e.Ctx, `SELECT count(*) FROM river_job WHERE kind = $1`, kind).Scan(&n); err != nil {
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
