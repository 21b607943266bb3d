package live

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"gavel/auction"
	"gavel/auction/postgres"
)

// HubConfig is what a Hub needs. Zero values choose the defaults.
type HubConfig struct {
	Store *postgres.Store
	Log   *slog.Logger
	// QueueSize is how many frames a subscriber may fall behind, beyond its
	// socket buffer, before it is dropped and told to resume with since
	// (default 128: six seconds of a hot lot at 20 bids a second, for 1 KiB
	// per connection).
	QueueSize int
	// PollEvery is the backstop poll that catches notifications PostgreSQL
	// dropped (default 1 s).
	PollEvery time.Duration
	// SocketBuffer is the kernel send buffer of each connection (default 64
	// KiB). Bounding it bounds how far a slow client falls behind in kernel
	// memory before its queue fills and it is told to resume.
	SocketBuffer int
}

// Hub is the live feed of one process. It fans committed auction events out
// to the WebSocket subscribers connected here, and, once started, tells the
// other processes on the database about local changes (NOTIFY after commit)
// and hears theirs on one LISTEN connection (listen.go).
//
// Each auction with local subscribers has a topic that fans out every event
// exactly once and in seq order; an event's frame is encoded once and shared
// by all subscribers. Whenever the topic cannot tell what it missed (an out of
// order publish, a notification, a poll, a reconnect) it reads the events
// table, which is the truth.
type Hub struct {
	store   *postgres.Store
	log     *slog.Logger
	cfg     HubConfig
	metrics *metrics

	// ctx ends when the hub is closed: it stops catch-up reads and the loops.
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	topics map[string]*topic
	closed bool

	// conns counts open connections, so that Close can wait for them.
	conns sync.WaitGroup

	started atomic.Bool
	notes   notes
	loops   sync.WaitGroup
	// tokenCache is the token cache (tokencache.go) while the LISTEN loop
	// runs, nil otherwise.
	tokenCache atomic.Pointer[tokenCache]
}

var _ auction.Publisher = (*Hub)(nil)

// NewHub returns a hub that serves local subscribers; Start connects it to
// the other processes on the database.
func NewHub(cfg HubConfig) *Hub {
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 128
	}
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = time.Second
	}
	if cfg.SocketBuffer <= 0 {
		cfg.SocketBuffer = 64 << 10
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub{store: cfg.Store, log: cfg.Log, cfg: cfg, metrics: newMetrics(), ctx: ctx, cancel: cancel,
		topics: map[string]*topic{},
		notes:  notes{pending: map[string]int64{}, wake: make(chan struct{}, 1)}}
}

// topic is one auction's fan-out to the subscribers of this process.
type topic struct {
	id  string
	hub *Hub

	mu sync.Mutex
	// seq is the last event fanned out: every subscriber's queue holds the
	// events after it, contiguously, from the moment it subscribed.
	seq  int64
	subs map[*subscriber]struct{}
	// fetching and again make catch-up reads single-flight per topic.
	fetching, again bool
}

// subscriber is one connection's place in a topic.
type subscriber struct {
	topic *topic
	queue chan *frame
	// stop is closed when the connection must end and tell its client where
	// to resume; why is the close code: its queue overflowed, or the hub is
	// closing. Each subscriber has its own, so that thousands of idle writers
	// do not all wait on one channel.
	stop chan struct{}
	why  int
}

// end stops a subscriber that is in its topic's set (under the topic's lock).
func (s *subscriber) end(t *topic, why int) {
	delete(t.subs, s)
	s.why = why
	close(s.stop)
}

// frame is an event encoded once for every subscriber: the whole WebSocket
// frame, ready for the wire.
type frame struct {
	seq  int64
	wire []byte
}

func newFrame(e auction.Event) (*frame, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return &frame{seq: e.Seq, wire: textFrame(b)}, nil
}

// textFrame is a final, unmasked text frame (RFC 6455 section 5.2), as a
// server sends it.
func textFrame(payload []byte) []byte {
	n := len(payload)
	var b []byte
	switch {
	case n < 126:
		b = append(make([]byte, 0, 2+n), 0x81, byte(n))
	case n <= 0xffff:
		b = append(make([]byte, 0, 4+n), 0x81, 126, byte(n>>8), byte(n))
	default:
		b = binary.BigEndian.AppendUint64(append(make([]byte, 0, 10+n), 0x81, 127), uint64(n))
	}
	return append(b, payload...)
}

// Publish hands changes that have just committed to local subscribers at once
// and queues a notification for the other processes; it never waits for the
// database, so the bid path does not either.
func (h *Hub) Publish(_ context.Context, changes ...auction.Change) {
	for _, c := range changes {
		c.AuctionID = canonicalID(c.AuctionID)
		if t := h.topic(c.AuctionID); t != nil {
			// Without events (e.g. after publishing) the table says what changed.
			if len(c.Events) == 0 || !t.deliver(c.Events) {
				t.catchUp()
			}
		}
		if h.started.Load() {
			var last int64
			if n := len(c.Events); n > 0 {
				last = c.Events[n-1].Seq
			}
			h.notes.add(c.AuctionID, last)
		}
	}
}

