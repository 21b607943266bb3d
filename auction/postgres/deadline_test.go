package postgres_test

import (
	"testing"
	"time"

	"gavel/auction"
)

// deadlineOf returns the listed deadline of kind for auctionID, or nil.
func (b *bundle) deadlineOf(t *testing.T, kind, auctionID string) *auction.Deadline {
	t.Helper()
	list, err := b.store.Deadlines(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(list); i++ {
		if list[i].DueAt.Before(list[i-1].DueAt) {
			t.Fatalf("deadlines not in order of due time: %+v", list)
		}
	}
	for _, d := range list {
		if d.Kind == kind && d.AuctionID == auctionID {
			if d.Rule == "" || d.CaseNumber == "" || d.LotTitle == "" {
				t.Fatalf("deadline without its rule, case or lot: %+v", d)
			}
			return &d
		}
	}
	return nil
}

// wantDeadline moves the clock to each of: a microsecond before due (listed,
// not overdue) and due (listed, overdue).
func (b *bundle) wantDeadline(t *testing.T, kind, auctionID string, due time.Time) {
	t.Helper()
	b.clock.Set(due.Add(-time.Microsecond))
	d := b.deadlineOf(t, kind, auctionID)
	if d == nil || !d.DueAt.Equal(due) || d.Overdue {
		t.Fatalf("%s a moment before %s: %+v, want it listed, due then, not overdue", kind, due, d)
	}
	b.clock.Set(due)
	if d = b.deadlineOf(t, kind, auctionID); d == nil || !d.Overdue {
		t.Fatalf("%s at %s: %+v, want it overdue", kind, due, d)
	}
}

// Each deadline of the law is listed while it runs, with its due time in the
// court's calendar (Shanghai), turns overdue as the clock crosses it, and
// goes when what it asks for is done. Auctions here open at 10:00 on 1 April
// and close at 10:00 on 2 April, Shanghai time.
func TestDeadlinesWatched(t *testing.T) {
	t.Parallel()
	b := setup(t)
	failed, sold, suspended := b.mustAuction(t, lotParams{}), b.mustAuction(t, lotParams{}), b.mustAuction(t, lotParams{})
	winner, loser := b.mustUser(t, auction.RoleBidder, "", ""), b.mustUser(t, auction.RoleBidder, "", "")
	b.mustQualify(t, winner, sold.ID)
	lost := b.mustQualify(t, loser, sold.ID)
	b.open(t, failed)
	if _, err := b.bid(winner, sold.ID, sold.StartPrice); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.store.SuspendAuction(b.ctx, b.act(suspended.ID, "a party's objection is being heard")); err != nil {
		t.Fatal(err)
	}
	suspendedAt := b.clock.Now()
	b.clock.Set(failed.EndsAt)
	b.tick(t)
	if d := b.deadlineOf(t, auction.DeadlineBalance, sold.ID); d != nil {
		t.Fatalf("a balance due in ten days listed already: %+v", d)
	}

	t.Run("refund within 24 hours of the close", func(t *testing.T) {
		d := b.deadlineOf(t, auction.DeadlineRefund, sold.ID)
		if d == nil || d.DepositID == nil || *d.DepositID != lost.Deposit.ID || *d.Amount != lost.Deposit.Amount || !d.Since.Equal(sold.EndsAt) {
			t.Fatalf("refund: %+v", d)
		}
		b.wantDeadline(t, auction.DeadlineRefund, sold.ID, sold.EndsAt.Add(24*time.Hour))
		if _, err := b.store.MarkRefunded(b.ctx, lost.Deposit.ID, "BANK-REFUND-DL"); err != nil {
			t.Fatal(err)
		}
		if d := b.deadlineOf(t, auction.DeadlineRefund, sold.ID); d != nil {
			t.Fatalf("refunded, still listed: %+v", d)
		}
	})
	t.Run("resume within 5 days", func(t *testing.T) {
		if d := b.deadlineOf(t, auction.DeadlineResume, suspended.ID); d == nil || !d.Since.Equal(suspendedAt) {
			t.Fatalf("resume: %+v, want since %s", d, suspendedAt)
		}
		// Suspended at 10:00 on 1 April: to the end of 6 April.
		b.wantDeadline(t, auction.DeadlineResume, suspended.ID, time.Date(2026, 4, 6, 16, 0, 0, 0, time.UTC))
		if _, _, err := b.store.ResumeAuction(b.ctx, b.act(suspended.ID, "objection dismissed"), b.clock.Now().Add(48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if d := b.deadlineOf(t, auction.DeadlineResume, suspended.ID); d != nil {
			t.Fatalf("resumed, still listed: %+v", d)
		}
	})
	t.Run("balance due tomorrow", func(t *testing.T) {
		// Due by the end of 12 April: listed from the start of 11 April.
		due := time.Date(2026, 4, 12, 16, 0, 0, 0, time.UTC)
		b.clock.Set(time.Date(2026, 4, 10, 15, 59, 59, 0, time.UTC))
		if d := b.deadlineOf(t, auction.DeadlineBalance, sold.ID); d != nil {
			t.Fatalf("balance listed two days before its last day: %+v", d)
		}
		b.clock.Set(time.Date(2026, 4, 10, 16, 0, 0, 0, time.UTC))
		if d := b.deadlineOf(t, auction.DeadlineBalance, sold.ID); d == nil || !d.DueAt.Equal(due) || d.Overdue {
			t.Fatalf("balance on the day before its last: %+v, want due %s", d, due)
		}
		if _, _, err := b.store.RecordBalancePayment(b.ctx, b.clerk.ID, sold.ID, sold.StartPrice-sold.Deposit, "BAL-DL"); err != nil {
			t.Fatal(err)
		}
		if d := b.deadlineOf(t, auction.DeadlineBalance, sold.ID); d != nil {
			t.Fatalf("settled, still listed: %+v", d)
		}
	})
	t.Run("next round within 30 days of a failure", func(t *testing.T) {
		if d := b.deadlineOf(t, auction.DeadlineReauction, failed.ID); d == nil || !d.Since.Equal(failed.EndsAt) {
			t.Fatalf("reauction: %+v", d)
		}
		// Failed at 10:00 on 2 April: to the end of 2 May.
		b.wantDeadline(t, auction.DeadlineReauction, failed.ID, time.Date(2026, 5, 2, 16, 0, 0, 0, time.UTC))
		starts := b.clock.Now().Add(16 * 24 * time.Hour)
		next, err := b.store.ScheduleAuction(b.ctx, auction.ScheduleParams{LotID: failed.LotID, Round: auction.RoundSecond, StartPrice: failed.StartPrice,
			Increment: failed.Increment, Deposit: failed.Deposit, StartsAt: starts, EndsAt: starts.Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if d := b.deadlineOf(t, auction.DeadlineReauction, failed.ID); d == nil {
			t.Fatal("a draft is not a published round, yet the deadline went")
		}
		if _, err := b.store.PublishAuction(b.ctx, next.ID); err != nil {
			t.Fatal(err)
		}
		if d := b.deadlineOf(t, auction.DeadlineReauction, failed.ID); d != nil {
			t.Fatalf("next round published, still listed: %+v", d)
		}
	})
}

// A defaulted round's next round is due 30 days after the default.
func TestDeadlineAfterDefault(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mustAuction(t, lotParams{})
	buyer := b.mustUser(t, auction.RoleBidder, "", "")
	b.mustQualify(t, buyer, a.ID)
	b.open(t, a)
	if _, err := b.bid(buyer, a.ID, a.StartPrice); err != nil {
		t.Fatal(err)
	}
	b.clock.Set(a.EndsAt)
	b.tick(t)
	if d := b.deadlineOf(t, auction.DeadlineReauction, a.ID); d != nil {
		t.Fatalf("a sold round needs no next round: %+v", d)
	}
	// Balance due by the end of 12 April; defaulted then.
	defaultAt := time.Date(2026, 4, 12, 16, 0, 0, 0, time.UTC)
	b.clock.Set(defaultAt)
	b.tick(t)
	if got := b.status(t, a.ID); got.Status != auction.StatusDefaulted {
		t.Fatalf("status %s", got.Status)
	}
	if d := b.deadlineOf(t, auction.DeadlineReauction, a.ID); d == nil || !d.Since.Equal(defaultAt) {
		t.Fatalf("reauction after default: %+v, want since %s", d, defaultAt)
	}
	// 00:00 on 13 April in Shanghai starts the count: to the end of 13 May.
	b.wantDeadline(t, auction.DeadlineReauction, a.ID, time.Date(2026, 5, 13, 16, 0, 0, 0, time.UTC))
}
