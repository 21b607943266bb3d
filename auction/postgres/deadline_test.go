package postgres_test

import (
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
)

// deadlineOf returns the listed deadline of kind for auctionID, or nil.
func deadlineOf(t *testing.T, w *auctiontest.World, kind, auctionID string) *auction.Deadline {
	t.Helper()
	list, err := w.Store.Deadlines(w.Ctx)
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
func wantDeadline(t *testing.T, w *auctiontest.World, kind, auctionID string, due time.Time) {
	t.Helper()
	w.Clock.Set(due.Add(-time.Microsecond))
	d := deadlineOf(t, w, kind, auctionID)
	if d == nil || !d.DueAt.Equal(due) || d.Overdue {
		t.Fatalf("%s a moment before %s: %+v, want it listed, due then, not overdue", kind, due, d)
	}
	w.Clock.Set(due)
	if d = deadlineOf(t, w, kind, auctionID); d == nil || !d.Overdue {
		t.Fatalf("%s at %s: %+v, want it overdue", kind, due, d)
	}
}

// Each deadline of the law is listed while it runs, with its due time in the
// court's calendar (Shanghai), turns overdue as the clock crosses it, and
// goes when what it asks for is done. Auctions here open at 10:00 on 1 April
// and close at 10:00 on 2 April, Shanghai time.
func TestDeadlinesWatched(t *testing.T) {
	t.Parallel()
	w := setup(t)
	failed, sold, suspended := w.Announced("住宅"), w.Announced("住宅"), w.Announced("住宅")
	winner, loser := w.Verified("", ""), w.Verified("", "")
	w.Qualify(winner, sold.ID)
	lost := w.Qualify(loser, sold.ID)
	w.Open(failed)
	w.Bid(winner, sold.ID, sold.StartPrice)
	if _, _, err := w.Store.SuspendAuction(w.Ctx, act(w, suspended.ID, "a party's objection is being heard")); err != nil {
		t.Fatal(err)
	}
	suspendedAt := w.Clock.Now()
	w.TickAt(failed.EndsAt)
	if d := deadlineOf(t, w, auction.DeadlineBalance, sold.ID); d != nil {
		t.Fatalf("a balance due in ten days listed already: %+v", d)
	}

	t.Run("refund within 24 hours of the close", func(t *testing.T) {
		d := deadlineOf(t, w, auction.DeadlineRefund, sold.ID)
		if d == nil || d.DepositID == nil || *d.DepositID != lost.Deposit.ID || *d.Amount != lost.Deposit.Amount || !d.Since.Equal(sold.EndsAt) {
			t.Fatalf("refund: %+v", d)
		}
		wantDeadline(t, w, auction.DeadlineRefund, sold.ID, sold.EndsAt.Add(24*time.Hour))
		if _, err := w.Store.MarkRefunded(w.Ctx, lost.Deposit.ID, "BANK-REFUND-DL"); err != nil {
			t.Fatal(err)
		}
		if d := deadlineOf(t, w, auction.DeadlineRefund, sold.ID); d != nil {
			t.Fatalf("refunded, still listed: %+v", d)
		}
	})
	t.Run("resume within 5 days", func(t *testing.T) {
		if d := deadlineOf(t, w, auction.DeadlineResume, suspended.ID); d == nil || !d.Since.Equal(suspendedAt) {
			t.Fatalf("resume: %+v, want since %s", d, suspendedAt)
		}
		// Suspended at 10:00 on 1 April: to the end of 6 April.
		wantDeadline(t, w, auction.DeadlineResume, suspended.ID, time.Date(2026, 4, 6, 16, 0, 0, 0, time.UTC))
		if _, _, err := w.Store.ResumeAuction(w.Ctx, act(w, suspended.ID, "objection dismissed"), w.Clock.Now().Add(48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if d := deadlineOf(t, w, auction.DeadlineResume, suspended.ID); d != nil {
			t.Fatalf("resumed, still listed: %+v", d)
		}
	})
	t.Run("balance due tomorrow", func(t *testing.T) {
		// Due by the end of 12 April: listed from the start of 11 April.
		due := time.Date(2026, 4, 12, 16, 0, 0, 0, time.UTC)
		w.Clock.Set(time.Date(2026, 4, 10, 15, 59, 59, 0, time.UTC))
		if d := deadlineOf(t, w, auction.DeadlineBalance, sold.ID); d != nil {
			t.Fatalf("balance listed two days before its last day: %+v", d)
		}
		w.Clock.Set(time.Date(2026, 4, 10, 16, 0, 0, 0, time.UTC))
		if d := deadlineOf(t, w, auction.DeadlineBalance, sold.ID); d == nil || !d.DueAt.Equal(due) || d.Overdue {
			t.Fatalf("balance on the day before its last: %+v, want due %s", d, due)
		}
		if _, _, err := w.Store.RecordBalancePayment(w.Ctx, w.Clerk.ID, sold.ID, sold.StartPrice-sold.Deposit, "BAL-DL"); err != nil {
			t.Fatal(err)
		}
		if d := deadlineOf(t, w, auction.DeadlineBalance, sold.ID); d != nil {
			t.Fatalf("settled, still listed: %+v", d)
		}
	})
	t.Run("next round within 30 days of a failure", func(t *testing.T) {
		if d := deadlineOf(t, w, auction.DeadlineReauction, failed.ID); d == nil || !d.Since.Equal(failed.EndsAt) {
			t.Fatalf("reauction: %+v", d)
		}
		// Failed at 10:00 on 2 April: to the end of 2 May.
		wantDeadline(t, w, auction.DeadlineReauction, failed.ID, time.Date(2026, 5, 2, 16, 0, 0, 0, time.UTC))
		starts := w.Clock.Now().Add(16 * 24 * time.Hour)
		next, err := w.Store.ScheduleAuction(w.Ctx, auction.ScheduleParams{LotID: failed.LotID, Round: auction.RoundSecond, StartPrice: failed.StartPrice,
			Increment: failed.Increment, Deposit: failed.Deposit, StartsAt: starts, EndsAt: starts.Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if d := deadlineOf(t, w, auction.DeadlineReauction, failed.ID); d == nil {
			t.Fatal("a draft is not a published round, yet the deadline went")
		}
		w.Publish(next)
		if d := deadlineOf(t, w, auction.DeadlineReauction, failed.ID); d != nil {
			t.Fatalf("next round published, still listed: %+v", d)
		}
	})
}

// A defaulted round's next round is due 30 days after the default.
func TestDeadlineAfterDefault(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	buyer := w.Verified("", "")
	w.Qualify(buyer, a.ID)
	w.Open(a)
	w.Bid(buyer, a.ID, a.StartPrice)
	w.TickAt(a.EndsAt)
	if d := deadlineOf(t, w, auction.DeadlineReauction, a.ID); d != nil {
		t.Fatalf("a sold round needs no next round: %+v", d)
	}
	// Balance due by the end of 12 April; defaulted then.
	defaultAt := time.Date(2026, 4, 12, 16, 0, 0, 0, time.UTC)
	w.TickAt(defaultAt)
	if got := w.Auction(a.ID); got.Status != auction.StatusDefaulted {
		t.Fatalf("status %s", got.Status)
	}
	if d := deadlineOf(t, w, auction.DeadlineReauction, a.ID); d == nil || !d.Since.Equal(defaultAt) {
		t.Fatalf("reauction after default: %+v, want since %s", d, defaultAt)
	}
	// 00:00 on 13 April in Shanghai starts the count: to the end of 13 May.
	wantDeadline(t, w, auction.DeadlineReauction, a.ID, time.Date(2026, 5, 13, 16, 0, 0, 0, time.UTC))
}
