// Package limit holds Gavel's abuse limits: token buckets per key, a cap on
// concurrent connections and a backoff on repeated failures. They never
// refuse what API.md promises. With a Store shared by every instance on the
// database (NewShared), sign-up and sign-in limits are kept in it, and the
// per-account limits are decided in memory and synced with it in the
// background (Limits.Share), so a cluster counts one budget per key; the
// connection cap stays per process.
package limit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
)

// Abuse limits. API.md fixes the floor: a bidder may always place 20 bids a
// second, bids and public reads are never limited per IP address (a whole
// office or campus bids from one address), and one address may sign up and
// sign in at least 60 times a minute. Each limit here sits well above that
// floor; they only stop scripts. All of them but the connection cap are
// shared by the instances on one database (NewShared).
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
	// reservedFiles are the descriptors a process keeps for everything but
	// live connections (database pool, HTTP requests, files), at the least.
	reservedFiles = 1024
)

// RaiseOpenFiles raises this process's open-file limit as far as the system
// allows (the hard limit up to the kernel's nr_open where the process may,
// then the soft limit to the hard one) and returns the limit in force.
func RaiseOpenFiles() uint64 {
	var r syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r) != nil {
		return 0
	}
	const nrOpen = 1 << 20 // the kernel's default fs.nr_open
	if r.Max < nrOpen {
		if up := (syscall.Rlimit{Cur: nrOpen, Max: nrOpen}); syscall.Setrlimit(syscall.RLIMIT_NOFILE, &up) == nil {
			r = up
		}
	}
	if r.Cur < r.Max {
		up := syscall.Rlimit{Cur: r.Max, Max: r.Max}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &up) == nil {
			r = up
		}
	}
	return r.Cur
}

// LiveConnections is how many live connections a process that may open
// openFiles descriptors holds at most: what the limit leaves after a reserve
// for everything else (a tenth, at least reservedFiles), and never more than
// WebSocketsPerProcess. A connection past it is turned away with 503 and
// Retry-After instead of failing the process's accept loop; 0 files means
// the limit is unknown (WebSocketsPerProcess).
func LiveConnections(openFiles uint64) int {
	if openFiles == 0 {
		return WebSocketsPerProcess
	}
	reserve := max(reservedFiles, openFiles/10)
	if openFiles <= reserve {
		return 1
	}
	return int(min(openFiles-reserve, WebSocketsPerProcess))
}

// Store keeps limit state where every instance on the database sees it
// (auction/postgres/pglimit). Keys reach it hashed.
type Store interface {
	// Take takes one event from key's bucket of burst events refilled one
	// per interval; when it is empty it answers false and how long until
	// an event fits.
	Take(ctx context.Context, key string, interval time.Duration, burst int) (bool, time.Duration, error)
	// Spend adds to the bucket of each keys[i] the events[i] events one
	// instance admitted by itself since since, each worth interval: the
	// bucket's tat becomes greatest(tat, since) + events[i]*interval, never
	// refused (the events happened). It returns each key's tat after, in
	// the order of keys, in the instances' time (see Limits.Share).
	Spend(ctx context.Context, keys []string, events []int, since time.Time, interval time.Duration) ([]time.Time, error)
	// Fail records a failure of key: after free failures each one closes
	// the key for base, 2*base, 4*base ... up to most.
	Fail(ctx context.Context, key string, free int, base, most time.Duration) error
	// Wait tells how long key must still wait (0: go).
	Wait(ctx context.Context, key string) (time.Duration, error)
	// Clear forgets key's failures.
	Clear(ctx context.Context, key string) error
	// Mark remembers key for ttl; Marked tells whether it is remembered.
	Mark(ctx context.Context, key string, ttl time.Duration) error
	Marked(ctx context.Context, key string) (bool, error)
}

// storeTimeout bounds a check in the shared store, and one sync. A store
// that does not answer admits: the request it guards needs the same
// database and fails there if it is down, and a limit must never refuse for
// its own failure.
const storeTimeout = 2 * time.Second

// SyncEvery is how often a per-account limiter sends what it admitted to
// the shared store and learns what the other instances admitted. Shorter
// brings the instances closer to one budget (the overshoot grows with it,
// see Limits.Share) for one statement per limiter and period on the database.
const SyncEvery = 250 * time.Millisecond

// shared is a limiter's place in a Store.
type shared struct {
	store Store
	name  string
}

// key is how a limiter's key is stored: named and hashed, so that the store
// holds no address or e-mail in the clear, whatever its length.
func (s *shared) key(k string) string {
	h := sha256.Sum256([]byte(k))
	return s.name + ":" + hex.EncodeToString(h[:16])
}

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

