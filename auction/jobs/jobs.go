// Package jobs runs Gavel's durable jobs on River, on the same PostgreSQL as
// everything else: provider calls for deposits (capture, release, creating
// payments that failed at registration, applying Stripe webhooks) and the
// deliveries of case-system webhooks and of user notices (e-mail, SMS).
//
// Jobs are inserted with InsertTx in the transaction of the state change that
// calls for them (through postgres.Hooks and the store's follow-ups), so a
// change and its job commit together or not at all. Every worker is
// idempotent: it re-reads the state, and the provider calls carry
// idempotency keys derived from Gavel's ids, so a retry never moves money
// twice.
//
// River was chosen over an outbox table polled by hand because it gives
// exactly this on pgx: transactional insertion, retries with per-worker
// backoff, scheduled jobs, unique jobs, periodic jobs and leader election
// across instances, with its schema migrated by `gavel migrate`; and over a
// separate broker because PostgreSQL is already the single authority.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"gavel/auction"
	"gavel/auction/casereport"
	"gavel/auction/notice/mail"
	noticepg "gavel/auction/notice/postgres"
	"gavel/auction/notice/sms"
	"gavel/auction/postgres"
	"gavel/auction/postgres/money"
	"gavel/payments"
)

// Queues.
const (
	QueueMoney        = "money"
	QueueCaseWebhooks = "case_webhooks"
)

// unlimitedAttempts is the most River can store (a smallint). A job retried
// at most 10 minutes apart keeps going for over seven months: "until a 2xx"
// in practice, while a receiver that has vanished still ends in the
// discarded list instead of retrying forever.
const unlimitedAttempts = math.MaxInt16

// Config is what the job runner needs.
type Config struct {
	Pool *pgxpool.Pool
	Log  *slog.Logger
	// Providers are the deposit providers by which deposits may have been
	// paid; the bank is always added.
	Providers []payments.Provider
	// Events verifies Stripe webhooks; nil when Stripe is not configured.
	Events payments.EventVerifier

	// CaseWebhookURL is --case-webhook-url; empty records notifications
	// without sending them.
	CaseWebhookURL    string
	CaseWebhookSecret string
	// CaseWebhookTimeout is how long a receiver may take to answer (10 s).
	CaseWebhookTimeout time.Duration
	// CaseWebhookBackoff is the retry schedule (casereport.CaseWebhookBackoff);
	// tests shorten it.
	CaseWebhookBackoff casereport.Backoff
	// HTTPClient sends case webhooks; its own timeout is not used.
	HTTPClient *http.Client

	// MoneyBackoff is the retry schedule of provider calls (5 s doubling up
	// to 5 minutes: a release is retried well within the legal 24 h).
	MoneyBackoff casereport.Backoff
	// IntentSweep is how often payments that failed at registration are
	// created again (1 minute).
	IntentSweep time.Duration

	// Wall is the clock of signatures and delivery history: real time even
	// under --test-clock, since it describes the network.
	Wall auction.Clock
	// FetchPollInterval is how often idle workers look for due jobs (1 s);
	// inserts wake them at once through LISTEN/NOTIFY.
	FetchPollInterval time.Duration
	// TestOnly makes River start and stop fast in tests.
	TestOnly bool

	// Notices keeps the user notices delivered by e-mail and SMS (notice.go);
	// nil delivers none.
	Notices *noticepg.Store
	// Mail sends e-mail (GAVEL_SMTP_URL); nil sends none.
	Mail *mail.Sender
	// SMS sends text messages; nil sends none.
	SMS sms.Provider
	// PublicURL is where users reach Gavel, for the links in messages.
	PublicURL string
	// Zone is where messages show times (the court's).
	Zone *time.Location
	// NoticeBackoff is the retry schedule of deliveries (5 s doubling up to
	// 10 minutes).
	NoticeBackoff casereport.Backoff
}

// Jobs is the running job system.
type Jobs struct {
	cfg       Config
	log       *slog.Logger
	client    *river.Client[pgx.Tx]
	store     *postgres.Store
	providers map[string]payments.Provider
	http      *http.Client
	started   bool
}

