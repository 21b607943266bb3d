package postgres_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
)

// answerWait bounds how long a test waits for an answer it expects: a safety
// net against a hang, never the condition under test.
const answerWait = 10 * time.Second

// lateWaits reports each time in's late-bid waiter leaves bids waiting.
func lateWaits(in *instance) <-chan struct{} {
	ch := make(chan struct{}, 1)
	in.store.WatchLateWaits(func(string) {
		select {
		case ch <- struct{}{}:
		default:
		}
	})
	return ch
}

// awaitWait returns once the waiter has left a bid waiting again.
func awaitWait(t *testing.T, waits <-chan struct{}) {
	t.Helper()
	select {
	case <-waits:
	case <-time.After(answerWait):
		t.Fatal("the late bid was never left waiting")
	}
	// And once more, so that this wait began after what the caller did.
	select {
	case <-waits:
	case <-time.After(answerWait):
		t.Fatal("the late bid stopped being polled")
	}
}

type bidAnswer struct {
	res *auction.BidResult
	err error
}

// sendBid places a bid through in and returns where its answer will come.
func sendBid(w *auctiontest.World, in *instance, u *auction.User, auctionID string, amount int64) <-chan bidAnswer {
	ch := make(chan bidAnswer, 1)
	go func() {
		res, err := in.store.PlaceBid(w.Ctx, auction.PlaceBid{AuctionID: auctionID, User: u, Amount: amount, Key: fmt.Sprintf("late%d", auctiontest.Next())})
		ch <- bidAnswer{res, err}
	}()
	return ch
}

func notAnswered(t *testing.T, ch <-chan bidAnswer, why string) {
	t.Helper()
	select {
	case a := <-ch:
		t.Fatalf("late bid answered %+v, %v %s", a.res, a.err, why)
	default:
	}
}

func answer(t *testing.T, ch <-chan bidAnswer) (*auction.BidResult, error) {
	t.Helper()
	select {
	case a := <-ch:
		return a.res, a.err
	case <-time.After(answerWait):
		t.Fatal("late bid never answered")
		return nil, nil
	}
}

func (in *instance) beat(t *testing.T, w *auctiontest.World) {
	t.Helper()
	if err := in.hb.Beat(w.Ctx); err != nil {
		t.Fatal(err)
	}
}

