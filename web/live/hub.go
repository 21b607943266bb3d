package live

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"gavel/auction"
)

// HubConfig is what a Hub needs. Zero values choose the defaults.
type HubConfig struct {
	Store Store
	// Bus connects the hub to the other processes on the database (Start);
	// a hub that is never started needs none.
	Bus Bus
	Log *slog.Logger
	// QueueSize is how many frames a subscriber may fall behind, beyond its
	// socket buffer, before it is dropped and told to resume with since
	// (default 128: six seconds of a hot lot at 20 bids a second). The frames
	// are kept once per auction, not per connection.
	QueueSize int
	// PollEvery is the backstop poll that catches notifications PostgreSQL
	// dropped (default 1 s).
	PollEvery time.Duration
	// SocketBuffer is the kernel send buffer of each connection (default 64
	// KiB). Bounding it bounds how far a slow client falls behind in kernel
	// memory before its queue fills and it is told to resume.
	SocketBuffer int
	// Writers is how many goroutines write live frames to the connections
	// (default half the CPUs, at least one). It bounds the CPU share of
	// fan-out: the other CPUs stay free for bids (deliver.go).
	Writers int
}

// Store is what the live feed reads and writes through: the catalogue (an
// auction and its events), bidding, and the sign-ins bids are authenticated
// by.
type Store interface {
	auction.Catalogue
	auction.Bidding
	auction.Accounts
	Clock() auction.Clock
	Unavailable(err error) bool
}

// Hub is the live feed of one process. It fans committed auction events out
// to the WebSocket subscribers connected here, and, once started, tells the
// other processes on the database about local changes (NOTIFY after commit)
// and hears theirs on one LISTEN connection (listen.go).
//
// Each auction with local subscribers has a topic that keeps its recent
// events in seq order, each encoded once as a frame shared by all
// subscribers; a few writer goroutines (deliver.go) bring every connection up
// to the topic's seq, so publishing never waits for a connection. Whenever
// the topic cannot tell what it missed (an out of order publish, a
// notification, a poll, a reconnect) it reads the events table, which is the
// truth.
type Hub struct {
	store   Store
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
	// writers deliver frames to the connections (deliver.go); while held
	// is set (tests) they wait for it to be closed before each round.
	writers []*writer
	held    atomic.Pointer[chan struct{}]
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
	if cfg.Writers <= 0 {
		cfg.Writers = max(1, runtime.GOMAXPROCS(0)/2)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{store: cfg.Store, log: cfg.Log, cfg: cfg, metrics: newMetrics(), ctx: ctx, cancel: cancel,
		topics: map[string]*topic{},
		notes:  notes{pending: map[string]int64{}, wake: make(chan struct{}, 1)}}
	h.startWriters()
	return h
}

// topic is one auction's fan-out to the subscribers of this process.
type topic struct {
	id  string
	hub *Hub

	mu sync.Mutex
	// seq is the last event fanned out; ring holds the frames of the events
	// base..seq (frame n at n % len(ring)), from which every subscriber is
	// brought up to seq.
	seq, base int64
	ring      []*frame
	subs      map[*subscriber]struct{}
	// list is subs as the writers read it, rebuilt after a change of subs
	// (nil until then) and never modified in place.
	list []*subscriber
	// viewers counts the connections of each viewer (viewerKey): Watchers
	// is how many viewers there are, not how many sockets.
	viewers map[string]int
	// fetching and again make catch-up reads single-flight per topic.
	fetching, again bool
}

// subscriber is one connection's place in a topic.
type subscriber struct {
	topic  *topic
	viewer string
	// conn is the connection's socket; set before the connection's goroutine
	// first lets go of wmu.
	conn *lockedConn
	// wmu is held by whoever writes live frames to the connection: the
	// connection (greeting, replay, replies, a slow socket: socket.go) or a
	// writer, which only ever tries it and otherwise pokes the connection.
	wmu sync.Mutex
	// sent is the last seq written to the connection (or queued behind a
	// partial write, see lockedConn).
	sent atomic.Int64
	// live is set once the replay is done: from then on a subscriber that
	// falls further behind than the ring is dropped.
	live atomic.Bool
	// dirty is set by poke; owner is the connection that takes pokes, once
	// it is upgraded.
	dirty atomic.Bool
	owner atomic.Pointer[liveConn]
	// stop is closed when the connection must end and tell its client where
	// to resume; why is the close code: it fell too far behind, or the hub is
	// closing. Each subscriber has its own, so that thousands of idle
	// connections do not all wait on one channel.
	stop chan struct{}
	why  int
}

// poke asks the connection to bring itself up to date (or to close, once
// stop is closed), blocking as long as its socket needs, on a goroutine of
// its own.
func (s *subscriber) poke() {
	s.dirty.Store(true)
	if l := s.owner.Load(); l != nil {
		l.wake()
	}
}

// end stops a subscriber that is in its topic's set (under the topic's lock):
// its connection closes, telling the client where to resume.
func (s *subscriber) end(t *topic, why int) {
	t.remove(s)
	s.why = why
	close(s.stop)
	s.poke()
}

// remove takes s out of the topic's set (under the topic's lock).
func (t *topic) remove(s *subscriber) {
	if _, ok := t.subs[s]; !ok {
		return
	}
	delete(t.subs, s)
	t.list = nil
	if t.viewers[s.viewer]--; t.viewers[s.viewer] <= 0 {
		delete(t.viewers, s.viewer)
	}
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

// Watchers is how many viewers watch an auction live on this process:
// signed-in accounts once each, whatever their connections, and anonymous
// connections once per network address (viewerKey). It is a count of
// people, so one client opening many sockets counts once.
func (h *Hub) Watchers(auctionID string) int {
	t := h.topic(auctionID)
	if t == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.viewers)
}

// Connections is how many connections of this process watch an auction live.
func (h *Hub) Connections(auctionID string) int {
	t := h.topic(auctionID)
	if t == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.subs)
}

