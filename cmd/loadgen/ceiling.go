package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
)

// ceilingTarget is an auction the bare-SQL ceiling bids on, with one of its
// qualified registrations to bid as.
type ceilingTarget struct {
	auctionID, registrationID, code string
}

// ceilingTargets reads a qualified registration of each auction.
func ceilingTargets(ctx context.Context, pool *pgxpool.Pool, auctions []*lotAuction) ([]ceilingTarget, error) {
	ids := make([]string, len(auctions))
	for i, a := range auctions {
		ids[i] = a.id
	}
	rows, err := pool.Query(ctx, `SELECT DISTINCT ON (auction_id) auction_id::text, id::text, bidder_code FROM registrations
		WHERE auction_id = ANY($1::text[]::uuid[]) AND status = 'qualified' ORDER BY auction_id, id`, ids)
	if err != nil {
		return nil, err
	}
	targets, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ceilingTarget, error) {
		var t ceilingTarget
		return t, r.Scan(&t.auctionID, &t.registrationID, &t.code)
	})
	if err == nil && len(targets) != len(auctions) {
		err = fmt.Errorf("ceiling: %d of %d auctions have a qualified bidder", len(targets), len(auctions))
	}
	return targets, err
}

// ceiling runs the bid's bare SQL straight against PostgreSQL: no HTTP, no
// Go service, no rule beyond "one step above the locked price". Each
// transaction locks the auction row, inserts the bid and its (hash-chained)
// event and updates the auction, as Gavel's bid transaction does, so its rate
// is what the database itself allows on this machine at this moment.
// workers goroutines share conns connections; each picks a random target.
func ceiling(ctx context.Context, pool *pgxpool.Pool, targets []ceilingTarget, workers int, d time.Duration) (rate, *histogram, error) {
	var h histogram
	var done atomic.Int64
	var firstErr error
	var once sync.Once
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				t := targets[rand.IntN(len(targets))]
				began := time.Now()
				err := bareBid(ctx, pool, t)
				if ctx.Err() != nil {
					return
				}
				var pe *pgconn.PgError
				if errors.As(err, &pe) && pe.Code == "53300" {
					// No connection to spare on a shared server: try again.
					time.Sleep(50 * time.Millisecond)
					continue
				}
				if err != nil {
					once.Do(func() { firstErr = err })
					cancel()
					return
				}
				h.add(time.Since(began))
				done.Add(1)
			}
		})
	}
	wg.Wait()
	return rate{accepted: float64(done.Load()) / time.Since(start).Seconds()}, &h, firstErr
}

func bareBid(ctx context.Context, pool *pgxpool.Pool, t ceilingTarget) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var price *int64
		var seq, start, step int64
		var last []byte
		if err := tx.QueryRow(ctx, `SELECT current_price, seq, last_hash, start_price, increment FROM auctions WHERE id = $1 FOR UPDATE`,
			t.auctionID).Scan(&price, &seq, &last, &start, &step); err != nil {
			return err
		}
		amount := start
		if price != nil {
			amount = *price + step
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		e := auction.Event{Seq: seq + 1, Type: auction.EventBid, At: now,
			Data: map[string]any{"bidder_code": t.code, "amount": amount, "priority": false}}
		hash := auction.EventHash(t.auctionID, last, e)
		if _, err := tx.Exec(ctx, `INSERT INTO bids (auction_id, seq, registration_id, bidder_code, amount, priority, placed_at) VALUES ($1, $2, $3, $4, $5, false, $6)`,
			t.auctionID, e.Seq, t.registrationID, t.code, amount, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO auction_events (auction_id, seq, type, at, data, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			t.auctionID, e.Seq, e.Type, now, e.Data, last, hash); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE auctions SET current_price = $2, leader_registration_id = $3, leader_code = $4, leader_rank = NULL,
			bid_count = bid_count + 1, seq = $5, last_hash = $6 WHERE id = $1`, t.auctionID, amount, t.registrationID, t.code, e.Seq, hash)
		return err
	})
}
