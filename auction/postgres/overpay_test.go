package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/payments"
)

// soldAt runs a to sold with one bidder winning at the start price; it
// returns the hammer price and what the buyer owes after the deposit.
func soldAt(t *testing.T, w *auctiontest.World, a *auction.Auction) (hammer, owed int64) {
	t.Helper()
	buyer := w.Verified("", "")
	w.Qualify(buyer, a.ID)
	w.Open(a)
	w.Bid(buyer, a.ID, a.StartPrice)
	w.Close(a)
	if got, _ := w.Store.Auction(w.Ctx, a.ID); got.Status != auction.StatusSold {
		t.Fatalf("auction %s after the close", got.Status)
	}
	return a.StartPrice, a.StartPrice - a.Deposit
}

// accounts returns the auction's ledger balances (debit positive).
func accounts(t *testing.T, w *auctiontest.World, auctionID string) map[string]int64 {
	t.Helper()
	m, err := w.Store.AuctionMoney(w.Ctx, auctionID)
	if err != nil {
		t.Fatal(err)
	}
	return m.Accounts
}

// settledRecord returns balance_received as the settled event and the
// auction.settled notification recorded it.
func settledRecord(t *testing.T, w *auctiontest.World, auctionID string) (event, notification int64) {
	t.Helper()
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT
			(SELECT (data->>'balance_received')::bigint FROM auction_events WHERE auction_id = $1 AND type = 'settled'),
			(SELECT (body->'data'->>'balance_received')::bigint FROM case_notifications WHERE auction_id = $1 AND type = 'auction.settled')`,
		auctionID).Scan(&event, &notification); err != nil {
		t.Fatal(err)
	}
	return event, notification
}

// wantReconciled checks the reconciliation has no difference and returns it.
func wantReconciled(t *testing.T, w *auctiontest.World) *payments.Reconciliation {
	t.Helper()
	r := reconcile(t, w)
	if !r.OK || len(r.Differences) != 0 || r.LinesTotal.Difference != 0 || r.EscrowTotal.Difference != 0 || r.AccountsTotal.Closing != 0 {
		t.Fatalf("the books do not reconcile: differences %+v, lines %+v, escrow %+v", r.Differences, r.LinesTotal, r.EscrowTotal)
	}
	return r
}

func lineOf(r *payments.Reconciliation, kind, ref string) *payments.Line {
	for i, l := range r.Lines {
		if l.Kind == kind && l.Reference == ref {
			return &r.Lines[i]
		}
	}
	return nil
}

// A payment above what is outstanding is recorded whole and settles the
// auction; the case gets what was owed, the excess is owed back to the
// buyer; finance pays it back once.
func TestOverpaymentSettlesAndIsPaidBack(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	hammer, owed := soldAt(t, w, a)

	part, events, err := w.Store.RecordBalancePayment(w.Ctx, w.Clerk.ID, a.ID, owed-1000, "PART")
	if err != nil || part.Excess != 0 || part.Outstanding != 1000 || part.Status != auction.StatusSold || len(events) != 0 {
		t.Fatalf("part payment: %+v %v %v", part, events, err)
	}
	over, events, err := w.Store.RecordBalancePayment(w.Ctx, w.Clerk.ID, a.ID, 5000, "OVER")
	if err != nil || over.Amount != 5000 || over.Excess != 4000 || over.Outstanding != 0 || over.Status != auction.StatusSettled ||
		over.ExcessRefundReference != nil || over.ExcessRefundedAt != nil {
		t.Fatalf("overpayment: %+v %v", over, err)
	}
	if len(events) != 1 || events[0].Type != auction.EventSettled || fmt.Sprint(events[0].Data["balance_received"]) != fmt.Sprint(owed) {
		t.Fatalf("settled event: %+v", events)
	}
	if ev, note := settledRecord(t, w, a.ID); ev != owed || note != owed {
		t.Fatalf("settled event and notification count %d and %d as received, want %d (the excess left out)", ev, note, owed)
	}
	if got, _ := w.Store.Auction(w.Ctx, a.ID); got.Status != auction.StatusSettled {
		t.Fatalf("auction %s after the overpayment", got.Status)
	}
	var stored int64
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT excess FROM balance_payments WHERE id = $1`, over.ID).Scan(&stored); err != nil || stored != 4000 {
		t.Fatalf("stored excess %d (%v)", stored, err)
	}

	p, err := w.Store.CaseProceeds(w.Ctx, a.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if it := p.Items[0]; it.BalanceReceived != owed || it.DepositApplied != a.Deposit || p.TotalReceived != hammer || p.LedgerBalance != hammer {
		t.Fatalf("proceeds count the excess: %+v", p)
	}
	// One ledger transaction: the whole transfer into escrow, split
	// between the case and the buyer.
	txs, _, err := w.Store.Ledger(w.Ctx, payments.LedgerFilter{AuctionID: a.ID, Kind: payments.TxBalanceReceived})
	if err != nil || len(txs) != 2 {
		t.Fatalf("balance transactions %+v %v", txs, err)
	}
	want := []payments.Entry{{Account: payments.AccountEscrow, Amount: 5000}, {Account: payments.AccountCaseProceeds, Amount: -1000},
		{Account: payments.AccountRefundsDue, Amount: -4000}}
	if got := txs[1].Entries; fmt.Sprint(got) != fmt.Sprint(want) || txs[1].Reference != "OVER" {
		t.Fatalf("overpayment entries %v, want %v", got, want)
	}
	acc := accounts(t, w, a.ID)
	if acc[payments.AccountCaseProceeds] != -hammer || acc[payments.AccountRefundsDue] != -4000 || acc[payments.AccountEscrow] != hammer+4000 {
		t.Fatalf("accounts after the overpayment: %v", acc)
	}
	wantLedgerBalanced(t, w)
	// The bank's record is the whole transfer, matched line by line.
	r := wantReconciled(t, w)
	if l := lineOf(r, payments.RecordBalanceReceived, "OVER"); l == nil || l.Status != payments.LineMatched || l.LedgerAmount != 5000 || l.ProviderAmount != 5000 {
		t.Fatalf("overpayment line %+v", l)
	}

	// Finance sees it to pay back.
	due, err := w.Store.BalanceRefundsDue(w.Ctx)
	if err != nil || len(due) != 1 || due[0].ID != over.ID || due[0].Excess != 4000 || due[0].Amount != 5000 || due[0].Reference != "OVER" {
		t.Fatalf("excesses due %+v %v", due, err)
	}
	if !financeWorkHas(t, w, a.ID) {
		t.Fatal("finance's work does not list the auction with an excess to pay back")
	}

	// Refusals of the pay-back.
	for _, tc := range []struct {
		id, ref, code string
	}{
		{over.ID, "", auction.EInvalidField},
		{over.ID, "  ", auction.EInvalidField},
		{"00000000-0000-0000-0000-000000000000", "BACK", auction.ENotFound},
		{"not-a-uuid", "BACK", auction.ENotFound},
		{part.ID, "BACK", auction.EInvalidState}, // no excess
	} {
		_, err := w.Store.MarkBalanceRefunded(w.Ctx, tc.id, tc.ref)
		wantCode(t, err, tc.code)
	}
	back, err := w.Store.MarkBalanceRefunded(w.Ctx, over.ID, "BACK-1")
	if err != nil || back.ID != over.ID || back.Excess != 4000 || back.ExcessRefundReference == nil || *back.ExcessRefundReference != "BACK-1" ||
		back.ExcessRefundedAt == nil || !back.ExcessRefundedAt.Equal(w.Clock.Now()) || back.Status != auction.StatusSettled || back.Outstanding != 0 {
		t.Fatalf("paid back: %+v %v", back, err)
	}
	_, err = w.Store.MarkBalanceRefunded(w.Ctx, over.ID, "BACK-2")
	wantCode(t, err, auction.EInvalidState) // already paid back

	acc = accounts(t, w, a.ID)
	if acc[payments.AccountRefundsDue] != 0 || acc[payments.AccountEscrow] != hammer || acc[payments.AccountCaseProceeds] != -hammer {
		t.Fatalf("accounts after paying back: %v", acc)
	}
	if due, _ := w.Store.BalanceRefundsDue(w.Ctx); len(due) != 0 {
		t.Fatalf("excesses due after paying back: %+v", due)
	}
	if financeWorkHas(t, w, a.ID) {
		t.Fatal("finance's work still lists a settled auction with nothing to do")
	}
	if p, _ := w.Store.CaseProceeds(w.Ctx, a.CaseID); p.TotalReceived != hammer || p.LedgerBalance != hammer {
		t.Fatalf("proceeds after paying back: %+v", p)
	}
	wantLedgerBalanced(t, w)
	r = wantReconciled(t, w)
	if l := lineOf(r, payments.RecordExcessReturned, "BACK-1"); l == nil || l.Status != payments.LineMatched || l.LedgerAmount != -4000 || l.ProviderAmount != -4000 {
		t.Fatalf("pay-back line %+v", l)
	}
	if refunds := account(r, payments.AccountRefundsDue); refunds.Closing != 0 || refunds.Debits != 4000 || refunds.Credits != 4000 {
		t.Fatalf("refunds due over the period: %+v", refunds)
	}
}

