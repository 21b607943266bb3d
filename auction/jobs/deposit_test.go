package jobs_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/jobs"
	"gavel/payments"
	"gavel/payments/paymentstest"
	"gavel/payments/stripe"
)

// stripeEvent is a webhook as Stripe signs it.
func stripeEvent(t tb, id, typ, ref, depositID, secret string) ([]byte, string) {
	t.Helper()
	payload := fmt.Appendf(nil, `{"id":%q,"object":"event","api_version":%q,"created":%d,"type":%q,"livemode":false,"pending_webhooks":1,
		"data":{"object":{"id":%q,"object":"payment_intent","amount":1,"metadata":{"deposit_id":%q}}}}`,
		id, stripe.APIVersion, time.Now().Unix(), typ, ref, depositID)
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret})
	return sp.Payload, sp.Header
}

var eventSeq = 0

// deliver posts a signed event about the deposit's payment and waits until
// it has been applied.
func (e *env) deliver(t tb, typ, depositID string) string {
	t.Helper()
	eventSeq++
	id := fmt.Sprintf("evt_%d_%d", eventSeq, auctiontest.Next())
	payload, header := stripeEvent(t, id, typ, e.fake.Ref(depositID), depositID, webhookSecret)
	if err := e.jobs.ReceiveStripeEvent(e.Ctx, payload, header); err != nil {
		t.Fatal(err)
	}
	e.settle(t)
	return id
}

// authorize plays a bidder whose card is held until captureBefore.
func (e *env) authorize(t tb, reg *auction.Registration, captureBefore time.Time) {
	t.Helper()
	e.fake.Authorize(e.fake.Ref(reg.Deposit.ID), captureBefore)
	e.deliver(t, "payment_intent.amount_capturable_updated", reg.Deposit.ID)
}

func (e *env) wantDeposit(t tb, id, status, providerState string) {
	t.Helper()
	d := e.deposit(t, id)
	if d.Status != status || d.ProviderState != providerState {
		t.Fatalf("deposit: status %s provider_state %q, want %s %q", d.Status, d.ProviderState, status, providerState)
	}
}

func (e *env) wantMoves(t tb, depositID string, captures, cancels, refunds int) {
	t.Helper()
	c, x, r := e.fake.Moves(e.fake.Ref(depositID))
	if c != captures || x != cancels || r != refunds {
		t.Fatalf("provider moves: %d captures, %d cancels, %d refunds; want %d, %d, %d", c, x, r, captures, cancels, refunds)
	}
}

func (e *env) wantLedger(t tb, depositID string, kinds ...string) {
	t.Helper()
	if got := e.ledgerKinds(t, depositID); !equal(got, kinds) {
		t.Fatalf("ledger of deposit: %v, want %v", got, kinds)
	}
}

// The bank: finance confirms the transfer, the close applies the winner's
// deposit and releases the others', finance marks refunds, a default
// forfeits. No job is ever enqueued for bank money.
func TestBankDepositTransitions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	a := e.Announced("住宅")
	win, lose, late := e.Bidder(), e.Bidder(), e.Bidder()
	rw, rl, rlate := e.Register(win, a.ID), e.Register(lose, a.ID), e.Register(late, a.ID)
	if rw.Deposit.Provider != payments.ProviderBank || rw.Deposit.ClientSecret != "" || rw.Deposit.Status != auction.DepositPending {
		t.Fatalf("bank registration deposit: %+v", rw.Deposit)
	}
	_, err := e.Store.ConfirmDeposit(e.Ctx, rw.Deposit.ID, "")
	wantCode(t, err, auction.EInvalidField)
	for _, r := range []*auction.Registration{rw, rl} {
		if _, err := e.Store.ConfirmDeposit(e.Ctx, r.Deposit.ID, "BANK-"+r.ID[:6]); err != nil {
			t.Fatal(err)
		}
	}
	_, err = e.Store.ConfirmDeposit(e.Ctx, rw.Deposit.ID, "BANK-again")
	wantCode(t, err, auction.EDepositNotPending)
	_, err = e.Store.MarkRefunded(e.Ctx, rw.Deposit.ID, "REF-1")
	wantCode(t, err, auction.EInvalidState)
	if got := e.registration(t, rw.ID); got.Status != auction.RegistrationQualified || got.BidderCode == nil {
		t.Fatalf("confirmed registration: %+v", got)
	}

	e.Open(a)
	e.Bid(win, a.ID, a.StartPrice)
	e.Close(a)
	e.settle(t)
	e.wantDeposit(t, rw.Deposit.ID, auction.DepositApplied, "")
	e.wantDeposit(t, rl.Deposit.ID, auction.DepositRefundPending, "")
	e.wantDeposit(t, rlate.Deposit.ID, auction.DepositPending, "")

	// Money that arrives after the close is released at once.
	if _, err := e.Store.ConfirmDeposit(e.Ctx, rlate.Deposit.ID, "BANK-late"); err != nil {
		t.Fatal(err)
	}
	e.wantDeposit(t, rlate.Deposit.ID, auction.DepositRefundPending, "")
	if got := e.registration(t, rlate.ID); got.Status != auction.RegistrationPending || got.BidderCode != nil {
		t.Fatalf("a late deposit qualified its registration: %+v", got)
	}
	for _, d := range []string{rl.Deposit.ID, rlate.Deposit.ID} {
		if _, err := e.Store.MarkRefunded(e.Ctx, d, "REFUND-"+d[:6]); err != nil {
			t.Fatal(err)
		}
		e.wantDeposit(t, d, auction.DepositRefunded, "")
		e.wantLedger(t, d, payments.TxDepositHeld, payments.TxDepositReleased, payments.TxDepositRefunded)
	}
	_, err = e.Store.MarkRefunded(e.Ctx, rl.Deposit.ID, "REFUND-again")
	wantCode(t, err, auction.EInvalidState)

	// No balance paid by the deadline: the winner's deposit is forfeited.
	e.Clock.Advance(11 * 24 * time.Hour)
	e.Tick()
	e.wantDeposit(t, rw.Deposit.ID, auction.DepositForfeited, "")
	e.wantLedger(t, rw.Deposit.ID, payments.TxDepositHeld, payments.TxDepositApplied, payments.TxDepositForfeited, payments.TxForfeitAllocated)
	for _, kind := range []string{"deposit_capture", "deposit_release"} {
		if n := e.jobCount(t, kind); n != 0 {
			t.Fatalf("%d %s jobs for bank deposits", n, kind)
		}
	}
}

