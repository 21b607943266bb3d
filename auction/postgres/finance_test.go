package postgres_test

import (
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
)

func TestDepositConfirmAndRefund(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	u := w.Verified("ID-F1", "")
	reg := w.Register(u, a.ID)
	_, err := w.Store.ConfirmDeposit(w.Ctx, reg.Deposit.ID, "")
	wantCode(t, err, auction.EInvalidField)
	_, err = w.Store.MarkRefunded(w.Ctx, reg.Deposit.ID, "R1")
	wantCode(t, err, auction.EInvalidState) // pending, not refund_pending
	d, err := w.Store.ConfirmDeposit(w.Ctx, reg.Deposit.ID, "BANK-1")
	if err != nil || d.Status != auction.DepositHeld || d.BidderCode == nil {
		t.Fatalf("confirm: %+v %v", d, err)
	}
	if r, _ := w.Store.Registration(w.Ctx, reg.ID); r.Status != auction.RegistrationQualified || r.BidderCode == nil {
		t.Fatalf("registration after confirm: %+v", r)
	}
	_, err = w.Store.ConfirmDeposit(w.Ctx, reg.Deposit.ID, "BANK-1")
	wantCode(t, err, auction.EDuplicateReference) // the same transfer typed again
	_, err = w.Store.ConfirmDeposit(w.Ctx, reg.Deposit.ID, "BANK-2")
	wantCode(t, err, auction.EDepositNotPending)
	_, err = w.Store.ConfirmDeposit(w.Ctx, "00000000-0000-0000-0000-000000000000", "BANK-1")
	wantCode(t, err, auction.ENotFound)

	w.Clock.Set(a.EndsAt) // no bids: failed, deposit released
	w.Tick()
	_, err = w.Store.MarkRefunded(w.Ctx, reg.Deposit.ID, "")
	wantCode(t, err, auction.EInvalidField)
	if d, err := w.Store.MarkRefunded(w.Ctx, reg.Deposit.ID, "REFUND-1"); err != nil || d.Status != auction.DepositRefunded {
		t.Fatalf("refunded: %+v %v", d, err)
	}
	_, err = w.Store.MarkRefunded(w.Ctx, reg.Deposit.ID, "REFUND-1")
	wantCode(t, err, auction.EDuplicateReference)
	_, err = w.Store.MarkRefunded(w.Ctx, reg.Deposit.ID, "REFUND-2")
	wantCode(t, err, auction.EInvalidState)
	wantLedgerBalanced(t, w)
}

func TestBalancePaymentsSettle(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	buyer := w.Verified("ID-BUY", "")
	w.Qualify(buyer, a.ID)
	_, _, err := w.Store.RecordBalancePayment(w.Ctx, w.Clerk.ID, a.ID, 100, "early")
	wantCode(t, err, auction.EAuctionNotSold)
	w.Open(a)
	hammer := a.StartPrice + 2*a.Increment
	w.Bid(buyer, a.ID, hammer)
	w.TickAt(a.EndsAt)
	owed := hammer - a.Deposit
	for _, tc := range []struct {
		amount int64
		ref    string
		code   string
	}{
		{0, "x", auction.EInvalidField},
		{-1, "x", auction.EInvalidField},
		{100, " ", auction.EInvalidField},
	} {
		_, _, err := w.Store.RecordBalancePayment(w.Ctx, w.Clerk.ID, a.ID, tc.amount, tc.ref)
		wantCode(t, err, tc.code)
	}
	p, events, err := w.Store.RecordBalancePayment(w.Ctx, w.Clerk.ID, a.ID, owed-1000, "PART")
	if err != nil || p.Outstanding != 1000 || p.Status != auction.StatusSold || len(events) != 0 {
		t.Fatalf("part payment: %+v %v %v", p, events, err)
	}
	p, events, err = w.Store.RecordBalancePayment(w.Ctx, w.Clerk.ID, a.ID, 1000, "REST")
	if err != nil || p.Outstanding != 0 || p.Status != auction.StatusSettled || len(events) != 1 || events[0].Type != auction.EventSettled {
		t.Fatalf("final payment: %+v %v %v", p, events, err)
	}
	_, _, err = w.Store.RecordBalancePayment(w.Ctx, w.Clerk.ID, a.ID, 1, "MORE")
	wantCode(t, err, auction.EAuctionNotSold)
	// A settled auction never defaults.
	w.TickAt(a.EndsAt.Add(30 * 24 * time.Hour))
	got, _ := w.Store.Auction(w.Ctx, a.ID)
	if got.Status != auction.StatusSettled {
		t.Fatalf("settled auction became %s", got.Status)
	}
	if conf, err := w.Store.Confirmation(w.Ctx, a.ID); err != nil || conf.HammerPrice != hammer {
		t.Fatalf("confirmation after settlement: %+v %v", conf, err)
	}
	proceeds, err := w.Store.CaseProceeds(w.Ctx, a.CaseID)
	if err != nil || len(proceeds.Items) != 1 {
		t.Fatal(err)
	}
	it := proceeds.Items[0]
	if it.DepositApplied != a.Deposit || it.BalanceReceived != owed || it.ForfeitedDeposit != 0 || proceeds.TotalReceived != hammer || proceeds.LedgerBalance != hammer {
		t.Fatalf("proceeds: %+v", proceeds)
	}
	wantLedgerBalanced(t, w)
}

