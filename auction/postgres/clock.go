package postgres

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
)

// TestClock is the clock of `serve --test-clock`: kept in the database so that
// every instance on it shares one time that survives restarts. It starts at
// the real time and stands still until Set moves it.
//
// Because it stands still, each process keeps it in memory and reading it
// costs nothing, as the production clock's reading costs nothing: a bid reads
// the clock when it arrives, and a clock that asked the database every time
// would make every figure measured under it a database round trip worse than
// production. A process learns of a move by LISTEN (test_clock_readers says
// which time it has applied), and a move returns only once every live process
// has applied it, so a request sent anywhere after a move sees the new time.
// While a process is not listening (at start, or its listening connection was
// lost), it reads the database on every reading, as before.
//
// It uses a small pool of its own: the store asks for the time inside
// transactions that already hold a connection, and with the store's pool
// fully taken by such transactions a shared pool would make every one of them
// wait for a connection only to read the clock.
type TestClock struct {
	pool *pgxpool.Pool
	id   string // this process's row in test_clock_readers

	mu   sync.Mutex
	last time.Time
	live bool // listening, and last is the time in the database

	stop context.CancelFunc
	done chan struct{}
}

var _ auction.Clock = (*TestClock)(nil)

// testClockChannel carries each move's new time to every process.
const testClockChannel = "gavel_test_clock"

// moveWait bounds how long Set waits for other processes to apply a move: a
// process that is alive but stalled must not stall every move.
const moveWait = 2 * time.Second

// NewTestClock returns the shared test clock, initialising it to the real
// time when the database has none yet. Close releases its connections.
func NewTestClock(ctx context.Context, pool *pgxpool.Pool) (*TestClock, error) {
	cfg := pool.Config()
	// One connection listens for good; the others read and move the clock.
	cfg.MaxConns, cfg.MinConns = 5, 0
	own, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	c := &TestClock{pool: own, id: pgtx.NewUUID(), done: make(chan struct{})}
	_, err = own.Exec(ctx, `INSERT INTO test_clock (now) VALUES ($1) ON CONFLICT DO NOTHING`, auction.SystemClock{}.Now())
	if err == nil {
		_, err = c.read(ctx, own)
	}
	if err != nil {
		own.Close()
		return nil, err
	}
	listenCtx, stop := context.WithCancel(context.Background())
	c.stop = stop
	go c.listen(listenCtx)
	return c, nil
}

// Close stops listening and releases the clock's own connections.
func (c *TestClock) Close() {
	c.stop()
	<-c.done
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, _ = c.pool.Exec(ctx, `DELETE FROM test_clock_readers WHERE id = $1`, c.id)
	c.pool.Close()
}

// read reads the shared time through q (the clock's pool, or its listening
// connection) and keeps it (advance), returning the time kept.
func (c *TestClock) read(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (time.Time, error) {
	var now time.Time
	if err := q.QueryRow(ctx, `SELECT now FROM test_clock`).Scan(&now); err != nil {
		return time.Time{}, err
	}
	return c.advance(now), nil
}

// advance keeps t if it is later than the time kept: the clock never moves
// backwards, and a notification may arrive after a later read.
func (c *TestClock) advance(t time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t = t.UTC(); t.After(c.last) {
		c.last = t
	}
	return c.last
}

func (c *TestClock) setLive(live bool) {
	c.mu.Lock()
	c.live = live
	c.mu.Unlock()
}

// listen keeps a connection listening for moves until ctx ends, taking a new
// one when it is lost.
func (c *TestClock) listen(ctx context.Context) {
	defer close(c.done)
	for ctx.Err() == nil {
		err := c.listenOnce(ctx)
		c.setLive(false)
		if ctx.Err() != nil || err == nil {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// listenOnce listens on one connection: it listens, registers this process
// as a reader (so a move from now on waits for it), reads the time (a move
// committed before the read is in it, one after it comes as a notification)
// and then applies and acknowledges each move.
func (c *TestClock) listenOnce(ctx context.Context) error {
	conn, err := c.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	fail := func(err error) error {
		// The connection is in an unknown state: never hand it back.
		conn.Conn().Close(context.Background())
		return err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+testClockChannel); err != nil {
		return fail(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO test_clock_readers (id, pid, seen) VALUES ($1, pg_backend_pid(), '-infinity')
		ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, seen = excluded.seen`, c.id); err != nil {
		return fail(err)
	}
	now, err := c.read(ctx, conn)
	if err != nil {
		return fail(err)
	}
	if _, err := conn.Exec(ctx, `UPDATE test_clock_readers SET seen = $2 WHERE id = $1`, c.id, now); err != nil {
		return fail(err)
	}
	c.setLive(true)
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return fail(err)
		}
		t, err := time.Parse(time.RFC3339Nano, n.Payload)
		if err != nil {
			return fail(err)
		}
		now = c.advance(t)
		if _, err := conn.Exec(ctx, `UPDATE test_clock_readers SET seen = $2 WHERE id = $1`, c.id, now); err != nil {
			return fail(err)
		}
	}
}

// Now reads the shared time: from memory while the clock listens, else from
// the database; if the database cannot be reached it answers the last time
// it read, which is the best a clock that only moves on request can do.
func (c *TestClock) Now() time.Time {
	c.mu.Lock()
	last, live := c.last, c.live
	c.mu.Unlock()
	if live {
		return last
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, _ = c.read(ctx, c.pool)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// Set moves the clock to t and returns once every live process has the new
// time (or after moveWait). Moving backwards is refused with invalid_field.
func (c *TestClock) Set(ctx context.Context, t time.Time) (time.Time, error) {
	t = t.UTC().Truncate(time.Microsecond)
	err := pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE test_clock SET now = $1 WHERE now <= $1`, t)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return auction.FieldError("set", "the test clock never moves backwards")
		}
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, testClockChannel, t.Format(time.RFC3339Nano))
		return err
	})
	if err != nil {
		return time.Time{}, err
	}
	c.advance(t)
	return t, c.awaitReaders(ctx, t)
}

// awaitReaders waits until every reader whose listening backend is alive has
// applied t, or moveWait has passed.
func (c *TestClock) awaitReaders(ctx context.Context, t time.Time) error {
	wait, cancel := context.WithTimeout(ctx, moveWait)
	defer cancel()
	for {
		var behind int
		err := c.pool.QueryRow(wait, `SELECT count(*) FROM test_clock_readers r
			WHERE r.seen < $1 AND r.id <> $2 AND r.pid IN (SELECT pid FROM pg_stat_activity)`, t, c.id).Scan(&behind)
		if err == nil && behind == 0 {
			return nil
		}
		if err == nil {
			select {
			case <-time.After(time.Millisecond):
				continue
			case <-wait.Done():
				err = wait.Err()
			}
		}
		// A deadline, moveWait's or the caller's, ends the wait, not the move.
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(wait.Err(), context.DeadlineExceeded) {
			return nil
		}
		return err
	}
}
