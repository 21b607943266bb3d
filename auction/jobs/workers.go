package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/riverqueue/river"

	"gavel/auction"
	"gavel/auction/casereport"
	"gavel/auction/postgres/money"
	"gavel/payments"
)

// CaseWebhookArgs delivers one case notification. Only the notification id
// makes two jobs the same, so a re-send finds the delivery still retrying.
type CaseWebhookArgs struct {
	NotificationID string `json:"notification_id" river:"unique"`
	// Manual marks a re-send asked for by staff, in the delivery history.
	Manual bool `json:"manual,omitempty"`
	// Resend sets a re-send apart from a delivery that is running at that
	// moment, so it is delivered once more after it.
	Resend string `json:"resend,omitempty" river:"unique"`
}

// Kind names the job.
func (CaseWebhookArgs) Kind() string { return "case_webhook" }

// InsertOpts: its own queue (a slow case system never delays money), no
// attempt limit worth the name, one active delivery per notification.
func (CaseWebhookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueCaseWebhooks, MaxAttempts: unlimitedAttempts,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: activeStates}}
}

type caseWebhookWorker struct {
	river.WorkerDefaults[CaseWebhookArgs]
	j *Jobs
}

// NextRetry is API.md's schedule: exponential, the first retry within 5 s,
// never more than 10 minutes apart. River's default (attempt^4 seconds)
// would wait hours after a dozen failures.
func (w *caseWebhookWorker) NextRetry(job *river.Job[CaseWebhookArgs]) time.Time {
	return time.Now().Add(w.j.cfg.CaseWebhookBackoff.Delay(job.Attempt))
}

// Timeout leaves the 10 s answer window plus time to record the attempt.
func (w *caseWebhookWorker) Timeout(*river.Job[CaseWebhookArgs]) time.Duration {
	return w.j.cfg.CaseWebhookTimeout + 10*time.Second
}

// Work POSTs the stored body, byte for byte, signed with Gavel-Signature,
// and records the attempt. Anything but a 2xx within the timeout is an
// error, which River retries on NextRetry's schedule.
func (w *caseWebhookWorker) Work(ctx context.Context, job *river.Job[CaseWebhookArgs]) error {
	j, id := w.j, job.Args.NotificationID
	body, err := j.store.NotificationBody(ctx, id)
	if err != nil {
		return j.permanent(job.Kind, id, err)
	}
	start := j.cfg.Wall.Now()
	attempt := casereport.DeliveryAttempt{Manual: job.Args.Manual, StartedAt: start}
	var sendErr error
	if j.cfg.CaseWebhookURL == "" {
		sendErr = errors.New("not sent: no case system is configured (serve --case-webhook-url)")
	} else {
		attempt.Status, sendErr = w.send(ctx, body, start)
	}
	attempt.DurationMS = int(j.cfg.Wall.Now().Sub(start).Milliseconds())
	if sendErr != nil {
		attempt.Error = sendErr.Error()
	}
	// Record even when the job's context is ending: the attempt happened.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := j.store.RecordDelivery(rctx, id, attempt); err != nil {
		return err
	}
	if j.cfg.CaseWebhookURL == "" {
		return river.JobCancel(sendErr)
	}
	return sendErr
}

// send makes one delivery; it returns the status when the receiver answered.
func (w *caseWebhookWorker) send(ctx context.Context, body []byte, at time.Time) (*int, error) {
	j := w.j
	ctx, cancel := context.WithTimeout(ctx, j.cfg.CaseWebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.cfg.CaseWebhookURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Gavel")
	req.Header.Set(casereport.SignatureHeader, casereport.Sign(j.cfg.CaseWebhookSecret, at, body))
	resp, err := j.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("no answer within %s", j.cfg.CaseWebhookTimeout)
		}
		return nil, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	status := resp.StatusCode
	if status < 200 || status > 299 {
		return &status, fmt.Errorf("the case system answered %d", status)
	}
	return &status, nil
}

// moneyOpts are the options of every provider job: the money queue and no
// attempt limit worth the name (money owed must move eventually; failures
// are logged by River for finance to see).
func moneyOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMoney, MaxAttempts: unlimitedAttempts}
}