// canonicalID writes an auction id the way the database does (lowercase,
// hyphenated), whatever form of UUID a request path used, so that a change
// finds its topic.
func canonicalID(id string) string {
	var hex []byte
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
			hex = append(hex, c)
		case c >= 'A' && c <= 'F':
			hex = append(hex, c+'a'-'A')
		case c == '-', c == '{', c == '}':
		default:
			return id
		}
	}
	if len(hex) != 32 {
		return id
	}
	return string(hex[0:8]) + "-" + string(hex[8:12]) + "-" + string(hex[12:16]) + "-" + string(hex[16:20]) + "-" + string(hex[20:32])
}

func (h *Hub) topic(id string) *topic {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.topics[id]
}

// Watchers is how many connections of this process watch an auction live.
func (h *Hub) Watchers(auctionID string) int {
	t := h.topic(auctionID)
	if t == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.subs)
}

// admit counts a connection so that Close can wait for it; done must be
// called when the connection ends. A closing hub admits nobody.
func (h *Hub) admit() (done func(), err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, auction.Errorf(auction.EUnavailable, "the server is shutting down; reconnect shortly")
	}
	h.conns.Add(1)
	h.metrics.connections.Add(1)
	h.metrics.connectionsTotal.Add(1)
	return func() {
		h.metrics.connections.Add(-1)
		h.conns.Done()
	}, nil
}

// subscribe joins the auction's topic. seq is the auction's seq as the caller
// last read it: a topic created now starts there (anything the caller has not
// seen yet it replays from the table after subscribing).
func (h *Hub) subscribe(auctionID string, seq int64) *subscriber {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topics[auctionID]
	if t == nil {
		t = &topic{id: auctionID, hub: h, seq: seq, subs: map[*subscriber]struct{}{}}
		h.topics[auctionID] = t
	}
	s := &subscriber{topic: t, queue: make(chan *frame, h.cfg.QueueSize), stop: make(chan struct{})}
	t.mu.Lock()
	t.subs[s] = struct{}{}
	if h.closed {
		s.end(t, websocket.CloseGoingAway)
	}
	t.mu.Unlock()
	return s
}

// unsubscribe leaves the topic, forgetting the topic with its last subscriber.
func (h *Hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := s.topic
	t.mu.Lock()
	delete(t.subs, s)
	empty := len(t.subs) == 0
	t.mu.Unlock()
	if empty && h.topics[t.id] == t {
		delete(h.topics, t.id)
	}
}

// watched lists the auctions with local subscribers and their last seq.
func (h *Hub) watched() map[string]int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	w := make(map[string]int64, len(h.topics))
	for id, t := range h.topics {
		w[id] = t.last()
	}
	return w
}

func (t *topic) last() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seq
}

// deliver fans events out in seq order, skipping those already sent. It
// reports false on a gap (a later event published before an earlier one):
// the caller reads the rest from the table, where every earlier event has
// committed, because seq is assigned under the auction's row lock.
func (t *topic) deliver(events []auction.Event) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	var fanned, drops uint64
	defer func() {
		t.hub.metrics.fannedOut.Add(fanned)
		t.hub.metrics.drops.Add(drops)
	}()
	for _, e := range events {
		if e.Seq <= t.seq {
			continue
		}
		if e.Seq > t.seq+1 {
			return false
		}
		f, err := newFrame(e)
		if err != nil {
			t.hub.log.Error("live feed: cannot encode an event", "auction_id", t.id, "seq", e.Seq, "err", err)
			return false
		}
		t.seq = e.Seq
		for s := range t.subs {
			select {
			case s.queue <- f:
				fanned++
			default:
				// Never wait for a slow client: drop it; it resumes with since.
				s.end(t, websocket.CloseTryAgainLater)
				drops++
			}
		}
	}
	return true
}

// catchUp reads the events after the topic's seq from the table and fans them
// out, in the background and at most one read at a time per topic; a request
// that comes during a read makes it read once more.
func (t *topic) catchUp() {
	t.mu.Lock()
	if t.fetching {
		t.again = true
		t.mu.Unlock()
		return
	}
	t.fetching = true
	t.mu.Unlock()
	t.hub.metrics.catchUps.Add(1)
	go t.fetch()
}

func (t *topic) fetch() {
	for {
		ctx, cancel := context.WithTimeout(t.hub.ctx, 10*time.Second)
		events, more, err := t.hub.store.Events(ctx, t.id, t.last(), 1000)
		cancel()
		if err == nil {
			t.deliver(events)
		} else if t.hub.ctx.Err() == nil {
			// The next notification or poll tries again.
			t.hub.log.Warn("live feed: cannot read events", "auction_id", t.id, "err", err)
		}
		t.mu.Lock()
		if err != nil || (!more && !t.again) {
			t.fetching, t.again = false, false
			t.mu.Unlock()
			return
		}
		t.again = false
		t.mu.Unlock()
	}
}

// Close says goodbye to every connection (a close frame telling it where to
// resume), waits for them until ctx ends, then stops the hub's loops after
// sending the notifications still pending.
func (h *Hub) Close(ctx context.Context) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	for _, t := range h.topics {
		t.mu.Lock()
		for s := range t.subs {
			s.end(t, websocket.CloseGoingAway)
		}
		t.mu.Unlock()
	}
	h.mu.Unlock()
	done := make(chan struct{})
	go func() {
		h.conns.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		h.log.Warn("live feed: connections still open at shutdown")
	}
	h.cancel()
	h.loops.Wait()
}
