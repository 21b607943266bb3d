package postgres

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
)

// Outage is a stretch of an auction's final window in which bidders could not
// be served; the outage guard suspends the auction instead of closing it.
type Outage struct {
	From, To time.Time
	// Reason is published with the suspension, in words for bidders.
	Reason string
}

// span is a stretch of auction time one run vouches for.
type span struct{ from, to time.Time }

// window is the final stretch of an auction's bidding that the guard checks.
type window struct{ from, to time.Time }

// storedFailure is a row of service_failures; auctionID is "" for a failure
// of every auction.
type storedFailure struct {
	auctionID string
	failure
	reason string
}

// Guard is the outage guard (Hooks.Guard): for each auction of a batch being
// closed, it reports the first stretch of its final window (the rulebook's
// OutageGuardWindow before ends_at) that no run served or in which bids on it
// failed. Auctions whose window was fully served are not in the map. It reads
// the runs of every process, so it judges correctly after a full restart and
// whichever process closes the auction.
//
// A run serves from its start to its last beat; a run that is still beating
// (its session is connected and its last beat is fresh) serves until now, so
// a process that just started can rely on one that has been serving all along.
//
// The whole batch costs one round trip: the runs are read once per distinct
// window (the auctions of a close storm share one) and the failures of every
// auction of the batch at once.
func (h *Heartbeat) Guard(ctx context.Context, tx pgx.Tx, auctions []*auction.Auction) (map[string]*Outage, error) {
	type guarded struct {
		a  *auction.Auction
		rb auction.Rulebook
		w  window
	}
	var todo []guarded
	var ids []string
	spans := map[window][]span{}
	var earliest, latest time.Time
	for _, a := range auctions {
		rb, err := auction.LookupRulebook(a.Rulebook)
		if err != nil {
			return nil, err
		}
		if rb.OutageGuardWindow <= 0 {
			continue
		}
		w := window{from: a.EndsAt.Add(-rb.OutageGuardWindow), to: a.EndsAt}
		if w.from.Before(a.StartsAt) {
			w.from = a.StartsAt
		}
		if len(todo) == 0 || w.from.Before(earliest) {
			earliest = w.from
		}
		if len(todo) == 0 || w.to.After(latest) {
			latest = w.to
		}
		todo = append(todo, guarded{a, rb, w})
		ids = append(ids, a.ID)
		spans[w] = nil
	}
	if len(todo) == 0 {
		return nil, nil
	}
	b := &pgx.Batch{}
	for w := range spans {
		b.Queue(`
			SELECT r.started_at, r.beat_at,
			       r.stopped_at IS NULL AND clock_timestamp() - r.beat_wall <= $3
			       AND EXISTS (SELECT 1 FROM pg_stat_activity s
			                   WHERE s.datname = current_database() AND s.application_name = $4 || r.id::text)
			FROM service_runs r
			WHERE r.started_at <= $2
			  AND (r.beat_at >= $1 OR (r.stopped_at IS NULL AND r.beat_wall >= clock_timestamp() - $3))`,
			w.from, w.to, h.stale, runPrefix).Query(func(rows pgx.Rows) error {
			var err error
			spans[w], err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (span, error) {
				var s span
				var live bool
				err := r.Scan(&s.from, &s.to, &live)
				if live && s.to.Before(w.to) {
					s.to = w.to
				}
				return s, err
			})
			return err
		})
	}
	var failures []storedFailure
	b.Queue(`SELECT coalesce(auction_id::text, ''), first_at, last_at, reason FROM service_failures
		WHERE last_at >= $1 AND first_at <= $2 AND (auction_id IS NULL OR auction_id = ANY($3::uuid[]))
		ORDER BY first_at, id`, earliest, latest, ids).Query(func(rows pgx.Rows) error {
		var err error
		failures, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (storedFailure, error) {
			var f storedFailure
			return f, r.Scan(&f.auctionID, &f.first, &f.last, &f.reason)
		})
		return err
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	outages := map[string]*Outage{}
	for _, g := range todo {
		if o := h.outage(g.a.ID, g.rb, g.w, spans[g.w], failures); o != nil {
			outages[g.a.ID] = o
		}
	}
	return outages, nil
}

// outage judges one auction's window from the runs that may have served it
// and the failures read for its batch (ordered by first_at): the first
// unserved stretch, else the first failure of its bids, written or still in
// memory, else nil.
func (h *Heartbeat) outage(auctionID string, rb auction.Rulebook, w window, spans []span, failures []storedFailure) *Outage {
	if gapFrom, gapTo, ok := firstGap(w.from, w.to, spans); ok {
		return &Outage{From: gapFrom, To: gapTo, Reason: fmt.Sprintf(
			"the service was unavailable from %s to %s, within the final %s of bidding",
			pgtx.Stamp(gapFrom), pgtx.Stamp(gapTo), rb.OutageGuardWindow)}
	}
	var f *failure
	var reason string
	for _, s := range failures {
		if (s.auctionID == "" || s.auctionID == auctionID) && !s.last.Before(w.from) && !s.first.After(w.to) {
			f, reason = &s.failure, s.reason
			break
		}
	}
	if f == nil {
		k, p := h.pendingFailure(auctionID, w.from, w.to)
		if p == nil {
			return nil
		}
		f, reason = p, k.reason
	}
	return &Outage{From: f.first.UTC(), To: f.last.UTC(), Reason: fmt.Sprintf(
		"bids were refused with %s between %s and %s, within the final %s of bidding",
		reason, pgtx.Stamp(f.first), pgtx.Stamp(f.last), rb.OutageGuardWindow)}
}

// firstGap returns the first part of [from, to] that no span covers.
func firstGap(from, to time.Time, spans []span) (time.Time, time.Time, bool) {
	sort.Slice(spans, func(i, j int) bool { return spans[i].from.Before(spans[j].from) })
	covered := from
	for _, s := range spans {
		if !covered.Before(to) {
			break
		}
		if s.from.After(covered) {
			end := s.from
			if end.After(to) {
				end = to
			}
			return covered.UTC(), end.UTC(), true
		}
		if s.to.After(covered) {
			covered = s.to
		}
	}
	if covered.Before(to) {
		return covered.UTC(), to.UTC(), true
	}
	return time.Time{}, time.Time{}, false
}