func (j *Jobs) moneyRetry(attempt int) time.Time {
	return time.Now().Add(j.cfg.MoneyBackoff.Delay(attempt))
}

// CaptureArgs captures a deposit's card hold: the winner's at the close, or
// anyone's whose hold would lapse before the close.
type CaptureArgs struct {
	DepositID string `json:"deposit_id"`
}

// Kind names the job.
func (CaptureArgs) Kind() string { return "deposit_capture" }

// InsertOpts puts it on the money queue.
func (CaptureArgs) InsertOpts() river.InsertOpts { return moneyOpts() }

func (a CaptureArgs) depositID() string { return a.DepositID }

// ReleaseArgs gives a released deposit back through its provider, or voids
// a payment nobody will make any more.
type ReleaseArgs struct {
	DepositID string `json:"deposit_id"`
}

// Kind names the job.
func (ReleaseArgs) Kind() string { return "deposit_release" }

// InsertOpts puts it on the money queue.
func (ReleaseArgs) InsertOpts() river.InsertOpts { return moneyOpts() }

func (a ReleaseArgs) depositID() string { return a.DepositID }

// depositArgs are the arguments of a provider job on one deposit.
type depositArgs interface {
	river.JobArgs
	depositID() string
}

// depositWorker works the provider jobs on one deposit (capture, release).
// They differ only in the provider call they make (act); bringing the
// deposit up to date before it and applying the provider's answer after it
// are the same steps, which must stay the same for both.
type depositWorker[T depositArgs] struct {
	river.WorkerDefaults[T]
	j *Jobs
	// act makes the provider call the deposit still needs and returns the
	// payment as the provider then has it, or nil when nothing is to do.
	act func(ctx context.Context, d *money.ProviderDeposit, p payments.Provider, in *payments.Intent) (*payments.Intent, error)
}

func (w *depositWorker[T]) NextRetry(job *river.Job[T]) time.Time {
	return w.j.moneyRetry(job.Attempt)
}

// Work re-reads the payment and applies it first (a call already made at
// the provider is then only recorded), then makes the call the deposit
// still needs and applies the provider's answer.
func (w *depositWorker[T]) Work(ctx context.Context, job *river.Job[T]) error {
	j, id := w.j, job.Args.depositID()
	d, p, in, err := j.refresh(ctx, id)
	if err != nil || in == nil {
		return j.permanent(job.Kind, id, err)
	}
	in, err = w.act(ctx, d, p, in)
	if err != nil || in == nil {
		return err
	}
	_, err = j.store.SyncIntent(ctx, d.ID, in, j.enqueue)
	return j.permanent(job.Kind, d.ID, err)
}

// capture captures a hold whose deposit is still held, applied or
// forfeited. A released deposit is left to the release job: cancelling a
// hold is better than capturing and refunding it.
func (j *Jobs) capture(ctx context.Context, d *money.ProviderDeposit, p payments.Provider, in *payments.Intent) (*payments.Intent, error) {
	keep := d.Status == auction.DepositHeld || d.Status == auction.DepositApplied || d.Status == auction.DepositForfeited
	if in.Status != payments.IntentAuthorized || !keep {
		return nil, nil
	}
	return p.Capture(ctx, d.ProviderRef, payments.CaptureKey(d.ID))
}

// release releases what is still held at the provider (a release already
// done there was recorded by the re-read): the provider call carries the
// key release:<deposit>, so a retry after a lost answer finds the first
// release instead of making a second.
func (j *Jobs) release(ctx context.Context, d *money.ProviderDeposit, p payments.Provider, in *payments.Intent) (*payments.Intent, error) {
	void := d.Status == auction.DepositPending && d.BiddingOver(j.store.Clock().Now())
	if in.Released() || (d.Status != auction.DepositRefundPending && !void) {
		return nil, nil
	}
	return p.Release(ctx, d.ProviderRef, d.Amount, payments.ReleaseKey(d.ID))
}