// NewShared returns a server's limits shared through store by every
// instance on the database, so that a cluster counts one budget per key.
// Sign-ups, sign-ins and the sign-in backoff are checked in the store, one
// statement each. Bids and other signed-in requests are decided in memory,
// as on one instance: a statement per bid would put a database round trip on
// the bid path, which comes first; Limits.Share syncs them with the store in
// the background. now is the clock of the per-account buckets: the
// database's as this process keeps it (postgres.DBClock), so that the
// instances' times agree in the shared buckets; nil is this machine's clock.
// off (--no-limits) admits everything.
func NewShared(off bool, store Store, now func() time.Time) *Limits {
	l := New(off)
	if off || store == nil {
		return l
	}
	l.Signup.shared = &shared{store: store, name: "signup"}
	l.Login.shared = &shared{store: store, name: "login"}
	l.LoginFailures.pair.shared = &shared{store: store, name: "login-pair"}
	l.LoginFailures.account.shared = &shared{store: store, name: "login-account"}
	l.LoginFailures.shared = &shared{store: store, name: "login-known"}
	for _, r := range []struct {
		lim  *RateLimiter
		name string
	}{{l.Bids, "bids"}, {l.Account, "account"}} {
		r.lim.synced = &shared{store: store, name: r.name}
		if now != nil {
			r.lim.now = now
		}
	}
	return l
}

// Share keeps the per-account limits of NewShared shared until ctx ends:
// every SyncEvery each one sends, in one statement, how many events each of
// its keys admitted here since the last sync (keys with none are not sent),
// and takes each key's shared bucket back as its own, plus what it admitted
// while the statement ran (RateLimiter.Sync). Requests never wait for it: a
// store that does not answer leaves the limits local (log says so once) and
// the counts go with the next sync.
//
// So each instance sees the others' use of a key within a sync period, and
// a script spread over n instances gets little more than one budget: at any
// moment the cluster has admitted at most burst + rate*t plus
// (n-1)*(burst + 2*rate*SyncEvery) events of a key (the other instances may
// each have admitted, unseen, a full bucket when they first met the key and
// about two periods' refill since the last sync this one saw; for bids on
// three instances that is 2*(80 + 20) = 200 bids). The overshoot does not
// grow with time: it stays in the shared bucket as debt, and every instance
// refuses the key until the cluster is back within one budget, but for
// what the others admitted since the last sync it saw (at most two periods'
// refill each). A stale view is never stricter than the shared bucket,
// which only grows; and the floor is not at risk: a bidder at 20 bids a
// second, however spread, leaves the shared bucket (80 bids) about half
// full at the most.
//
// log (nil: none) hears when the store stops and starts answering again.
func (l *Limits) Share(ctx context.Context, log *slog.Logger) {
	if l == nil {
		return
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var wg sync.WaitGroup
	for _, r := range []*RateLimiter{l.Bids, l.Account} {
		if r != nil && r.synced != nil {
			wg.Go(func() { r.share(ctx, log) })
		}
	}
	wg.Wait()
}

// share syncs l every SyncEvery until ctx ends.
func (l *RateLimiter) share(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(SyncEvery)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sctx, cancel := context.WithTimeout(ctx, storeTimeout)
		err := l.Sync(sctx)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			failing = true
			log.Warn("per-account limits are per instance until the database answers", "limit", l.synced.name, "err", err)
		case err == nil && failing:
			failing = false
			log.Info("per-account limits are shared again", "limit", l.synced.name)
		}
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

// RateLimiter is a token bucket per key (an IP address or an account id),
// kept as the generic cell rate algorithm keeps it: one time per key, the
// theoretical arrival time (tat) of the next event; each event pushes it on
// by one interval, and an event fits while tat stays within the burst's
// window of now. Idle keys are forgotten once their bucket is full again.
type RateLimiter struct {
	interval time.Duration // one event's share of the bucket
	burst    int
	window   time.Duration // the whole bucket: burst intervals
	now      func() time.Time
	// shared, when set, keeps the buckets in a Store instead of here.
	shared *shared
	// synced, when set, shares the buckets kept here through a Store
	// (Sync); the buckets then count what they admitted since the last sync.
	synced *shared
	// syncing makes syncs one at a time.
	syncing sync.Mutex

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tat time.Time
	// spent is how many events this bucket admitted since the last sync
	// took its count, first the time of the first of them.
	spent int
	first time.Time
}

// NewRateLimiter allows perSecond events a second per key, in bursts of burst.
func NewRateLimiter(perSecond float64, burst int) *RateLimiter {
	interval := time.Duration(float64(time.Second) / perSecond)
	return &RateLimiter{interval: interval, burst: burst, window: time.Duration(burst) * interval, now: time.Now, buckets: map[string]*bucket{}}
}

// later is the later of two times.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Allow takes one event from key's bucket; when it is empty it answers false
// and how long until an event would be allowed. A nil limiter allows all.
// A synced limiter decides here, from memory, whatever the store does.
func (l *RateLimiter) Allow(key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	if l.shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		ok, retry, err := l.shared.store.Take(ctx, l.shared.key(key), l.interval, l.burst)
		return ok || err != nil, retry
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{}
		l.buckets[key] = b
	}
	tat := later(b.tat, now).Add(l.interval)
	if wait := tat.Sub(now) - l.window; wait > 0 {
		return false, wait
	}
	b.tat = tat
	if l.synced != nil {
		if b.spent == 0 {
			b.first = now
		}
		b.spent++
	}
	return true, 0
}

