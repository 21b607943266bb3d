package main

import (
	"sync"
	"testing"
	"time"

	"gavel/auction"
)

// TestTwoInstancesCloseOnce: two `serve` instances share one database and
// its test clock; 200 auctions end at the same instant; both instances tick
// at once (both answer a clock move at the same time while the second one's
// scheduler ticks every few milliseconds). Each auction must close exactly once and each
// deposit move exactly once.
func TestTwoInstancesCloseOnce(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	const n = 200
	alice, _ := s.bidder(t, "")
	bob, _ := s.bidder(t, "")
	auctions := s.auctions(t, n, lotSpec{})
	for i, a := range auctions {
		if i%4 == 0 { // half of these get a bid and are sold, half fail with deposits
			s.qualifyFast(t, alice, a.ID)
			s.qualifyFast(t, bob, a.ID)
		}
	}
	end := auctions[0].EndsAt
	for _, a := range auctions {
		if !a.EndsAt.Equal(end) {
			t.Fatalf("auctions end at %s and %s", end, a.EndsAt)
		}
	}
	// The two instances under test tick every few milliseconds by themselves
	// (started after the fixtures so they do not slow their creation).
	var inst [2]*server
	for i := range inst {
		m, _ := startOn(t, s.dbURL, func(m *Main) { m.Config.TickInterval = 10 * time.Millisecond })
		inst[i] = &server{m: m, url: m.URL(), store: m.Store(), ctx: s.ctx, clerk: s.clerk}
	}
	inst[0].setClock(t, auctions[0].StartsAt)
	for i, a := range auctions {
		if i%8 == 0 {
			wantStatus(t, inst[i%2].bid(t, alice, a.ID, a.StartPrice), 201)
		}
	}

	var wg sync.WaitGroup
	for _, inst := range inst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := inst.do(t, "POST", "/api/v1/test/clock", s.clerk, map[string]any{"set": end.Format(time.RFC3339Nano)})
			if r.status != 200 {
				t.Errorf("clock move on %s: %s", inst.url, r)
			}
		}()
	}
	wg.Wait()

	var notClosedOnce, badStatus int
	if err := s.pool.QueryRow(s.ctx, `SELECT
			count(*) FILTER (WHERE (SELECT count(*) FROM auction_events e WHERE e.auction_id = a.id AND e.type = 'closed') <> 1),
			count(*) FILTER (WHERE a.status <> CASE WHEN a.bid_count > 0 THEN 'sold' ELSE 'failed' END)
		FROM auctions a`).Scan(&notClosedOnce, &badStatus); err != nil {
		t.Fatal(err)
	}
	if notClosedOnce != 0 || badStatus != 0 {
		t.Fatalf("%d auctions without exactly one closed event, %d with the wrong outcome", notClosedOnce, badStatus)
	}
	var deposits, movedOnce int
	if err := s.pool.QueryRow(s.ctx, `SELECT count(*),
			count(*) FILTER (WHERE (SELECT count(*) FROM ledger_transactions l WHERE l.deposit_id = d.id
				AND l.kind IN ('deposit_applied', 'deposit_released')) = 1 AND d.status IN ('applied', 'refund_pending'))
		FROM deposits d`).Scan(&deposits, &movedOnce); err != nil {
		t.Fatal(err)
	}
	if deposits != n/4*2 || movedOnce != deposits {
		t.Fatalf("%d of %d deposits moved exactly once (want %d deposits)", movedOnce, deposits, n/4*2)
	}
	var notifications int
	if err := s.pool.QueryRow(s.ctx, `SELECT count(*) FROM case_notifications WHERE type IN ('auction.sold', 'auction.failed')`).Scan(&notifications); err != nil {
		t.Fatal(err)
	}
	if notifications != n {
		t.Fatalf("%d outcome notifications for %d auctions", notifications, n)
	}
	// Both instances answer with the same, gapless record.
	for _, a := range []*auction.Auction{auctions[0], auctions[1]} {
		ea, eb := inst[0].events(t, a.ID), inst[1].events(t, a.ID)
		wantGapless(t, ea)
		if len(ea) != len(eb) || ea[len(ea)-1].Hash != eb[len(eb)-1].Hash {
			t.Fatalf("instances disagree on %s", a.ID)
		}
	}
}
