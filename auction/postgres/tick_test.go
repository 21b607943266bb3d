package postgres_test

import (
	"sync"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/postgres"
)

func TestCloseOutcomes(t *testing.T) {
	t.Parallel()
	w := setup(t)
	sold := w.AnnouncedOf(auction.NewCase{Applicants: []auction.Party{{Name: "申请人", IDNumber: idn("APP"), Claim: ptr[int64](1 << 40)}}}, auction.NewLot{})
	failed := w.Announced("住宅")
	only := w.Verified("ID-ONLY", "独")
	loser := w.Verified("ID-LOSER", "")
	applicant := w.Verified("APP", "")
	waiting := w.Verified("ID-WAIT", "")
	rOnly := w.Qualify(only, sold.ID)
	rLoser := w.Qualify(loser, failed.ID)
	rApp := w.Qualify(applicant, sold.ID) // owes nothing: a zero deposit
	rWait := w.Register(waiting, sold.ID)
	_, err := w.Store.Confirmation(w.Ctx, sold.ID)
	wantCode(t, err, auction.ENotFound)

	w.Open(sold)
	w.Bid(only, sold.ID, sold.StartPrice)
	_, err = w.Store.Confirmation(w.Ctx, sold.ID)
	wantCode(t, err, auction.ENotFound) // not before the close
	w.Clock.Set(sold.EndsAt.Add(time.Hour))
	changes := w.Tick()
	if len(changes) != 2 {
		t.Fatalf("tick closed %d auctions, want 2", len(changes))
	}
	if len(w.Tick()) != 0 {
		t.Fatal("a second tick changed something")
	}

	got, _ := w.Store.Auction(w.Ctx, sold.ID)
	if got.Status != auction.StatusSold || *got.HammerPrice != sold.StartPrice || *got.WinnerCode != *rOnly.BidderCode ||
		!got.ClosedAt.Equal(sold.EndsAt) || !got.BalanceDueAt.Equal(time.Date(2026, 4, 12, 16, 0, 0, 0, time.UTC)) {
		// Closed at 10:00 on 2 April in Shanghai: due by the end of 12 April there.
		t.Fatalf("one bidder at the start price: %+v", got)
	}
	events, _, _ := w.Store.Events(w.Ctx, sold.ID, 0, 100)
	last := events[len(events)-1]
	if last.Type != auction.EventClosed || last.Data["outcome"] != "sold" || last.Data["winner_code"] != *rOnly.BidderCode || !last.At.Equal(sold.EndsAt) {
		t.Fatalf("closed event: %+v", last)
	}
	got, _ = w.Store.Auction(w.Ctx, failed.ID)
	if got.Status != auction.StatusFailed || got.HammerPrice != nil || got.WinnerCode != nil {
		t.Fatalf("no bids: %+v", got)
	}
	events, _, _ = w.Store.Events(w.Ctx, failed.ID, 0, 100)
	if last := events[len(events)-1]; last.Type != auction.EventClosed || last.Data["outcome"] != "failed" || last.Data["hammer_price"] != nil {
		t.Fatalf("failed event: %+v", last)
	}

	for id, want := range map[string]string{
		rOnly.Deposit.ID:  auction.DepositApplied,
		rApp.Deposit.ID:   auction.DepositRefunded, // zero: nothing to pay back
		rWait.Deposit.ID:  auction.DepositPending,  // never paid
		rLoser.Deposit.ID: auction.DepositRefundPending,
	} {
		d, err := w.Store.Deposit(w.Ctx, id)
		if err != nil || d.Status != want {
			t.Errorf("deposit %s: %s, want %s (%v)", id, d.Status, want, err)
		}
	}
	// Money paid after the close is released at once.
	if d, err := w.Store.ConfirmDeposit(w.Ctx, rWait.Deposit.ID, "LATE"); err != nil || d.Status != auction.DepositRefundPending {
		t.Fatalf("late deposit: %+v %v", d, err)
	}
	conf, err := w.Store.Confirmation(w.Ctx, sold.ID)
	if err != nil || conf.BuyerName != "独" || conf.BidderCode != *rOnly.BidderCode || conf.HammerPrice != sold.StartPrice || !conf.ClosedAt.Equal(sold.EndsAt) {
		t.Fatalf("confirmation: %+v %v", conf, err)
	}
	_, err = w.Store.Confirmation(w.Ctx, failed.ID)
	wantCode(t, err, auction.ENotFound)
	if rec, _ := w.Store.Record(w.Ctx, sold.ID); rec == nil {
		t.Fatal("no record")
	} else if broken, why := rec.Verify(); broken != 0 {
		t.Fatalf("record broken at %d: %s", broken, why)
	}
}

// TestTickExactlyOnce: several stores on one database tick at the same time
// with many auctions due at the same instant; each auction closes once and
// every deposit moves once.
func TestTickExactlyOnce(t *testing.T) {
	t.Parallel()
	w := setup(t)
	const n = 48
	bidder := w.Verified("ID-T1", "")
	rival := w.Verified("ID-T2", "")
	var auctions []*auction.Auction
	for i := range n {
		a := w.Announced("住宅")
		if i%3 != 0 {
			w.Qualify(bidder, a.ID)
			w.Qualify(rival, a.ID)
		}
		auctions = append(auctions, a)
	}
	w.TickAt(auctions[0].StartsAt)
	for i, a := range auctions {
		if i%3 == 1 {
			w.Bid(bidder, a.ID, a.StartPrice)
		}
	}
	// All end at the same instant (they were created at the same clock time).
	w.Clock.Set(auctions[n-1].EndsAt)
	var wg sync.WaitGroup
	closed := make(chan int, 4)
	for range 4 {
		s := postgres.New(postgres.Config{Pool: w.Store.Pool(), Clock: w.Clock, Rulebook: auction.SPC2016})
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch, err := s.Tick(w.Ctx)
			if err != nil {
				t.Error(err)
			}
			closed <- len(ch)
		}()
	}
	wg.Wait()
	close(closed)
	total := 0
	for c := range closed {
		total += c
	}
	if total != n {
		t.Fatalf("ticks reported %d closes, want %d", total, n)
	}
	var bad int
	err := w.Store.Pool().QueryRow(w.Ctx, `SELECT count(*) FROM auctions a WHERE
		(SELECT count(*) FROM auction_events e WHERE e.auction_id = a.id AND e.type = 'closed') <> 1
		OR a.status NOT IN ('sold', 'failed')`).Scan(&bad)
	if err != nil || bad != 0 {
		t.Fatalf("%d auctions not closed exactly once (%v)", bad, err)
	}
	// Each held deposit was confirmed once and then applied or released once.
	err = w.Store.Pool().QueryRow(w.Ctx, `SELECT count(*) FROM deposits d WHERE
		(SELECT count(*) FROM ledger_transactions l WHERE l.deposit_id = d.id AND l.kind IN ('deposit_applied', 'deposit_released')) <> 1
		OR d.status NOT IN ('applied', 'refund_pending')`).Scan(&bad)
	if err != nil || bad != 0 {
		t.Fatalf("%d deposits not moved exactly once (%v)", bad, err)
	}
	var sold int
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT count(*) FROM auctions WHERE status = 'sold'`).Scan(&sold); err != nil || sold != n/3 {
		t.Fatalf("%d sold, want %d (%v)", sold, n/3, err)
	}
}
