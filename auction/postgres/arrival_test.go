package postgres_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
)

// instance is one serving process on the test database: a store whose bids
// are stamped by its own arrivals, and the heartbeat that publishes them.
type instance struct {
	store *postgres.Store
	hb    *postgres.Heartbeat
}

func startInstance(t *testing.T, w *auctiontest.World, name string, clock auction.Clock) *instance {
	t.Helper()
	arrivals := auction.NewArrivals(clock)
	hb := postgres.NewHeartbeat(postgres.HeartbeatConfig{Pool: w.Store.Pool(), Clock: clock, Instance: name, Arrivals: arrivals})
	in := &instance{
		store: postgres.New(postgres.Config{Pool: w.Store.Pool(), Clock: clock, Rulebook: auction.SPC2016, Arrivals: arrivals, Heartbeat: hb}),
		hb:    hb,
	}
	if err := in.hb.Start(w.Ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.hb.Stop(w.Ctx) })
	return in
}

// tick beats (publishing the horizon, as `gavel serve` does before each
// tick) and applies what is due.
func (in *instance) tick(t *testing.T, w *auctiontest.World) {
	t.Helper()
	if err := in.hb.Beat(w.Ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := in.store.Tick(w.Ctx); err != nil {
		t.Fatal(err)
	}
}

// heldBid is a bid whose batch is held before it locks the auction.
type heldBid struct {
	release chan struct{}
	done    chan struct{}
	res     *auction.BidResult
	err     error
}

// holdBid sends a bid through in's queue and returns once its batch is held:
// the bid has arrived (at the clock's time) but is not decided.
func holdBid(w *auctiontest.World, in *instance, u *auction.User, auctionID string, amount int64) *heldBid {
	h := &heldBid{release: make(chan struct{}), done: make(chan struct{})}
	entered := make(chan struct{})
	var once sync.Once
	in.store.HoldBatches(func(string) {
		once.Do(func() {
			close(entered)
			<-h.release
		})
	})
	go func() {
		defer close(h.done)
		h.res, h.err = in.store.PlaceBid(w.Ctx, auction.PlaceBid{AuctionID: auctionID, User: u, Amount: amount, Key: fmt.Sprintf("held%d", auctiontest.Next())})
	}()
	<-entered
	return h
}

func (h *heldBid) decide() (*auction.BidResult, error) {
	close(h.release)
	<-h.done
	return h.res, h.err
}

// A bid received 100 ms before ends_at and decided after it (its batch held
// across the end) is accepted as of its arrival and extends the auction;
// meanwhile neither instance closes the auction, although the other one
// knows nothing of the bid but the horizon it published.
func TestBidDecidedAsOfArrival(t *testing.T) {
	t.Parallel()
	w := setup(t)
	receiving, closing := startInstance(t, w, "receiving", w.Clock), startInstance(t, w, "closing", w.Clock)
	a := w.Announced("住宅")
	u := w.Verified("", "")
	w.Qualify(u, a.ID)
	w.Open(a)
	arrived := a.EndsAt.Add(-100 * time.Millisecond)
	w.Clock.Set(arrived)
	held := holdBid(w, receiving, u, a.ID, a.StartPrice)

	w.Clock.Set(a.EndsAt.Add(time.Second))
	closing.tick(t, w)
	receiving.tick(t, w)
	if got := w.Auction(a.ID); got.Status != auction.StatusBidding {
		t.Fatalf("closed with a bid received before the end still undecided: status %s", got.Status)
	}
	if n, err := w.Store.Due(w.Ctx); err != nil || n != 1 {
		t.Fatalf("Due = %d, %v; want the close counted as due while it waits", n, err)
	}

	res, err := held.decide()
	if err != nil {
		t.Fatalf("bid received before ends_at refused: %v", err)
	}
	wantEnd := arrived.Add(auction.SPC2016.Extension)
	if !res.Bid.PlacedAt.Equal(arrived) || !res.Auction.EndsAt.Equal(wantEnd) {
		t.Fatalf("placed_at %s, ends_at %s; want the arrival %s and %s", res.Bid.PlacedAt, res.Auction.EndsAt, arrived, wantEnd)
	}
	var extended bool
	for _, e := range res.Events {
		if e.Type == auction.EventExtended {
			extended = true
		}
		if !e.At.Equal(arrived) {
			t.Fatalf("event %s at %s, want the arrival %s", e.Type, e.At, arrived)
		}
	}
	if !extended {
		t.Fatal("no extended event")
	}
	bids, err := w.Store.Bids(w.Ctx, a.ID)
	if err != nil || len(bids) != 1 || !bids[0].PlacedAt.Equal(arrived) {
		t.Fatalf("stored bids %+v, %v; want one placed at %s", bids, err, arrived)
	}

	closing.tick(t, w)
	if got := w.Auction(a.ID); got.Status != auction.StatusBidding || !got.EndsAt.Equal(wantEnd) {
		t.Fatalf("after the bid: status %s ends_at %s, want bidding until %s", got.Status, got.EndsAt, wantEnd)
	}
	// Every running process must have published a horizon past the end.
	w.Clock.Set(wantEnd)
	closing.tick(t, w)
	if got := w.Auction(a.ID); got.Status != auction.StatusBidding {
		t.Fatalf("closed before the receiving process published a horizon past the end: %s", got.Status)
	}
	receiving.tick(t, w)
	if got := w.Auction(a.ID); got.Status != auction.StatusSold || *got.HammerPrice != a.StartPrice {
		t.Fatalf("at the new end: status %s, want sold at %d", got.Status, a.StartPrice)
	}
}

// A bid received at ends_at is refused, however early its batch runs, and it
// does not hold the close back.
func TestBidArrivingAtEndRefused(t *testing.T) {
	t.Parallel()
	w := setup(t)
	in := startInstance(t, w, "only", w.Clock)
	a := w.Announced("住宅")
	u := w.Verified("", "")
	w.Qualify(u, a.ID)
	w.Open(a)
	w.Clock.Set(a.EndsAt)
	held := holdBid(w, in, u, a.ID, a.StartPrice)
	_, err := held.decide()
	wantCode(t, err, auction.EAuctionNotOpen)
	in.tick(t, w)
	if got := w.Auction(a.ID); got.Status != auction.StatusFailed {
		t.Fatalf("status %s, want failed", got.Status)
	}
}

// No bid waits longer than MaxBidWait: a close waits at most that long for a
// process's undecided bids, and a bid that reaches the auction's lock after
// that is refused with service_unavailable, never accepted after the close.
func TestBidWaitBounded(t *testing.T) {
	t.Parallel()
	w := setup(t)
	in := startInstance(t, w, "only", w.Clock)
	a := w.Announced("住宅")
	u := w.Verified("", "")
	w.Qualify(u, a.ID)
	w.Open(a)
	w.Clock.Set(a.EndsAt.Add(-time.Second))
	held := holdBid(w, in, u, a.ID, a.StartPrice)

	w.Clock.Set(a.EndsAt.Add(auction.MaxBidWait - time.Microsecond))
	in.tick(t, w)
	if got := w.Auction(a.ID); got.Status != auction.StatusBidding {
		t.Fatalf("status %s before MaxBidWait passed, want bidding", got.Status)
	}
	w.Clock.Set(a.EndsAt.Add(auction.MaxBidWait))
	in.tick(t, w)
	if got := w.Auction(a.ID); got.Status != auction.StatusFailed || !got.ClosedAt.Equal(a.EndsAt) {
		t.Fatalf("status %s closed_at %v, want failed at ends_at", got.Status, got.ClosedAt)
	}
	_, err := held.decide()
	wantCode(t, err, auction.EUnavailable)
	if bids, _ := w.Store.Bids(w.Ctx, a.ID); len(bids) != 0 {
		t.Fatalf("%d bids stored after the close", len(bids))
	}
}

// A stopped process holds nothing back: its run no longer counts.
func TestCloseIgnoresStoppedProcess(t *testing.T) {
	t.Parallel()
	w := setup(t)
	in, other := startInstance(t, w, "closing", w.Clock), startInstance(t, w, "stopping", w.Clock)
	a := w.Announced("住宅")
	w.Open(a)
	// other's last horizon is before the end; once stopped it is not waited for.
	w.Clock.Set(a.EndsAt)
	in.tick(t, w)
	if got := w.Auction(a.ID); got.Status != auction.StatusBidding {
		t.Fatalf("status %s, want bidding while the other process's horizon is behind", got.Status)
	}
	other.hb.Stop(w.Ctx)
	in.tick(t, w)
	if got := w.Auction(a.ID); got.Status != auction.StatusFailed {
		t.Fatalf("status %s, want failed once the other process stopped", got.Status)
	}
}
