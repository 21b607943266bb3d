package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/postgres"
	"gavel/migrations/dbtest"
)

func TestTestClockSharedAndMonotonic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := dbtest.Pool(t)
	a, err := postgres.NewTestClock(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	start := a.Now()
	if d := time.Since(start); d < -time.Second || d > time.Minute {
		t.Fatalf("the test clock starts at %s, not near the real time", start)
	}
	// A second instance on the same database shares the time and does not reset it.
	b, err := postgres.NewTestClock(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	if !b.Now().Equal(start) {
		t.Fatalf("second clock reads %s, first %s", b.Now(), start)
	}
	// Both keep the time in memory from here: a move must still reach the
	// other before it returns.
	waitListening(t, pool, 2)
	later := start.Add(40 * 24 * time.Hour)
	if _, err := a.Set(ctx, later); err != nil {
		t.Fatal(err)
	}
	if !b.Now().Equal(later) {
		t.Fatalf("a move on one instance is not seen by the other: %s", b.Now())
	}
	_, err = b.Set(ctx, later.Add(-time.Microsecond))
	wantCode(t, err, auction.EInvalidField)
	if _, err := b.Set(ctx, later); err != nil {
		t.Fatalf("setting the same time again: %v", err)
	}
	if !a.Now().Equal(later) {
		t.Fatal("a refused move changed the clock")
	}
}

// TestTestClockUnderPoolExhaustion: every connection of the store's pool is
// held by a transaction that reads the clock (as a bid does). The clock must
// still answer at once and with the shared time, not wait for a connection.
func TestTestClockUnderPoolExhaustion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, url := dbtest.Pool(t)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	clock, err := postgres.NewTestClock(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(clock.Close)
	want, err := clock.Set(ctx, clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	held := make(chan struct{})
	release := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tx, err := pool.Begin(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			defer tx.Rollback(ctx)
			held <- struct{}{}
			<-release
		}()
	}
	<-held
	<-held
	begin := time.Now()
	got := clock.Now()
	took := time.Since(begin)
	close(release)
	wg.Wait()
	if !got.Equal(want) {
		t.Errorf("clock read %s with the pool exhausted, want %s", got, want)
	}
	if took > 500*time.Millisecond {
		t.Errorf("reading the clock with the pool exhausted took %s", took)
	}
}

// waitListening waits until n clocks on the database listen for moves (each
// has acknowledged the time it read).
func waitListening(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var live int
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM test_clock_readers WHERE seen > '-infinity'`).Scan(&live); err != nil {
			t.Fatal(err)
		}
		if live >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d clocks listening", live, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// listeningClock is a test clock on a database of the test's own, once it
// listens for moves.
func listeningClock(t *testing.T) (*postgres.TestClock, *pgxpool.Pool) {
	t.Helper()
	pool, _ := dbtest.Pool(t)
	c, err := postgres.NewTestClock(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	waitListening(t, pool, 1)
	return c, pool
}

// While listening, a clock reads the time from memory, not the database: a
// change written behind its back is not seen until it is announced, and then
// it is.
func TestTestClockKeptInMemoryWhileListening(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, pool := listeningClock(t)
	before := c.Now()
	later := before.Add(time.Hour)
	if _, err := pool.Exec(ctx, `UPDATE test_clock SET now = $1`, later); err != nil {
		t.Fatal(err)
	}
	if got := c.Now(); !got.Equal(before) {
		t.Fatalf("a listening clock read the database: %s, kept %s", got, before)
	}
	if _, err := pool.Exec(ctx, `SELECT pg_notify('gavel_test_clock', $1)`, later.Format(time.RFC3339Nano)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !c.Now().Equal(later) {
		if time.Now().After(deadline) {
			t.Fatalf("an announced move was not applied: %s, want %s", c.Now(), later)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A move waits for live readers only: a reader whose process is gone is
// skipped, and one that is alive but never answers holds the move back only
// for a bounded time; the move is made either way.
func TestTestClockMoveWaitsForLiveReadersOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, pool := listeningClock(t)
	// A reader whose backend is gone (no such pid).
	if _, err := pool.Exec(ctx, `INSERT INTO test_clock_readers (id, pid, seen) VALUES (gen_random_uuid(), -1, '-infinity')`); err != nil {
		t.Fatal(err)
	}
	want := c.Now().Add(time.Hour)
	got, err := c.Set(ctx, want)
	if err != nil || !got.Equal(want) || !c.Now().Equal(want) {
		t.Fatalf("move past a dead reader: %s %v, now %s", got, err, c.Now())
	}
	// A reader that is alive (its backend holds a session) and never applies
	// a move.
	stuck, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Release()
	if _, err := stuck.Exec(ctx, `INSERT INTO test_clock_readers (id, pid, seen) VALUES (gen_random_uuid(), pg_backend_pid(), '-infinity')`); err != nil {
		t.Fatal(err)
	}
	want = want.Add(time.Hour)
	if got, err := c.Set(ctx, want); err != nil || !got.Equal(want) {
		t.Fatalf("move past a stalled reader: %s %v", got, err)
	}
	var stored time.Time
	if err := pool.QueryRow(ctx, `SELECT now FROM test_clock`).Scan(&stored); err != nil || !stored.Equal(want) {
		t.Fatalf("stored %s %v, want %s", stored, err, want)
	}
}