// New builds the River client and its workers. Bind must give it the store
// before Start or any job runs.
func New(cfg Config) (*Jobs, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Wall == nil {
		cfg.Wall = auction.SystemClock{}
	}
	if cfg.CaseWebhookTimeout == 0 {
		cfg.CaseWebhookTimeout = 10 * time.Second
	}
	if cfg.CaseWebhookBackoff == (casereport.Backoff{}) {
		cfg.CaseWebhookBackoff = casereport.CaseWebhookBackoff
	}
	if cfg.MoneyBackoff == (casereport.Backoff{}) {
		cfg.MoneyBackoff = casereport.Backoff{First: 5 * time.Second, Max: 5 * time.Minute}
	}
	if cfg.IntentSweep == 0 {
		cfg.IntentSweep = time.Minute
	}
	if cfg.FetchPollInterval == 0 {
		cfg.FetchPollInterval = time.Second
	}
	if cfg.NoticeBackoff == (casereport.Backoff{}) {
		cfg.NoticeBackoff = casereport.Backoff{First: 5 * time.Second, Max: 10 * time.Minute}
	}
	if cfg.Zone == nil {
		cfg.Zone = time.UTC
	}
	j := &Jobs{cfg: cfg, log: cfg.Log, providers: map[string]payments.Provider{payments.ProviderBank: payments.Bank{}}, http: cfg.HTTPClient}
	if j.http == nil {
		j.http = &http.Client{}
	}
	for _, p := range cfg.Providers {
		j.providers[p.Name()] = p
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &caseWebhookWorker{j: j})
	river.AddWorker(workers, &depositWorker[CaptureArgs]{j: j, act: j.capture})
	river.AddWorker(workers, &depositWorker[ReleaseArgs]{j: j, act: j.release})
	river.AddWorker(workers, &stripeEventWorker{j: j})
	river.AddWorker(workers, &intentSweepWorker{j: j})
	river.AddWorker(workers, &noticeWorker{j: j})
	cooldown := min(100*time.Millisecond, cfg.FetchPollInterval)
	client, err := river.NewClient(riverpgxv5.New(cfg.Pool), &river.Config{
		Logger: cfg.Log,
		Queues: map[string]river.QueueConfig{
			QueueMoney:        {MaxWorkers: 4},
			QueueCaseWebhooks: {MaxWorkers: 8},
			QueueNotices:      {MaxWorkers: 8},
		},
		Workers:           workers,
		MaxAttempts:       unlimitedAttempts,
		FetchCooldown:     cooldown,
		FetchPollInterval: cfg.FetchPollInterval,
		TestOnly:          cfg.TestOnly,
		PeriodicJobs: []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(cfg.IntentSweep),
			func() (river.JobArgs, *river.InsertOpts) { return IntentSweepArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true})},
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	j.client = client
	return j, nil
}

// Bind gives the jobs the store they act on. The store is built with
// Hooks(), so it exists only after New; Bind closes that loop.
func (j *Jobs) Bind(store *postgres.Store) { j.store = store }

// Client is the River client (tests wait on its events).
func (j *Jobs) Client() *river.Client[pgx.Tx] { return j.client }

// Start starts working jobs; they stop when Stop is called.
func (j *Jobs) Start(ctx context.Context) error {
	if j.store == nil {
		return errors.New("jobs: Bind the store before Start")
	}
	if err := j.client.Start(ctx); err != nil {
		return err
	}
	j.started = true
	return nil
}

// Stop lets running jobs finish (up to ctx) and stops. Stopping jobs that
// never started is a no-op.
func (j *Jobs) Stop(ctx context.Context) error {
	if !j.started {
		return nil
	}
	j.started = false
	return j.client.Stop(ctx)
}