// Sync shares what this limiter admitted: it sends, in one call to the
// store, each key's events since the last sync, placed from the first of
// them, and makes each key's bucket the shared one, plus the events it
// admitted here while the call ran, so that every event is counted once.
// Keys with no events are not sent: their buckets learn of the other
// instances at their next event's sync. On failure the counts stay, for
// the next sync. Requests are decided meanwhile: the lock is held only to
// take the counts and to apply the answer.
func (l *RateLimiter) Sync(ctx context.Context) error {
	if l == nil || l.synced == nil {
		return nil
	}
	l.syncing.Lock()
	defer l.syncing.Unlock()
	var (
		keys, stored []string
		events       []int
		firsts       []time.Time
		since        time.Time
	)
	l.mu.Lock()
	for k, b := range l.buckets {
		if b.spent == 0 {
			continue
		}
		keys, events, firsts = append(keys, k), append(events, b.spent), append(firsts, b.first)
		// One start for the whole batch, so that the store places every
		// key's events with one statement: the earliest event. A key whose
		// events began later is placed up to a sync period early, which
		// only ever admits more, and only while the shared bucket was full.
		if since.IsZero() || b.first.Before(since) {
			since = b.first
		}
		b.spent = 0
	}
	l.mu.Unlock()
	if len(keys) == 0 {
		return nil
	}
	stored = make([]string, len(keys))
	for i, k := range keys {
		stored[i] = l.synced.key(k)
	}
	tats, err := l.synced.store.Spend(ctx, stored, events, since, l.interval)
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, k := range keys {
		// A bucket swept meanwhile was full: its events no longer weigh here.
		b := l.buckets[k]
		if b == nil {
			continue
		}
		if err != nil {
			if b.spent == 0 || firsts[i].Before(b.first) {
				b.first = firsts[i]
			}
			b.spent += events[i]
			continue
		}
		tat := tats[i]
		if b.spent > 0 {
			tat = later(tat, b.first).Add(time.Duration(b.spent) * l.interval)
		}
		b.tat = tat
	}
	return err
}

// forgetAfter is how long a synced bucket that is full again keeps counts
// the store has not taken: past it they are dropped (the store did not
// answer for that long, and the limit was this instance's meanwhile).
const forgetAfter = time.Minute

// sweep forgets buckets that are full again, at most once a minute, so a
// flood of distinct keys cannot grow memory without bound. A full bucket
// is the same as a new one, unless it still has events to sync.
func (l *RateLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	for k, b := range l.buckets {
		if !b.tat.After(now) && (b.spent == 0 || now.Sub(b.tat) > forgetAfter) {
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
	// shared, when set, keeps the failures in a Store instead of here.
	shared *shared

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
	if b.shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		wait, _ := b.shared.store.Wait(ctx, b.shared.key(key))
		return wait
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
	if b.shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		_ = b.shared.store.Fail(ctx, b.shared.key(key), b.free, b.base, b.max)
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
	if b.shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		_ = b.shared.store.Clear(ctx, b.shared.key(key))
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
	// shared, when set, keeps the known addresses in a Store instead.
	shared *shared
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
	if g.shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		known, _ := g.shared.store.Marked(ctx, g.shared.key(pairKey(ip, email)))
		return known
	}
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
	if g.shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		_ = g.shared.store.Mark(ctx, g.shared.key(pairKey(ip, email)), loginKnownFor)
		return
	}
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
