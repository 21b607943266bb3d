package live

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file is how processes sharing a database tell each other that an
// auction changed, through the Bus: the payload is tiny (the auction id and
// its last seq); the events themselves are always read from the table, so a
// lost or coalesced notification costs a little latency and never an event.

// Bus carries the live feed between the processes on one database; the
// PostgreSQL adapter implements it with LISTEN/NOTIFY (postgres.Bus).
type Bus interface {
	// Notify sends payloads to the other processes, all in one commit.
	Notify(ctx context.Context, payloads []string) error
	// Listen listens until it fails (its error) or ctx ends (nil): it calls
	// listening once it hears every channel, then heard for each
	// notification on the calling goroutine, tokens telling a token's
	// revocation from an auction's change.
	Listen(ctx context.Context, listening func(), heard func(tokens bool, payload string)) error
	// Seqs returns the last seq of each of the auctions.
	Seqs(ctx context.Context, ids []string) (map[string]int64, error)
}

const (
	// notifyEvery spaces NOTIFY batches so that a hot lot's bids share one
	// (each NOTIFY is a commit that takes a database-wide lock).
	notifyEvery = 5 * time.Millisecond
	// maxPayload stays under PostgreSQL's 8000-byte NOTIFY payload limit.
	maxPayload = 7900
	minBackoff = 100 * time.Millisecond
	maxBackoff = 10 * time.Second
)

// Start connects the hub to the other processes on the database: one LISTEN
// connection, a notifier and the backstop poll, all until Close. The LISTEN
// connection also keeps the token cache (tokencache.go) for as long as it runs.
func (h *Hub) Start() {
	h.started.Store(true)
	tokens := newTokenCache(tokenCacheTTL, tokenCacheSize)
	h.tokenCache.Store(tokens)
	h.loops.Add(3)
	go func() {
		defer h.loops.Done()
		defer h.tokenCache.Store(nil)
		h.listen(h.ctx, tokens)
	}()
	go func() { defer h.loops.Done(); h.notify(h.ctx) }()
	go func() { defer h.loops.Done(); h.poll(h.ctx) }()
}

// notes collects the notifications to send: per auction the highest seq, or
// 0 when a change came without events and listeners must look themselves.
type notes struct {
	mu      sync.Mutex
	pending map[string]int64
	wake    chan struct{}
}

func (n *notes) add(auctionID string, seq int64) {
	n.mu.Lock()
	if cur, ok := n.pending[auctionID]; !ok || (cur != 0 && (seq == 0 || seq > cur)) {
		n.pending[auctionID] = seq
	}
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// take empties the pending notes into payloads of "id:seq,id:seq...".
func (n *notes) take() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var payloads []string
	var b strings.Builder
	for id, seq := range n.pending {
		entry := id + ":" + strconv.FormatInt(seq, 10)
		if b.Len() > 0 && b.Len()+1+len(entry) > maxPayload {
			payloads = append(payloads, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(entry)
	}
	if b.Len() > 0 {
		payloads = append(payloads, b.String())
	}
	clear(n.pending)
	return payloads
}

// notify sends pending notes after their transactions committed, never
// inside them, in batches spaced by notifyEvery.
func (h *Hub) notify(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			// Tell the others about the last changes before going.
			flush, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			h.sendNotes(flush)
			cancel()
			return
		case <-h.notes.wake:
		}
		h.sendNotes(ctx)
		select {
		case <-ctx.Done():
		case <-time.After(notifyEvery):
		}
	}
}

func (h *Hub) sendNotes(ctx context.Context) {
	payloads := h.notes.take()
	if len(payloads) == 0 {
		return
	}
	if err := h.cfg.Bus.Notify(ctx, payloads); err != nil {
		// Other processes still catch up through their backstop poll.
		h.log.Warn("live feed: NOTIFY failed", "err", err)
		return
	}
	h.metrics.notifiesSent.Add(uint64(len(payloads)))
}

// listen keeps one LISTEN connection open, reconnecting with backoff.
func (h *Hub) listen(ctx context.Context, tokens *tokenCache) {
	backoff := minBackoff
	for {
		connected := false
		err := h.listenOnce(ctx, tokens, func() { connected = true })
		if ctx.Err() != nil {
			return
		}
		if connected {
			backoff = minBackoff
		}
		h.metrics.listenReconnects.Add(1)
		h.log.Warn("live feed: the LISTEN connection failed; reconnecting", "err", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// listenOnce runs one LISTEN connection until it fails. The token cache is
// trusted only while it runs: token revocations are announced on it.
func (h *Hub) listenOnce(ctx context.Context, tokens *tokenCache, connected func()) error {
	// Revocations are heard from the moment it listens and earlier ones are
	// in the table: the cache starts empty, and goes off again with the
	// connection.
	defer tokens.setLive(false)
	return h.cfg.Bus.Listen(ctx, func() {
		tokens.setLive(true)
		connected()
		// Whatever committed while nobody here was listening was never
		// heard: catch every watched auction up from the table now.
		h.catchUpWatched(ctx)
	}, func(tokenRevoked bool, payload string) {
		if tokenRevoked {
			tokens.dropHex(payload)
			return
		}
		h.metrics.notificationsHeard.Add(1)
		h.heard(payload)
	})
}

// heard catches up the auctions named in a notification that have local
// subscribers and are behind (our own notifications are mostly not).
func (h *Hub) heard(payload string) {
	for entry := range strings.SplitSeq(payload, ",") {
		id, seqText, _ := strings.Cut(entry, ":")
		seq, err := strconv.ParseInt(seqText, 10, 64)
		if err != nil {
			continue
		}
		if t := h.topic(id); t != nil && (seq == 0 || seq > t.last()) {
			t.catchUp()
		}
	}
}

// poll is the backstop: notifications can be lost (the LISTEN connection
// dies, a NOTIFY fails), so every PollEvery the watched auctions' seqs are
// compared with the table in one query.
func (h *Hub) poll(ctx context.Context) {
	t := time.NewTicker(h.cfg.PollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.catchUpWatched(ctx)
		}
	}
}

// catchUpWatched catches up every watched auction whose table seq is ahead.
func (h *Hub) catchUpWatched(ctx context.Context) {
	watched := h.watched()
	if len(watched) == 0 {
		return
	}
	ids := make([]string, 0, len(watched))
	for id := range watched {
		ids = append(ids, id)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	seqs, err := h.cfg.Bus.Seqs(ctx, ids)
	if err != nil {
		if ctx.Err() == nil {
			h.log.Warn("live feed: backstop poll failed", "err", err)
		}
		return
	}
	for id, seq := range seqs {
		if seq > watched[id] {
			if t := h.topic(id); t != nil {
				t.catchUp()
			}
		}
	}
}
