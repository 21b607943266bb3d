package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// fanoutResult is what the fan-out scenario measured.
type fanoutResult struct {
	Watchers       int     `json:"watchers"`
	Connected      int     `json:"connected"`
	Sources        int     `json:"source_addresses"`
	ConnectSeconds float64 `json:"connect_seconds"`
	BidsPerSecond  float64 `json:"bids_per_second"`
	Bids           int64   `json:"bids"`
	// BidP50ms and BidP99ms are the bidders' own latency (request to 201)
	// while the server fans their events out.
	BidP50ms   float64 `json:"bid_p50_ms"`
	BidP99ms   float64 `json:"bid_p99_ms"`
	Events     int64   `json:"events"`
	Deliveries int64   `json:"deliveries"`
	P50ms      float64 `json:"p50_ms"`
	P99ms      float64 `json:"p99_ms"`
	MaxMs      float64 `json:"max_ms"`
	// SendP50ms and SendP99ms time each bid event from the moment its bid
	// was sent (the 201 aside) to each watcher's receipt.
	SendP50ms float64 `json:"send_p50_ms"`
	SendP99ms float64 `json:"send_p99_ms"`
	// ServerMicrosPerDelivery is the servers' CPU time while the bids flowed
	// (bids, fan-out and everything else they did) per delivered event.
	ServerMicrosPerDelivery float64 `json:"server_us_per_delivery,omitempty"`
	// Spread is the live connections of each instance (-spread), e.g.
	// behind a proxy.
	Spread        []int   `json:"spread,omitempty"`
	Lost          int64   `json:"lost"`
	Duplicates    int64   `json:"duplicates"`
	Dropped       int64   `json:"dropped"`
	RSSBeforeMiB  float64 `json:"rss_before_mib"`
	RSSAfterMiB   float64 `json:"rss_after_mib"`
	RSSPerConnKiB float64 `json:"rss_per_conn_kib"`
}

// watcher is one live WebSocket and what it saw.
type watcher struct {
	conn     *websocket.Conn
	last     atomic.Int64 // last seq received
	received atomic.Int64
	dups     atomic.Int64
	closed   atomic.Bool
}

// watch reads frames until the connection ends, checking that seqs follow
// each other and timing bid events.
func (w *watcher) watch(times *bidTimes, lat, sendLat *histogram) {
	defer w.closed.Store(true)
	for {
		_, data, err := w.conn.ReadMessage()
		if err != nil {
			return
		}
		seq, ok := frameSeq(data)
		if !ok {
			continue
		}
		if seq <= w.last.Load() {
			w.dups.Add(1)
			continue
		}
		got := time.Now().UnixNano()
		w.last.Store(seq)
		w.received.Add(1)
		if bytes.Contains(data, []byte(`"type":"bid"`)) {
			// A frame that beats the bidder's 201 counts as instant.
			var d time.Duration
			if t0 := times.get(seq); t0 != 0 {
				d = time.Duration(got - t0)
			}
			lat.add(d)
			sendLat.add(time.Duration(got - times.sentAt(seq)))
		}
	}
}

// bidTimes is when each bid's 201 arrived and when it was sent, by seq.
// Bids are sent one at a time: an event whose bid is not answered yet is
// the one in flight.
type bidTimes struct {
	base     int64
	times    []atomic.Int64 // unix nanoseconds, 0 until the 201 arrived
	sent     []atomic.Int64
	inFlight atomic.Int64
}

func (b *bidTimes) setSent(seq int64, t int64) {
	if i := seq - b.base; i >= 0 && i < int64(len(b.sent)) {
		b.sent[i].Store(t)
	}
}

func (b *bidTimes) sentAt(seq int64) int64 {
	if i := seq - b.base; i >= 0 && i < int64(len(b.sent)) {
		if t := b.sent[i].Load(); t != 0 {
			return t
		}
	}
	return b.inFlight.Load()
}

func (b *bidTimes) set(seq int64, t time.Time) {
	if i := seq - b.base; i >= 0 && i < int64(len(b.times)) {
		b.times[i].Store(t.UnixNano())
	}
}

func (b *bidTimes) get(seq int64) int64 {
	if i := seq - b.base; i >= 0 && i < int64(len(b.times)) {
		return b.times[i].Load()
	}
	return 0
}

var eventPrefix = []byte(`{"seq":`)

// frameSeq returns the seq of an event frame, or false for frames that are
// not events. Events are encoded with seq first; anything else is decoded
// properly to be sure it has no top-level seq.
func frameSeq(data []byte) (int64, bool) {
	if rest, ok := bytes.CutPrefix(data, eventPrefix); ok {
		if end := bytes.IndexByte(rest, ','); end > 0 {
			if seq, err := strconv.ParseInt(string(rest[:end]), 10, 64); err == nil {
				return seq, true
			}
		}
	}
	var f struct {
		Seq *int64 `json:"seq"`
	}
	if json.Unmarshal(data, &f) != nil || f.Seq == nil {
		return 0, false
	}
	return *f.Seq, true
}

