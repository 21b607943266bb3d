// Package paymentstest provides a deposit provider for tests: it keeps its
// payments in memory, honours idempotency keys the way Stripe does, lets a
// test play the bidder (authorise, capture) and the provider (a hold that
// lapses), and can fail calls before or after doing their work, which is
// how a lost response looks from Gavel's side.
package paymentstest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"gavel/payments"
)

// Operations, for failure injection and call counts.
const (
	OpStart   = "start"
	OpLookup  = "lookup"
	OpCapture = "capture"
	OpRelease = "release"
	OpBalance = "balance"
)

// ErrInjected is returned by calls told to fail.
var ErrInjected = errors.New("paymentstest: injected provider failure")

type failure struct {
	n     int
	after bool
}

// Fake is an in-memory provider. The zero value is not usable; use New.
type Fake struct {
	name string

	mu       sync.Mutex
	seq      int
	intents  map[string]*payments.Intent
	byKey    map[string]string // idempotency key -> result ref (or refund id)
	fail     map[string]*failure
	calls    map[string]int
	captures map[string]int
	cancels  map[string]int
	refunds  map[string]int
	balance  []payments.BalanceTransaction
	now      func() time.Time
}

var (
	_ payments.Provider      = (*Fake)(nil)
	_ payments.BalanceSource = (*Fake)(nil)
)

// New returns a fake provider reporting name (e.g. "stripe").
func New(name string) *Fake {
	return &Fake{name: name, intents: map[string]*payments.Intent{}, byKey: map[string]string{}, fail: map[string]*failure{},
		calls: map[string]int{}, captures: map[string]int{}, cancels: map[string]int{}, refunds: map[string]int{}, now: time.Now}
}

// Name is the name given to New.
func (f *Fake) Name() string { return f.name }

// FailNext makes the next n calls of op fail. With after, each call does its
// work first and then fails, like a response lost on the way back.
func (f *Fake) FailNext(op string, n int, after bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[op] = &failure{n: n, after: after}
}

// enter counts a call and reports whether it must fail before or after.
func (f *Fake) enter(op string) (before, after bool) {
	f.calls[op]++
	fl := f.fail[op]
	if fl == nil || fl.n == 0 {
		return false, false
	}
	fl.n--
	return !fl.after, fl.after
}

