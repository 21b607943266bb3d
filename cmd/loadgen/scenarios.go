package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

type scenarios struct {
	cfg      *config
	f        *fixture
	pool     *pgxpool.Pool
	servers  []*server
	start    func(i int) (*server, error)
	rep      *report
	progress func(string)
}

// lastMinutes opens auctions and puts the clock two minutes before their
// end: bidding in the final minutes, where every bid may extend the end.
func (s *scenarios) lastMinutes(ctx context.Context, ends time.Time) error {
	return s.f.setClock(ctx, s.f.c, ends.Add(-2*time.Minute))
}

// measure runs the ceiling for half of d, the bidding run for d, and the
// ceiling again for half of d, so both see the machine as it was.
func (s *scenarios) measure(ctx context.Context, targets []ceilingTarget, workers int, bid func() *bidStats) (*bidStats, rate, int, error) {
	conns := min(workers, s.cfg.ceilingMax)
	pcfg := s.pool.Config().Copy()
	pcfg.MaxConns, pcfg.MinConns = int32(conns), int32(conns)
	pool, err := openPool(ctx, pcfg)
	if err != nil {
		return nil, rate{}, 0, err
	}
	defer pool.Close()
	half := s.cfg.duration / 2
	c1, _, err := ceiling(ctx, pool, targets, workers, half)
	if err != nil {
		return nil, rate{}, 0, fmt.Errorf("ceiling: %w", err)
	}
	stats := bid()
	c2, _, err := ceiling(ctx, pool, targets, workers, half)
	if err != nil {
		return nil, rate{}, 0, fmt.Errorf("ceiling: %w", err)
	}
	if stats.failed.Load() > 0 {
		return nil, rate{}, 0, fmt.Errorf("%d bids failed (not refused); first: %s", stats.failed.Load(), stats.firstFailure)
	}
	return stats, rate{accepted: (c1.accepted + c2.accepted) / 2}, conns, nil
}

// hotWays name the hot lot's ways of bidding in the report.
var hotWays = map[string]string{"ladder": "hot lot", "click": "hot lot, one click", "click-http": "hot lot, one click over HTTP"}

// hotRun measures n bidders on one fresh auction, beside the ceiling. way
// is ladder (over HTTP), click (each bidder on its own live socket, as the
// page bids) or click-http.
func (s *scenarios) hotRun(ctx context.Context, n int, way string) (bidRow, error) {
	f := s.f
	starts, ends, err := f.schedule(ctx)
	if err != nil {
		return bidRow{}, err
	}
	auctions, err := f.auctions(ctx, 2, starts, ends)
	if err != nil {
		return bidRow{}, err
	}
	hot, bare := auctions[0], auctions[1]
	if err := f.qualify(ctx, hot, f.bidders[:n]); err != nil {
		return bidRow{}, err
	}
	if err := f.qualify(ctx, bare, f.bidders[:1]); err != nil {
		return bidRow{}, err
	}
	if err := s.lastMinutes(ctx, ends); err != nil {
		return bidRow{}, err
	}
	targets, err := ceilingTargets(ctx, s.pool, []*lotAuction{bare})
	if err != nil {
		return bidRow{}, err
	}
	markets := newMarkets([]*lotAuction{hot})
	send, live := f.c.bid, way == "click"
	if live {
		lbs, err := dialBidders(ctx, f.c.base, hot.id, hot.bidders[:n], 0)
		if err != nil {
			return bidRow{}, err
		}
		defer lbs.close()
		send = lbs.bid
	}
	ladder := way == "ladder"
	stats, ceil, conns, err := s.measure(ctx, targets, n, func() *bidStats {
		return closedLoop(ctx, send, f.run, markets, n, ladder, s.cfg.duration)
	})
	if err != nil {
		return bidRow{}, err
	}
	row := bidRowOf(hotWays[way], 1, n, stats, ceil, conns)
	if !ladder {
		answers, err := answerCeiling(ctx, n, s.cfg.duration/2, live)
		if err != nil {
			return bidRow{}, fmt.Errorf("answer ceiling: %w", err)
		}
		row.AnswerCeiling, row.Bound = round1(answers), round1(answers/float64(n))
	}
	return row, nil
}

func (s *scenarios) hotLot(ctx context.Context) error {
	f := s.f
	if err := f.signup(ctx, maxOf(s.cfg.bidders)); err != nil {
		return err
	}
	var maxRate float64
	for _, way := range s.cfg.hotBids {
		for _, n := range s.cfg.bidders {
			s.progress(fmt.Sprintf("%s: %d bidders", hotWays[way], n))
			row, err := s.hotRun(ctx, n, way)
			if err != nil {
				return err
			}
			s.rep.HotLot = append(s.rep.HotLot, row)
			if way == "ladder" && n == s.cfg.halfRate {
				maxRate = row.Accepted + row.Refused
			}
		}
	}
	if maxRate == 0 {
		return nil
	}
	n := s.cfg.halfRate
	offered := maxRate / 2
	s.progress(fmt.Sprintf("hot lot: %.0f bids/s offered (half the maximum) by %d bidders", offered, n))
	starts, ends, err := f.schedule(ctx)
	if err != nil {
		return err
	}
	auctions, err := f.auctions(ctx, 1, starts, ends)
	if err != nil {
		return err
	}
	if err := f.qualify(ctx, auctions[0], f.bidders[:n]); err != nil {
		return err
	}
	if err := s.lastMinutes(ctx, ends); err != nil {
		return err
	}
	stats := openLoop(ctx, f.c, f.run, newMarkets(auctions)[0], offered, s.cfg.duration)
	if stats.failed.Load() > 0 {
		return fmt.Errorf("%d bids failed (not refused); first: %s", stats.failed.Load(), stats.firstFailure)
	}
	row := bidRowOf("hot lot, half the maximum rate", 1, n, stats, rate{}, 0)
	row.Offered = offered
	s.rep.HalfRate = &row
	return nil
}