// fanout connects watchers to one auction's live feed, spread over sources
// loopback addresses, measures the server's RSS before and after, then bids
// at perSecond for d and measures, for every bid event and every watcher,
// the time from the bid's 201 to the watcher's receipt of the event.
func fanout(ctx context.Context, f *fixture, srv processes, spread []string, a *lotAuction, watchers, sources int, perSecond float64, d time.Duration) (*fanoutResult, error) {
	res := &fanoutResult{Watchers: watchers, Sources: sources, BidsPerSecond: perSecond}
	var state struct {
		Seq int64 `json:"seq"`
	}
	if err := f.c.call(ctx, "GET", "/auctions/"+a.id, "", nil, &state); err != nil {
		return nil, err
	}
	since := state.Seq
	maxEvents := int(perSecond*d.Seconds())*3 + 64
	times := &bidTimes{base: since + 1, times: make([]atomic.Int64, maxEvents), sent: make([]atomic.Int64, maxEvents)}
	var lat, sendLat histogram

	rss0, err := srv.rss()
	if err != nil {
		return nil, err
	}
	wsURL := "ws" + strings.TrimPrefix(f.c.base, "http") + "/api/v1/auctions/" + a.id + "/live?since=" + strconv.FormatInt(since, 10)
	ws := make([]*watcher, watchers)
	dialers := make([]*websocket.Dialer, sources)
	for i := range dialers {
		local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i))}
		dialers[i] = &websocket.Dialer{
			NetDialContext:   (&net.Dialer{LocalAddr: local, Timeout: 30 * time.Second}).DialContext,
			HandshakeTimeout: 30 * time.Second,
			ReadBufferSize:   1024,
			WriteBufferSize:  256,
		}
	}
	var readers sync.WaitGroup
	connect := func(from, to int) error {
		return forEach(ctx, to-from, 64, func(ctx context.Context, k int) error {
			i := from + k
			conn, resp, err := dialers[i%sources].DialContext(ctx, wsURL, http.Header{})
			if err != nil {
				if resp != nil {
					return fmt.Errorf("watcher %d: %v (HTTP %d)", i, err, resp.StatusCode)
				}
				return fmt.Errorf("watcher %d: %w", i, err)
			}
			w := &watcher{conn: conn}
			w.last.Store(since)
			ws[i] = w
			readers.Go(func() { w.watch(times, &lat, &sendLat) })
			return nil
		})
	}
	defer func() {
		for _, w := range ws {
			if w != nil {
				_ = w.conn.Close()
			}
		}
		readers.Wait()
	}()
	// Memory per connection is the growth between half and all of the
	// watchers connected, each time after a quiet moment: what the server
	// held before (heap left over from earlier work, which the runtime may
	// return to the system at any time) does not enter it.
	settle := func() (int64, error) {
		time.Sleep(2 * time.Second)
		return srv.rss()
	}
	start := time.Now()
	half := watchers / 2
	if err := connect(0, half); err != nil {
		return nil, err
	}
	rssHalf, err := settle()
	if err != nil {
		return nil, err
	}
	if err := connect(half, watchers); err != nil {
		return nil, err
	}
	res.ConnectSeconds = time.Since(start).Seconds() - 2
	res.Connected = watchers
	rssAll, err := settle()
	if err != nil {
		return nil, err
	}
	res.RSSBeforeMiB, res.RSSAfterMiB = float64(rss0)/(1<<20), float64(rssAll)/(1<<20)
	if srv.measured() && watchers-half > 0 {
		res.RSSPerConnKiB = float64(rssAll-rssHalf) / 1024 / float64(watchers-half)
	}
	for _, u := range spread {
		n, err := liveConnections(ctx, u)
		if err != nil {
			return nil, err
		}
		res.Spread = append(res.Spread, n)
	}

	// Two bidders outbid each other at a fixed rate, from a process of
	// their own (bidchild.go).
	finalSeq := since
	var bidLat histogram
	var refusal string
	cpu0, err := srv.cpu()
	if err != nil {
		return nil, err
	}
	plan := bidPlan{Base: f.c.base, Auction: a.id, Tokens: a.bidders[:2], Run: f.run + "-" + a.id, PerSecond: perSecond, Duration: d}
	err = bidElsewhere(ctx, plan, func(r bidRecord) {
		if r.Answered == 0 {
			times.inFlight.Store(r.Sent)
			return
		}
		bidLat.add(time.Duration(r.Answered - r.Sent))
		finalSeq = max(finalSeq, r.State)
		switch {
		case r.Seq > 0:
			times.setSent(r.Seq, r.Sent)
			times.set(r.Seq, time.Unix(0, r.Answered))
			res.Bids++
		case r.Refusal != "":
			refusal = r.Refusal
		}
	})
	if err != nil {
		return nil, err
	}
	if res.Bids == 0 {
		return nil, fmt.Errorf("no bid was accepted while %d watched (last answer %s)", watchers, refusal)
	}
	res.BidP50ms, res.BidP99ms = ms(bidLat.quantile(0.5)), ms(bidLat.quantile(0.99))
	res.Events = finalSeq - since
	// Wait for every watcher to have the last event.
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		behind := 0
		for _, w := range ws {
			if w.last.Load() < finalSeq && !w.closed.Load() {
				behind++
			}
		}
		if behind == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cpu1, err := srv.cpu()
	if err != nil {
		return nil, err
	}
	for _, w := range ws {
		res.Deliveries += w.received.Load()
		res.Lost += res.Events - w.received.Load()
		res.Duplicates += w.dups.Load()
		if w.closed.Load() {
			res.Dropped++
		}
	}
	res.P50ms, res.P99ms, res.MaxMs = ms(lat.quantile(0.5)), ms(lat.quantile(0.99)), ms(time.Duration(lat.max.Load()))
	res.SendP50ms, res.SendP99ms = ms(sendLat.quantile(0.5)), ms(sendLat.quantile(0.99))
	if res.Deliveries > 0 && cpu1 > cpu0 {
		res.ServerMicrosPerDelivery = math.Round(float64((cpu1-cpu0).Microseconds())/float64(res.Deliveries)*100) / 100
	}
	return res, nil
}
