package postgres_test

import (
	"testing"
	"time"

	"gavel/auction"
)

func TestDepositConfirmAndRefund(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mustAuction(t, lotParams{})
	u := b.mustUser(t, auction.RoleBidder, "ID-F1", "")
	reg, err := b.store.Register(b.ctx, u, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.store.ConfirmDeposit(b.ctx, reg.Deposit.ID, "")
	wantCode(t, err, auction.EInvalidField)
	_, err = b.store.MarkRefunded(b.ctx, reg.Deposit.ID, "R1")
	wantCode(t, err, auction.EInvalidState) // pending, not refund_pending
	d, err := b.store.ConfirmDeposit(b.ctx, reg.Deposit.ID, "BANK-1")
	if err != nil || d.Status != auction.DepositHeld || d.BidderCode == nil {
		t.Fatalf("confirm: %+v %v", d, err)
	}
	if r, _ := b.store.Registration(b.ctx, reg.ID); r.Status != auction.RegistrationQualified || r.BidderCode == nil {
		t.Fatalf("registration after confirm: %+v", r)
	}
	_, err = b.store.ConfirmDeposit(b.ctx, reg.Deposit.ID, "BANK-1")
	wantCode(t, err, auction.EDuplicateReference) // the same transfer typed again
	_, err = b.store.ConfirmDeposit(b.ctx, reg.Deposit.ID, "BANK-2")
	wantCode(t, err, auction.EDepositNotPending)
	_, err = b.store.ConfirmDeposit(b.ctx, "00000000-0000-0000-0000-000000000000", "BANK-1")
	wantCode(t, err, auction.ENotFound)

	b.clock.Set(a.EndsAt) // no bids: failed, deposit released
	b.tick(t)
	_, err = b.store.MarkRefunded(b.ctx, reg.Deposit.ID, "")
	wantCode(t, err, auction.EInvalidField)
	if d, err := b.store.MarkRefunded(b.ctx, reg.Deposit.ID, "REFUND-1"); err != nil || d.Status != auction.DepositRefunded {
		t.Fatalf("refunded: %+v %v", d, err)
	}
	_, err = b.store.MarkRefunded(b.ctx, reg.Deposit.ID, "REFUND-1")
	wantCode(t, err, auction.EDuplicateReference)
	_, err = b.store.MarkRefunded(b.ctx, reg.Deposit.ID, "REFUND-2")
	wantCode(t, err, auction.EInvalidState)
	b.wantLedgerBalanced(t)
}

func TestBalancePaymentsSettle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mustAuction(t, lotParams{})
	buyer := b.mustUser(t, auction.RoleBidder, "ID-BUY", "")
	b.mustQualify(t, buyer, a.ID)
	_, _, err := b.store.RecordBalancePayment(b.ctx, b.clerk.ID, a.ID, 100, "early")
	wantCode(t, err, auction.EAuctionNotSold)
	b.open(t, a)
	hammer := a.StartPrice + 2*a.Increment
	if _, err := b.bid(buyer, a.ID, hammer); err != nil {
		t.Fatal(err)
	}
	b.clock.Set(a.EndsAt)
	b.tick(t)
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
		_, _, err := b.store.RecordBalancePayment(b.ctx, b.clerk.ID, a.ID, tc.amount, tc.ref)
		wantCode(t, err, tc.code)
	}
	p, events, err := b.store.RecordBalancePayment(b.ctx, b.clerk.ID, a.ID, owed-1000, "PART")
	if err != nil || p.Outstanding != 1000 || p.Status != auction.StatusSold || len(events) != 0 {
		t.Fatalf("part payment: %+v %v %v", p, events, err)
	}
	p, events, err = b.store.RecordBalancePayment(b.ctx, b.clerk.ID, a.ID, 1000, "REST")
	if err != nil || p.Outstanding != 0 || p.Status != auction.StatusSettled || len(events) != 1 || events[0].Type != auction.EventSettled {
		t.Fatalf("final payment: %+v %v %v", p, events, err)
	}
	_, _, err = b.store.RecordBalancePayment(b.ctx, b.clerk.ID, a.ID, 1, "MORE")
	wantCode(t, err, auction.EAuctionNotSold)
	// A settled auction never defaults.
	b.clock.Set(a.EndsAt.Add(30 * 24 * time.Hour))
	b.tick(t)
	got, _ := b.store.Auction(b.ctx, a.ID)
	if got.Status != auction.StatusSettled {
		t.Fatalf("settled auction became %s", got.Status)
	}
	if conf, err := b.store.Confirmation(b.ctx, a.ID); err != nil || conf.HammerPrice != hammer {
		t.Fatalf("confirmation after settlement: %+v %v", conf, err)
	}
	proceeds, err := b.store.CaseProceeds(b.ctx, a.CaseID)
	if err != nil || len(proceeds.Items) != 1 {
		t.Fatal(err)
	}
	it := proceeds.Items[0]
	if it.DepositApplied != a.Deposit || it.BalanceReceived != owed || it.ForfeitedDeposit != 0 || proceeds.TotalReceived != hammer || proceeds.LedgerBalance != hammer {
		t.Fatalf("proceeds: %+v", proceeds)
	}
	b.wantLedgerBalanced(t)
}

