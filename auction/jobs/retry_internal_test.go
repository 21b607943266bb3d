package jobs

import (
	"gavel/auction/casereport"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// The case webhook retry schedule of API.md, as River will apply it: the
// first retry within 5 s, exponential, never more than 10 minutes apart,
// and practically no attempt limit (River's default policy, attempt^4
// seconds with 25 attempts, would stop after about three weeks and wait
// hours between late attempts).
func TestCaseWebhookRetryPolicy(t *testing.T) {
	t.Parallel()
	w := &caseWebhookWorker{j: &Jobs{cfg: Config{CaseWebhookBackoff: casereport.CaseWebhookBackoff}}}
	job := func(attempt int) *river.Job[CaseWebhookArgs] {
		return &river.Job[CaseWebhookArgs]{JobRow: &rivertype.JobRow{Attempt: attempt}}
	}
	wait := func(attempt int) time.Duration { return time.Until(w.NextRetry(job(attempt))) }
	if d := wait(1); d > 5*time.Second || d <= 0 {
		t.Fatalf("first retry after %s, want within 5 s", d)
	}
	// Exponential: the ceiling of each wait doubles until the cap.
	var longest time.Duration
	for attempt := 1; attempt <= 2000; attempt++ {
		d := wait(attempt)
		if d > casereport.CaseWebhookBackoff.Max {
			t.Fatalf("attempt %d: wait %s over the cap", attempt, d)
		}
		longest = max(longest, d)
	}
	if longest < 7*time.Minute {
		t.Fatalf("the waits never grew past %s", longest)
	}
	if d := wait(6); d < 40*time.Second || d > 64*time.Second {
		t.Fatalf("attempt 6 waits %s, want 2 s * 2^5 less up to a fifth", d)
	}
	// The cap plus River's scheduler sweep (5 s), the fetch poll (1 s) and
	// the failed attempt's own timeout (10 s) stays within 10 minutes.
	if slack := casereport.CaseWebhookBackoff.Max + 5*time.Second + time.Second + 10*time.Second; slack > 10*time.Minute {
		t.Fatalf("worst gap between attempts %s", slack)
	}
	opts := CaseWebhookArgs{}.InsertOpts()
	if opts.MaxAttempts != unlimitedAttempts || opts.MaxAttempts < 30000 {
		t.Fatalf("max attempts %d", opts.MaxAttempts)
	}
	// River must not cut an attempt short before the receiver's 10 s are up.
	w.j.cfg.CaseWebhookTimeout = 10 * time.Second
	if d := w.Timeout(job(1)); d <= 10*time.Second {
		t.Fatalf("job timeout %s leaves no time to record the attempt", d)
	}
}
