package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
)

// elsewhere is a second process on the test's database: its bids move the
// auction without the first process's worker seeing them.
func elsewhere(w *auctiontest.World) *postgres.Store {
	return postgres.New(postgres.Config{Pool: w.Store.Pool(), Clock: w.Clock, Rulebook: auction.SPC2016})
}

// Losing bids get exact answers, also when another process moved the
// auction: the rule's refusal and the state as stored, the
// first answer again for a retried key, idempotency_key_reused for a key
// used for another bid; and against the auction as committed when they are
// decided, not as the worker last saw it.
func TestBidGroupAnswersExactly(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	alice, bob := w.Verified("ID-GA", ""), w.Verified("ID-GB", "")
	ra, rb := w.Qualify(alice, a.ID), w.Qualify(bob, a.ID)
	w.Open(a)
	place := func(s *postgres.Store, u *auction.User, amount int64, key string) (*auction.BidResult, error) {
		return s.PlaceBid(w.Ctx, auction.PlaceBid{AuctionID: a.ID, User: u, Amount: amount, Key: key})
	}
	stored := func() *auction.State {
		got := w.Auction(a.ID)
		return got.State()
	}
	sameState := func(err error) {
		t.Helper()
		got, want := refusalState(t, err), stored()
		if got.Seq != want.Seq || *got.CurrentPrice != *want.CurrentPrice || *got.LeaderCode != *want.LeaderCode || !got.EndsAt.Equal(want.EndsAt) {
			t.Fatalf("refusal reports %+v, stored %+v", got, want)
		}
	}

	first, err := place(w.Store, alice, a.StartPrice, "a1")
	if err != nil {
		t.Fatal(err)
	}
	// Bob's registration is not known yet: his bid takes the batch.
	_, err = place(w.Store, bob, a.StartPrice, "b1")
	wantCode(t, err, auction.EBidTooLow)

	// Refusals with the state as stored.
	_, err = place(w.Store, alice, a.StartPrice+a.Increment, "a2")
	wantCode(t, err, auction.EAlreadyLeading)
	sameState(err)
	_, err = place(w.Store, bob, a.StartPrice, "b2")
	wantCode(t, err, auction.EBidTooLow)
	sameState(err)
	_, err = place(w.Store, bob, a.StartPrice+a.Increment/2, "b3")
	wantCode(t, err, auction.EBidNotOnIncrement)
	again, err := place(w.Store, alice, a.StartPrice, "a1")
	if err != nil || again.Bid.Seq != first.Bid.Seq || again.Receipt != first.Receipt {
		t.Fatalf("a retried key: %+v %v, first answer %+v", again, err, first)
	}
	_, err = place(w.Store, alice, a.StartPrice-a.Increment, "a1")
	wantCode(t, err, auction.EIdempotencyReused)

	// Another process moves the auction: Bob outbids Alice there. Alice's
	// bid at that price is one the worker's state calls already_leading; it
	// is decided against the auction as committed: too low.
	other := elsewhere(w)
	if _, err := place(other, bob, a.StartPrice+a.Increment, "b4"); err != nil {
		t.Fatal(err)
	}
	_, err = place(w.Store, alice, a.StartPrice+a.Increment, "a3")
	wantCode(t, err, auction.EBidTooLow)
	sameState(err)
	if s := refusalState(t, err); *s.LeaderCode != *rb.BidderCode {
		t.Fatalf("refusal reports leader %s, want %s", *s.LeaderCode, *rb.BidderCode)
	}

	// A bid the worker's state calls too late (its end passed) that the
	// committed state accepts (the other process extended the end) is
	// decided by a batch and accepted.
	w.Clock.Set(a.EndsAt.Add(-time.Minute))
	ext, err := place(other, alice, a.StartPrice+2*a.Increment, "a4")
	if err != nil || !ext.Auction.EndsAt.After(a.EndsAt) {
		t.Fatalf("bid in the last minutes: %+v %v", ext, err)
	}
	w.Clock.Set(a.EndsAt.Add(time.Second))
	res, err := place(w.Store, bob, a.StartPrice+3*a.Increment, "b5")
	if err != nil || res.Bid.BidderCode != *rb.BidderCode || !res.Bid.PlacedAt.Equal(w.Clock.Now()) {
		t.Fatalf("a bid the stale state refuses and the stored one accepts: %+v %v", res, err)
	}
	_ = ra
}

// A crowd of one-click bidders, each sending the price it last saw plus one
// step: every answer is consistent with the record and the record is whole.
func TestBidOneClickCrowd(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	const bidders, rounds = 24, 12
	users := make([]*auction.User, bidders)
	codes := map[string]int{}
	for i := range users {
		users[i] = w.Verified(fmt.Sprintf("ID-OC%d", i), "")
		codes[*w.Qualify(users[i], a.ID).BidderCode] = i
	}
	w.Open(a)
	var mu sync.Mutex
	accepted := map[int64]int64{} // amount by seq
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Go(func() {
			price := a.StartPrice - a.Increment
			for r := range rounds {
				amount := price + a.Increment
				res, err := w.Store.PlaceBid(context.Background(), auction.PlaceBid{AuctionID: a.ID, User: u, Amount: amount, Key: fmt.Sprintf("c%d-%d", i, r)})
				if err != nil {
					s := refusalState(t, err)
					switch auction.ErrorCode(err) {
					case auction.EBidTooLow:
						if s.CurrentPrice == nil || amount >= *s.CurrentPrice+a.Increment {
							t.Errorf("%d refused too low against %+v", amount, s)
						}
					case auction.EAlreadyLeading:
						if s.LeaderCode == nil || codes[*s.LeaderCode] != i {
							t.Errorf("bidder %d refused as leader against %+v", i, s)
						}
					default:
						t.Errorf("bid %d: %v", amount, err)
						return
					}
					price = *s.CurrentPrice
					continue
				}
				if *res.Auction.CurrentPrice != amount || codes[*res.Auction.LeaderCode] != i {
					t.Errorf("accepted %d, state %+v", amount, res.Auction)
				}
				mu.Lock()
				accepted[res.Bid.Seq] = amount
				mu.Unlock()
				price = amount
			}
		})
	}
	wg.Wait()
	bids, err := w.Store.Bids(w.Ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(bids) != len(accepted) {
		t.Fatalf("%d bids stored, %d accepted", len(bids), len(accepted))
	}
	for i, bid := range bids {
		if accepted[bid.Seq] != bid.Amount || (i > 0 && bid.Amount != bids[i-1].Amount+a.Increment) {
			t.Fatalf("bid %d: %d at seq %d (answered %d)", i, bid.Amount, bid.Seq, accepted[bid.Seq])
		}
	}
	rec, err := w.Store.Record(w.Ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if broken, why := rec.Verify(); broken != 0 {
		t.Fatalf("record broken at seq %d: %s", broken, why)
	}
	t.Logf("%d accepted of %d", len(bids), bidders*rounds)
}