// Calls counts the calls of op, failed ones included.
func (f *Fake) Calls(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// Moves reports how many times the money of payment ref actually moved:
// captures, cancellations and refunds carried out (idempotent replays do not
// count). A deposit that was released twice shows two.
func (f *Fake) Moves(ref string) (captures, cancels, refunds int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.captures[ref], f.cancels[ref], f.refunds[ref]
}

func (f *Fake) copyOf(ref string) (*payments.Intent, error) {
	in, ok := f.intents[ref]
	if !ok {
		return nil, fmt.Errorf("paymentstest: %s: %w", ref, payments.ErrUnknownPayment)
	}
	c := *in
	return &c, nil
}

// Start creates a payment, or returns the one created with the same key.
func (f *Fake) Start(_ context.Context, r payments.DepositRequest) (*payments.Intent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	before, after := f.enter(OpStart)
	if before {
		return nil, ErrInjected
	}
	ref, ok := f.byKey[r.Key]
	if !ok {
		f.seq++
		ref = fmt.Sprintf("pi_fake_%d", f.seq)
		f.intents[ref] = &payments.Intent{Ref: ref, ClientSecret: ref + "_secret", Status: payments.IntentOpen,
			Amount: r.Amount, Currency: r.Currency, DepositID: r.DepositID}
		f.byKey[r.Key] = ref
	}
	if after {
		return nil, ErrInjected
	}
	return f.copyOf(ref)
}

// Lookup returns the payment as it stands.
func (f *Fake) Lookup(_ context.Context, ref string) (*payments.Intent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if before, _ := f.enter(OpLookup); before {
		return nil, ErrInjected
	}
	return f.copyOf(ref)
}

// Capture takes the money of an authorised hold.
func (f *Fake) Capture(_ context.Context, ref, key string) (*payments.Intent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	before, after := f.enter(OpCapture)
	if before {
		return nil, ErrInjected
	}
	in, ok := f.intents[ref]
	if !ok {
		return nil, fmt.Errorf("paymentstest: no payment %s", ref)
	}
	if _, done := f.byKey[key]; !done && in.Status == payments.IntentAuthorized {
		in.Status = payments.IntentCaptured
		f.captures[ref]++
		f.byKey[key] = ref
		f.charged(in)
	}
	if after {
		return nil, ErrInjected
	}
	return f.copyOf(ref)
}

// Release cancels an unpaid or held payment or refunds a captured one.
func (f *Fake) Release(_ context.Context, ref string, amount int64, key string) (*payments.Intent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	before, after := f.enter(OpRelease)
	if before {
		return nil, ErrInjected
	}
	in, ok := f.intents[ref]
	if !ok {
		return nil, fmt.Errorf("paymentstest: no payment %s", ref)
	}
	switch {
	case in.Released():
	case in.Status == payments.IntentCaptured:
		if _, done := f.byKey[key+":refund"]; !done {
			refund := amount - in.Refunded
			in.Refunded += refund
			in.RefundRef = "re_" + ref
			f.refunds[ref]++
			f.moved("refund", in.RefundRef, -refund, 0)
			f.byKey[key+":refund"] = in.RefundRef
		}
	default:
		if _, done := f.byKey[key+":cancel"]; !done {
			in.Status = payments.IntentCanceled
			f.cancels[ref]++
			f.byKey[key+":cancel"] = ref
		}
	}
	if after {
		return nil, ErrInjected
	}
	return f.copyOf(ref)
}

// Authorize plays the bidder paying with a card: the payment becomes a hold
// that lapses at captureBefore.
func (f *Fake) Authorize(ref string, captureBefore time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	in := f.intents[ref]
	in.Status = payments.IntentAuthorized
	in.CaptureBefore = captureBefore.UTC()
}

// Pay plays the bidder paying outright (no hold): the payment is captured.
func (f *Fake) Pay(ref string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.intents[ref].Status = payments.IntentCaptured
	f.charged(f.intents[ref])
}

// Lapse plays the provider cancelling a hold that was never captured.
func (f *Fake) Lapse(ref string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.intents[ref].Status = payments.IntentCanceled
}

// Ref returns the payment started for a deposit, or "".
func (f *Fake) Ref(depositID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ref, in := range f.intents {
		if in.DepositID == depositID {
			return ref
		}
	}
	return ""
}

// Fee is the fake's fee on a payment: 0.6%, rounded down, like a card
// processor's percentage fee. Refunds cost nothing.
func Fee(amount int64) int64 { return amount * 6 / 1000 }

// SetClock makes the fake date its balance transactions by now (a test's
// clock) instead of the system clock.
func (f *Fake) SetClock(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// charged adds the balance transaction of a captured payment.
func (f *Fake) charged(in *payments.Intent) { f.moved("charge", in.Ref, in.Amount, Fee(in.Amount)) }

func (f *Fake) moved(typ, ref string, amount, fee int64) {
	f.balance = append(f.balance, payments.BalanceTransaction{ID: fmt.Sprintf("txn_fake_%d", len(f.balance)+1), Type: typ,
		Reference: ref, Amount: amount, Fee: fee, Net: amount - fee, Currency: "CNY", Created: f.now().UTC()})
}

// BalanceTransactions lists the fake's balance movements created in
// [from, to), as Stripe's balance transactions would.
func (f *Fake) BalanceTransactions(_ context.Context, from, to time.Time) ([]payments.BalanceTransaction, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if before, after := f.enter(OpBalance); before || after {
		return nil, ErrInjected
	}
	out := []payments.BalanceTransaction{}
	for _, t := range f.balance {
		if !t.Created.Before(from) && t.Created.Before(to) {
			out = append(out, t)
		}
	}
	return out, nil
}

// AddBalance plays the provider moving money Gavel was not told of.
func (f *Fake) AddBalance(t payments.BalanceTransaction) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.balance = append(f.balance, t)
}

// EditBalance changes (edit changes it and returns true) or removes (edit
// returns false) the balance transactions of reference ref: the provider's
// truth differing from what Gavel booked.
func (f *Fake) EditBalance(ref string, edit func(*payments.BalanceTransaction) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	kept := f.balance[:0]
	for _, t := range f.balance {
		if t.Reference != ref || edit(&t) {
			kept = append(kept, t)
		}
	}
	f.balance = kept
}
