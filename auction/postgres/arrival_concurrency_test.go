package postgres_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gavel/auction"
)

// answered is one bid's arrival and what its bidder was told.
type answered struct {
	at  time.Time
	res *auction.BidResult
	err error
}

// Many bidders bid through two instances while the clock runs across the
// end (each raise near it extends it), then keep sending bids until the
// close, and both instances tick all along: every accepted bid is in the record at its
// arrival time, every bid event lies before the end in force when it was
// decided and extends it by the rule, nothing follows the close, the close
// is at the last end, and every refusal as not open reports a state that
// justifies it.
func TestArrivalsAcrossEndConcurrently(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ins := []*instance{startInstance(t, w, "one", w.Clock), startInstance(t, w, "two", w.Clock)}
	a := w.Announced("住宅")
	const bidders = 8
	users := make([]*auction.User, bidders)
	for i := range users {
		users[i] = w.Verified("", "")
		w.Qualify(users[i], a.ID)
	}
	w.Open(a)
	w.Clock.Set(a.EndsAt.Add(-20 * time.Second))

	var (
		mu      sync.Mutex
		answers []answered
		price   atomic.Int64 // the highest price a bidder has seen
		closed  atomic.Bool
		wg      sync.WaitGroup
	)
	price.Store(a.StartPrice - a.Increment)
	// Bidders raise until then, and keep sending bids that cannot win
	// until the auction closes.
	stopRaising := a.EndsAt.Add(2 * time.Minute)
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 7))
			for n := 0; n < 5000 && !closed.Load(); n++ {
				in := ins[r.IntN(len(ins))]
				arrival := in.store.Arrive()
				amount := price.Load() + a.Increment*int64(1+r.IntN(2))
				if arrival.At.After(stopRaising) {
					// Late bidders: at the price, which never extends,
					// until the end passes and then the close; at a gentler
					// pace while the clock runs.
					amount = price.Load()
					time.Sleep(time.Millisecond)
				}
				res, err := in.store.PlaceBid(w.Ctx, auction.PlaceBid{AuctionID: a.ID, User: u, Amount: amount,
					Key: fmt.Sprintf("c%d-%d", i, n), Arrival: arrival})
				arrival.Release()
				mu.Lock()
				answers = append(answers, answered{at: arrival.At, res: res, err: err})
				mu.Unlock()
				var st *auction.State
				var de *auction.Error
				switch {
				case err == nil:
					st = res.Auction
				case errors.As(err, &de):
					st = de.Auction
				}
				if st != nil && st.CurrentPrice != nil {
					for p := price.Load(); *st.CurrentPrice > p && !price.CompareAndSwap(p, *st.CurrentPrice); p = price.Load() {
					}
				}
				if st != nil && st.Status != auction.StatusBidding {
					closed.Store(true)
				}
			}
		}()
	}
	// The clock runs in steps shorter than MaxBidWait, both instances
	// beating and ticking after each, until the bidders are done.
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	ticking := true
	for ticking {
		select {
		case <-done:
			ticking = false
		default:
		}
		w.Clock.Advance(3 * time.Second)
		for _, in := range ins {
			in.tick(t, w)
		}
		// A bid received after the end waits, in real time, until the
		// other instance's horizon has passed it (late.go): the clock
		// stands still for a few of its polls rather than run past
		// MaxBidWait meanwhile.
		if !w.Clock.Now().Before(w.Auction(a.ID).EndsAt) {
			time.Sleep(300 * time.Millisecond)
		}
	}
	// Then past whatever end the bids left.
	w.Clock.Set(w.Auction(a.ID).EndsAt)
	for _, in := range ins {
		in.tick(t, w)
	}
	final := w.Auction(a.ID)
	if final.Status != auction.StatusSold || !final.ClosedAt.Equal(final.EndsAt) {
		t.Fatalf("status %s closed_at %v ends_at %s, want sold at the last end", final.Status, final.ClosedAt, final.EndsAt)
	}

	events, _, err := w.Store.Events(w.Ctx, a.ID, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if last := events[len(events)-1]; last.Type != auction.EventClosed {
		t.Fatalf("last event %s, want closed", last.Type)
	}
	bySeq := map[int64]auction.Event{}
	end := a.EndsAt
	for _, e := range events {
		bySeq[e.Seq] = e
		if e.Type != auction.EventBid {
			continue
		}
		if !e.At.Before(end) {
			t.Errorf("bid %d at %s, at or after the end %s in force", e.Seq, e.At, end)
		}
		want := end
		if !e.At.Before(end.Add(-auction.SPC2016.ExtensionWindow)) && e.At.Add(auction.SPC2016.Extension).After(end) {
			want = e.At.Add(auction.SPC2016.Extension)
		}
		got, _ := time.Parse(time.RFC3339Nano, e.Data["ends_at"].(string))
		if !got.Equal(want) {
			t.Errorf("bid %d at %s moved the end %s to %s, want %s", e.Seq, e.At, end, got, want)
		}
		end = got
	}
	if !end.Equal(final.EndsAt) {
		t.Errorf("the record's last end %s, the auction's %s", end, final.EndsAt)
	}
	var accepted, notOpen int
	for _, ans := range answers {
		var de *auction.Error
		switch {
		case ans.err == nil:
			accepted++
			e, ok := bySeq[ans.res.Bid.Seq]
			if !ok || e.Type != auction.EventBid || !e.At.Equal(ans.at) || !ans.res.Bid.PlacedAt.Equal(ans.at) {
				t.Errorf("accepted bid arrived %s (seq %d, placed %s) not in the record as such: %+v", ans.at, ans.res.Bid.Seq, ans.res.Bid.PlacedAt, e)
			}
		case errors.As(ans.err, &de) && de.Code == auction.EAuctionNotOpen:
			notOpen++
			if st := de.Auction; st == nil || (st.Status == auction.StatusBidding && ans.at.Before(st.EndsAt)) {
				t.Errorf("bid arrived %s refused as not open with state %+v", ans.at, st)
			}
		case errors.As(ans.err, &de):
		default:
			t.Errorf("bid arrived %s: %v", ans.at, ans.err)
		}
	}
	if accepted == 0 || notOpen == 0 {
		t.Fatalf("%d accepted, %d refused as not open: the run did not cross the end", accepted, notOpen)
	}
	t.Logf("%d bids: %d accepted, %d refused as not open; the end moved from %s to %s", len(answers), accepted, notOpen, a.EndsAt, final.EndsAt)
}