// Stripe, the hold outlives the close: authorised holds qualify, the close
// cancels the loser's hold and captures the winner's; a default forfeits
// the captured money. Each provider call happens once.
func TestStripeHoldOutlivesClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{stripe: true})
	a := e.Announced("住宅")
	win, lose := e.Bidder(), e.Bidder()
	rw, rl := e.Register(win, a.ID), e.Register(lose, a.ID)
	if rw.Deposit.Provider != payments.ProviderStripe || rw.Deposit.ClientSecret == "" || rw.Deposit.Status != auction.DepositPending {
		t.Fatalf("stripe registration deposit: %+v", rw.Deposit)
	}
	if rw.BidderCode != nil {
		t.Fatal("bidder code before the deposit is held")
	}
	_, err := e.Store.ConfirmDeposit(e.Ctx, rw.Deposit.ID, "BANK-1")
	wantCode(t, err, auction.EInvalidState)

	hold := a.EndsAt.Add(3 * 24 * time.Hour)
	e.authorize(t, rw, hold)
	e.authorize(t, rl, hold)
	for _, r := range []*auction.Registration{rw, rl} {
		e.wantDeposit(t, r.Deposit.ID, auction.DepositHeld, payments.IntentAuthorized)
		if got := e.registration(t, r.ID); got.Status != auction.RegistrationQualified || got.BidderCode == nil {
			t.Fatalf("authorised registration: %+v", got)
		}
		e.wantMoves(t, r.Deposit.ID, 0, 0, 0)
	}
	// A capture is scheduled an hour before each hold lapses, in case the
	// auction is still running then; nothing is captured now.
	var scheduled int
	if err := e.Pool.QueryRow(e.Ctx, `SELECT count(*) FROM river_job WHERE kind = 'deposit_capture' AND state = 'scheduled'`).Scan(&scheduled); err != nil {
		t.Fatal(err)
	}
	if scheduled != 2 {
		t.Fatalf("%d scheduled captures, want 2", scheduled)
	}
	_, err = e.Store.MarkRefunded(e.Ctx, rl.Deposit.ID, "REF")
	wantCode(t, err, auction.EInvalidState)

	e.Open(a)
	e.Bid(win, a.ID, a.StartPrice)
	e.Close(a)
	e.settle(t)
	e.wantDeposit(t, rw.Deposit.ID, auction.DepositApplied, payments.IntentCaptured)
	e.wantMoves(t, rw.Deposit.ID, 1, 0, 0)
	e.wantDeposit(t, rl.Deposit.ID, auction.DepositRefunded, payments.IntentCanceled)
	e.wantMoves(t, rl.Deposit.ID, 0, 1, 0)
	e.wantLedger(t, rl.Deposit.ID, payments.TxDepositHeld, payments.TxDepositReleased, payments.TxDepositRefunded)

	e.Clock.Advance(11 * 24 * time.Hour)
	e.Tick()
	e.settle(t)
	e.wantDeposit(t, rw.Deposit.ID, auction.DepositForfeited, payments.IntentCaptured)
	e.wantMoves(t, rw.Deposit.ID, 1, 0, 0)
	e.wantLedger(t, rw.Deposit.ID, payments.TxDepositHeld, payments.TxDepositApplied, payments.TxDepositForfeited, payments.TxForfeitAllocated)
}

