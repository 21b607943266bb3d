package pglimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction/postgres/pglimit"
	"gavel/migrations/dbtest"
	"gavel/web/limit"
)

// twoInstances are two processes' stores on one database, each with its own
// pool.
var _ limit.Store = (*pglimit.Store)(nil)

func twoInstances(t *testing.T) [2]*pglimit.Store {
	t.Helper()
	pool, url := dbtest.Pool(t)
	other, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.Close)
	return [2]*pglimit.Store{pglimit.New(pool), pglimit.New(other)}
}

// A bucket is one budget for every instance: 300 events taken at once from
// two instances on a bucket of 50 that refills once an hour admit exactly
// 50, and the refused ones are told to wait about the refill.
func TestSharedBucketAcrossInstances(t *testing.T) {
	t.Parallel()
	stores := twoInstances(t)
	ctx := context.Background()
	const burst, tries = 50, 300
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range tries {
		wg.Go(func() {
			ok, retry, err := stores[i%2].Take(ctx, "bucket", time.Hour, burst)
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				allowed.Add(1)
			} else if retry < 59*time.Minute || retry > time.Hour {
				t.Errorf("refused with retry %s, want about an hour", retry)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != burst {
		t.Fatalf("%d events allowed across two instances, want %d", n, burst)
	}
	// Another key has its own bucket.
	if ok, _, err := stores[1].Take(ctx, "another", time.Hour, burst); !ok || err != nil {
		t.Fatalf("another key: %v %v", ok, err)
	}
}

// A bucket refills at its rate: after the burst, one event per interval.
func TestSharedBucketRefills(t *testing.T) {
	t.Parallel()
	stores := twoInstances(t)
	ctx := context.Background()
	for i := range 3 {
		if ok, _, err := stores[i%2].Take(ctx, "k", 200*time.Millisecond, 3); !ok || err != nil {
			t.Fatalf("event %d of the burst: %v %v", i, ok, err)
		}
	}
	ok, retry, err := stores[0].Take(ctx, "k", 200*time.Millisecond, 3)
	if ok || err != nil || retry <= 0 || retry > 200*time.Millisecond {
		t.Fatalf("past the burst: %v, retry %s, %v", ok, retry, err)
	}
	time.Sleep(retry + 20*time.Millisecond)
	if ok, _, err := stores[1].Take(ctx, "k", 200*time.Millisecond, 3); !ok || err != nil {
		t.Fatalf("after the refill: %v %v", ok, err)
	}
}

// Failures of one key count together whatever instance records them; the
// backoff doubles; a success on either instance clears it for both.
func TestSharedBackoffAcrossInstances(t *testing.T) {
	t.Parallel()
	stores := twoInstances(t)
	ctx := context.Background()
	const free = 4
	for i := range free {
		if err := stores[i%2].Fail(ctx, "acct", free, time.Minute, 15*time.Minute); err != nil {
			t.Fatal(err)
		}
		if w, err := stores[(i+1)%2].Wait(ctx, "acct"); w != 0 || err != nil {
			t.Fatalf("after %d free failures: wait %s %v", i+1, w, err)
		}
	}
	for i, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
		if err := stores[i%2].Fail(ctx, "acct", free, time.Minute, 15*time.Minute); err != nil {
			t.Fatal(err)
		}
		w, err := stores[(i+1)%2].Wait(ctx, "acct")
		if err != nil || w > want || w < want-5*time.Second {
			t.Fatalf("failure %d past the free ones: wait %s %v, want about %s", i+1, w, err, want)
		}
	}
	if w, _ := stores[0].Wait(ctx, "other"); w != 0 {
		t.Fatalf("another key waits %s", w)
	}
	if err := stores[1].Clear(ctx, "acct"); err != nil {
		t.Fatal(err)
	}
	if w, err := stores[0].Wait(ctx, "acct"); w != 0 || err != nil {
		t.Fatalf("after a success elsewhere: wait %s %v", w, err)
	}
}

// The server's limits on the shared store: two instances' sign-up limiters
// admit one budget from an address between them (the floor of 60 a minute
// always), and --no-limits turns them off.
func TestSharedLimitsAcrossInstances(t *testing.T) {
	t.Parallel()
	stores := twoInstances(t)
	a, b := limit.NewShared(false, stores[0], nil), limit.NewShared(false, stores[1], nil)
	allowed := 0
	start := time.Now()
	for i := range 300 {
		l := a
		if i%2 == 1 {
			l = b
		}
		if ok, _ := l.Signup.Allow("203.0.113.7"); ok {
			allowed++
		} else if allowed < 60 {
			t.Fatalf("refused after %d sign-ups: the floor is 60 a minute", allowed)
		}
	}
	// The budget is 120 at once and 2 a second after: one instance's
	// budget, not two.
	most := 120 + int(2*time.Since(start).Seconds()) + 1
	if allowed < 120 || allowed > most {
		t.Fatalf("%d sign-ups admitted by two instances, want 120 to %d", allowed, most)
	}
	if ok, _ := b.Signup.Allow("198.51.100.1"); !ok {
		t.Fatal("another address is refused")
	}
	off := limit.NewShared(true, stores[0], nil)
	for range 300 {
		if ok, _ := off.Signup.Allow("203.0.113.7"); !ok {
			t.Fatal("--no-limits refused a sign-up")
		}
	}
}

// A mark made on one instance is seen on the other until it expires.
func TestSharedMarksAcrossInstances(t *testing.T) {
	t.Parallel()
	stores := twoInstances(t)
	ctx := context.Background()
	if err := stores[0].Mark(ctx, "home", 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if ok, err := stores[1].Marked(ctx, "home"); !ok || err != nil {
		t.Fatalf("marked elsewhere: %v %v", ok, err)
	}
	if ok, _ := stores[1].Marked(ctx, "away"); ok {
		t.Fatal("an unmarked key is marked")
	}
	time.Sleep(350 * time.Millisecond)
	if ok, err := stores[0].Marked(ctx, "home"); ok || err != nil {
		t.Fatalf("after its time: %v %v", ok, err)
	}
}

// Spend adds what each instance admitted by itself to the shared buckets,
// placed from since: nothing refused, nothing lost when instances spend on
// the same keys at once (in whatever order they list them), and each key's
// tat comes back in the order of the keys.
func TestSpendAddsAcrossInstances(t *testing.T) {
	t.Parallel()
	stores := twoInstances(t)
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Millisecond)
	const interval = 25 * time.Millisecond
	tats, err := stores[0].Spend(ctx, []string{"b", "a"}, []int{4, 10}, at, interval)
	if err != nil {
		t.Fatal(err)
	}
	if !tats[0].Equal(at.Add(100*time.Millisecond)) || !tats[1].Equal(at.Add(250*time.Millisecond)) {
		t.Fatalf("new buckets: %v, want since plus the events' worth", tats)
	}
	// On existing buckets: from since when a bucket is full by then, from
	// its tat when not.
	tats, err = stores[1].Spend(ctx, []string{"a", "b"}, []int{1, 2}, at.Add(200*time.Millisecond), interval)
	if err != nil {
		t.Fatal(err)
	}
	if !tats[0].Equal(at.Add(275*time.Millisecond)) || !tats[1].Equal(at.Add(250*time.Millisecond)) {
		t.Fatalf("existing buckets: %v", tats)
	}
	// 40 syncs at once from both instances on overlapping keys.
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			keys, events := []string{"c", "d", "e"}, []int{1, 2, 3}
			if i%2 == 1 {
				keys, events = []string{"e", "d", "c"}, []int{3, 2, 1}
			}
			if _, err := stores[i%2].Spend(ctx, keys, events, at, interval); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	tats, err = stores[0].Spend(ctx, []string{"c", "d", "e"}, []int{0, 0, 0}, at, interval)
	if err != nil {
		t.Fatal(err)
	}
	for i, events := range []int{40, 80, 120} {
		if want := at.Add(time.Duration(events) * interval); !tats[i].Equal(want) {
			t.Fatalf("key %d after 40 syncs: tat %s, want %s", i, tats[i], want)
		}
	}
}
