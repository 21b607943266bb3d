package jobs_test

import (
	"testing"
	"time"

	"gavel/auction"
	"gavel/payments"
	"gavel/payments/paymentstest"
)

// Reconciliation reads the card provider's own balance transactions and
// sets them against the ledger: captured deposits and refunds match by
// reference with their fees summed, a hold that was never captured is not
// expected there, and every difference (an amount changed at the provider,
// a booked refund the provider does not show, a payment nobody booked) is
// a named line that makes the reconciliation not ok.
func TestReconcileAgainstProviderBalance(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{stripe: true})
	e.fake.SetClock(e.Clock.Now)
	from := e.Clock.Now().Add(-time.Hour)
	a := e.Announced("住宅")
	win, lose, held := e.Bidder(), e.Bidder(), e.Bidder()
	rw, rl, rh := e.Register(win, a.ID), e.Register(lose, a.ID), e.Register(held, a.ID)
	short := e.Clock.Now().Add(7 * 24 * time.Hour) // lapses before the close: captured at once
	e.authorize(t, rw, short)
	e.authorize(t, rl, short)
	e.authorize(t, rh, a.EndsAt.Add(72*time.Hour)) // outlives the close: never captured, cancelled
	e.Open(a)
	e.Bid(win, a.ID, a.StartPrice)
	e.Close(a)
	e.settle(t)
	e.wantDeposit(t, rl.Deposit.ID, auction.DepositRefunded, "refunded")
	e.wantDeposit(t, rh.Deposit.ID, auction.DepositRefunded, payments.IntentCanceled)
	to := e.Clock.Now().Add(time.Hour)

	r, err := e.Store.Reconcile(e.Ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Providers) != 1 {
		t.Fatalf("providers %+v", r.Providers)
	}
	p, dep := r.Providers[0], a.Deposit
	if p.Provider != payments.ProviderStripe || p.Error != "" || len(p.Differences) != 0 {
		t.Fatalf("balance of a clean period: %+v", p)
	}
	if p.Transactions != 3 || p.Gross != dep || p.Fees != 2*paymentstest.Fee(dep) || p.Net != dep-2*paymentstest.Fee(dep) {
		t.Fatalf("balance totals %+v, want 3 movements, gross %d, fees %d", p, dep, 2*paymentstest.Fee(dep))
	}

	// The provider's truth differs from the books, three ways.
	winRef, loseRef := e.fake.Ref(rw.Deposit.ID), "re_"+e.fake.Ref(rl.Deposit.ID)
	e.fake.EditBalance(winRef, func(bt *payments.BalanceTransaction) bool { bt.Amount -= 100; return true })
	e.fake.EditBalance(loseRef, func(*payments.BalanceTransaction) bool { return false })
	e.fake.AddBalance(payments.BalanceTransaction{ID: "txn_stray", Type: "charge", Reference: "pi_stray", Amount: 5000, Fee: 30, Net: 4970,
		Currency: "CNY", Created: e.Clock.Now()})
	if r, err = e.Store.Reconcile(e.Ctx, from, to); err != nil {
		t.Fatal(err)
	}
	got := map[string]payments.ProviderDifference{}
	for _, d := range r.Providers[0].Differences {
		got[d.Status+" "+d.Reference] = d
	}
	if d, ok := got[payments.ProviderAmountDiffers+" "+winRef]; !ok || d.LedgerAmount != dep || d.ProviderAmount != dep-100 || d.DepositID != rw.Deposit.ID {
		t.Fatalf("amount differs: %+v", got)
	}
	if d, ok := got[payments.ProviderBookedNotAtProvider+" "+loseRef]; !ok || d.LedgerAmount != -dep || d.LedgerTransactionID == nil {
		t.Fatalf("booked, not at the provider: %+v", got)
	}
	if d, ok := got[payments.ProviderNotBooked+" pi_stray"]; !ok || d.ProviderAmount != 5000 || d.Fee != 30 || d.BalanceTransaction != "txn_stray" {
		t.Fatalf("at the provider, not booked: %+v", got)
	}
	if len(got) != 3 || r.OK {
		t.Fatalf("differences %+v, ok %v", got, r.OK)
	}
	// The ledger's totals alone never read the provider, and agree with
	// the reconciliation's.
	calls := e.fake.Calls(paymentstest.OpBalance)
	accounts, total, err := e.Store.AccountTotals(e.Ctx, from, to)
	if err != nil || e.fake.Calls(paymentstest.OpBalance) != calls || len(accounts) != len(r.Accounts) || total != r.AccountsTotal {
		t.Fatalf("account totals %+v %+v %v (provider read %d times)", accounts, total, err, e.fake.Calls(paymentstest.OpBalance)-calls)
	}
	// A provider that cannot be read makes the reconciliation not ok, saying so.
	e.fake.FailNext(paymentstest.OpBalance, 1, false)
	if r, err = e.Store.Reconcile(e.Ctx, from, to); err != nil || r.OK || r.Providers[0].Error == "" || len(r.Providers[0].Differences) != 0 {
		t.Fatalf("an unreadable provider: %+v %v", r.Providers, err)
	}
	// A later period sees none of it.
	if r, err = e.Store.Reconcile(e.Ctx, to.Add(48*time.Hour), to.Add(72*time.Hour)); err != nil || len(r.Providers[0].Differences) != 0 ||
		r.Providers[0].Transactions != 0 {
		t.Fatalf("a later period: %+v %v", r.Providers, err)
	}
}
