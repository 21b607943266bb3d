package postgres_test

import (
	"testing"
	"time"

	"gavel/auction"
)

func TestBidFlowSoldAndDeposits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mustAuction(t, lotParams{})
	alice := b.mustUser(t, auction.RoleBidder, "ID-A", "Alice")
	bob := b.mustUser(t, auction.RoleBidder, "ID-B", "Bob")
	ra := b.mustQualify(t, alice, a.ID)
	rb := b.mustQualify(t, bob, a.ID)
	b.open(t, a)

	if _, err := b.bid(alice, a.ID, a.StartPrice); err != nil {
		t.Fatal(err)
	}
	_, err := b.bid(alice, a.ID, a.StartPrice+a.Increment)
	wantCode(t, err, auction.EAlreadyLeading)
	res, err := b.bid(bob, a.ID, a.StartPrice+a.Increment)
	if err != nil {
		t.Fatal(err)
	}
	if *res.Auction.LeaderCode != *rb.BidderCode || *res.Auction.CurrentPrice != a.StartPrice+a.Increment {
		t.Fatalf("leader/price after bob's bid: %+v", res.Auction)
	}
	b.clock.Set(a.EndsAt)
	if _, err := b.store.Tick(b.ctx); err != nil {
		t.Fatal(err)
	}
	got, err := b.store.Auction(b.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != auction.StatusSold || *got.HammerPrice != a.StartPrice+a.Increment || *got.WinnerCode != *rb.BidderCode {
		t.Fatalf("after close: status %s hammer %v winner %v", got.Status, got.HammerPrice, got.WinnerCode)
	}
	deps, err := b.store.Deposits(b.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ra.Deposit.ID: auction.DepositRefundPending, rb.Deposit.ID: auction.DepositApplied}
	for _, d := range deps {
		if want[d.ID] != d.Status {
			t.Errorf("deposit %s: status %s, want %s", d.ID, d.Status, want[d.ID])
		}
	}
	conf, err := b.store.Confirmation(b.ctx, a.ID)
	if err != nil || conf.BuyerName != "Bob" {
		t.Fatalf("confirmation: %+v %v", conf, err)
	}
	_ = time.Second
}
