package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
)

// runPrefix marks the heartbeat session of a run in pg_stat_activity: a run
// whose session is gone belongs to a process that died or lost the database,
// which PostgreSQL notices the moment the socket closes.
const runPrefix = "gavel-run:"

// HeartbeatConfig is what a Heartbeat needs. Zero values choose the defaults.
type HeartbeatConfig struct {
	Pool  *pgxpool.Pool
	Clock auction.Clock
	Log   *slog.Logger
	// Instance names the process for operators (default host:pid).
	Instance string
	// Every is the beat interval (default 2 s).
	Every time.Duration
	// Stale is how old, in real time, a run's last beat may be for the run to
	// count as still serving (default 3 beats). It bounds how long a process
	// cut off from the database, but whose session PostgreSQL has not yet
	// noticed, is still believed.
	Stale time.Duration
	// Arrivals are the bids this process received; each beat publishes
	// their horizon, which the close of an auction waits for (arrival.go).
	// Nil for a process that takes no bids.
	Arrivals *auction.Arrivals
}

// Heartbeat records, durably, when this process was able to serve: every few
// seconds it moves its run's beat_at to the current time, on a session of its
// own. Together the runs of every process are the evidence the outage guard
// reads (Guard) to decide whether an auction's final window was served, even
// after a full restart.
type Heartbeat struct {
	pool     *pgxpool.Pool
	clock    auction.Clock
	log      *slog.Logger
	instance string
	every    time.Duration
	stale    time.Duration
	arrivals *auction.Arrivals

	// beat serialises beats and owns conn and run.
	beat    sync.Mutex
	conn    *pgx.Conn
	run     string // current run id; "" after a missed beat
	stopped bool   // Stop was called: no more beats, no new run

	mu      sync.Mutex
	pending map[failureKey]*failure
	// runs are the runs this heartbeat started lately, newest last: a late
	// bid does not wait for this process's published horizon, which it
	// knows first-hand (late.go). Guarded by mu.
	runs []string
}

// maxOwnRuns bounds the runs a heartbeat remembers as its own. A run that a
// new one replaced no longer beats, so it stops counting as running
// MaxBidWait after its last beat: only the last few can still count.
const maxOwnRuns = 8

type failureKey struct{ auctionID, reason string }

type failure struct {
	first, last time.Time
	count       int
}

// maxPendingFailures bounds the failures remembered while the database is
// unreachable; beyond it they are folded into one failure of every auction.
const maxPendingFailures = 1000

// NewHeartbeat returns a heartbeat; Start begins its first run.
func NewHeartbeat(c HeartbeatConfig) *Heartbeat {
	if c.Every <= 0 {
		c.Every = 2 * time.Second
	}
	if c.Stale <= 0 {
		c.Stale = 3 * c.Every
	}
	if c.Instance == "" {
		host, _ := os.Hostname()
		c.Instance = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return &Heartbeat{pool: c.Pool, clock: c.Clock, log: c.Log, instance: c.Instance, every: c.Every, stale: c.Stale,
		arrivals: c.Arrivals, pending: map[failureKey]*failure{}}
}

// Start begins a run with a first beat, so that the process is on record
// before it takes a request or closes an auction.
func (h *Heartbeat) Start(ctx context.Context) error {
	return h.Beat(ctx)
}

// Run beats every interval until ctx ends, then ends the run (Stop).
func (h *Heartbeat) Run(ctx context.Context) {
	t := time.NewTicker(h.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			stop, cancel := context.WithTimeout(context.Background(), h.every)
			h.Stop(stop)
			cancel()
			return
		case <-t.C:
			if err := h.Beat(ctx); err != nil && ctx.Err() == nil {
				h.log.Warn("heartbeat missed: the outage guard will treat this time as unserved", "err", err)
			}
		}
	}
}

// Beat moves the current run forward to now, or starts a new run when the
// last beat was missed or is too old: the time in between was not served.
// Failures recorded since the last beat are written with it.
func (h *Heartbeat) Beat(ctx context.Context) error {
	h.beat.Lock()
	defer h.beat.Unlock()
	if h.stopped {
		return nil
	}
	// A beat is a few milliseconds; the bound only stops a hung database
	// from holding the scheduler, which beats before each pass.
	ctx, cancel := context.WithTimeout(ctx, max(h.every, time.Second))
	defer cancel()
	reused := h.conn != nil
	err := h.beatLocked(ctx)
	if err != nil {
		h.drop()
		if reused && ctx.Err() == nil {
			// The session died while the database was away; now that it may be
			// back, a fresh session starts the new run at once rather than a
			// beat later.
			err = h.beatLocked(ctx)
			if err != nil {
				h.drop()
			}
		}
	}
	return err
}

// drop forgets the session and the run after a missed beat: the next beat
// starts a new run on a new session. The old session may linger on the server
// for a while, but its run is stale once beats stop.
func (h *Heartbeat) drop() {
	h.run = ""
	if h.conn != nil {
		closeCtx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		_ = h.conn.Close(closeCtx)
		cancel()
		h.conn = nil
	}
}

