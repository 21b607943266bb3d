// Package pglimit keeps Gavel's abuse limits in PostgreSQL, so that every
// instance on one database counts against the same budget: behind a load
// balancer a client meets one limit, not one per instance. Each check is one
// statement on the shared tables of migration 00013, timed by the
// database's clock, which every instance shares; the per-account limits,
// decided in each instance's memory, send their counts in one statement a
// sync (Spend), timed by the instances' clocks measured against the
// database's.
package pglimit

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is the limit store on a PostgreSQL pool; it is the web layer's
// limit.Store (asserted by its tests, so that the adapter imports nothing of
// the web layer).
type Store struct {
	pool  *pgxpool.Pool
	calls atomic.Uint64
}

// New keeps limits in the database of pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// sweepEvery is how many calls pass between two sweeps of keys that have
// nothing left to remember, so that a flood of distinct keys cannot grow
// the tables without bound.
const sweepEvery = 5000

// Take takes one event from key's bucket: the generic cell rate algorithm,
// which is a token bucket of burst events refilled one per interval kept as
// one timestamp. The update happens only when the event fits, in one
// statement, so two instances never both take the last one.
func (s *Store) Take(ctx context.Context, key string, interval time.Duration, burst int) (bool, time.Duration, error) {
	s.sweep(ctx)
	var tat time.Time
	err := s.pool.QueryRow(ctx, `
		INSERT INTO limit_buckets AS b (key, tat) VALUES ($1, clock_timestamp() + make_interval(secs => $2))
		ON CONFLICT (key) DO UPDATE SET tat = greatest(b.tat, clock_timestamp()) + make_interval(secs => $2)
			WHERE greatest(b.tat, clock_timestamp()) + make_interval(secs => $2) <= clock_timestamp() + make_interval(secs => $2 * $3)
		RETURNING tat`, key, interval.Seconds(), burst).Scan(&tat)
	if err == nil {
		return true, 0, nil
	}
	if err != pgx.ErrNoRows {
		return false, 0, err
	}
	// Refused: the next event fits once tat has come within the burst.
	var wait float64
	err = s.pool.QueryRow(ctx, `
		SELECT extract(epoch FROM greatest(tat, clock_timestamp()) + make_interval(secs => $2) - make_interval(secs => $2 * $3) - clock_timestamp())
		FROM limit_buckets WHERE key = $1`, key, interval.Seconds(), burst).Scan(&wait)
	if err != nil && err != pgx.ErrNoRows {
		return false, 0, err
	}
	return false, max(time.Duration(wait*float64(time.Second)), time.Millisecond), nil
}

// Spend adds to the bucket of each keys[i] the events[i] events an instance
// admitted by itself since since, each worth interval (at the database's
// microsecond precision): tat = greatest(tat, since) + events*interval,
// never refused, for the events happened. It returns each key's tat after,
// in the order of keys. One statement for all keys, taking their rows in
// key order, so that two instances syncing the same keys never deadlock.
// The times are the instances' (limit.NewShared): an instance whose clock
// were off would shift every key's budget by as much, so they come from
// the clock measured against the database's.
func (s *Store) Spend(ctx context.Context, keys []string, events []int, since time.Time, interval time.Duration) ([]time.Time, error) {
	s.sweep(ctx)
	spent := make([]int64, len(events))
	for i, n := range events {
		spent[i] = int64(n) * interval.Microseconds()
	}
	// ON CONFLICT sees only the proposed row: its tat, since plus the
	// events' worth, carries the worth to the update.
	rows, err := s.pool.Query(ctx, `
		INSERT INTO limit_buckets AS b (key, tat)
		SELECT key, $3::timestamptz + us * interval '1 microsecond'
		FROM unnest($1::text[], $2::bigint[]) AS u(key, us) ORDER BY key
		ON CONFLICT (key) DO UPDATE SET tat = greatest(b.tat, $3::timestamptz) + (excluded.tat - $3::timestamptz)
		RETURNING key, tat`, keys, spent, since)
	if err != nil {
		return nil, err
	}
	tats := make(map[string]time.Time, len(keys))
	var key string
	var tat time.Time
	if _, err := pgx.ForEachRow(rows, []any{&key, &tat}, func() error {
		tats[key] = tat
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]time.Time, len(keys))
	for i, k := range keys {
		t, ok := tats[k]
		if !ok {
			return nil, fmt.Errorf("pglimit: no bucket returned for a key of %d", len(keys))
		}
		out[i] = t
	}
	return out, nil
}

// Fail records a failure of key: after free failures each one closes the
// key for base, 2*base, 4*base ... up to most.
func (s *Store) Fail(ctx context.Context, key string, free int, base, most time.Duration) error {
	s.sweep(ctx)
	_, err := s.pool.Exec(ctx, `
		INSERT INTO limit_failures AS f (key, failures, until, last)
		VALUES ($1, 1, CASE WHEN 1 > $2 THEN clock_timestamp() + make_interval(secs => $3) ELSE clock_timestamp() END, clock_timestamp())
		ON CONFLICT (key) DO UPDATE SET failures = f.failures + 1, last = clock_timestamp(),
			until = CASE WHEN f.failures + 1 <= $2 THEN f.until
				ELSE clock_timestamp() + make_interval(secs => least($4, $3 * power(2, least(f.failures + 1 - $2 - 1, 40))))
			END`, key, free, base.Seconds(), most.Seconds())
	return err
}

// Wait tells how long key must still wait before another attempt.
func (s *Store) Wait(ctx context.Context, key string) (time.Duration, error) {
	var wait float64
	err := s.pool.QueryRow(ctx, `SELECT extract(epoch FROM until - clock_timestamp()) FROM limit_failures WHERE key = $1`, key).Scan(&wait)
	if err == pgx.ErrNoRows || (err == nil && wait <= 0) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return time.Duration(wait * float64(time.Second)), nil
}

// Clear forgets key's failures.
func (s *Store) Clear(ctx context.Context, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM limit_failures WHERE key = $1`, key)
	return err
}

// Mark remembers key for ttl.
func (s *Store) Mark(ctx context.Context, key string, ttl time.Duration) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO limit_marks (key, until) VALUES ($1, clock_timestamp() + make_interval(secs => $2))
		ON CONFLICT (key) DO UPDATE SET until = excluded.until`, key, ttl.Seconds())
	return err
}

// Marked tells whether key is remembered.
func (s *Store) Marked(ctx context.Context, key string) (bool, error) {
	var marked bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM limit_marks WHERE key = $1 AND until > clock_timestamp())`, key).Scan(&marked)
	return marked, err
}

// sweep deletes, now and then, buckets that are full again and failures
// whose backoff is long over.
func (s *Store) sweep(ctx context.Context) {
	if s.calls.Add(1)%sweepEvery != 0 {
		return
	}
	_, _ = s.pool.Exec(ctx, `
		WITH b AS (DELETE FROM limit_buckets WHERE tat < clock_timestamp() - interval '1 hour'),
			m AS (DELETE FROM limit_marks WHERE until < clock_timestamp())
		DELETE FROM limit_failures WHERE until < clock_timestamp() AND last < clock_timestamp() - interval '1 hour'`)
}
