package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// market is what the crowd knows about one auction's price: the highest step
// seen in any answer (price = start + step*increment) and, for a hot lot, a
// ladder of steps the bidders climb together.
type market struct {
	a      *lotAuction
	known  atomic.Int64 // -1 before the first bid
	ladder atomic.Int64
}

func newMarkets(auctions []*lotAuction) []*market {
	ms := make([]*market, len(auctions))
	for i, a := range auctions {
		ms[i] = &market{a: a}
		ms[i].known.Store(-1)
	}
	return ms
}

func (m *market) saw(price *int64) {
	if price == nil {
		return
	}
	step := (*price - startFen) / stepFen
	for {
		k := m.known.Load()
		if step <= k || m.known.CompareAndSwap(k, step) {
			return
		}
	}
}

// next is the step a bidder bids: one above the highest price seen, or on a
// hot lot the next free rung of the shared ladder when that is higher. On
// the ladder, bids that arrive together are mostly each above the one
// before, as when a crowd outbids itself in the final minutes; a bid
// overtaken in flight is refused bid_too_low, a bidder still leading is
// refused already_leading.
func (m *market) next(ladder bool) int64 {
	step := m.known.Load() + 1
	if ladder {
		step = max(step, m.ladder.Add(1))
	}
	return step
}

// rate is bids per second.
type rate struct {
	accepted, refused float64
}

// bidStats is what one bidding run measured.
type bidStats struct {
	accepted, refused, failed atomic.Int64
	lat                       histogram
	mu                        sync.Mutex
	codes                     map[string]int64 // refusal codes
	firstFailure              string
	elapsed                   time.Duration
}

func (s *bidStats) rate() rate {
	sec := s.elapsed.Seconds()
	return rate{accepted: float64(s.accepted.Load()) / sec, refused: float64(s.refused.Load()) / sec}
}

func (s *bidStats) refusals() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for c, n := range s.codes {
		parts = append(parts, fmt.Sprintf("%s %d", c, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// keys numbers idempotency keys across the whole run: a key names one bid.
var keys atomic.Int64

// sendBid sends one bid and returns its answer as HTTP gives it: the status
// and the decoded body. client.bid sends it over HTTP, liveBidders.bid on the
// bidder's live socket.
type sendBid func(ctx context.Context, token, auctionID, key string, amount func() int64) (int, *bidReply, error)

// bidder places bids as the load generator's bidders do and records them.
type bidder struct {
	send  sendBid
	run   string
	stats *bidStats
}

// place bids token on m and learns the price from the answer.
func (b *bidder) place(ctx context.Context, m *market, token string, ladder bool, began time.Time) {
	key := fmt.Sprintf("%s-%d", b.run, keys.Add(1))
	status, reply, err := b.send(ctx, token, m.a.id, key, func() int64 { return startFen + m.next(ladder)*stepFen })
	if ctx.Err() != nil {
		return
	}
	b.stats.lat.add(time.Since(began))
	switch {
	case err == nil && status == http.StatusCreated:
		b.stats.accepted.Add(1)
	case err == nil && reply.Error != nil && (status < 500 || status == http.StatusServiceUnavailable):
		// 503: the database had no connection to spare (a shared server's
		// max_connections); a bidder would retry, and so does the next round.
		// It is counted with the refusals under its code.
		b.stats.refused.Add(1)
		b.stats.mu.Lock()
		b.stats.codes[reply.Error.Code]++
		b.stats.mu.Unlock()
	default:
		b.stats.failed.Add(1)
		b.stats.mu.Lock()
		if b.stats.firstFailure == "" {
			b.stats.firstFailure = fmt.Sprintf("HTTP %d: %v", status, err)
			if reply != nil && reply.Error != nil {
				b.stats.firstFailure += " " + reply.Error.Code
			}
		}
		b.stats.mu.Unlock()
		return
	}
	if reply.Auction != nil {
		m.saw(reply.Auction.CurrentPrice)
	}
}

// closedLoop runs workers bidders for d, each bidding again as soon as it
// has its answer, sent by send. With one market, worker i is the auction's
// bidder i; with many, each bid goes to a random auction as a random one of
// its bidders.
func closedLoop(ctx context.Context, send sendBid, run string, markets []*market, workers int, ladder bool, d time.Duration) *bidStats {
	stats := &bidStats{codes: map[string]int64{}}
	b := &bidder{send: send, run: run, stats: stats}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				m := markets[0]
				token := m.a.bidders[w%len(m.a.bidders)]
				if len(markets) > 1 {
					m = markets[rand.IntN(len(markets))]
					token = m.a.bidders[rand.IntN(len(m.a.bidders))]
				}
				b.place(ctx, m, token, ladder, time.Now())
			}
		})
	}
	wg.Wait()
	stats.elapsed = time.Since(start)
	return stats
}

// openLoop offers bids at a fixed rate for d, whether or not earlier ones
// were answered, spread over the market's bidders. Latency counts from when
// each bid was due, so a server falling behind shows as latency, not as a
// lower rate.
func openLoop(ctx context.Context, c *client, run string, m *market, perSecond float64, d time.Duration) *bidStats {
	stats := &bidStats{codes: map[string]int64{}}
	b := &bidder{send: c.bid, run: run, stats: stats}
	ctx, cancel := context.WithTimeout(ctx, d+10*time.Second)
	defer cancel()
	due := make(chan time.Time, 1<<16)
	start := time.Now()
	go func() {
		defer close(due)
		interval := time.Duration(float64(time.Second) / perSecond)
		for i := 0; ; i++ {
			at := start.Add(time.Duration(i) * interval)
			if at.Sub(start) >= d {
				return
			}
			if wait := time.Until(at); wait > 0 {
				time.Sleep(wait)
			}
			due <- at
		}
	}()
	var wg sync.WaitGroup
	for w := range len(m.a.bidders) {
		wg.Go(func() {
			for at := range due {
				b.place(ctx, m, m.a.bidders[w], true, at)
			}
		})
	}
	wg.Wait()
	stats.elapsed = d
	return stats
}