// closedOnce checks that the auction's record ends with its one close.
func closedOnce(t *testing.T, w *auctiontest.World, auctionID string) []auction.Event {
	t.Helper()
	events, _, err := w.Store.Events(w.Ctx, auctionID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	closes := 0
	for _, e := range events {
		if e.Type == auction.EventClosed {
			closes++
		}
	}
	if closes != 1 || events[len(events)-1].Type != auction.EventClosed {
		t.Fatalf("%d closed events, last event %s; want one close, last", closes, events[len(events)-1].Type)
	}
	return events
}

// A bid received after the end as stored, while a bid received before it
// waits undecided on another process, is decided after that one: it is
// accepted against the end the earlier bid extended, at its own arrival and
// after it in the record. Meanwhile nobody closes the auction.
func TestLateBidAcceptedAfterEarlierExtends(t *testing.T) {
	t.Parallel()
	w := setup(t)
	A, B := startInstance(t, w, "a", w.Clock), startInstance(t, w, "b", w.Clock)
	waits := lateWaits(B)
	a := w.Announced("住宅")
	ua, ub := w.Verified("", ""), w.Verified("", "")
	w.Qualify(ua, a.ID)
	w.Qualify(ub, a.ID)
	w.Open(a)

	tA := a.EndsAt.Add(-100 * time.Millisecond)
	w.Clock.Set(tA)
	held := holdBid(w, A, ua, a.ID, a.StartPrice)
	A.beat(t, w)
	tB := a.EndsAt.Add(time.Second)
	w.Clock.Set(tB)
	late := sendBid(w, B, ub, a.ID, a.StartPrice+a.Increment)
	awaitWait(t, waits)
	notAnswered(t, late, "while a bid received before it is undecided")
	A.tick(t, w)
	B.tick(t, w)
	if got := w.Auction(a.ID); got.Status != auction.StatusBidding {
		t.Fatalf("closed with bids undecided: %s", got.Status)
	}

	first, err := held.decide()
	if err != nil {
		t.Fatalf("earlier bid: %v", err)
	}
	if want := tA.Add(auction.SPC2016.Extension); !first.Auction.EndsAt.Equal(want) {
		t.Fatalf("earlier bid left ends_at %s, want %s", first.Auction.EndsAt, want)
	}
	// Decided, but its process has not said so yet.
	awaitWait(t, waits)
	notAnswered(t, late, "before the earlier bid's process published its horizon")

	A.beat(t, w)
	res, err := answer(t, late)
	if err != nil {
		t.Fatalf("late bid refused although an earlier bid extended the end past it: %v", err)
	}
	if !res.Bid.PlacedAt.Equal(tB) || res.Bid.Seq <= first.Bid.Seq || !res.Auction.EndsAt.Equal(tB.Add(auction.SPC2016.Extension)) {
		t.Fatalf("late bid placed_at %s seq %d ends_at %s; want %s, after seq %d, %s",
			res.Bid.PlacedAt, res.Bid.Seq, res.Auction.EndsAt, tB, first.Bid.Seq, tB.Add(auction.SPC2016.Extension))
	}
	bids, err := w.Store.Bids(w.Ctx, a.ID)
	if err != nil || len(bids) != 2 {
		t.Fatalf("bids %+v, %v; want two", bids, err)
	}
}

// Without a bid extending the end, the late bid is refused as not open, once
// the other process's horizon has passed its arrival and not before; the
// auction then closes once, at its end, without it.
func TestLateBidRefusedOnceEarlierDecided(t *testing.T) {
	t.Parallel()
	w := setup(t)
	A, B := startInstance(t, w, "a", w.Clock), startInstance(t, w, "b", w.Clock)
	waits := lateWaits(B)
	a := w.Announced("住宅")
	u := w.Verified("", "")
	w.Qualify(u, a.ID)
	w.Open(a)

	w.Clock.Set(a.EndsAt.Add(-100 * time.Millisecond))
	earlier := A.store.Arrive()
	A.beat(t, w)
	tB := a.EndsAt.Add(time.Second)
	w.Clock.Set(tB)
	late := sendBid(w, B, u, a.ID, a.StartPrice)
	awaitWait(t, waits)
	notAnswered(t, late, "while the other process still holds an earlier arrival")
	A.tick(t, w)
	B.tick(t, w)
	if got := w.Auction(a.ID); got.Status != auction.StatusBidding {
		t.Fatalf("closed with an arrival before the end undecided: %s", got.Status)
	}

	earlier.Release()
	awaitWait(t, waits)
	notAnswered(t, late, "before the other process published its horizon")
	A.beat(t, w)
	_, err := answer(t, late)
	wantCode(t, err, auction.EAuctionNotOpen)
	var de *auction.Error
	if !errors.As(err, &de) || de.Auction == nil || de.Auction.Status != auction.StatusBidding || !de.Auction.EndsAt.Equal(a.EndsAt) {
		t.Fatalf("refusal's state %+v, want bidding until %s", de, a.EndsAt)
	}

	A.tick(t, w)
	B.tick(t, w)
	if got := w.Auction(a.ID); got.Status != auction.StatusFailed || !got.ClosedAt.Equal(a.EndsAt) {
		t.Fatalf("status %s closed_at %v, want failed at %s", got.Status, got.ClosedAt, a.EndsAt)
	}
	closedOnce(t, w, a.ID)
}

// With no other process running, a late bid waits only for this process's
// own earlier arrivals: with none it is refused at once, without any beat
// or poll (its process's own published horizon, behind it, is not waited
// for); with one it is refused the moment that one ends, again without a
// beat. Its own arrival does not hold it back.
func TestLateBidSingleProcess(t *testing.T) {
	t.Parallel()
	w := setup(t)
	in := startInstance(t, w, "only", w.Clock)
	waits := lateWaits(in)
	a := w.Announced("住宅")
	u := w.Verified("", "")
	w.Qualify(u, a.ID)
	w.Open(a)

	w.Clock.Set(a.EndsAt.Add(time.Second))
	_, err := answer(t, sendBid(w, in, u, a.ID, a.StartPrice))
	wantCode(t, err, auction.EAuctionNotOpen)
	select {
	case <-waits:
		t.Fatal("a late bid with nothing to wait for was left waiting")
	default:
	}

	w.Clock.Set(a.EndsAt.Add(2 * time.Second))
	earlier := in.store.Arrive()
	w.Clock.Set(a.EndsAt.Add(3 * time.Second))
	late := sendBid(w, in, u, a.ID, a.StartPrice)
	awaitWait(t, waits)
	notAnswered(t, late, "while an earlier arrival of the same process is undecided")
	earlier.Release()
	_, err = answer(t, late)
	wantCode(t, err, auction.EAuctionNotOpen)
}

// A late bid whose other process never publishes a horizon past it waits no
// longer than the bounds: once the close's bound has passed the auction
// closes and the bid is refused as not open; once the bid's own bound has
// passed it is refused with service_unavailable. Either way the auction is
// closed once and no bid follows the close.
func TestLateBidWaitBounded(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		after time.Duration // after the late bid's arrival, one second past the end
		want  string
	}{
		{"close's bound", auction.MaxBidWait - time.Second, auction.EAuctionNotOpen},
		{"bid's bound", auction.MaxBidWait + time.Microsecond, auction.EUnavailable},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := setup(t)
			// silent publishes a horizon at its start, then never again.
			_, B := startInstance(t, w, "silent", w.Clock), startInstance(t, w, "b", w.Clock)
			waits := lateWaits(B)
			a := w.Announced("住宅")
			ua, ub := w.Verified("", ""), w.Verified("", "")
			w.Qualify(ua, a.ID)
			w.Qualify(ub, a.ID)
			w.Open(a)
			w.Bid(ua, a.ID, a.StartPrice)

			tB := a.EndsAt.Add(time.Second)
			w.Clock.Set(tB)
			late := sendBid(w, B, ub, a.ID, a.StartPrice+a.Increment)
			awaitWait(t, waits)
			w.Clock.Set(tB.Add(c.after))
			B.tick(t, w)
			_, err := answer(t, late)
			wantCode(t, err, c.want)
			B.tick(t, w)
			if got := w.Auction(a.ID); got.Status != auction.StatusSold || *got.HammerPrice != a.StartPrice || !got.ClosedAt.Equal(a.EndsAt) {
				t.Fatalf("status %s hammer %v closed_at %v; want sold at %d at %s", got.Status, got.HammerPrice, got.ClosedAt, a.StartPrice, a.EndsAt)
			}
			closedOnce(t, w, a.ID)
			if bids, err := w.Store.Bids(w.Ctx, a.ID); err != nil || len(bids) != 1 {
				t.Fatalf("bids %+v, %v; want only the one before the end", bids, err)
			}
		})
	}
}

