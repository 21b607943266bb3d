package limit

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction/postgres/pglimit"
	"gavel/migrations/dbtest"
)

// cluster returns n instances' limits on one database, each with its own
// pool and store, all on one hand-moved clock (at microseconds, as the
// database keeps times).
func cluster(t *testing.T, n int) ([]*Limits, *fakeNow) {
	t.Helper()
	clock := &fakeNow{t: time.Now().UTC().Truncate(time.Millisecond)}
	_, url := dbtest.Pool(t)
	out := make([]*Limits, n)
	for i := range out {
		pool, err := pgxpool.New(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		out[i] = NewShared(false, pglimit.New(pool), clock.now)
	}
	return out, clock
}

// syncAll syncs the per-account limits of every instance, one after the
// other, as their syncers would within a period.
func syncAll(t *testing.T, instances []*Limits) {
	t.Helper()
	for _, l := range instances {
		for _, r := range []*RateLimiter{l.Bids, l.Account} {
			if err := r.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// overshoot is Limits.Share's bound on what n instances admit beyond one
// budget.
func overshoot(n, burst int, perSecond float64) int {
	return (n - 1) * (burst + int(2*perSecond*SyncEvery.Seconds()))
}

// A script sending one account's bids alternately to two instances, far
// above the rate (800 a second) for 4 s, gets about one budget between them:
// at every sync no more than one budget plus the documented overshoot, far
// below two budgets, and by the end the first bursts' overshoot is repaid.
func TestSharedBidsOneBudgetAcrossInstances(t *testing.T) {
	t.Parallel()
	instances, clock := cluster(t, 2)
	const step, perStep = 5 * time.Millisecond, 4
	start := clock.now()
	admitted := 0
	syncEvery := int(SyncEvery / step)
	for s := 1; s <= int(4*time.Second/step); s++ {
		for i := range perStep {
			if ok, _ := instances[i%2].Bids.Allow("bidder-1"); ok {
				admitted++
			}
		}
		elapsed := clock.now().Sub(start).Seconds()
		one := bidBurst + int(bidsPerSecond*elapsed)
		if most := one + overshoot(2, bidBurst, bidsPerSecond); admitted > most {
			t.Fatalf("%d bids admitted by two instances after %.3f s: one budget is %d, with the overshoot %d", admitted, elapsed, one, most)
		}
		if s%syncEvery == 0 {
			syncAll(t, instances)
		}
		clock.advance(step)
	}
	// The first bursts' overshoot is repaid; what may stay is the other
	// instance's refill since the last sync this one saw (two periods).
	one := bidBurst + int(bidsPerSecond*clock.now().Sub(start).Seconds())
	if rest := int(2 * bidsPerSecond * SyncEvery.Seconds()); admitted < one || admitted > one+rest {
		t.Fatalf("%d bids admitted by two instances in 4 s: want one budget, %d, to %d (two would be %d)", admitted, one, one+rest, 2*one)
	}
	// Another account has its own budget on both.
	for i := range 2 {
		if ok, _ := instances[i].Bids.Allow("bidder-2"); !ok {
			t.Fatalf("instance %d refused another account", i)
		}
	}
}

// The floor holds across instances: one account placing 20 bids a second,
// all at the start of each second, spread over two instances that sync
// every period, is never refused in ten minutes.
func TestSharedBidsNeverRefuseTwentyPerSecond(t *testing.T) {
	t.Parallel()
	instances, clock := cluster(t, 2)
	for s := range 600 {
		for i := range 20 {
			if ok, retry := instances[i%2].Bids.Allow("bidder"); !ok {
				t.Fatalf("bid %d of second %d refused (retry %s)", i, s, retry)
			}
		}
		for range time.Second / SyncEvery {
			syncAll(t, instances)
			clock.advance(SyncEvery)
		}
	}
}

// blockingStore is the database that does not answer a sync: Spend waits
// until released, then asks the real store.
type blockingStore struct {
	Store
	entered, release chan struct{}
}

func (s *blockingStore) Spend(ctx context.Context, keys []string, events []int, since time.Time, interval time.Duration) ([]time.Time, error) {
	s.entered <- struct{}{}
	<-s.release
	return s.Store.Spend(ctx, keys, events, since, interval)
}

// The bid path never waits for the database: while a sync hangs in the
// store, bids are decided from memory, the bucket as full as before, and
// the bids admitted meanwhile still count once the sync returns.
func TestSharedBidsDecidedWhileStoreHangs(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	store := &blockingStore{Store: pglimit.New(pool), entered: make(chan struct{}), release: make(chan struct{})}
	clock := &fakeNow{t: time.Now().UTC().Truncate(time.Millisecond)}
	l := NewShared(false, store, clock.now).Bids
	for range 30 {
		if ok, _ := l.Allow("bidder"); !ok {
			t.Fatal("refused within the burst")
		}
	}
	synced := make(chan error, 1)
	go func() { synced <- l.Sync(context.Background()) }()
	<-store.entered
	decided := make(chan int)
	go func() {
		n := 0
		for range 100 {
			if ok, _ := l.Allow("bidder"); ok {
				n++
			}
		}
		decided <- n
	}()
	select {
	case n := <-decided:
		if n != bidBurst-30 {
			t.Fatalf("%d bids admitted while the store hangs, want the rest of the burst, %d", n, bidBurst-30)
		}
	case err := <-synced:
		t.Fatalf("the sync returned before the store answered: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("bids waited for the store")
	}
	close(store.release)
	if err := <-synced; err != nil {
		t.Fatal(err)
	}
	// The shared bucket has the 30, this one the 30 and the 50 admitted
	// during the sync: full, and refilling at the rate, not sooner or later.
	if ok, _ := l.Allow("bidder"); ok {
		t.Fatal("admitted past the burst after the sync: the bids admitted during it were lost")
	}
	clock.advance(time.Second)
	n := 0
	for range 100 {
		if ok, _ := l.Allow("bidder"); ok {
			n++
		}
	}
	if n != bidsPerSecond {
		t.Fatalf("%d bids a second after the sync, want %d", n, bidsPerSecond)
	}
	// Their next sync sends only what came after: the store's bucket holds
	// 30 + 50 + 40 bids' worth from the first, no more, no less.
	go func() { <-store.entered }()
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	var tat time.Time
	if err := pool.QueryRow(context.Background(), `SELECT tat FROM limit_buckets WHERE key = $1`, l.synced.key("bidder")).Scan(&tat); err != nil {
		t.Fatal(err)
	}
	if b := l.buckets["bidder"]; !tat.Equal(b.tat) {
		t.Fatalf("shared tat %s, this instance's %s: they differ after a sync", tat, b.tat)
	}
}

// No double counting: one instance alone admits exactly its bucket, burst
// plus rate times the time, syncing every period or not.
func TestSharedLimitAloneKeepsItsBudget(t *testing.T) {
	t.Parallel()
	instances, clock := cluster(t, 1)
	for _, c := range []struct {
		name      string
		lim       *RateLimiter
		burst     int
		perSecond int
	}{{"bids", instances[0].Bids, bidBurst, bidsPerSecond}, {"account", instances[0].Account, accountBurst, accountPerSecond}} {
		start := clock.now()
		admitted := 0
		for s := range int(3 * time.Second / (5 * time.Millisecond)) {
			// As fast as it is admitted, and once more.
			for ok := true; ok; {
				if ok, _ = c.lim.Allow("someone"); ok {
					admitted++
				}
			}
			want := c.burst + int(int64(c.perSecond)*int64(clock.now().Sub(start))/int64(time.Second))
			if admitted != want {
				t.Fatalf("%s: %d admitted after %s, want its bucket, %d", c.name, admitted, clock.now().Sub(start), want)
			}
			if s%int(SyncEvery/(5*time.Millisecond)) == 0 {
				if err := c.lim.Sync(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			clock.advance(5 * time.Millisecond)
		}
	}
}

// Share runs the syncs: an instance that admitted a bid learns of another
// instance's whole burst within a few periods, and Share returns once its
// context ends. With --no-limits there is nothing to share.
func TestShareSyncsUntilCancelled(t *testing.T) {
	t.Parallel()
	instances, _ := cluster(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, l := range instances {
		wg.Go(func() { l.Share(ctx, slog.New(slog.DiscardHandler)) })
	}
	if ok, _ := instances[1].Bids.Allow("bidder"); !ok {
		t.Fatal("first bid refused")
	}
	for range bidBurst - 1 {
		if ok, _ := instances[0].Bids.Allow("bidder"); !ok {
			t.Fatal("refused within the burst")
		}
	}
	// The clock stands still: once both have synced, the bucket is empty on both.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, _ := instances[1].Bids.Allow("bidder")
		if !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other instance never learnt of the burst")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	off := NewShared(true, instances[0].Bids.synced.store, nil)
	off.Share(context.Background(), nil)
	for range 1000 {
		if ok, _ := off.Bids.Allow("bidder"); !ok {
			t.Fatal("--no-limits refused a bid")
		}
	}
}