// TestDefault: a buyer who has not paid balance_due_days after the close
// loses the deposit; the auction is defaulted and the proceeds show the
// forfeited deposit.
func TestDefault(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	buyer := w.Verified("ID-DEF2", "")
	reg := w.Qualify(buyer, a.ID)
	w.Open(a)
	w.Bid(buyer, a.ID, a.StartPrice)
	w.TickAt(a.EndsAt)
	// Ends at 10:00 in Shanghai: due at the end of the tenth day after.
	w.Clock.Set(a.EndsAt.Add(10*24*time.Hour + 14*time.Hour))
	changes := w.Tick()
	if len(changes) != 1 || len(changes[0].Events) != 1 || changes[0].Events[0].Type != auction.EventDefaulted {
		t.Fatalf("default changes: %+v", changes)
	}
	got, _ := w.Store.Auction(w.Ctx, a.ID)
	if got.Status != auction.StatusDefaulted {
		t.Fatalf("status %s", got.Status)
	}
	if d, _ := w.Store.Deposit(w.Ctx, reg.Deposit.ID); d.Status != auction.DepositForfeited {
		t.Fatalf("deposit %s", d.Status)
	}
	_, err := w.Store.Confirmation(w.Ctx, a.ID)
	wantCode(t, err, auction.ENotFound)
	_, _, err = w.Store.RecordBalancePayment(w.Ctx, w.Clerk.ID, a.ID, 1, "LATE")
	wantCode(t, err, auction.EAuctionNotSold)
	proceeds, err := w.Store.CaseProceeds(w.Ctx, a.CaseID)
	if err != nil || proceeds.TotalReceived != a.Deposit || proceeds.Items[0].ForfeitedDeposit != a.Deposit || proceeds.Items[0].DepositApplied != 0 {
		t.Fatalf("proceeds after default: %+v %v", proceeds, err)
	}
	var notes []string
	rows, _ := w.Store.Pool().Query(w.Ctx, `SELECT type FROM case_notifications WHERE auction_id = $1 ORDER BY created_at, type`, a.ID)
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		notes = append(notes, s)
	}
	if len(notes) != 3 || notes[0] != "auction.sold" {
		t.Fatalf("case notifications: %v", notes)
	}
	wantLedgerBalanced(t, w)
}

// wantLedgerBalanced checks that every account nets to what the deposits and
// payments say and the whole ledger sums to zero.
func wantLedgerBalanced(t testing.TB, w *auctiontest.World) {
	t.Helper()
	var sum int64
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT coalesce(sum(amount), 0)::bigint FROM ledger_entries`).Scan(&sum); err != nil || sum != 0 {
		t.Fatalf("ledger sums to %d (%v)", sum, err)
	}
}
