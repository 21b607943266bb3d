// Package limit holds Gavel's abuse limits: token buckets per key, a cap on
// concurrent connections and a backoff on repeated failures. They are kept
// in memory per process and never refuse what API.md promises.
package limit

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"gavel/auction"
)

// Abuse limits. API.md fixes the floor: a bidder may always place 20 bids a
// second, bids and public reads are never limited per IP address (a whole
// office or campus bids from one address), and one address may sign up and
// sign in at least 60 times a minute. Each limit here sits well above that
// floor; they only stop scripts. They are per instance: behind a load
// balancer a client meets a fresh budget on each instance, which is enough to
// stop floods and never refuses an honest bidder.
const (
	signupPerIPPerMinute = 120
	loginPerIPPerMinute  = 120
	// Bids per account: 40 a second sustained, bursts of 80.
	bidsPerSecond = 40
	bidBurst      = 80
	// Everything else a signed-in account does: 200 a second, bursts of
	// 1,000. A clerk's or a court system's script scheduling a whole docket
	// at once is legitimate; only a runaway loop should meet this.
	accountPerSecond = 200
	accountBurst     = 1000
	// Free login failures per address and email before the backoff starts,
	// and its cap. Ten leaves room for a person fumbling a password and for
	// clients testing their error handling before a real sign-in.
	LoginFreeFailures = 10
	loginMaxBackoff   = 15 * time.Minute
	// An account's failures from every address it was not signed into
	// from lately: a spread-out guessing attack slows them down, briefly
	// (never more than a minute), and never the owner's known addresses.
	LoginAccountFreeFailures = 100
	loginAccountMaxBackoff   = time.Minute
	// loginKnownFor is how long a successful sign-in makes its address
	// known to the account.
	loginKnownFor = 30 * 24 * time.Hour
	// WebSocketsPerProcess bounds the live connections one process holds
	// (about 18 KiB each when idle, so under 1 GiB). It is not per address:
	// API.md forbids limiting public reads per IP address, as many watchers
	// share one. A client turned away reconnects, to another instance if
	// there is one.
	WebSocketsPerProcess = 50_000
)

// Limits are the server's abuse limits. A nil limiter (--no-limits) admits
// everything, so callers never check the flag themselves.
type Limits struct {
	Signup  *RateLimiter // per IP
	Login   *RateLimiter // per IP
	Bids    *RateLimiter // per account; also for bids sent over the WebSocket
	Account *RateLimiter // per account, every other signed-in request
	// LoginFailures backs off repeated failed sign-ins (LoginGuard).
	LoginFailures *LoginGuard
	// WebSockets bounds the live connections of this process (one key).
	WebSockets *ConnLimiter
}

// New returns the limits of a server; off (--no-limits) admits everything.
func New(off bool) *Limits {
	if off {
		return &Limits{}
	}
	return &Limits{
		Signup:        NewRateLimiter(signupPerIPPerMinute/60.0, signupPerIPPerMinute),
		Login:         NewRateLimiter(loginPerIPPerMinute/60.0, loginPerIPPerMinute),
		Bids:          NewRateLimiter(bidsPerSecond, bidBurst),
		Account:       NewRateLimiter(accountPerSecond, accountBurst),
		LoginFailures: NewLoginGuard(),
		WebSockets:    NewConnLimiter(WebSocketsPerProcess),
	}
}

// RateLimited is the 429 rate_limited refusal; it sets Retry-After (whole
// seconds, at least 1) on the response.
func RateLimited(c echo.Context, retry time.Duration, what string) error {
	secs := int(math.Ceil(retry.Seconds()))
	if secs < 1 {
		secs = 1
	}
	c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(secs))
	return auction.Errorf(auction.ERateLimited, "too many %s; try again in %d s", what, secs)
}

// RateLimiter is a token bucket per key (an IP address or an account id).
// Idle keys are forgotten once their bucket would be full again.
type RateLimiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewRateLimiter allows perSecond events a second per key, in bursts of burst.
func NewRateLimiter(perSecond float64, burst int) *RateLimiter {
	return &RateLimiter{limit: rate.Limit(perSecond), burst: burst, now: time.Now, buckets: map[string]*bucket{}}
}

// Allow takes one event from key's bucket; when it is empty it answers false
// and how long until an event would be allowed. A nil limiter allows all.
func (l *RateLimiter) Allow(key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Minute
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep forgets buckets idle long enough to have refilled, at most once a
// minute, so a flood of distinct keys cannot grow memory without bound.
func (l *RateLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	full := time.Duration(float64(l.burst) / float64(l.limit) * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.seen) > full {
			delete(l.buckets, k)
		}
	}
}

// ConnLimiter bounds concurrent connections per key.
type ConnLimiter struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

// NewConnLimiter admits at most max concurrent connections per key.
func NewConnLimiter(max int) *ConnLimiter {
	return &ConnLimiter{max: max, n: map[string]int{}}
}

