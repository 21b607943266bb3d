package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
)

// DBClock is the clock every decision about time is made by in production:
// the database server's clock, so that opening, closing, extensions and
// deadlines do not depend on which instance decides. Reading it costs no
// round trip: the clock measures the database's time once (NewDBClock) and
// again every few seconds (Run), and in between counts forward on this
// machine's monotonic clock, which a wrong or stepped system clock does not
// move. An instance whose machine clock is minutes off therefore decides
// exactly as the others do; what is left is the error of the measurement
// (half the round trip of the best of a few reads) and the drift of the
// monotonic clock between measurements (parts per million).
//
// Ready reports whether the clock can be trusted: measured within MaxAge with
// an error under MaxError. /readyz fails otherwise, and /metrics shows the
// machine clock's offset from the database and the measurement's error.
type DBClock struct {
	pool     *pgxpool.Pool
	local    func() time.Time
	log      *slog.Logger
	every    time.Duration
	maxAge   time.Duration
	maxError time.Duration

	mu sync.Mutex
	// db is the database's time at the instant local read localAt; localAt
	// keeps its monotonic reading, so Now counts from it without the wall.
	db, localAt time.Time
	err         time.Duration // half the round trip of the anchoring read
	syncErr     error         // the last measurement's failure, nil when it succeeded

	// last is the latest time Now returned (µs since the epoch): a new
	// measurement a little behind the old one must not move time backwards.
	last atomic.Int64
}

var _ auction.Clock = (*DBClock)(nil)

// DBClockConfig is what a DBClock needs; zero values choose the defaults.
type DBClockConfig struct {
	Pool *pgxpool.Pool
	// Local is this machine's clock (default time.Now). Its wall time only
	// shows in Offset; the clock counts on its monotonic reading.
	Local func() time.Time
	Log   *slog.Logger
	// Every is how often the database's time is measured again (default 10 s).
	Every time.Duration
	// MaxAge is how old the last good measurement may be (default 1 min; the
	// monotonic clock drifts by well under a millisecond in that time).
	MaxAge time.Duration
	// MaxError bounds a measurement's error, half its round trip (default
	// 100 ms): a slower read is not used.
	MaxError time.Duration
}

// clockSamples is how many reads a measurement takes; the fastest is used.
const clockSamples = 3

// NewDBClock measures the database's time and returns the clock; it fails
// when no good measurement can be made, so a process never starts on a
// clock it cannot trust.
func NewDBClock(ctx context.Context, c DBClockConfig) (*DBClock, error) {
	if c.Local == nil {
		c.Local = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Every <= 0 {
		c.Every = 10 * time.Second
	}
	if c.MaxAge <= 0 {
		c.MaxAge = time.Minute
	}
	if c.MaxError <= 0 {
		c.MaxError = 100 * time.Millisecond
	}
	clock := &DBClock{pool: c.Pool, local: c.Local, log: c.Log, every: c.Every, maxAge: c.MaxAge, maxError: c.MaxError}
	if err := clock.resync(ctx); err != nil {
		return nil, fmt.Errorf("measuring the database's clock: %w", err)
	}
	return clock, nil
}

// Now is the database's time, at microsecond precision, never before a time
// it returned earlier.
func (c *DBClock) Now() time.Time {
	c.mu.Lock()
	t := c.db.Add(c.local().Sub(c.localAt))
	c.mu.Unlock()
	us := t.UnixMicro()
	for {
		last := c.last.Load()
		if us <= last {
			return time.UnixMicro(last).UTC()
		}
		if c.last.CompareAndSwap(last, us) {
			return time.UnixMicro(us).UTC()
		}
	}
}

// resync measures the database's time again: a few reads of clock_timestamp()
// on one connection, keeping the one with the shortest round trip.
func (c *DBClock) resync(ctx context.Context) error {
	err := c.sync(ctx)
	c.mu.Lock()
	c.syncErr = err
	c.mu.Unlock()
	return err
}

func (c *DBClock) sync(ctx context.Context) error {
	conn, err := c.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	var best struct {
		db, local time.Time
		rtt       time.Duration
	}
	for i := range clockSamples {
		before := c.local()
		var db time.Time
		if err := conn.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&db); err != nil {
			return err
		}
		rtt := c.local().Sub(before)
		if i == 0 || rtt < best.rtt {
			best.db, best.local, best.rtt = db, before.Add(rtt/2), rtt
		}
	}
	if best.rtt/2 > c.maxError {
		return fmt.Errorf("the database's time could not be read within %s (round trip %s)", c.maxError, best.rtt)
	}
	c.mu.Lock()
	c.db, c.localAt, c.err = best.db, best.local, best.rtt/2
	c.mu.Unlock()
	return nil
}

// Run measures again every interval until ctx ends.
func (c *DBClock) Run(ctx context.Context) {
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			sctx, cancel := context.WithTimeout(ctx, c.every)
			err := c.resync(sctx)
			cancel()
			if err != nil && ctx.Err() == nil {
				c.log.Warn("could not measure the database's clock", "err", err)
			}
		}
	}
}

// errClockStale is Ready's answer when no good measurement is recent enough.
var errClockStale = errors.New("the database's clock has not been measured recently")

// Ready returns nil while the clock can be trusted: its last good
// measurement is younger than MaxAge.
func (c *DBClock) Ready() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.local().Sub(c.localAt) > c.maxAge {
		if c.syncErr != nil {
			return fmt.Errorf("%w: %v", errClockStale, c.syncErr)
		}
		return errClockStale
	}
	return nil
}

// Offset is how far this machine's clock is behind the database's at the
// last measurement (positive: the machine is behind). Decisions do not use
// it; operators watch it to find a machine whose time service failed.
func (c *DBClock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.db.Sub(c.localAt.Round(0))
}

// Error is the bound of the last measurement's error: half its round trip.
func (c *DBClock) Error() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
