package page

import (
	"testing"
	"time"

	"gavel/auction"
	"gavel/web/page/i18n"
)

func TestOutcomeKey(t *testing.T) {
	t.Parallel()
	code, other := "B1", "B2"
	for _, c := range []struct {
		status string
		mine   *string
		winner *string
		want   string
	}{
		{auction.StatusAnnounced, &code, nil, "status.announced"},
		{auction.StatusBidding, &code, nil, "me.running"},
		{auction.StatusSuspended, &code, nil, "status.suspended"},
		{auction.StatusCancelled, &code, nil, "status.cancelled"},
		{auction.StatusFailed, &code, nil, "status.failed"},
		{auction.StatusSold, &code, &code, "me.won"},
		{auction.StatusSettled, &code, &code, "me.won"},
		{auction.StatusDefaulted, &code, &code, "me.won"},
		{auction.StatusSold, &code, &other, "me.lost"},
		{auction.StatusSold, nil, &other, "status.sold"}, // never qualified: neither won nor lost
		{auction.StatusAnnulled, &code, &code, "status.annulled"},
	} {
		a := &auction.Auction{Status: c.status, WinnerCode: c.winner}
		if got := outcomeKey(a, &auction.Registration{BidderCode: c.mine}); got != c.want {
			t.Errorf("%s (mine %v, winner %v): %s, want %s", c.status, c.mine, c.winner, got, c.want)
		}
		if !i18n.Known(outcomeKey(a, &auction.Registration{BidderCode: c.mine})) {
			t.Errorf("no message for %s", c.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	closed := time.Date(2027, 1, 8, 2, 0, 0, 0, time.UTC)
	due := closed.Add(10 * 24 * time.Hour)
	hammer, code := int64(71_000_000), "B1"
	sold := &auction.Auction{Status: auction.StatusSold, HammerPrice: &hammer, ClosedAt: &closed, BalanceDueAt: &due}
	reg := &auction.Registration{BidderCode: &code, Deposit: &auction.Deposit{Amount: 7_000_000, Status: auction.DepositApplied}}
	won := summarize(sold, reg, true, 24*time.Hour)
	if won == nil || !won.Won || won.Owed != 64_000_000 || !won.DueAt.Equal(due) {
		t.Fatalf("won: %+v", won)
	}
	reg.Deposit.Status = auction.DepositRefundPending
	lost := summarize(sold, reg, false, 24*time.Hour)
	if lost == nil || lost.Won || lost.Owed != 0 || !lost.RefundBy.Equal(closed.Add(24*time.Hour)) || lost.Refunded {
		t.Fatalf("lost: %+v", lost)
	}
	reg.Deposit.Status = auction.DepositRefunded
	if s := summarize(sold, reg, false, 24*time.Hour); !s.Refunded {
		t.Fatalf("refunded: %+v", s)
	}
	if s := summarize(&auction.Auction{Status: auction.StatusBidding}, reg, false, 24*time.Hour); s != nil {
		t.Fatalf("before a sale: %+v", s)
	}
	if s := summarize(sold, &auction.Registration{}, false, 24*time.Hour); s != nil {
		t.Fatalf("never qualified: %+v", s)
	}
}
