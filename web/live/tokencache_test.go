package live_test

import (
	"context"
	noticepg "gavel/auction/notice/postgres"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
	"gavel/migrations/dbtest"
	"gavel/web"
	"gavel/web/live"
)

// authEnv is one server process as the token cache tests see it: its own
// pool and hub (started or not) on a shared database, and a wall clock the
// test moves for token expiry.
type authEnv struct {
	*auctiontest.World
	hub    *live.Hub
	server *web.Server
}

func authInstance(t testing.TB, dbURL string, wall *auctiontest.Clock, start bool) *authEnv {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e := &authEnv{World: auctiontest.NewWorld(t, pool, auctiontest.WithClock(wall), auctiontest.WithStore(func(c *postgres.Config) { c.Wall = wall }))}
	log := slog.New(slog.DiscardHandler)
	e.hub = live.NewHub(live.HubConfig{Store: e.Store, Bus: postgres.NewBus(pool), Log: log})
	if start {
		e.hub.Start()
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			e.hub.Close(ctx)
		})
		liveEventually(t, 5*time.Second, "the token cache to listen", func() bool { return live.TokenCacheLive(e.hub) })
	}
	e.server = web.New(web.Config{Store: e.Store, Log: log, Hub: e.hub, NoLimits: true, Notices: noticepg.New(pool, wall)})
	return e
}

func authSetup(t testing.TB, start bool) (*authEnv, string, *auctiontest.Clock) {
	t.Helper()
	_, dbURL := dbtest.Pool(t)
	wall := auctiontest.NewClock(auctiontest.Start)
	return authInstance(t, dbURL, wall, start), dbURL, wall
}

