package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
)

// TestClock is the clock of `serve --test-clock`: kept in the database so that
// every instance on it shares one time that survives restarts. It starts at
// the real time and stands still until Set moves it.
//
// It reads the time through a small pool of its own: the store asks for the
// time inside transactions that already hold a connection, and with the
// store's pool fully taken by such transactions a shared pool would make every
// one of them wait for a connection only to read the clock.
type TestClock struct {
	pool *pgxpool.Pool
	mu   sync.Mutex
	last time.Time
}

var _ auction.Clock = (*TestClock)(nil)

// NewTestClock returns the shared test clock, initialising it to the real
// time when the database has none yet. Close releases its connections.
func NewTestClock(ctx context.Context, pool *pgxpool.Pool) (*TestClock, error) {
	cfg := pool.Config()
	cfg.MaxConns, cfg.MinConns = 4, 0
	own, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	c := &TestClock{pool: own}
	_, err = own.Exec(ctx, `INSERT INTO test_clock (now) VALUES ($1) ON CONFLICT DO NOTHING`, auction.SystemClock{}.Now())
	if err == nil {
		err = c.refresh(ctx)
	}
	if err != nil {
		own.Close()
		return nil, err
	}
	return c, nil
}

// Close releases the clock's own connections.
func (c *TestClock) Close() { c.pool.Close() }

func (c *TestClock) refresh(ctx context.Context) error {
	var now time.Time
	if err := c.pool.QueryRow(ctx, `SELECT now FROM test_clock`).Scan(&now); err != nil {
		return err
	}
	c.mu.Lock()
	c.last = now.UTC()
	c.mu.Unlock()
	return nil
}

// Now reads the shared time; if the database cannot be reached it answers the
// last time it read, which is the best a clock that only moves on request can do.
func (c *TestClock) Now() time.Time {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = c.refresh(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// Set moves the clock to t. Moving backwards is refused with invalid_field.
func (c *TestClock) Set(ctx context.Context, t time.Time) (time.Time, error) {
	t = t.UTC().Truncate(time.Microsecond)
	tag, err := c.pool.Exec(ctx, `UPDATE test_clock SET now = $1 WHERE now <= $1`, t)
	if err != nil {
		return time.Time{}, err
	}
	if tag.RowsAffected() == 0 {
		return time.Time{}, auction.FieldError("set", "the test clock never moves backwards")
	}
	return t, c.refresh(ctx)
}