// While a late bid that an earlier bid's extension lets in waits, its
// process's horizon stays at its arrival, so the close at the extended end
// waits for it. (The demo rulebook's 15-second extension ends within the
// late bid's MaxBidWait.)
func TestLateBidHoldsClose(t *testing.T) {
	t.Parallel()
	w := setup(t)
	A, B := startInstance(t, w, "a", w.Clock), startInstance(t, w, "b", w.Clock)
	waits := lateWaits(B)
	// B holds its second batch: the late bid's, given back to the queue.
	entered, release := make(chan struct{}), make(chan struct{})
	batches := 0
	B.store.HoldBatches(func(string) {
		if batches++; batches == 2 {
			close(entered)
			<-release
		}
	})
	demo := auctiontest.On(t, postgres.New(postgres.Config{Pool: w.Store.Pool(), Clock: w.Clock, Rulebook: auction.Demo}), auctiontest.WithClock(w.Clock))
	a := demo.Announced("住宅")
	ua, ub := w.Verified("", ""), w.Verified("", "")
	w.Qualify(ua, a.ID)
	w.Qualify(ub, a.ID)
	w.Open(a)

	tA := a.EndsAt.Add(-100 * time.Millisecond)
	w.Clock.Set(tA)
	held := holdBid(w, A, ua, a.ID, a.StartPrice)
	A.beat(t, w)
	tB := a.EndsAt.Add(6 * time.Second)
	w.Clock.Set(tB)
	late := sendBid(w, B, ub, a.ID, a.StartPrice+a.Increment)
	awaitWait(t, waits)
	first, err := held.decide()
	if err != nil {
		t.Fatal(err)
	}
	extended := tA.Add(auction.Demo.Extension)
	if !first.Auction.EndsAt.Equal(extended) || !extended.After(tB) {
		t.Fatalf("earlier bid left ends_at %s, want %s after the late arrival %s", first.Auction.EndsAt, extended, tB)
	}
	// The extended end comes; A publishes past it, which lets the late
	// bid go back to B's queue, where it is held undecided.
	w.Clock.Set(extended)
	A.tick(t, w)
	select {
	case <-entered:
	case <-time.After(answerWait):
		t.Fatal("the late bid was not given back to the queue")
	}
	B.tick(t, w)
	A.tick(t, w)
	if got := w.Auction(a.ID); got.Status != auction.StatusBidding {
		t.Fatalf("closed at the extended end while a late bid within it was undecided: %s", got.Status)
	}
	close(release)
	res, err := answer(t, late)
	if err != nil {
		t.Fatalf("late bid within the extended end: %v", err)
	}
	if !res.Bid.PlacedAt.Equal(tB) || !res.Auction.EndsAt.Equal(tB.Add(auction.Demo.Extension)) {
		t.Fatalf("late bid placed_at %s ends_at %s; want %s, %s", res.Bid.PlacedAt, res.Auction.EndsAt, tB, tB.Add(auction.Demo.Extension))
	}
}