// call sends an API request with a bearer token and returns the status.
func (e *authEnv) call(method, path, token string) int {
	req := httptest.NewRequest(method, path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	e.server.Handler().ServeHTTP(rec, req)
	return rec.Code
}

func (e *authEnv) me(token string) int { return e.call(http.MethodGet, "/api/v1/me", token) }
func (e *authEnv) logout(token string) int {
	return e.call(http.MethodPost, "/api/v1/auth/logout", token)
}

// bidderToken creates a bidder and an API token of theirs.
func (e *authEnv) bidderToken(t testing.TB) string {
	t.Helper()
	token, _, err := e.Store.CreateToken(e.Ctx, e.Bidder().ID, auction.TokenAPI, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// cached authenticates token twice and checks the cache kept its session.
func (e *authEnv) cached(t testing.TB, token string) {
	t.Helper()
	for range 2 {
		if code := e.me(token); code != http.StatusOK {
			t.Fatalf("GET /me with a valid token: %d", code)
		}
	}
	if !live.TokenCached(e.hub, token) {
		t.Fatal("a valid API token was not cached")
	}
}

// revokeInSQL ends a token behind the servers' backs: no announcement.
func (e *authEnv) revokeInSQL(t testing.TB, token string) {
	t.Helper()
	h := auction.TokenHash(token)
	if _, err := e.Pool.Exec(e.Ctx, `UPDATE tokens SET revoked_at = now() WHERE token_hash = $1`, h[:]); err != nil {
		t.Fatal(err)
	}
}

// A token logged out through one server is refused there at once and by
// every other server on the database as soon as it hears the announcement,
// though both had cached it; other tokens stay cached.
func TestTokenRevokedOnEveryServer(t *testing.T) {
	t.Parallel()
	A, dbURL, wall := authSetup(t, true)
	B := authInstance(t, dbURL, wall, true)
	token, other := A.bidderToken(t), A.bidderToken(t)
	for _, e := range []*authEnv{A, B} {
		e.cached(t, token)
		e.cached(t, other)
	}
	if code := A.logout(token); code != http.StatusNoContent {
		t.Fatalf("logout: %d", code)
	}
	if code := A.me(token); code != http.StatusUnauthorized {
		t.Fatalf("the server that logged the token out still accepts it: %d", code)
	}
	liveEventually(t, 5*time.Second, "B to refuse the logged-out token", func() bool { return B.me(token) == http.StatusUnauthorized })
	if live.TokenCached(B.hub, token) {
		t.Fatal("B still caches the logged-out token")
	}
	for _, e := range []*authEnv{A, B} {
		if !live.TokenCached(e.hub, other) || e.me(other) != http.StatusOK {
			t.Fatal("a logout dropped another token")
		}
	}
}

// While the LISTEN connection is down revocations cannot be heard, so the
// cache is not used; a reconnection starts it empty. Tokens revoked in SQL
// here are never announced: only the database can refuse them.
func TestTokenCacheOffWhileListenerDown(t *testing.T) {
	t.Parallel()
	e, _, _ := authSetup(t, true)
	kill := func() {
		t.Helper()
		if _, err := e.Pool.Exec(e.Ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE application_name = 'gavel-live' AND datname = current_database()`); err != nil {
			t.Fatal(err)
		}
		liveEventually(t, 5*time.Second, "the server to notice", func() bool { return !live.TokenCacheLive(e.hub) })
	}

	before := e.bidderToken(t)
	e.cached(t, before)
	// The server reconnects within a backoff: whatever happens in between
	// must happen while it is still down, or the attempt says nothing.
	for attempt := 0; ; attempt++ {
		if attempt == 10 {
			t.Fatal("the LISTEN connection never stayed down long enough to test")
		}
		token := e.bidderToken(t)
		kill()
		first := e.me(token)
		e.revokeInSQL(t, token)
		after := e.me(token)
		if live.TokenCacheLive(e.hub) {
			continue
		}
		if first != http.StatusOK || after != http.StatusUnauthorized {
			t.Fatalf("with the LISTEN connection down: %d before the revocation, %d after", first, after)
		}
		if live.TokenCached(e.hub, token) {
			t.Fatal("cached while the LISTEN connection is down")
		}
		break
	}

	// Revoked while nobody listened, so never heard: the reconnection's
	// emptying is what refuses it.
	e.revokeInSQL(t, before)
	liveEventually(t, 5*time.Second, "the LISTEN connection to come back", func() bool { return live.TokenCacheLive(e.hub) })
	if code := e.me(before); code != http.StatusUnauthorized {
		t.Fatalf("a token revoked while the LISTEN connection was down is accepted after it came back: %d", code)
	}
	e.cached(t, e.bidderToken(t))
}

// A server whose hub was never started hears no revocations: it asks the
// database every time.
func TestTokenCacheOffWithoutListener(t *testing.T) {
	t.Parallel()
	e, _, _ := authSetup(t, false)
	token := e.bidderToken(t)
	for range 2 {
		if code := e.me(token); code != http.StatusOK {
			t.Fatalf("GET /me: %d", code)
		}
	}
	if live.TokenCacheLive(e.hub) || live.TokenCached(e.hub, token) {
		t.Fatal("a server that does not listen caches tokens")
	}
	e.revokeInSQL(t, token)
	if code := e.me(token); code != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d", code)
	}
}

// Refusals are not cached: a token works the moment it exists. A cached
// session still ends at its token's expiry, by the wall clock.
func TestTokenCacheRefusalsAndExpiry(t *testing.T) {
	t.Parallel()
	e, _, wall := authSetup(t, true)
	const secret = "a-token-that-does-not-exist-yet"
	if code := e.me(secret); code != http.StatusUnauthorized {
		t.Fatalf("unknown token: %d", code)
	}
	h := auction.TokenHash(secret)
	if _, err := e.Pool.Exec(e.Ctx, `INSERT INTO tokens (token_hash, user_id, kind, csrf, created_at, expires_at)
		VALUES ($1, $2, 'api', '', $3, $4)`, h[:], e.Bidder().ID, wall.Now(), wall.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if code := e.me(secret); code != http.StatusOK {
		t.Fatalf("a token created after it was refused: %d", code)
	}

	token := e.bidderToken(t)
	e.cached(t, token)
	wall.Set(wall.Now().Add(time.Hour - time.Second))
	if code := e.me(token); code != http.StatusOK {
		t.Fatalf("a second before expiry: %d", code)
	}
	wall.Set(wall.Now().Add(time.Second))
	if code := e.me(token); code != http.StatusUnauthorized {
		t.Fatalf("a cached token past its expiry: %d", code)
	}
}

// Many requests authenticate while tokens are logged out: once a logout has
// answered, no request that starts afterwards is let in with its token.
func TestTokenRevocationsUnderConcurrency(t *testing.T) {
	t.Parallel()
	e, _, _ := authSetup(t, true)
	const tokens, readers = 40, 8
	secrets := make([]string, tokens)
	for i := range secrets {
		secrets[i] = e.bidderToken(t)
	}
	var acked [tokens]atomic.Bool
	var accepted, late atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				i := rand.IntN(tokens)
				wasAcked := acked[i].Load()
				code := e.me(secrets[i])
				switch {
				case code == http.StatusOK && wasAcked:
					late.Add(1)
				case code == http.StatusOK:
					accepted.Add(1)
				case code != http.StatusUnauthorized:
					t.Errorf("GET /me: %d", code)
				}
			}
		})
	}
	// Revoke all but the last token, from two goroutines, while the
	// readers keep the sessions cached.
	order := rand.Perm(tokens - 1)
	var revokers sync.WaitGroup
	for half := range 2 {
		revokers.Go(func() {
			for _, i := range order[half*len(order)/2 : (half+1)*len(order)/2] {
				time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
				if code := e.logout(secrets[i]); code != http.StatusNoContent {
					t.Errorf("logout: %d", code)
				}
				acked[i].Store(true)
			}
		})
	}
	revokers.Wait()
	close(done)
	wg.Wait()
	if n := late.Load(); n > 0 {
		t.Fatalf("%d requests were let in with a token whose logout had answered", n)
	}
	if accepted.Load() == 0 || !live.TokenCached(e.hub, secrets[tokens-1]) {
		t.Fatal("the readers never used the cache: the test proved nothing")
	}
	for i := range tokens - 1 {
		if code := e.me(secrets[i]); code != http.StatusUnauthorized {
			t.Fatalf("token %d accepted after its logout: %d", i, code)
		}
	}
}

// BenchmarkBearerAuthentication compares authenticating an API token
// through the cache with asking the database, on the same database.
func BenchmarkBearerAuthentication(b *testing.B) {
	cached, dbURL, wall := authSetup(b, true)
	uncached := authInstance(b, dbURL, wall, false)
	token := cached.bidderToken(b)
	for _, bc := range []struct {
		name string
		e    *authEnv
	}{{"database", uncached}, {"cache", cached}} {
		b.Run("authenticate/"+bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := bc.e.hub.Session(bc.e.Ctx, token); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("GET_me/"+bc.name, func(b *testing.B) {
			for b.Loop() {
				if code := bc.e.me(token); code != http.StatusOK {
					b.Fatal(code)
				}
			}
		})
	}
}