// TestDefault: a buyer who has not paid balance_due_days after the close
// loses the deposit; the auction is defaulted and the proceeds show the
// forfeited deposit.
func TestDefault(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mustAuction(t, lotParams{})
	buyer := b.mustUser(t, auction.RoleBidder, "ID-DEF2", "")
	reg := b.mustQualify(t, buyer, a.ID)
	b.open(t, a)
	if _, err := b.bid(buyer, a.ID, a.StartPrice); err != nil {
		t.Fatal(err)
	}
	b.clock.Set(a.EndsAt)
	b.tick(t)
	// Ends at 10:00 in Shanghai: due at the end of the tenth day after.
	b.clock.Set(a.EndsAt.Add(10*24*time.Hour + 14*time.Hour))
	changes := b.tick(t)
	if len(changes) != 1 || len(changes[0].Events) != 1 || changes[0].Events[0].Type != auction.EventDefaulted {
		t.Fatalf("default changes: %+v", changes)
	}
	got, _ := b.store.Auction(b.ctx, a.ID)
	if got.Status != auction.StatusDefaulted {
		t.Fatalf("status %s", got.Status)
	}
	if d, _ := b.store.Deposit(b.ctx, reg.Deposit.ID); d.Status != auction.DepositForfeited {
		t.Fatalf("deposit %s", d.Status)
	}
	_, err := b.store.Confirmation(b.ctx, a.ID)
	wantCode(t, err, auction.ENotFound)
	_, _, err = b.store.RecordBalancePayment(b.ctx, b.clerk.ID, a.ID, 1, "LATE")
	wantCode(t, err, auction.EAuctionNotSold)
	proceeds, err := b.store.CaseProceeds(b.ctx, a.CaseID)
	if err != nil || proceeds.TotalReceived != a.Deposit || proceeds.Items[0].ForfeitedDeposit != a.Deposit || proceeds.Items[0].DepositApplied != 0 {
		t.Fatalf("proceeds after default: %+v %v", proceeds, err)
	}
	var notes []string
	rows, _ := b.store.Pool().Query(b.ctx, `SELECT type FROM case_notifications WHERE auction_id = $1 ORDER BY created_at, type`, a.ID)
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		notes = append(notes, s)
	}
	if len(notes) != 3 || notes[0] != "auction.sold" {
		t.Fatalf("case notifications: %v", notes)
	}
	b.wantLedgerBalanced(t)
}

// wantLedgerBalanced checks that every account nets to what the deposits and
// payments say and the whole ledger sums to zero.
func (b *bundle) wantLedgerBalanced(t testing.TB) {
	t.Helper()
	var sum int64
	if err := b.store.Pool().QueryRow(b.ctx, `SELECT coalesce(sum(amount), 0)::bigint FROM ledger_entries`).Scan(&sum); err != nil || sum != 0 {
		t.Fatalf("ledger sums to %d (%v)", sum, err)
	}
}