func (s *scenarios) manyLots(ctx context.Context) error {
	f := s.f
	if err := f.signup(ctx, max(s.cfg.lotBidders, 8)); err != nil {
		return err
	}
	s.progress(fmt.Sprintf("many lots: creating %d auctions with %d bidders each", s.cfg.lots, s.cfg.lotBidders))
	starts, ends, err := f.schedule(ctx)
	if err != nil {
		return err
	}
	auctions, err := f.auctions(ctx, s.cfg.lots, starts, ends)
	if err != nil {
		return err
	}
	if err := f.qualifyMany(ctx, auctions, s.cfg.lotBidders); err != nil {
		return err
	}
	if err := s.lastMinutes(ctx, ends); err != nil {
		return err
	}
	// The ceiling bids on the same auctions; the bidders learn the new
	// prices from their refusals.
	targets, err := ceilingTargets(ctx, s.pool, auctions)
	if err != nil {
		return err
	}
	markets := newMarkets(auctions)
	for _, n := range s.cfg.manyBidders {
		s.progress(fmt.Sprintf("many lots: %d bidders over %d auctions", n, len(auctions)))
		stats, ceil, conns, err := s.measure(ctx, targets, n, func() *bidStats {
			if err := learnPrices(ctx, s.pool, markets); err != nil {
				s.progress("many lots: reading prices: " + err.Error())
			}
			return closedLoop(ctx, f.c.bid, f.run, markets, n, false, s.cfg.duration)
		})
		if err != nil {
			return err
		}
		s.rep.ManyLots = append(s.rep.ManyLots, bidRowOf(fmt.Sprintf("many lots (%d auctions)", len(auctions)), len(auctions), n, stats, ceil, conns))
	}
	return nil
}

func (s *scenarios) fanout(ctx context.Context) error {
	f := s.f
	if err := f.signup(ctx, 2); err != nil {
		return err
	}
	for _, w := range s.cfg.watchers {
		sources := s.cfg.sources
		if sources <= 0 {
			sources = 1 + (w-1)/5000
		}
		if err := raiseOpenFiles(uint64(w) + 1024); err != nil {
			return err
		}
		s.progress(fmt.Sprintf("fan-out: %d watchers from %d addresses, %.0f bids/s", w, sources, s.cfg.fanRate))
		starts, ends, err := f.schedule(ctx)
		if err != nil {
			return err
		}
		auctions, err := f.auctions(ctx, 1, starts, ends)
		if err != nil {
			return err
		}
		if err := f.qualify(ctx, auctions[0], f.bidders[:2]); err != nil {
			return err
		}
		if err := f.setClock(ctx, f.c, starts.Add(time.Minute)); err != nil {
			return err
		}
		procs := processes{s.servers[0]}
		if len(s.cfg.pids) > 1 && len(s.cfg.urls) == 1 {
			// One URL (a proxy) in front of several processes.
			procs = nil
			for _, pid := range s.cfg.pids {
				procs = append(procs, &server{pid: pid})
			}
		}
		res, err := fanout(ctx, f, procs, s.cfg.spread, auctions[0], w, sources, s.cfg.fanRate, s.cfg.fanDuration)
		if err != nil {
			return err
		}
		s.rep.Fanout = append(s.rep.Fanout, *res)
		// Let the server close the sockets before the next run measures memory.
		time.Sleep(2 * time.Second)
	}
	return nil
}

func (s *scenarios) storm(ctx context.Context) error {
	servers := s.servers
	for i := len(servers); s.start != nil && i < s.cfg.servers; i++ {
		srv, err := s.start(i)
		if err != nil {
			return err
		}
		defer srv.stop()
		servers = append(servers, srv)
	}
	res, err := storm(ctx, s.f, servers, s.pool, s.cfg.storm, s.progress)
	if err != nil {
		return err
	}
	s.rep.Storm = res
	return nil
}

// openPool opens the ceiling's connections, waiting a little when the
// server has none to spare (max_connections is shared with whatever else
// runs on it).
func openPool(ctx context.Context, cfg *pgxpool.Config) (*pgxpool.Pool, error) {
	for attempt := 1; ; attempt++ {
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err == nil {
			err = pool.Ping(ctx)
			if err == nil {
				return pool, nil
			}
			pool.Close()
		}
		var pe *pgconn.PgError
		if attempt == 10 || !errors.As(err, &pe) || pe.Code != "53300" { // too_many_connections
			return nil, err
		}
		time.Sleep(time.Duration(attempt) * time.Second)
	}
}

// learnPrices tells the bidders the prices the ceiling left, as the live
// feed would.
func learnPrices(ctx context.Context, pool *pgxpool.Pool, markets []*market) error {
	byID := make(map[string]*market, len(markets))
	ids := make([]string, len(markets))
	for i, m := range markets {
		byID[m.a.id], ids[i] = m, m.a.id
	}
	rows, err := pool.Query(ctx, `SELECT id::text, current_price FROM auctions WHERE id = ANY($1::text[]::uuid[])`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var price *int64
		if err := rows.Scan(&id, &price); err != nil {
			return err
		}
		byID[id].saw(price)
	}
	return rows.Err()
}

func maxOf(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
