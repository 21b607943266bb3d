package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
)

// TestBidBatchDecidesEachBid puts bids that arrive together into one batch
// and checks that each is decided as if it had a transaction of its own, in
// arrival order: refusals change nothing for the bids after them, replays
// and reused keys are seen within the batch, and each accepted bid gets its
// own seq, event and answer.
func TestBidBatchDecidesEachBid(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.AnnouncedOf(auction.NewCase{}, auction.NewLot{Category: auction.CategoryRealEstate})
	w.Holder(a.LotID, auction.NewPriorityHolder{Name: "甲", IDNumber: idn("ID-QPH"), Rank: 1})
	alice := w.Verified("ID-QA", "")
	bob := w.Verified("ID-QB", "")
	carol := w.Verified("ID-QC", "")
	dave := w.Verified("ID-QD", "")
	eve := w.Verified("ID-QE", "")
	holder := w.Verified("ID-QPH", "")
	regs := map[*auction.User]*auction.Registration{}
	for _, u := range []*auction.User{alice, bob, dave, eve, holder} {
		regs[u] = w.Qualify(u, a.ID)
	}
	if _, err := w.Store.ImportBlacklist(w.Ctx, "api", []auction.BlacklistEntry{{Name: "x", IDNumber: idn("ID-QE"), CaseNumber: "c"}}); err != nil {
		t.Fatal(err)
	}
	bid := func(u *auction.User, amount int64, key string) auction.PlaceBid {
		return auction.PlaceBid{AuctionID: a.ID, User: u, Amount: amount, Key: key}
	}
	start, inc := a.StartPrice, a.Increment

	// First batch at starts_at, before the scheduler ran: the refusal ahead
	// of the first accepted bid reports the stored state (announced, seq 1);
	// the accepted bid opens the auction and hands the opening to the feed.
	w.Clock.Set(a.StartsAt)
	res, errs := w.Store.PlaceBatch(w.Ctx, []auction.PlaceBid{bid(bob, start-inc, "b0"), bid(alice, start, "a1")})
	wantCode(t, errs[0], auction.EBidTooLow)
	if s := refusalState(t, errs[0]); s.Status != auction.StatusAnnounced || s.Seq != 0 {
		t.Fatalf("refusal before the opening reports %+v", s)
	}
	if errs[1] != nil {
		t.Fatal(errs[1])
	}
	first := res[1]
	if first.Bid.Seq != 2 || len(first.Events) != 2 || first.Events[0].Type != auction.EventOpened || first.Events[1].Seq != 2 {
		t.Fatalf("first accepted bid: %+v events %+v", first.Bid, first.Events)
	}

	steps := []struct {
		p    auction.PlaceBid
		code string
		seq  int64 // the accepted bid's seq, or the seq its refusal reports
	}{
		{bid(bob, start+inc/2, "b1"), auction.EBidNotOnIncrement, 2},
		{bid(carol, start+inc, "c1"), auction.ENotQualified, 2},
		{bid(alice, start, "a1"), "", 2}, // a retry: the first answer again
		{bid(alice, start+2*inc, "a1"), auction.EIdempotencyReused, 2},
		{bid(alice, start+inc, "a2"), auction.EAlreadyLeading, 2},
		{bid(bob, start+inc, "b2"), "", 3},
		{bid(bob, start+inc, "b2"), "", 3},    // a retry within the batch
		{bid(holder, start+inc, "h1"), "", 4}, // a priority match takes the lead
		{bid(eve, start+5*inc, "e1"), auction.EBidderRestricted, 4},
		{bid(dave, start+inc, "d1"), auction.EBidTooLow, 4},
		{bid(dave, start+3*inc, "d2"), "", 5},
		{bid(bob, start+3*inc, "b3"), auction.EBidTooLow, 5},
	}
	ps := make([]auction.PlaceBid, len(steps))
	for i, st := range steps {
		ps[i] = st.p
	}
	res, errs = w.Store.PlaceBatch(w.Ctx, ps)
	for i, st := range steps {
		if st.code != "" {
			wantCode(t, errs[i], st.code)
			if s := refusalState(t, errs[i]); s.Seq != st.seq || s.Status != auction.StatusBidding {
				t.Errorf("step %d: refusal reports %+v, want seq %d", i, s, st.seq)
			}
			continue
		}
		if errs[i] != nil {
			t.Fatalf("step %d: %v", i, errs[i])
		}
		if res[i].Bid.Seq != st.seq || res[i].Bid.Amount != st.p.Amount {
			t.Errorf("step %d: accepted %+v, want seq %d", i, res[i].Bid, st.seq)
		}
	}
	if res[2].Receipt != first.Receipt || res[2].Bid != first.Bid || len(res[2].Events) != 0 {
		t.Errorf("retry of the first bid answered %+v, first %+v", res[2], first)
	}
	if res[6].Receipt != res[5].Receipt || len(res[6].Events) != 0 {
		t.Errorf("retry within the batch answered %+v, first %+v", res[6], res[5])
	}
	if !res[7].Bid.Priority || *res[7].Auction.LeaderCode != *regs[holder].BidderCode {
		t.Errorf("priority match: %+v %+v", res[7].Bid, res[7].Auction)
	}
	if got := refusalState(t, errs[11]); *got.LeaderCode != *regs[dave].BidderCode || *got.CurrentPrice != start+3*inc {
		t.Errorf("last refusal reports %+v", got)
	}

	// What was stored is what was answered: bids 2..5, a record that verifies.
	bids, err := w.Store.Bids(w.Ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		seq    int64
		amount int64
		u      *auction.User
	}{{2, start, alice}, {3, start + inc, bob}, {4, start + inc, holder}, {5, start + 3*inc, dave}}
	if len(bids) != len(want) {
		t.Fatalf("stored bids %+v", bids)
	}
	for i, w := range want {
		if bids[i].Seq != w.seq || bids[i].Amount != w.amount || bids[i].BidderCode != *regs[w.u].BidderCode {
			t.Errorf("bid %d: %+v, want %+v", i, bids[i], w)
		}
	}
	rec, err := w.Store.Record(w.Ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bad, why := rec.Verify(); bad != 0 || len(rec.Events) != 5 {
		t.Fatalf("record: %d events, broken at %d: %s", len(rec.Events), bad, why)
	}
	got, _ := w.Store.Auction(w.Ctx, a.ID)
	if got.Seq != 5 || got.BidCount != 4 || *got.CurrentPrice != start+3*inc || *got.LeaderCode != *regs[dave].BidderCode {
		t.Fatalf("stored auction: %+v", got)
	}
}

// TestBidBatchRefusedWritesNothing: a batch whose bids are all refused rolls
// back the opening it did, like a refused bid on its own.
func TestBidBatchRefusedWritesNothing(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	alice := w.Verified("ID-QR", "")
	w.Qualify(alice, a.ID)
	w.Clock.Set(a.StartsAt)
	_, errs := w.Store.PlaceBatch(w.Ctx, []auction.PlaceBid{
		{AuctionID: a.ID, User: alice, Amount: a.StartPrice - a.Increment, Key: "r1"},
		{AuctionID: a.ID, User: alice, Amount: a.StartPrice + 1, Key: "r2"},
	})
	wantCode(t, errs[0], auction.EBidTooLow)
	wantCode(t, errs[1], auction.EBidNotOnIncrement)
	got, _ := w.Store.Auction(w.Ctx, a.ID)
	if got.Status != auction.StatusAnnounced || got.Seq != 0 {
		t.Fatalf("after refused batch: %s seq %d", got.Status, got.Seq)
	}
}

// TestBidBatchFailureIsolated: a request that fails for a reason other than
// a rule (here a user id the database rejects) fails alone; the bids that
// shared its batch are decided on their own.
func TestBidBatchFailureIsolated(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	alice := w.Verified("ID-QF1", "")
	bob := w.Verified("ID-QF2", "")
	w.Qualify(alice, a.ID)
	w.Qualify(bob, a.ID)
	w.Open(a)
	broken := &auction.User{ID: "not-a-uuid", Role: auction.RoleBidder}
	res, errs := w.Store.PlaceBatch(w.Ctx, []auction.PlaceBid{
		{AuctionID: a.ID, User: alice, Amount: a.StartPrice, Key: "f1"},
		{AuctionID: a.ID, User: broken, Amount: a.StartPrice + a.Increment, Key: "f2"},
		{AuctionID: a.ID, User: bob, Amount: a.StartPrice + a.Increment, Key: "f3"},
	})
	if errs[0] != nil || errs[2] != nil || res[2].Bid.Seq != res[0].Bid.Seq+1 {
		t.Fatalf("bids beside the broken one: %v %v", errs[0], errs[2])
	}
	var de *auction.Error
	if errs[1] == nil || errors.As(errs[1], &de) {
		t.Fatalf("broken request answered %v", errs[1])
	}
}

// TestBidBatchKeyRace: a bidder's key is taken by their bid on another
// auction after the batch read the keys and before it wrote them. The batch
// is decided again without that bid, which is refused; the others stand.
func TestBidBatchKeyRace(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	other := w.Announced("住宅")
	alice := w.Verified("ID-QK1", "")
	bob := w.Verified("ID-QK2", "")
	w.Qualify(alice, a.ID)
	w.Qualify(bob, a.ID)
	w.Open(a)
	pool := w.Store.Pool()
	// The other auction's transaction has written the key but not committed.
	tx, err := pool.Begin(w.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(w.Ctx)
	if _, err := tx.Exec(w.Ctx, `INSERT INTO bid_requests (user_id, key, fingerprint, auction_id, response, created_at)
		VALUES ($1, 'k-race', '\x00', $2, '{}', now())`, alice.ID, other.ID); err != nil {
		t.Fatal(err)
	}
	type out struct {
		res  []*auction.BidResult
		errs []error
	}
	done := make(chan out, 1)
	go func() {
		res, errs := w.Store.PlaceBatch(w.Ctx, []auction.PlaceBid{
			{AuctionID: a.ID, User: alice, Amount: a.StartPrice, Key: "k-race"},
			{AuctionID: a.ID, User: bob, Amount: a.StartPrice + a.Increment, Key: "k-bob"},
		})
		done <- out{res, errs}
	}()
	// Commit once the batch waits for the key.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting bool
		if err := pool.QueryRow(w.Ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO bid_requests%')`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the batch never waited for the raced key")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := tx.Commit(w.Ctx); err != nil {
		t.Fatal(err)
	}
	o := <-done
	wantCode(t, o.errs[0], auction.EIdempotencyReused)
	if s := refusalState(t, o.errs[0]); s.CurrentPrice != nil {
		t.Fatalf("raced bid's refusal reports %+v", s)
	}
	if o.errs[1] != nil || o.res[1].Bid.Seq != 2 {
		t.Fatalf("bob's bid: %+v %v", o.res, o.errs[1])
	}
	bids, _ := w.Store.Bids(w.Ctx, a.ID)
	if len(bids) != 1 || bids[0].Amount != a.StartPrice+a.Increment {
		t.Fatalf("stored bids %+v", bids)
	}
}

// TestBidQueueConcurrentBidders: many bidders bid at once, each bid sent
// twice at the same time under one key, while the auction row is held so
// that the bids pile up into batches. Every accepted bid has its own seq and
// a matching stored bid and answer; retries get the same answer; the record
// has no gaps and verifies; the auction ends where the last bid left it; and
// the workers are gone afterwards.
func TestBidQueueConcurrentBidders(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	const bidders, rounds = 16, 8
	users := make([]*auction.User, bidders)
	for i := range users {
		users[i] = w.Verified(fmt.Sprintf("ID-QC%d", i), "")
		w.Qualify(users[i], a.ID)
	}
	w.Open(a)
	pool := w.Store.Pool()
	hold, err := pool.Begin(w.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback(w.Ctx)
	if _, err := hold.Exec(w.Ctx, `SELECT 1 FROM auctions WHERE id = $1 FOR UPDATE`, a.ID); err != nil {
		t.Fatal(err)
	}

	var ladder atomic.Int64 // half the bidders climb a shared ladder, half follow the price
	var issued atomic.Int64 // first-round bids sent
	var mu sync.Mutex
	accepted := map[int64]*auction.BidResult{} // by seq
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Go(func() {
			known := a.StartPrice - a.Increment
			for r := range rounds {
				amount := known + a.Increment
				if i%2 == 0 {
					amount = max(amount, a.StartPrice+ladder.Add(1)*a.Increment)
				}
				key := fmt.Sprintf("u%d-r%d", i, r)
				var twice [2]struct {
					res *auction.BidResult
					err error
				}
				var pair sync.WaitGroup
				for j := range twice {
					pair.Go(func() {
						if r == 0 {
							issued.Add(1)
						}
						twice[j].res, twice[j].err = w.Store.PlaceBid(context.Background(), auction.PlaceBid{AuctionID: a.ID, User: u, Amount: amount, Key: key})
					})
				}
				pair.Wait()
				for _, x := range twice {
					if x.err != nil {
						if c := auction.ErrorCode(x.err); c != auction.EBidTooLow && c != auction.EAlreadyLeading {
							t.Errorf("bid %s: %v", key, x.err)
							return
						}
						s := refusalState(t, x.err)
						if s.CurrentPrice != nil {
							known = max(known, *s.CurrentPrice)
						}
						continue
					}
					known = max(known, *x.res.Auction.CurrentPrice)
					mu.Lock()
					if prev, ok := accepted[x.res.Bid.Seq]; ok && prev.Receipt != x.res.Receipt {
						t.Errorf("seq %d answered twice with different receipts", x.res.Bid.Seq)
					}
					accepted[x.res.Bid.Seq] = x.res
					mu.Unlock()
				}
				if twice[0].err == nil && twice[1].err == nil && twice[0].res.Receipt != twice[1].res.Receipt {
					t.Errorf("key %s accepted twice: %+v / %+v", key, twice[0].res.Bid, twice[1].res.Bid)
				}
			}
		})
	}
	// Let bids pile up behind the held row, then release it: every bidder has
	// sent its first bid twice and a batch waits for the row. (How many wait
	// in the queue rather than in that batch depends on when the worker took
	// its batch, so the queue's length is not the sign.)
	deadline := time.Now().Add(10 * time.Second)
	for issued.Load() < 2*bidders || !batchWaitsForRow(t, pool) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d first bids sent, a batch waiting for the row: %v", issued.Load(), 2*bidders, batchWaitsForRow(t, pool))
		}
		time.Sleep(time.Millisecond)
	}
	if err := hold.Commit(w.Ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	bids, err := w.Store.Bids(w.Ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(bids) != len(accepted) || len(bids) < rounds {
		t.Fatalf("%d bids stored, %d answered as accepted", len(bids), len(accepted))
	}
	for i, bid := range bids {
		res := accepted[bid.Seq]
		if res == nil || res.Bid.Amount != bid.Amount || res.Bid.BidderCode != bid.BidderCode {
			t.Fatalf("stored bid %+v answered as %+v", bid, res)
		}
		if i > 0 && bid.Amount <= bids[i-1].Amount {
			t.Fatalf("bid seq %d at %d after %d", bid.Seq, bid.Amount, bids[i-1].Amount)
		}
	}
	rec, err := w.Store.Record(w.Ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bad, why := rec.Verify(); bad != 0 {
		t.Fatalf("record broken at %d: %s", bad, why)
	}
	last := bids[len(bids)-1]
	got, _ := w.Store.Auction(w.Ctx, a.ID)
	if got.Seq != int64(len(rec.Events)) || got.BidCount != len(bids) || *got.CurrentPrice != last.Amount || *got.LeaderCode != last.BidderCode {
		t.Fatalf("stored auction %+v, last bid %+v, %d events", got, last, len(rec.Events))
	}
	var answers int
	if err := pool.QueryRow(w.Ctx, `SELECT count(*) FROM bid_requests WHERE auction_id = $1`, a.ID).Scan(&answers); err != nil || answers != len(bids) {
		t.Fatalf("%d answers kept for %d bids (%v)", answers, len(bids), err)
	}
	if n := w.Store.QueuedAuctions(); n != 0 {
		t.Fatalf("%d bid workers still running", n)
	}
}

// batchWaitsForRow tells whether a transaction of the test's database waits
// for a row lock.
func batchWaitsForRow(t *testing.T, pool *pgxpool.Pool) bool {
	t.Helper()
	var waiting int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
		t.Fatal(err)
	}
	return waiting > 0
}

// TestBidBatchTakesInArrivals: bids that arrive while a worker's batch
// transaction runs are decided in it, after its own bids, before it
// commits: one transaction for all. A joining bid that outbids the batch is
// stored with the next seq; the others are refused against the auction as
// the bids before them left it; a retry of a key the batch accepted gets the
// batch's answer.
func TestBidBatchTakesInArrivals(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	alice := w.Verified("ID-QJ1", "")
	bob := w.Verified("ID-QJ2", "")
	carol := w.Verified("ID-QJ3", "")
	dave := w.Verified("ID-QJ4", "")
	regs := map[*auction.User]*auction.Registration{}
	for _, u := range []*auction.User{alice, bob, carol, dave} {
		regs[u] = w.Qualify(u, a.ID)
	}
	w.Open(a)
	start, inc := a.StartPrice, a.Increment

	var batches atomic.Int64
	w.Store.HoldBatches(func(string) { batches.Add(1) })
	type answer struct {
		res *auction.BidResult
		err error
	}
	bid := func(u *auction.User, amount int64, key string) chan answer {
		c := make(chan answer, 1)
		go func() {
			res, err := w.Store.PlaceBid(context.Background(), auction.PlaceBid{AuctionID: a.ID, User: u, Amount: amount, Key: key})
			c <- answer{res, err}
		}()
		return c
	}
	// While alice's batch holds the lock, four bids queue, one after another.
	var joins []chan answer
	var once sync.Once
	w.Store.HoldJoins(func(auctionID string) {
		once.Do(func() {
			for i, next := range []func() chan answer{
				func() chan answer { return bid(bob, start, "b1") },       // the price alice just took
				func() chan answer { return bid(alice, start, "a1") },     // a retry of alice's bid
				func() chan answer { return bid(carol, start+inc, "c1") }, // outbids the batch
				func() chan answer { return bid(dave, start+inc, "d1") },  // too late for that price
			} {
				joins = append(joins, next())
				waitForQueue(t, w.Store, auctionID, i+1)
			}
		})
	})
	first := <-bid(alice, start, "a1")
	if first.err != nil || first.res.Bid.Seq != 2 {
		t.Fatalf("alice: %+v %v", first.res, first.err)
	}
	if len(joins) != 4 {
		t.Fatal("the batch took no bids in before it committed")
	}
	b, retry, c, d := <-joins[0], <-joins[1], <-joins[2], <-joins[3]
	wantCode(t, b.err, auction.EBidTooLow)
	if s := refusalState(t, b.err); s.Seq != 2 || *s.CurrentPrice != start || *s.LeaderCode != *regs[alice].BidderCode {
		t.Errorf("bob's refusal reports %+v", s)
	}
	if retry.err != nil || retry.res.Receipt != first.res.Receipt || retry.res.Bid != first.res.Bid {
		t.Errorf("alice's retry: %+v %v, first %+v", retry.res, retry.err, first.res)
	}
	if c.err != nil || c.res.Bid.Seq != 3 || c.res.Bid.Amount != start+inc || len(c.res.Events) != 1 {
		t.Fatalf("carol: %+v %v", c.res, c.err)
	}
	wantCode(t, d.err, auction.EBidTooLow)
	if s := refusalState(t, d.err); s.Seq != 3 || *s.LeaderCode != *regs[carol].BidderCode {
		t.Errorf("dave's refusal reports %+v", s)
	}
	if n := batches.Load(); n != 1 {
		t.Errorf("%d batch transactions, want the one the bids joined", n)
	}

	// What was stored is what was answered.
	bids, err := w.Store.Bids(w.Ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(bids) != 2 || bids[0].Seq != 2 || bids[1].Seq != 3 || bids[1].BidderCode != *regs[carol].BidderCode {
		t.Fatalf("stored bids %+v", bids)
	}
	rec, err := w.Store.Record(w.Ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bad, why := rec.Verify(); bad != 0 || len(rec.Events) != 3 {
		t.Fatalf("record: %d events, broken at %d: %s", len(rec.Events), bad, why)
	}
	got, _ := w.Store.Auction(w.Ctx, a.ID)
	if got.Seq != 3 || got.BidCount != 2 || *got.CurrentPrice != start+inc {
		t.Fatalf("stored auction: %+v", got)
	}
}

// TestBidAtTheStartJoinsNoEarlierBatch: a batch decided just before the
// start refuses its bid (not open yet); a bid received at the start while
// that batch runs does not join it, to be judged by its clock, but is
// decided by a batch of its own, which opens the auction and accepts it.
func TestBidAtTheStartJoinsNoEarlierBatch(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	alice := w.Verified("ID-QS1", "")
	bob := w.Verified("ID-QS2", "")
	w.Qualify(alice, a.ID)
	w.Qualify(bob, a.ID)
	w.Clock.Set(a.StartsAt.Add(-time.Millisecond))
	var batches atomic.Int64
	w.Store.HoldBatches(func(string) { batches.Add(1) })
	bobs := bidWhileBatchRuns(t, w, auction.PlaceBid{AuctionID: a.ID, User: bob, Amount: a.StartPrice, Key: "b1"},
		func() { w.Clock.Set(a.StartsAt) }, nil)
	_, err := w.Store.PlaceBid(w.Ctx, auction.PlaceBid{AuctionID: a.ID, User: alice, Amount: a.StartPrice, Key: "a1"})
	wantCode(t, err, auction.EAuctionNotOpen)
	if err := bobs(); err != nil {
		t.Fatalf("bob's bid, received at the start: %v", err)
	}
	if n := batches.Load(); n != 2 {
		t.Errorf("%d batch transactions, want 2", n)
	}
	got, _ := w.Store.Auction(w.Ctx, a.ID)
	if got.Status != auction.StatusBidding || got.BidCount != 1 {
		t.Fatalf("stored auction: %+v", got)
	}
}

// waitForQueue waits until n bids wait in the auction's queue.
func waitForQueue(t *testing.T, s *postgres.Store, auctionID string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.WaitingBids(auctionID) < n {
		if time.Now().After(deadline) {
			t.Errorf("%d bids never waited in the queue", n)
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// bidWhileBatchRuns sends p while the worker's next batch on p's auction
// holds the lock, just before bids join it: before runs first, then p is
// sent and waits in the queue, then after runs. The returned function waits
// for p's answer, failing the test if the batch never got that far.
func bidWhileBatchRuns(t *testing.T, w *auctiontest.World, p auction.PlaceBid, before, after func()) func() error {
	var answer chan error
	var once sync.Once
	w.Store.HoldJoins(func(auctionID string) {
		once.Do(func() {
			if before != nil {
				before()
			}
			answer = make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_, err := w.Store.PlaceBid(ctx, p)
				answer <- err
			}()
			waitForQueue(t, w.Store, auctionID, 1)
			if after != nil {
				after()
			}
		})
	})
	return func() error {
		t.Helper()
		if answer == nil {
			t.Fatal("the batch never reached the point where bids join")
		}
		return <-answer
	}
}

// TestBidBatchFailureAnswersJoiners: when the round trip that writes the
// batch and reads for the bids that joined it fails, the joiners are
// answered too: each bid is decided again alone, and the joiner that the
// failure was not about is accepted.
func TestBidBatchFailureAnswersJoiners(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	alice := w.Verified("ID-QF1", "")
	bob := w.Verified("ID-QF2", "")
	w.Qualify(alice, a.ID)
	w.Qualify(bob, a.ID)
	w.Open(a)
	// Storing the answer under alice's key fails, as a statement error
	// caused by one request's data would.
	if _, err := w.Store.Pool().Exec(w.Ctx, `
		CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.key = 'boom' THEN RAISE EXCEPTION 'boom'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse_boom BEFORE INSERT ON bid_requests FOR EACH ROW EXECUTE FUNCTION refuse_boom();`); err != nil {
		t.Fatal(err)
	}
	bobs := bidWhileBatchRuns(t, w, auction.PlaceBid{AuctionID: a.ID, User: bob, Amount: a.StartPrice, Key: "b1"}, nil, nil)
	if _, err := w.Store.PlaceBid(w.Ctx, auction.PlaceBid{AuctionID: a.ID, User: alice, Amount: a.StartPrice, Key: "boom"}); err == nil {
		t.Fatal("alice's bid was accepted although its answer could not be stored")
	}
	if err := bobs(); err != nil {
		t.Fatalf("bob's bid, which joined the failed batch: %v", err)
	}
	got, _ := w.Store.Auction(w.Ctx, a.ID)
	if got.BidCount != 1 || *got.CurrentPrice != a.StartPrice {
		t.Fatalf("stored auction: %+v", got)
	}
}

// TestBidJoiningIsJudgedByItsDecisionClock: a bid that joins a batch is
// judged by a clock read after it arrived, not by the batch's: one that
// waited longer than MaxBidWait before it was decided is refused, as its own
// batch would refuse it.
func TestBidJoiningIsJudgedByItsDecisionClock(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	alice := w.Verified("ID-QW1", "")
	bob := w.Verified("ID-QW2", "")
	w.Qualify(alice, a.ID)
	w.Qualify(bob, a.ID)
	w.Open(a)
	bobs := bidWhileBatchRuns(t, w, auction.PlaceBid{AuctionID: a.ID, User: bob, Amount: a.StartPrice + a.Increment, Key: "b1"},
		nil, func() { w.Clock.Set(w.Clock.Now().Add(auction.MaxBidWait + time.Second)) })
	if _, err := w.Store.PlaceBid(w.Ctx, auction.PlaceBid{AuctionID: a.ID, User: alice, Amount: a.StartPrice, Key: "a1"}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, bobs(), auction.EUnavailable)
}

// TestBidJoiningReadsItsOwnFacts: a bid that joins a batch is decided by
// what is true when it joins, not by the batch's earlier read: a person
// whose listing was lifted while the batch ran is refused in the batch and
// accepted when joining it.
func TestBidJoiningReadsItsOwnFacts(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.AnnouncedOf(auction.NewCase{}, auction.NewLot{Category: auction.CategoryRealEstate})
	eve := w.Verified("ID-QR1", "")
	w.Qualify(eve, a.ID)
	w.Open(a)
	if _, err := w.Store.ImportBlacklist(w.Ctx, "api", []auction.BlacklistEntry{{Name: "x", IDNumber: idn("ID-QR1"), CaseNumber: "c"}}); err != nil {
		t.Fatal(err)
	}
	again := bidWhileBatchRuns(t, w, auction.PlaceBid{AuctionID: a.ID, User: eve, Amount: a.StartPrice, Key: "e2"},
		func() {
			if _, err := w.Store.RemoveFromBlacklist(w.Ctx, []string{idn("ID-QR1")}); err != nil {
				t.Error(err)
			}
		}, nil)
	_, err := w.Store.PlaceBid(w.Ctx, auction.PlaceBid{AuctionID: a.ID, User: eve, Amount: a.StartPrice, Key: "e1"})
	wantCode(t, err, auction.EBidderRestricted)
	if err := again(); err != nil {
		t.Fatalf("eve's bid after the listing was lifted: %v", err)
	}
}
