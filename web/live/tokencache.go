package live

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"gavel/auction"
	"sync"
	"time"
)

// The token cache spares the hot path a database round trip per request:
// every bearer request would otherwise look its token up (tokens joined with
// users), about a fifth of the server's CPU under a hot lot.
//
// It remembers the sessions of API tokens that authenticated, keyed by the
// token's hash, for at most tokenCacheTTL, and is only trusted while this
// process's LISTEN connection hears TokensChannel:
//
//   - every revocation is announced on TokensChannel in the transaction that
//     commits it (Store.RevokeToken), and each process drops the session when
//     it hears the announcement; the process that revoked drops it before
//     answering (Hub.Revoke);
//   - while the LISTEN connection is down, or before it first connects, the
//     cache answers nothing and keeps nothing: announcements are being lost;
//   - each (re)connection empties it, so nothing heard before the gap
//     survives it;
//   - a lookup that started before a drop or an emptying does not store its
//     answer (the generation below), so a session read just before its
//     revocation committed cannot land in the cache after the drop.
//
// Browser sessions are not cached: they are not on the hot path, carry the
// CSRF token and are ended by page flows. Refusals are never cached, so a
// token works the moment it is created. tokenCacheTTL is the backstop for an
// announcement lost while the connection looked alive (a dead peer is only
// noticed at the next idle check).
//
// Anything that changes a token's revocation or the user an API token
// authenticates as (role, name) must announce the token on TokensChannel in
// the same transaction, as RevokeToken does, and the handler that made the
// change calls Hub.AccountsChanged before it answers (as VerifyUser's do).
const (
	tokenCacheTTL  = 30 * time.Second
	tokenCacheSize = 10_000
)

type tokenHash = [sha256.Size]byte

type cachedSession struct {
	sess *auction.Session
	// until is the backstop: monotonic time after which the database is asked again.
	until time.Time
}

type tokenCache struct {
	ttl  time.Duration
	size int

	mu sync.RWMutex
	// live is true while the LISTEN connection hears TokensChannel.
	live bool
	// gen changes with every drop, emptying and change of live; a lookup
	// stores its answer only if gen did not change while it ran.
	gen     uint64
	entries map[tokenHash]cachedSession
}

func newTokenCache(ttl time.Duration, size int) *tokenCache {
	return &tokenCache{ttl: ttl, size: size, entries: make(map[tokenHash]cachedSession)}
}

// tokens is the hub's token cache: nil when the hub does not listen (never
// started, or closed), and its server then asks the database every time.
func (h *Hub) tokens() *tokenCache { return h.tokenCache.Load() }

// get returns a copy of the cached session (handlers may change theirs), if
// the cache is live and holds a fresh one.
func (c *tokenCache) get(h tokenHash) (*auction.Session, bool) {
	c.mu.RLock()
	e, ok := c.entries[h]
	live := c.live
	c.mu.RUnlock()
	if !live || !ok || time.Now().After(e.until) {
		return nil, false
	}
	sess := *e.sess
	u := *sess.User
	sess.User = &u
	return &sess, true
}

// begin starts a lookup: its generation, to pass to put, and whether the
// answer may be cached at all.
func (c *tokenCache) begin() (gen uint64, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen, c.live
}

// put caches a session the database returned in a lookup begun at gen,
// unless anything was dropped or the connection changed since.
func (c *tokenCache) put(h tokenHash, sess *auction.Session, gen uint64) {
	own := *sess
	u := *sess.User
	own.User = &u
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || c.gen != gen {
		return
	}
	if _, ok := c.entries[h]; !ok && len(c.entries) >= c.size {
		// Full: give up any one entry; its token is only looked up again.
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[h] = cachedSession{sess: &own, until: time.Now().Add(c.ttl)}
}

// drop forgets a token's session and spoils the lookups in flight.
func (c *tokenCache) drop(h tokenHash) {
	c.mu.Lock()
	delete(c.entries, h)
	c.gen++
	c.mu.Unlock()
}

// dropHex is drop for a TokensChannel payload. One that is not a hash
// empties the whole cache: the announcement was for something, and
// forgetting too much only costs lookups.
func (c *tokenCache) dropHex(payload string) {
	var h tokenHash
	b, err := hex.DecodeString(payload)
	if err != nil || len(b) != len(h) {
		c.mu.Lock()
		c.forgetAll()
		c.mu.Unlock()
		return
	}
	copy(h[:], b)
	c.drop(h)
}

// setLive empties the cache and says whether the LISTEN connection hears
// TokensChannel from now on.
func (c *tokenCache) setLive(live bool) {
	c.mu.Lock()
	c.forgetAll()
	c.live = live
	c.mu.Unlock()
}

// forgetAll empties the cache and spoils the lookups in flight; c.mu is held.
func (c *tokenCache) forgetAll() {
	clear(c.entries)
	c.gen++
}

// Session authenticates a token (a bearer token, or the token a WebSocket
// was opened with), through the token cache while the hub listens; only API
// tokens are cached.
func (h *Hub) Session(ctx context.Context, token string) (*auction.Session, error) {
	tc := h.tokens()
	if tc == nil {
		return h.store.Authenticate(ctx, token)
	}
	th := auction.TokenHash(token)
	if sess, ok := tc.get(th); ok && h.store.Unexpired(sess) {
		return sess, nil
	}
	gen, cacheable := tc.begin()
	sess, err := h.store.Authenticate(ctx, token)
	if err == nil && cacheable && sess.Kind == auction.TokenAPI {
		tc.put(th, sess, gen)
	}
	return sess, err
}

// Revoke ends a token everywhere: in the database, which announces it to
// every process, and in this process's cache before the caller hears of
// success, so that no request here is let in with it afterwards.
func (h *Hub) Revoke(ctx context.Context, token string) error {
	if err := h.store.RevokeToken(ctx, token); err != nil {
		return err
	}
	if tc := h.tokens(); tc != nil {
		tc.drop(auction.TokenHash(token))
	}
	return nil
}

// AccountsChanged empties this process's cache of sessions. A change to
// accounts is announced on TokensChannel when it commits, but this
// process may hear that only after it has answered the change and taken
// the account's next request; emptying here first keeps a client's next
// request from being answered with the account as it was (GET /me still
// unverified, a registration without the verified privileges).
func (h *Hub) AccountsChanged() {
	if tc := h.tokens(); tc != nil {
		tc.mu.Lock()
		tc.forgetAll()
		tc.mu.Unlock()
	}
}