// Hooks are the store hooks that enqueue jobs inside the store's
// transactions: a case notification's delivery, and the provider work a
// close calls for.
func (j *Jobs) Hooks() postgres.Hooks {
	return postgres.Hooks{
		Notify: func(ctx context.Context, tx pgx.Tx, id string) error {
			if j.cfg.CaseWebhookURL == "" {
				return nil // recorded, not sent: no case system configured
			}
			_, err := j.client.InsertTx(ctx, tx, CaseWebhookArgs{NotificationID: id}, nil)
			return err
		},
		AfterClose: func(ctx context.Context, tx pgx.Tx, closed []*auction.Auction) error {
			ids := make([]string, len(closed))
			for i, a := range closed {
				ids[i] = a.ID
			}
			fs, err := j.store.CloseFollowups(ctx, tx, ids)
			if err != nil {
				return err
			}
			for _, f := range fs {
				if err := j.enqueue(ctx, tx, f); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// enqueue inserts the job for a deposit follow-up in tx.
func (j *Jobs) enqueue(ctx context.Context, tx pgx.Tx, f money.DepositFollowup) error {
	var opts *river.InsertOpts
	if f.Delay > 0 {
		opts = &river.InsertOpts{ScheduledAt: time.Now().Add(f.Delay)}
	}
	var args river.JobArgs
	switch f.Action {
	case money.FollowupCapture:
		args = CaptureArgs{DepositID: f.DepositID}
	case money.FollowupRelease:
		args = ReleaseArgs{DepositID: f.DepositID}
	default:
		return fmt.Errorf("jobs: unknown follow-up %q", f.Action)
	}
	_, err := j.client.InsertTx(ctx, tx, args, opts)
	return err
}

// Enqueue is the store's follow-up callback (money.Enqueue).
func (j *Jobs) Enqueue() money.Enqueue { return j.enqueue }

// ResendNotification delivers a case notification again now, with the same
// id and body. If its delivery is still being retried, the waiting retry is
// brought forward instead of starting a second one. Returns not_found or
// invalid_state (no case system configured).
func (j *Jobs) ResendNotification(ctx context.Context, id string) error {
	if j.cfg.CaseWebhookURL == "" {
		return auction.Errorf(auction.EInvalidState, "no case system is configured (serve --case-webhook-url)")
	}
	if _, err := j.store.CaseNotification(ctx, id); err != nil {
		return err
	}
	res, err := j.client.Insert(ctx, CaseWebhookArgs{NotificationID: id, Manual: true}, nil)
	if err != nil || !res.UniqueSkippedAsDuplicate {
		return err
	}
	if res.Job.State != rivertype.JobStateRunning {
		_, err = j.client.JobRetry(ctx, res.Job.ID)
		return err
	}
	// A delivery is under way; the staff asked for one more after it.
	_, err = j.client.Insert(ctx, CaseWebhookArgs{NotificationID: id, Manual: true, Resend: strconv.FormatInt(time.Now().UnixNano(), 36)}, nil)
	return err
}

// ReceiveStripeEvent verifies a Stripe webhook and records its event id
// once, enqueueing in the same transaction the job that re-reads the payment
// and applies it. A duplicate changes nothing. Returns invalid_request for a
// bad signature (nothing is recorded) and not_found when Stripe is not
// configured.
func (j *Jobs) ReceiveStripeEvent(ctx context.Context, payload []byte, signature string) error {
	if j.cfg.Events == nil {
		return auction.Errorf(auction.ENotFound, "Stripe is not configured")
	}
	ev, err := j.cfg.Events.VerifyEvent(payload, signature)
	if err != nil {
		return auction.Errorf(auction.EInvalidRequest, "the Stripe-Signature header does not verify")
	}
	fresh, err := j.store.RecordStripeEvent(ctx, ev, func(ctx context.Context, tx pgx.Tx) error {
		if ev.Ref == "" {
			return nil
		}
		_, err := j.client.InsertTx(ctx, tx, StripeEventArgs{EventID: ev.ID, Ref: ev.Ref, DepositID: ev.DepositID}, nil)
		return err
	})
	if err == nil && fresh && ev.Ref == "" {
		// Nothing to apply: events about other objects are kept only to
		// recognise their duplicates.
		err = j.store.MarkStripeEventProcessed(ctx, ev.ID)
	}
	return err
}

// provider returns the provider a deposit was paid through.
func (j *Jobs) provider(name string) (payments.Provider, error) {
	p, ok := j.providers[name]
	if !ok {
		return nil, fmt.Errorf("jobs: no provider %q is configured", name)
	}
	return p, nil
}

// permanent turns a refusal of the store (a state that will not change by
// retrying) into a cancelled job, logged, instead of endless retries.
func (j *Jobs) permanent(kind string, id string, err error) error {
	var de *auction.Error
	if errors.As(err, &de) && (de.Code == auction.EInvalidState || de.Code == auction.ENotFound) {
		j.log.Error("payment job cannot proceed; finance must look at the deposit", "job", kind, "deposit_id", id, "err", err)
		return river.JobCancel(err)
	}
	return err
}

// activeStates are the job states in which a case webhook delivery is
// still to happen; a re-send while one exists brings it forward.
var activeStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled}