// Stripe, the hold lapses before the close: it is captured at once and the
// loser's money refunded after the close.
func TestStripeShortHoldCapturedThenRefunded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{stripe: true})
	a := e.Announced("住宅")
	win, lose := e.Bidder(), e.Bidder()
	rw, rl := e.Register(win, a.ID), e.Register(lose, a.ID)
	hold := e.Clock.Now().Add(7 * 24 * time.Hour) // before the close, 32 days away
	e.authorize(t, rw, hold)
	e.authorize(t, rl, hold)
	for _, r := range []*auction.Registration{rw, rl} {
		e.wantDeposit(t, r.Deposit.ID, auction.DepositHeld, payments.IntentCaptured)
		e.wantMoves(t, r.Deposit.ID, 1, 0, 0)
	}
	e.Open(a)
	e.Bid(win, a.ID, a.StartPrice)
	e.Close(a)
	e.settle(t)
	e.wantDeposit(t, rw.Deposit.ID, auction.DepositApplied, payments.IntentCaptured)
	e.wantMoves(t, rw.Deposit.ID, 1, 0, 0)
	e.wantDeposit(t, rl.Deposit.ID, auction.DepositRefunded, "refunded")
	e.wantMoves(t, rl.Deposit.ID, 1, 0, 1)
	var ref string
	if err := e.Pool.QueryRow(e.Ctx, `SELECT refund_reference FROM deposits WHERE id = $1`, rl.Deposit.ID).Scan(&ref); err != nil || ref == "" {
		t.Fatalf("refund reference %q %v", ref, err)
	}
}

// A card authorised just before the close whose webhook comes after it is
// found by the close's release job (which re-reads the payment), held,
// released at once and cancelled; an unpaid payment is voided at the close
// so it can no longer be paid. The late webhook then changes nothing.
func TestStripeLateAndUnpaid(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{stripe: true})
	a := e.Announced("住宅")
	late, never := e.Bidder(), e.Bidder()
	rlate, rnever := e.Register(late, a.ID), e.Register(never, a.ID)
	e.Open(a)
	e.fake.Authorize(e.fake.Ref(rlate.Deposit.ID), a.EndsAt.Add(72*time.Hour))
	e.Close(a)
	e.settle(t)
	e.wantDeposit(t, rnever.Deposit.ID, auction.DepositPending, payments.IntentCanceled)
	e.wantMoves(t, rnever.Deposit.ID, 0, 1, 0)
	e.wantLedger(t, rnever.Deposit.ID)

	e.wantDeposit(t, rlate.Deposit.ID, auction.DepositRefunded, payments.IntentCanceled)
	e.wantMoves(t, rlate.Deposit.ID, 0, 1, 0)
	e.wantLedger(t, rlate.Deposit.ID, payments.TxDepositHeld, payments.TxDepositReleased, payments.TxDepositRefunded)
	if got := e.registration(t, rlate.ID); got.BidderCode != nil {
		t.Fatal("a late payment got a bidder code")
	}
	e.deliver(t, "payment_intent.amount_capturable_updated", rlate.Deposit.ID)
	e.wantDeposit(t, rlate.Deposit.ID, auction.DepositRefunded, payments.IntentCanceled)
	e.wantMoves(t, rlate.Deposit.ID, 0, 1, 0)
	e.wantLedger(t, rlate.Deposit.ID, payments.TxDepositHeld, payments.TxDepositReleased, payments.TxDepositRefunded)
}