// Acquire admits one more connection for key, or answers false when key is
// at its maximum. Call release exactly once when the connection ends. A nil
// limiter admits all.
func (l *ConnLimiter) Acquire(key string) (release func(), ok bool) {
	if l == nil {
		return func() {}, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n[key] >= l.max {
		return nil, false
	}
	l.n[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.n[key]--; l.n[key] <= 0 {
				delete(l.n, key)
			}
		})
	}, true
}

// Backoff slows guessing: after free failures for one key, each further
// failure closes the key for base, 2*base, 4*base ... up to max. A success
// clears the key. Used per email for sign-in, so the answer stays the same
// whether the account exists or not.
type Backoff struct {
	free      int
	base, max time.Duration
	now       func() time.Time

	mu        sync.Mutex
	keys      map[string]*failures
	lastSweep time.Time
}

type failures struct {
	count int
	until time.Time
	last  time.Time
}

// NewBackoff returns a Backoff allowing free failures before it starts.
func NewBackoff(free int, base, max time.Duration) *Backoff {
	return &Backoff{free: free, base: base, max: max, now: time.Now, keys: map[string]*failures{}}
}

// Wait tells how long key must still wait before another attempt (0: go).
func (b *Backoff) Wait(key string) time.Duration {
	if b == nil {
		return 0
	}
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if f := b.keys[key]; f != nil && now.Before(f.until) {
		return f.until.Sub(now)
	}
	return 0
}

// Fail records a failed attempt for key.
func (b *Backoff) Fail(key string) {
	if b == nil {
		return
	}
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sweep(now)
	f := b.keys[key]
	if f == nil {
		f = &failures{}
		b.keys[key] = f
	}
	f.count++
	f.last = now
	if over := f.count - b.free; over > 0 {
		d := b.max
		if over <= 30 {
			d = min(b.base<<(over-1), b.max)
		}
		f.until = now.Add(d)
	}
}

// Succeed clears key.
func (b *Backoff) Succeed(key string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	delete(b.keys, key)
	b.mu.Unlock()
}

// sweep forgets keys whose last failure is older than the longest backoff.
func (b *Backoff) sweep(now time.Time) {
	if now.Sub(b.lastSweep) < time.Minute {
		return
	}
	b.lastSweep = now
	for k, f := range b.keys {
		if now.Sub(f.last) > b.max && !now.Before(f.until) {
			delete(b.keys, k)
		}
	}
}

// LoginGuard slows down guessing at a password without handing a stranger a
// way to lock the owner out: failures count per address and account, so
// wrong passwords typed elsewhere never delay the owner's own address; an
// account's failures from addresses it has not been signed into from lately
// count together too, so that guesses spread over many addresses are slowed
// (for at most loginAccountMaxBackoff) but the owner's known addresses are
// never. The answer is the same whether the account exists or not.
type LoginGuard struct {
	pair    *Backoff // key: address + account
	account *Backoff // key: account; unknown addresses only
	now     func() time.Time

	mu    sync.Mutex
	known map[string]time.Time // key: address + account; last success
}

// NewLoginGuard returns the sign-in guard with Gavel's limits.
func NewLoginGuard() *LoginGuard {
	return &LoginGuard{pair: NewBackoff(LoginFreeFailures, time.Second, loginMaxBackoff),
		account: NewBackoff(LoginAccountFreeFailures, time.Second, loginAccountMaxBackoff), now: time.Now, known: map[string]time.Time{}}
}

// LoginKey is the one form an e-mail address is counted under.
func LoginKey(email string) string {
	if e, err := auction.NormalizeEmail(email); err == nil {
		return e
	}
	return strings.ToLower(strings.TrimSpace(email))
}

func pairKey(ip, email string) string { return ip + "\x00" + LoginKey(email) }

// isKnown reports whether ip signed into email lately.
func (g *LoginGuard) isKnown(ip, email string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	at, ok := g.known[pairKey(ip, email)]
	return ok && g.now().Sub(at) < loginKnownFor
}

// Wait tells how long a sign-in to email from ip must still wait (0: go).
// A nil guard never waits.
func (g *LoginGuard) Wait(ip, email string) time.Duration {
	if g == nil {
		return 0
	}
	w := g.pair.Wait(pairKey(ip, email))
	if !g.isKnown(ip, email) {
		w = max(w, g.account.Wait(LoginKey(email)))
	}
	return w
}

// Fail records a failed sign-in to email from ip.
func (g *LoginGuard) Fail(ip, email string) {
	if g == nil {
		return
	}
	g.pair.Fail(pairKey(ip, email))
	if !g.isKnown(ip, email) {
		g.account.Fail(LoginKey(email))
	}
}

// Succeed records a sign-in: the address becomes known to the account and
// its own failures are forgotten.
func (g *LoginGuard) Succeed(ip, email string) {
	if g == nil {
		return
	}
	g.pair.Succeed(pairKey(ip, email))
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.known) > 100_000 {
		for k, at := range g.known {
			if now.Sub(at) >= loginKnownFor {
				delete(g.known, k)
			}
		}
	}
	g.known[pairKey(ip, email)] = now
}
