package live

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction/postgres"
)

// This file is the PostgreSQL half of the live feed: how processes sharing a
// database tell each other that an auction changed. The payload is tiny (the
// auction id and its last seq); the events themselves are always read from
// the table, so a lost or coalesced notification costs a little latency and
// never an event.

// channel is the NOTIFY channel every Gavel process listens on.
const channel = "gavel_live"

// listenerName marks the LISTEN connection in pg_stat_activity.
const listenerName = "gavel-live"

const (
	// notifyEvery spaces NOTIFY batches so that a hot lot's bids share one
	// (each NOTIFY is a commit that takes a database-wide lock).
	notifyEvery = 5 * time.Millisecond
	// maxPayload stays under PostgreSQL's 8000-byte NOTIFY payload limit.
	maxPayload = 7900
	// idleCheck is how long the LISTEN connection may stay silent before we
	// make sure it is still alive (a dead peer sends no error).
	idleCheck  = 30 * time.Second
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
	// One statement, so one commit, for the whole batch.
	_, err := h.store.Pool().Exec(ctx, `SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, channel, payloads)
	if err != nil {
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

// listenOnce runs one LISTEN connection until it fails. The connection is
// dedicated, outside the pool, because it must stay open and idle. The token
// cache is trusted only while it runs: token revocations are announced on it.
func (h *Hub) listenOnce(ctx context.Context, tokens *tokenCache, connected func()) error {
	cfg := h.store.Pool().Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = listenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+postgres.TokensChannel); err != nil {
		return err
	}
	// Revocations are heard from now on and earlier ones are in the table:
	// the cache starts empty, and goes off again with the connection.
	tokens.setLive(true)
	defer tokens.setLive(false)
	connected()
	// Whatever committed while nobody here was listening was never heard:
	// catch every watched auction up from the table now that we listen.
	h.catchUpWatched(ctx)
	for {
		wait, cancel := context.WithTimeout(ctx, idleCheck)
		n, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, context.DeadlineExceeded):
			if err := conn.Ping(ctx); err != nil {
				return err
			}
		case err != nil:
			return err
		case n.Channel == postgres.TokensChannel:
			tokens.dropHex(n.Payload)
		default:
			h.metrics.notificationsHeard.Add(1)
			h.heard(n.Payload)
		}
	}
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
	rows, err := h.store.Pool().Query(ctx, `SELECT id::text, seq FROM auctions WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		if ctx.Err() == nil {
			h.log.Warn("live feed: backstop poll failed", "err", err)
		}
		return
	}
	var id string
	var seq int64
	_, err = pgx.ForEachRow(rows, []any{&id, &seq}, func() error {
		if seq > watched[id] {
			if t := h.topic(id); t != nil {
				t.catchUp()
			}
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		h.log.Warn("live feed: backstop poll failed", "err", err)
	}
}
