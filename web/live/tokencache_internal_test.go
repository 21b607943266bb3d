package live

import (
	"encoding/hex"
	"testing"
	"time"

	"gavel/auction"
)

func cacheSession(id string) *auction.Session {
	return &auction.Session{User: &auction.User{ID: id, Role: auction.RoleBidder}, Kind: auction.TokenAPI}
}

// fill caches a session the way a lookup does: begin, then put.
func fill(c *tokenCache, h tokenHash, sess *auction.Session) {
	gen, ok := c.begin()
	if ok {
		c.put(h, sess, gen)
	}
}

func TestTokenCacheOnlyWhileLive(t *testing.T) {
	c := newTokenCache(time.Minute, 10)
	a, b := tokenHash{1}, tokenHash{2}
	// Before the LISTEN connection is up nothing is kept or answered.
	if _, ok := c.begin(); ok {
		t.Fatal("a cache that does not listen lets lookups be cached")
	}
	gen, _ := c.begin()
	c.put(a, cacheSession("a"), gen)
	if _, ok := c.get(a); ok {
		t.Fatal("a cache that does not listen answered")
	}

	c.setLive(true)
	fill(c, a, cacheSession("a"))
	got, ok := c.get(a)
	if !ok || got.User.ID != "a" {
		t.Fatalf("get after fill: %+v %v", got, ok)
	}
	// Each request gets its own copy: changing it changes nothing cached.
	got.User.Role = auction.RoleAdmin
	got.Kind = auction.TokenSession
	if again, _ := c.get(a); again.User.Role != auction.RoleBidder || again.Kind != auction.TokenAPI {
		t.Fatalf("a request's change reached the cache: %+v", again)
	}

	// The connection going down empties the cache and turns it off.
	c.setLive(false)
	if _, ok := c.get(a); ok {
		t.Fatal("answered while the LISTEN connection is down")
	}
	// A reconnection starts from nothing.
	c.setLive(true)
	if _, ok := c.get(a); ok {
		t.Fatal("a session from before the reconnection survived it")
	}
	fill(c, b, cacheSession("b"))
	if _, ok := c.get(b); !ok {
		t.Fatal("not cached after the reconnection")
	}
}

// A lookup that began before a drop, an emptying or a change of connection
// must not store what it read: the token may have been revoked meanwhile.
func TestTokenCacheStaleLookups(t *testing.T) {
	c := newTokenCache(time.Minute, 10)
	c.setLive(true)
	a, b := tokenHash{1}, tokenHash{2}
	for _, tc := range []struct {
		name    string
		between func()
	}{
		{"drop of this token", func() { c.drop(a) }},
		{"drop of another token", func() { c.drop(b) }},
		{"announcement", func() { c.dropHex(hex.EncodeToString(b[:])) }},
		{"reconnection", func() { c.setLive(false); c.setLive(true) }},
	} {
		gen, ok := c.begin()
		if !ok {
			t.Fatal("not live")
		}
		tc.between()
		c.put(a, cacheSession("a"), gen)
		if _, ok := c.get(a); ok {
			t.Errorf("%s: a lookup begun before it stored what it read", tc.name)
		}
	}
}

func TestTokenCacheDropHex(t *testing.T) {
	c := newTokenCache(time.Minute, 10)
	c.setLive(true)
	a, b := tokenHash{1}, tokenHash{2}
	fill(c, a, cacheSession("a"))
	fill(c, b, cacheSession("b"))
	c.dropHex(hex.EncodeToString(a[:]))
	if _, ok := c.get(a); ok {
		t.Fatal("the announced token is still cached")
	}
	if _, ok := c.get(b); !ok {
		t.Fatal("an announcement dropped another token")
	}
	for _, junk := range []string{"", "zz", hex.EncodeToString(a[:5]), hex.EncodeToString(append(a[:], 0))} {
		fill(c, b, cacheSession("b"))
		c.dropHex(junk)
		if _, ok := c.get(b); ok {
			t.Errorf("an announcement %q that names no token left the cache as it was", junk)
		}
	}
}

func TestTokenCacheBackstopAndBound(t *testing.T) {
	c := newTokenCache(50*time.Millisecond, 3)
	c.setLive(true)
	fill(c, tokenHash{1}, cacheSession("1"))
	time.Sleep(60 * time.Millisecond)
	if _, ok := c.get(tokenHash{1}); ok {
		t.Fatal("a session outlived the cache's time to live")
	}

	c = newTokenCache(time.Minute, 3)
	c.setLive(true)
	for i := range byte(10) {
		fill(c, tokenHash{i}, cacheSession("x"))
		if len(c.entries) > 3 {
			t.Fatalf("%d entries in a cache of 3", len(c.entries))
		}
		if _, ok := c.get(tokenHash{i}); !ok {
			t.Fatalf("the newest session %d is not cached", i)
		}
	}
}

// TestAccountsChangedForgetsHere: after a change to accounts this process
// forgets every session at once, and a lookup that began before does not
// put its answer back, without waiting for the change's announcement.
func TestAccountsChangedForgetsHere(t *testing.T) {
	c := newTokenCache(time.Minute, 10)
	h := &Hub{}
	h.tokenCache.Store(c)
	c.setLive(true)
	a, b := tokenHash{1}, tokenHash{2}
	fill(c, a, cacheSession("a"))
	gen, _ := c.begin()
	h.AccountsChanged()
	if _, ok := c.get(a); ok {
		t.Fatal("a session survived AccountsChanged")
	}
	c.put(b, cacheSession("b"), gen)
	if _, ok := c.get(b); ok {
		t.Fatal("a lookup begun before AccountsChanged was cached")
	}
	// A hub that does not listen has nothing to forget.
	(&Hub{}).AccountsChanged()
}
