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