// viewerKey names who a connection is for the watcher count: the account
// when it is signed in, else its network address (behind the proxy, the
// client's, from X-Forwarded-For). Anonymous people behind one address count
// once: the count errs low rather than letting one client inflate it.
func viewerKey(userID, ip string) string {
	if userID != "" {
		return "user:" + userID
	}
	return "ip:" + ip
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

// subscribe joins the auction's topic for a client that has seen the events
// up to since. seq is the auction's seq as the caller last read it: a topic
// created now starts there (anything the caller has not seen yet it replays
// from the table after subscribing). The subscriber's wmu is held: the
// connection's goroutine lets go of it once it has replayed.
func (h *Hub) subscribe(auctionID string, seq, since int64, viewer string) *subscriber {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topics[auctionID]
	if t == nil {
		t = &topic{id: auctionID, hub: h, seq: seq, base: seq + 1, ring: make([]*frame, h.cfg.QueueSize),
			subs: map[*subscriber]struct{}{}, viewers: map[string]int{}}
		h.topics[auctionID] = t
	}
	s := &subscriber{topic: t, viewer: viewer, stop: make(chan struct{})}
	s.sent.Store(since)
	s.wmu.Lock()
	t.mu.Lock()
	t.subs[s] = struct{}{}
	t.list = nil
	t.viewers[viewer]++
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
	t.remove(s)
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

// deliver adds events to the topic in seq order, skipping those already
// added, and wakes the writers. It reports false on a gap (a later event
// published before an earlier one): the caller reads the rest from the table,
// where every earlier event has committed, because seq is assigned under the
// auction's row lock. It never waits for a connection.
func (t *topic) deliver(events []auction.Event) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	added := false
	defer func() {
		if added {
			t.hub.wakeWriters(t)
		}
	}()
	n := int64(len(t.ring))
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
		t.ring[e.Seq%n] = f
		t.base = max(t.base, e.Seq-n+1)
		added = true
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