func (h *Heartbeat) beatLocked(ctx context.Context) error {
	// The horizon is taken before anything else: bids decided while the
	// beat is written only make it more cautious.
	var horizon *time.Time
	if h.arrivals != nil {
		t := h.arrivals.Horizon()
		horizon = &t
	}
	now := h.clock.Now()
	if h.conn == nil || h.conn.IsClosed() {
		cfg := h.pool.Config().ConnConfig.Copy()
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return err
		}
		h.conn, h.run = conn, ""
	}
	failures := h.takeFailures()
	run := h.run
	err := pgx.BeginFunc(ctx, h.conn, func(tx pgx.Tx) error {
		if run != "" {
			tag, err := tx.Exec(ctx, `UPDATE service_runs SET beat_at = greatest(beat_at, $2), beat_wall = clock_timestamp(), received_through = $4
				WHERE id = $1 AND stopped_at IS NULL AND clock_timestamp() - beat_wall <= $3`, run, now, h.stale, horizon)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				// Too long since the last beat (the process or the database
				// stalled): that stretch is a gap, not part of this run.
				run = ""
			}
		}
		if run == "" {
			run = pgtx.NewUUID()
			if _, err := tx.Exec(ctx, `INSERT INTO service_runs (id, instance, started_at, beat_at, beat_wall, received_through) VALUES ($1, $2, $3, $3, clock_timestamp(), $4)`,
				run, h.instance, now, horizon); err != nil {
				return err
			}
			// Session-level, and undone if this transaction rolls back.
			if _, err := tx.Exec(ctx, `SELECT set_config('application_name', $1, false)`, runPrefix+run); err != nil {
				return err
			}
		}
		for k, f := range failures {
			var auctionID *string
			if k.auctionID != "" {
				auctionID = &k.auctionID
			}
			if _, err := tx.Exec(ctx, `INSERT INTO service_failures (run_id, auction_id, first_at, last_at, count, reason) VALUES ($1, $2, $3, $4, $5, $6)`,
				run, auctionID, f.first, f.last, f.count, k.reason); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		h.restoreFailures(failures)
		return err
	}
	if run != h.run {
		h.log.Info("service run started", "run", run, "instance", h.instance, "at", now)
		h.mu.Lock()
		h.runs = append(h.runs, run)
		if len(h.runs) > maxOwnRuns {
			h.runs = slices.Clone(h.runs[len(h.runs)-maxOwnRuns:])
		}
		h.mu.Unlock()
	}
	h.run = run
	return nil
}

// ownRuns are the runs this process started that may still count as
// running; nil for no heartbeat.
func (h *Heartbeat) ownRuns() []string {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.runs)
}

// Stop ends the run for good: the process no longer takes requests. Later
// beats do nothing.
func (h *Heartbeat) Stop(ctx context.Context) {
	h.beat.Lock()
	defer h.beat.Unlock()
	h.stopped = true
	if h.conn == nil {
		return
	}
	if h.run != "" {
		if _, err := h.conn.Exec(ctx, `UPDATE service_runs SET beat_at = greatest(beat_at, $2), beat_wall = clock_timestamp(), stopped_at = $2 WHERE id = $1`,
			h.run, h.clock.Now()); err != nil {
			h.log.Warn("could not record the end of the service run", "err", err)
		}
	}
	_ = h.conn.Close(ctx)
	h.conn, h.run = nil, ""
}

// BidFailed records that a bid on auctionID ("" for every auction) was
// answered with a server error (reason is the error code): the bidder was
// turned away although the process ran. It is kept in memory and written with the next beat, since the usual
// cause is a database that cannot take the write right now.
func (h *Heartbeat) BidFailed(auctionID, reason string) {
	if auctionID != "" && !pgtx.IsUUID(auctionID) {
		// Not an auction, and a malformed id must never break the beat
		// that writes the failure.
		return
	}
	at := h.clock.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	k := failureKey{auctionID, reason}
	if _, ok := h.pending[k]; !ok && len(h.pending) >= maxPendingFailures {
		k.auctionID = ""
	}
	h.addFailure(k, failure{first: at, last: at, count: 1})
}

func (h *Heartbeat) addFailure(k failureKey, f failure) {
	p, ok := h.pending[k]
	if !ok {
		h.pending[k] = &f
		return
	}
	if f.first.Before(p.first) {
		p.first = f.first
	}
	if f.last.After(p.last) {
		p.last = f.last
	}
	p.count += f.count
}

func (h *Heartbeat) takeFailures() map[failureKey]*failure {
	h.mu.Lock()
	defer h.mu.Unlock()
	taken := h.pending
	h.pending = map[failureKey]*failure{}
	return taken
}

func (h *Heartbeat) restoreFailures(m map[failureKey]*failure) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, f := range m {
		h.addFailure(k, *f)
	}
}

// pendingFailure returns a failure not yet written that touches auctionID (or
// every auction) within [from, to].
func (h *Heartbeat) pendingFailure(auctionID string, from, to time.Time) (failureKey, *failure) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, f := range h.pending {
		if (k.auctionID == "" || k.auctionID == auctionID) && !f.last.Before(from) && !f.first.After(to) {
			c := *f
			return k, &c
		}
	}
	return failureKey{}, nil
}
