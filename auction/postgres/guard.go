package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"gavel/auction"
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

// Guard is the outage guard (Hooks.Guard): it reports the first stretch of a's
// final window (the rulebook's OutageGuardWindow before ends_at) that no run
// served or in which bids on a failed, or nil when the window was fully
// served. It reads the runs of every process, so it judges correctly after a
// full restart and whichever process closes the auction.
//
// A run serves from its start to its last beat; a run that is still beating
// (its session is connected and its last beat is fresh) serves until now, so
// a process that just started can rely on one that has been serving all along.
func (h *Heartbeat) Guard(ctx context.Context, tx pgx.Tx, a *auction.Auction) (*Outage, error) {
	rb, err := auction.LookupRulebook(a.Rulebook)
	if err != nil {
		return nil, err
	}
	if rb.OutageGuardWindow <= 0 {
		return nil, nil
	}
	to := a.EndsAt
	from := to.Add(-rb.OutageGuardWindow)
	if from.Before(a.StartsAt) {
		from = a.StartsAt
	}
	rows, err := tx.Query(ctx, `
		SELECT r.started_at, r.beat_at,
		       r.stopped_at IS NULL AND clock_timestamp() - r.beat_wall <= $3
		       AND EXISTS (SELECT 1 FROM pg_stat_activity s
		                   WHERE s.datname = current_database() AND s.application_name = $4 || r.id::text)
		FROM service_runs r
		WHERE r.started_at <= $2
		  AND (r.beat_at >= $1 OR (r.stopped_at IS NULL AND r.beat_wall >= clock_timestamp() - $3))`,
		from, to, h.stale, runPrefix)
	if err != nil {
		return nil, err
	}
	spans, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (span, error) {
		var s span
		var live bool
		err := r.Scan(&s.from, &s.to, &live)
		if live && s.to.Before(to) {
			s.to = to
		}
		return s, err
	})
	if err != nil {
		return nil, err
	}
	if gapFrom, gapTo, ok := firstGap(from, to, spans); ok {
		return &Outage{From: gapFrom, To: gapTo, Reason: fmt.Sprintf(
			"the service was unavailable from %s to %s, within the final %s of bidding",
			stamp(gapFrom), stamp(gapTo), rb.OutageGuardWindow)}, nil
	}
	var f failure
	var reason string
	err = tx.QueryRow(ctx, `SELECT first_at, last_at, reason FROM service_failures
		WHERE last_at >= $1 AND first_at <= $2 AND (auction_id IS NULL OR auction_id = $3)
		ORDER BY first_at LIMIT 1`, from, to, a.ID).Scan(&f.first, &f.last, &reason)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	if err != nil {
		k, p := h.pendingFailure(a.ID, from, to)
		if p == nil {
			return nil, nil
		}
		f, reason = *p, k.reason
	}
	return &Outage{From: f.first.UTC(), To: f.last.UTC(), Reason: fmt.Sprintf(
		"bids were refused with %s between %s and %s, within the final %s of bidding",
		reason, stamp(f.first), stamp(f.last), rb.OutageGuardWindow)}, nil
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

// Unavailable reports whether err means the database could not be reached or
// could not answer in time, as opposed to a mistake in a request or in Gavel:
// callers answer 503 service_unavailable and the client may retry.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed),
		errors.As(err, &ce), errors.As(err, &ne), pgconn.Timeout(err):
		return true
	case errors.As(err, &pe):
		// Class 08: connection exception; 57P01..57P03: the server is shutting
		// down, crashed or is starting; 53300: too many connections.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" ||
			pe.Code == "57P03" || pe.Code == "53300"
	}
	// pgx reports a connection it gave up on in words only.
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "failed to connect") ||
		strings.Contains(msg, "failed to deallocate cached statement") || strings.Contains(msg, "connection reset") || strings.Contains(msg, "closed pool")
}