// refresh loads a deposit, re-reads its payment from the provider and
// applies it. in is nil when there is nothing a job can do: a bank deposit
// (finance moves that money) or one whose payment was never created.
func (j *Jobs) refresh(ctx context.Context, depositID string) (*money.ProviderDeposit, payments.Provider, *payments.Intent, error) {
	d, err := j.store.ProviderDeposit(ctx, depositID)
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := j.provider(d.Provider)
	if err != nil {
		return nil, nil, nil, err
	}
	if d.ProviderRef == "" {
		return d, p, nil, nil
	}
	in, err := p.Lookup(ctx, d.ProviderRef)
	if errors.Is(err, payments.ErrManual) {
		return d, p, nil, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	d, err = j.store.SyncIntent(ctx, d.ID, in, j.enqueue)
	if err != nil {
		return nil, nil, nil, err
	}
	return d, p, in, nil
}

// StripeEventArgs applies a verified Stripe event by re-reading its payment.
type StripeEventArgs struct {
	EventID   string `json:"event_id"`
	Ref       string `json:"ref"`
	DepositID string `json:"deposit_id,omitempty"`
}

// Kind names the job.
func (StripeEventArgs) Kind() string { return "stripe_event" }

// InsertOpts puts it on the money queue.
func (StripeEventArgs) InsertOpts() river.InsertOpts { return moneyOpts() }

type stripeEventWorker struct {
	river.WorkerDefaults[StripeEventArgs]
	j *Jobs
}

func (w *stripeEventWorker) NextRetry(job *river.Job[StripeEventArgs]) time.Time {
	return w.j.moneyRetry(job.Attempt)
}

// Work re-reads the payment from Stripe (what the event said is not
// trusted, and events come in any order) and applies it to its deposit.
func (w *stripeEventWorker) Work(ctx context.Context, job *river.Job[StripeEventArgs]) error {
	j, a := w.j, job.Args
	p, err := j.provider(payments.ProviderStripe)
	if err != nil {
		return err
	}
	in, err := p.Lookup(ctx, a.Ref)
	if errors.Is(err, payments.ErrUnknownPayment) {
		j.log.Info("stripe event for a payment Stripe does not know on this account", "event_id", a.EventID)
		return j.store.MarkStripeEventProcessed(ctx, a.EventID)
	}
	if err != nil {
		return err
	}
	depositID := in.DepositID
	if depositID == "" {
		d, err := j.store.DepositByProviderRef(ctx, payments.ProviderStripe, a.Ref)
		if auction.ErrorCode(err) == auction.ENotFound {
			j.log.Info("stripe event for a payment that is not a Gavel deposit", "event_id", a.EventID)
			return j.store.MarkStripeEventProcessed(ctx, a.EventID)
		}
		if err != nil {
			return err
		}
		depositID = d.ID
	}
	if _, err := j.store.SyncIntent(ctx, depositID, in, j.enqueue); err != nil {
		if perr := j.permanent(job.Kind, depositID, err); perr != err {
			_ = j.store.MarkStripeEventProcessed(ctx, a.EventID)
			return perr
		}
		return err
	}
	return j.store.MarkStripeEventProcessed(ctx, a.EventID)
}

// IntentSweepArgs creates the payments that could not be created when their
// bidders registered (the provider was unreachable).
type IntentSweepArgs struct{}

// Kind names the job.
func (IntentSweepArgs) Kind() string { return "deposit_intent_sweep" }

// InsertOpts puts it on the money queue; one sweep at a time.
func (IntentSweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMoney, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: activeStates}}
}

type intentSweepWorker struct {
	river.WorkerDefaults[IntentSweepArgs]
	j *Jobs
}

// Work starts every missing payment older than half a minute (younger ones
// may still be being created by their registration).
func (w *intentSweepWorker) Work(ctx context.Context, _ *river.Job[IntentSweepArgs]) error {
	j := w.j
	var failed error
	for name, p := range j.providers {
		if name == payments.ProviderBank {
			continue
		}
		missing, err := j.store.MissingIntents(ctx, name, j.store.Clock().Now().Add(-30*time.Second), 100)
		if err != nil {
			return err
		}
		for i := range missing {
			if err := j.store.StartIntent(ctx, p, &missing[i]); err != nil {
				j.log.Warn("could not create a deposit payment; retrying at the next sweep", "provider", name, "deposit_id", missing[i].ID, "err", err)
				failed = err
			}
		}
	}
	return failed
}
