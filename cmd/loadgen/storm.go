package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// stormResult is what the close storm measured.
type stormResult struct {
	Auctions     int     `json:"auctions"`
	WithBids     int     `json:"with_bids"`
	Servers      int     `json:"servers"`
	OpenSeconds  float64 `json:"open_seconds"`
	CloseSeconds float64 `json:"close_seconds"`
	ClosedOnce   int     `json:"closed_exactly_once"`
	NotOnce      int     `json:"closed_other_than_once"`
	StillOpen    int     `json:"still_bidding"`
	Sold         int     `json:"sold"`
}

// storm makes auctions that all end at the same instant, a tenth of them
// with a bid (so they close sold, applying one deposit and releasing
// another), then moves the clock to that instant on the first server while
// every other server ticks too, and measures the time until all are closed;
// then it checks in the database that each got exactly one `closed` event.
func storm(ctx context.Context, f *fixture, servers []*server, pool *pgxpool.Pool, n int, progress func(string)) (*stormResult, error) {
	res := &stormResult{Auctions: n, Servers: len(servers)}
	starts, ends, err := f.schedule(ctx)
	if err != nil {
		return nil, err
	}
	progress(fmt.Sprintf("close storm: creating %d auctions", n))
	auctions, err := f.auctions(ctx, n, starts, ends)
	if err != nil {
		return nil, err
	}
	withBids := auctions[:n/10]
	res.WithBids = len(withBids)
	if err := f.signup(ctx, 2); err != nil {
		return nil, err
	}
	if err := f.qualifyMany(ctx, withBids, 2); err != nil {
		return nil, err
	}
	began := time.Now()
	if err := f.setClock(ctx, f.c, starts); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	res.OpenSeconds = time.Since(began).Seconds()
	err = forEach(ctx, len(withBids), 16, func(ctx context.Context, i int) error {
		a := withBids[i]
		status, reply, err := f.c.bid(ctx, a.bidders[0], a.id, fmt.Sprintf("%s-%d", f.run, keys.Add(1)), fixed(startFen))
		if err == nil && status != 201 {
			err = fmt.Errorf("HTTP %d %+v", status, reply.Error)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("storm bids: %w", err)
	}

	progress(fmt.Sprintf("close storm: closing %d auctions on %d servers", n, len(servers)))
	began = time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(servers))
	wg.Go(func() { errs[0] = f.setClock(ctx, newClient(servers[0].url), ends) })
	for i, s := range servers[1:] {
		// Once the clock has moved, make the other servers tick at once
		// instead of at their next scheduled tick.
		wg.Go(func() {
			c := newClient(s.url)
			for {
				var out struct {
					Now time.Time `json:"now"`
				}
				if err := c.call(ctx, "GET", "/test/clock", f.clerk, nil, &out); err != nil {
					errs[i+1] = err
					return
				}
				if !out.Now.Before(ends) {
					break
				}
				time.Sleep(time.Millisecond)
			}
			errs[i+1] = c.call(ctx, "POST", "/test/clock", f.clerk, map[string]any{"advance_seconds": 0}, nil)
		})
	}
	wg.Wait()
	res.CloseSeconds = time.Since(began).Seconds()
	for i, err := range errs {
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable {
			// The clock moved, but closing took longer than a request may
			// run; the servers' scheduled ticks carry on, and the wait
			// below counts them.
			progress(fmt.Sprintf("close storm: server %d answered the clock with 503 (%s); waiting for its scheduler", i+1, ae.Message))
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("close: %w", err)
		}
	}
	ids := make([]string, n)
	for i, a := range auctions {
		ids[i] = a.id
	}
	// Every server has returned from its tick; anything still bidding was
	// skipped by all of them, so wait for the scheduled ticks to get it.
	for {
		err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE c.n = 1 AND a.status IN ('sold', 'failed')),
				count(*) FILTER (WHERE c.n <> 1), count(*) FILTER (WHERE a.status = 'bidding'), count(*) FILTER (WHERE a.status = 'sold')
			FROM auctions a CROSS JOIN LATERAL (SELECT count(*) AS n FROM auction_events e WHERE e.auction_id = a.id AND e.type = 'closed') c
			WHERE a.id = ANY($1::text[]::uuid[])`, ids).Scan(&res.ClosedOnce, &res.NotOnce, &res.StillOpen, &res.Sold)
		if err != nil {
			return nil, err
		}
		if res.StillOpen == 0 || time.Since(began) > time.Minute {
			break
		}
		time.Sleep(10 * time.Millisecond)
		res.CloseSeconds = time.Since(began).Seconds()
	}
	return res, nil
}
