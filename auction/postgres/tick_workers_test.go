package postgres_test

import (
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/postgres"
)

// TestTickWorkersCloseOnce: with a pool large enough for several close
// transactions per Tick, two stores ticking together over more auctions than
// fit in a batch still close each exactly once and report each once.
func TestTickWorkersCloseOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const n = 230
	bidder := b.mustUser(t, auction.RoleBidder, "ID-TW1", "")
	var auctions []*auction.Auction
	for i := range n {
		a := b.mustAuction(t, lotParams{})
		if i%10 == 0 {
			b.mustQualify(t, bidder, a.ID)
		}
		auctions = append(auctions, a)
	}
	b.clock.Set(auctions[0].StartsAt)
	b.tick(t)
	for i, a := range auctions {
		if i%10 == 0 {
			if _, err := b.bid(bidder, a.ID, a.StartPrice); err != nil {
				t.Fatal(err)
			}
		}
	}
	cfg := b.store.Pool().Config().Copy()
	cfg.MaxConns = 16
	pool, err := pgxpool.NewWithConfig(b.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	b.clock.Set(auctions[n-1].EndsAt)
	reported := make(map[string]int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 2 {
		s := postgres.New(postgres.Config{Pool: pool, Clock: b.clock, Rulebook: auction.SPC2016})
		wg.Go(func() {
			changes, err := s.Tick(b.ctx)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			for _, c := range changes {
				reported[c.AuctionID]++
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(reported) != n {
		t.Fatalf("%d auctions reported closed, want %d", len(reported), n)
	}
	for id, k := range reported {
		if k != 1 {
			t.Fatalf("auction %s reported closed %d times", id, k)
		}
	}
	var bad, sold int
	err = pool.QueryRow(b.ctx, `SELECT count(*) FILTER (WHERE (SELECT count(*) FROM auction_events e WHERE e.auction_id = a.id AND e.type = 'closed') <> 1),
		count(*) FILTER (WHERE a.status = 'sold') FROM auctions a`).Scan(&bad, &sold)
	if err != nil || bad != 0 || sold != n/10 {
		t.Fatalf("%d auctions not closed exactly once, %d sold (%v)", bad, sold, err)
	}
}