func financeWorkHas(t *testing.T, w *auctiontest.World, auctionID string) bool {
	t.Helper()
	work, err := w.Store.FinanceWork(w.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range work {
		if l.ID == auctionID {
			return true
		}
	}
	return false
}

// A buyer who transfers the whole hammer price, forgetting the deposit
// already counts toward it: the auction settles and the deposit's worth is
// the excess.
func TestWholeHammerPaidSettles(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	hammer, owed := soldAt(t, w, a)
	p, events, err := w.Store.RecordBalancePayment(w.Ctx, w.Clerk.ID, a.ID, hammer, "WHOLE")
	if err != nil || p.Status != auction.StatusSettled || p.Outstanding != 0 || p.Excess != a.Deposit || len(events) != 1 {
		t.Fatalf("whole hammer paid: %+v %v %v", p, events, err)
	}
	if proceeds, _ := w.Store.CaseProceeds(w.Ctx, a.CaseID); proceeds.Items[0].BalanceReceived != owed || proceeds.TotalReceived != hammer {
		t.Fatalf("proceeds %+v", proceeds)
	}
	_, _, err = w.Store.RecordBalancePayment(w.Ctx, w.Clerk.ID, a.ID, 1, "AFTER")
	wantCode(t, err, auction.EAuctionNotSold)
	wantLedgerBalanced(t, w)
	wantReconciled(t, w)
}

// Payments of one auction racing: they are applied one at a time, so the
// ones that arrive while it is sold go toward the price, exactly one settles
// it (carrying whatever it brought beyond), and the rest find it settled
// and are refused with auction_not_sold. The case never gets more than the
// hammer price.
func TestConcurrentBalancePayments(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	hammer, owed := soldAt(t, w, a)
	// Any three of these fall short of what is owed and any four exceed it:
	// four are taken, whatever the order, and two refused.
	const n = 6
	amounts := make([]int64, n)
	for i := range amounts {
		amounts[i] = owed/4 + int64(i)*1000
	}
	type result struct {
		p   *payments.BalancePayment
		err error
	}
	results := make([]result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			p, _, err := w.Store.RecordBalancePayment(context.Background(), w.Clerk.ID, a.ID, amounts[i], fmt.Sprintf("RACE-%d", i))
			results[i] = result{p, err}
		}()
	}
	close(start)
	wg.Wait()

	var taken, refused, settled int
	var toward, amount, excess int64
	for i, r := range results {
		switch {
		case r.err == nil:
			taken++
			toward += r.p.Amount - r.p.Excess
			amount += r.p.Amount
			excess += r.p.Excess
			if r.p.Status == auction.StatusSettled {
				settled++
				if r.p.Outstanding != 0 {
					t.Errorf("payment %d settled with %d outstanding", i, r.p.Outstanding)
				}
			} else if r.p.Excess != 0 || r.p.Outstanding == 0 {
				t.Errorf("payment %d left the auction sold with excess %d, outstanding %d", i, r.p.Excess, r.p.Outstanding)
			}
		case auction.ErrorCode(r.err) == auction.EAuctionNotSold:
			refused++
		default:
			t.Fatalf("payment %d: %v", i, r.err)
		}
	}
	if taken != 4 || refused != 2 || settled != 1 {
		t.Fatalf("%d payments taken, %d refused, %d settled; want 4, 2 and 1", taken, refused, settled)
	}
	if toward != owed || excess != amount-owed {
		t.Fatalf("applied %d toward the price (owed %d), excess %d of %d received", toward, owed, excess, amount)
	}
	var rows int
	var stored int64
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT count(*), coalesce(sum(excess), 0)::bigint FROM balance_payments WHERE auction_id = $1`, a.ID).
		Scan(&rows, &stored); err != nil || rows != 4 || stored != excess {
		t.Fatalf("stored %d payments, excess %d (%v)", rows, stored, err)
	}
	var events int
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT count(*) FROM auction_events WHERE auction_id = $1 AND type = 'settled'`, a.ID).Scan(&events); err != nil || events != 1 {
		t.Fatalf("%d settled events (%v)", events, err)
	}
	if ev, note := settledRecord(t, w, a.ID); ev != owed || note != owed {
		t.Fatalf("settled event and notification count %d and %d as received, want %d", ev, note, owed)
	}
	if p, _ := w.Store.CaseProceeds(w.Ctx, a.CaseID); p.TotalReceived != hammer || p.LedgerBalance != hammer {
		t.Fatalf("proceeds %+v, want %d", p, hammer)
	}
	if acc := accounts(t, w, a.ID); acc[payments.AccountCaseProceeds] != -hammer || acc[payments.AccountRefundsDue] != -excess {
		t.Fatalf("accounts %v", acc)
	}
	wantLedgerBalanced(t, w)
	wantReconciled(t, w)

	// Two marks of the same pay-back at once: one records it, the other
	// finds it done; the excess leaves refunds due once.
	due, err := w.Store.BalanceRefundsDue(w.Ctx)
	if err != nil || len(due) != 1 || due[0].Excess != excess {
		t.Fatalf("excesses due %+v %v", due, err)
	}
	errs := make(chan error, 2)
	for i := range 2 {
		go func() {
			_, err := w.Store.MarkBalanceRefunded(context.Background(), due[0].ID, fmt.Sprintf("BACK-%d", i))
			errs <- err
		}()
	}
	var ok, done int
	for range 2 {
		switch err := <-errs; auction.ErrorCode(err) {
		case auction.EInvalidState:
			done++
		default:
			if err != nil {
				t.Fatal(err)
			}
			ok++
		}
	}
	if ok != 1 || done != 1 {
		t.Fatalf("%d pay-backs recorded, %d refused; want 1 and 1", ok, done)
	}
	if acc := accounts(t, w, a.ID); acc[payments.AccountRefundsDue] != 0 {
		t.Fatalf("refunds due %d after paying back", acc[payments.AccountRefundsDue])
	}
	wantLedgerBalanced(t, w)
	wantReconciled(t, w)
}