// A provider that fails (before doing the work, or after it with the
// answer lost) is retried with backoff until it answers, and the money moves
// exactly once: each retry re-reads the payment first, and the calls carry
// idempotency keys.
func TestStripeFailuresMidwayAreRetriedNeverDoubled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{stripe: true})
	a := e.Announced("住宅")
	win, lose, short := e.Bidder(), e.Bidder(), e.Bidder()
	rw, rl, rs := e.Register(win, a.ID), e.Register(lose, a.ID), e.Register(short, a.ID)
	e.authorize(t, rw, a.EndsAt.Add(72*time.Hour))
	e.authorize(t, rl, a.EndsAt.Add(72*time.Hour))
	e.fake.FailNext(paymentstest.OpCapture, 1, true)
	e.authorize(t, rs, e.Clock.Now().Add(24*time.Hour))
	e.wantDeposit(t, rs.Deposit.ID, auction.DepositHeld, payments.IntentCaptured)
	e.wantMoves(t, rs.Deposit.ID, 1, 0, 0)

	e.Open(a)
	e.Bid(win, a.ID, a.StartPrice)
	e.fake.FailNext(paymentstest.OpRelease, 2, true)
	e.fake.FailNext(paymentstest.OpLookup, 3, false)
	e.Close(a)
	e.settle(t)
	e.wantDeposit(t, rw.Deposit.ID, auction.DepositApplied, payments.IntentCaptured)
	e.wantMoves(t, rw.Deposit.ID, 1, 0, 0)
	e.wantDeposit(t, rl.Deposit.ID, auction.DepositRefunded, payments.IntentCanceled)
	e.wantMoves(t, rl.Deposit.ID, 0, 1, 0)
	e.wantDeposit(t, rs.Deposit.ID, auction.DepositRefunded, "refunded")
	e.wantMoves(t, rs.Deposit.ID, 1, 0, 1)
	for _, d := range []string{rl.Deposit.ID, rs.Deposit.ID} {
		e.wantLedger(t, d, payments.TxDepositHeld, payments.TxDepositReleased, payments.TxDepositRefunded)
	}
	var failed int
	if err := e.Pool.QueryRow(e.Ctx, `SELECT coalesce(sum(array_length(errors, 1)), 0) FROM river_job
		WHERE kind IN ('deposit_release', 'deposit_capture') AND state = 'completed'`).Scan(&failed); err != nil {
		t.Fatal(err)
	}
	if failed < 6 {
		t.Fatalf("%d failed attempts recorded, want at least 6 (1 capture, 2 releases, 3 lookups)", failed)
	}
}

// A registration whose payment could not be created still succeeds; the
// sweeper creates the payment with the same idempotency key later.
func TestStripeStartFailureSwept(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{stripe: true})
	a := e.Announced("住宅")
	e.fake.FailNext(paymentstest.OpStart, 1, true) // created at the provider, answer lost
	reg := e.Register(e.Bidder(), a.ID)
	if reg.Deposit.ClientSecret != "" || reg.Deposit.Status != auction.DepositPending {
		t.Fatalf("deposit after a failed start: %+v", reg.Deposit)
	}
	// The sweep that runs when the job runner starts must be over first: it
	// may read the clock before the minute passes, and while it is queued or
	// running a second sweep is not inserted (one sweep at a time).
	deadline := time.Now().Add(15 * time.Second)
	for {
		var done int
		if err := e.Pool.QueryRow(e.Ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND state = 'completed'`,
			jobs.IntentSweepArgs{}.Kind()).Scan(&done); err != nil {
			t.Fatal(err)
		}
		if done > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sweep at start did not run within 15 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.Clock.Advance(time.Minute)
	if _, err := e.jobs.Client().Insert(e.Ctx, jobs.IntentSweepArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	e.settle(t)
	got := e.registration(t, reg.ID)
	if got.Deposit.ClientSecret == "" {
		t.Fatal("the sweeper did not create the payment")
	}
	if n := e.fake.Calls(paymentstest.OpStart); n != 2 {
		t.Fatalf("%d start calls, want 2", n)
	}
	if ref := e.fake.Ref(reg.Deposit.ID); ref+"_secret" != got.Deposit.ClientSecret {
		t.Fatalf("the sweeper made a second payment: %s vs %s", ref, got.Deposit.ClientSecret)
	}
}

// A hold that lapses while the deposit is held is recorded as the
// provider saw it, with no ledger entry, for reconciliation to flag.
func TestStripeLapsedHoldFlagged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{stripe: true})
	a := e.Announced("住宅")
	reg := e.Register(e.Bidder(), a.ID)
	e.authorize(t, reg, a.EndsAt.Add(72*time.Hour))
	e.fake.Lapse(e.fake.Ref(reg.Deposit.ID))
	e.deliver(t, "payment_intent.canceled", reg.Deposit.ID)
	e.deliver(t, "payment_intent.canceled", reg.Deposit.ID) // applying it again records nothing more
	e.wantDeposit(t, reg.Deposit.ID, auction.DepositHeld, payments.IntentCanceled)
	rec, err := e.Store.Reconcile(e.Ctx, e.Clock.Now().Add(-time.Hour), e.Clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var missing int
	for _, l := range rec.Differences {
		if l.DepositID == reg.Deposit.ID && l.Status == payments.LineMissingInLedger && l.Kind == payments.RecordDepositReturned {
			missing++
		}
	}
	if missing != 1 || rec.OK {
		t.Fatalf("reconciliation differences %+v, want one deposit_returned missing in the ledger", rec.Differences)
	}
}
