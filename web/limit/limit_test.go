package limit

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// fakeNow is a hand-moved clock for the limiters.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeNow) advance(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

func TestBidLimitNeverRefusesTwentyPerSecond(t *testing.T) {
	t.Parallel()
	clock := &fakeNow{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	l := New(false).Bids
	l.now = clock.now
	// Ten minutes of 20 bids a second, all at the start of each second (the
	// burstiest way to place them): never refused.
	for s := 0; s < 600; s++ {
		for i := 0; i < 20; i++ {
			if ok, _ := l.Allow("bidder"); !ok {
				t.Fatalf("bid %d of second %d refused", i, s)
			}
		}
		clock.advance(time.Second)
	}
	// A script firing far faster is stopped, with a short wait.
	refused := 0
	var retry time.Duration
	for i := 0; i < 500; i++ {
		if ok, d := l.Allow("bidder"); !ok {
			refused++
			retry = d
		}
	}
	if refused == 0 || retry <= 0 || retry > time.Second {
		t.Fatalf("500 bids at once: %d refused, retry after %v", refused, retry)
	}
	// Another bidder is unaffected.
	if ok, _ := l.Allow("other"); !ok {
		t.Fatal("one bidder's flood refused another")
	}
}

func TestSignupAndLoginLimitsAllowSixtyPerMinute(t *testing.T) {
	t.Parallel()
	for name, l := range map[string]*RateLimiter{"signup": New(false).Signup, "login": New(false).Login} {
		clock := &fakeNow{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
		l.now = clock.now
		// An hour of 60 a minute from one address, at once each minute.
		for m := 0; m < 60; m++ {
			for i := 0; i < 60; i++ {
				if ok, _ := l.Allow("203.0.113.1"); !ok {
					t.Fatalf("%s %d of minute %d refused", name, i, m)
				}
			}
			clock.advance(time.Minute)
		}
		n := 0
		for ok := true; ok; n++ {
			ok, _ = l.Allow("203.0.113.1")
		}
		if n > 200 {
			t.Fatalf("%s: %d at once before a refusal", name, n)
		}
	}
}

func TestRateLimiterForgetsIdleKeys(t *testing.T) {
	t.Parallel()
	clock := &fakeNow{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	l := NewRateLimiter(1, 5)
	l.now = clock.now
	for i := 0; i < 1000; i++ {
		l.Allow(string(rune('a'+i%26)) + string(rune(i)))
	}
	clock.advance(2 * time.Minute)
	l.Allow("fresh")
	if n := len(l.buckets); n != 1 {
		t.Fatalf("%d buckets after the sweep, want 1", n)
	}
}

func TestLoginBackoff(t *testing.T) {
	t.Parallel()
	clock := &fakeNow{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	b := NewBackoff(LoginFreeFailures, time.Second, loginMaxBackoff)
	b.now = clock.now
	for i := 0; i < LoginFreeFailures; i++ {
		if w := b.Wait("a@example.test"); w != 0 {
			t.Fatalf("wait %v after %d failures", w, i)
		}
		b.Fail("a@example.test")
	}
	// Each further failure doubles the wait: 1 s, 2 s, 4 s ...
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
		b.Fail("a@example.test")
		if w := b.Wait("a@example.test"); w != want {
			t.Fatalf("after %d extra failures wait %v, want %v", i+1, w, want)
		}
		clock.advance(want)
		if w := b.Wait("a@example.test"); w != 0 {
			t.Fatalf("still waiting %v after the backoff", w)
		}
	}
	// Capped.
	for i := 0; i < 40; i++ {
		b.Fail("a@example.test")
	}
	if w := b.Wait("a@example.test"); w != loginMaxBackoff {
		t.Fatalf("capped wait %v, want %v", w, loginMaxBackoff)
	}
	if w := b.Wait("b@example.test"); w != 0 {
		t.Fatal("another account is slowed down")
	}
	b.Succeed("a@example.test")
	if w := b.Wait("a@example.test"); w != 0 {
		t.Fatal("a success does not clear the backoff")
	}
}

// guardAt returns a sign-in guard on a hand-moved clock.
func guardAt(clock *fakeNow) *LoginGuard {
	g := NewLoginGuard()
	g.now, g.pair.now, g.account.now = clock.now, clock.now, clock.now
	return g
}

// TestLoginGuardStrangerCannotLockOut: a stranger's wrong passwords, from
// one address or spread over many, never delay the owner at an address they
// signed in from; the stranger's own address is slowed, and so are unknown
// addresses once guesses spread wide, for at most a minute.
func TestLoginGuardStrangerCannotLockOut(t *testing.T) {
	t.Parallel()
	clock := &fakeNow{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	g := guardAt(clock)
	const owner, stranger = "198.51.100.7", "203.0.113.9"
	// Before any success: the owner's first address is unknown, and still
	// not delayed by a stranger at one address.
	for i := 0; i < 3*LoginFreeFailures; i++ {
		g.Fail(stranger, "alice@example.test")
	}
	if w := g.Wait(stranger, "ALICE@example.test"); w == 0 {
		t.Fatal("the guessing address is not slowed down")
	}
	if w := g.Wait(owner, "alice@example.test"); w != 0 {
		t.Fatalf("the owner waits %v for a stranger's failures", w)
	}
	g.Succeed(owner, "alice@example.test")
	// A spread-out attack: one guess from each of many addresses.
	for i := 0; i < 3*LoginAccountFreeFailures; i++ {
		g.Fail(fmt.Sprintf("192.0.2.%d/%d", i%250, i), "alice@example.test")
	}
	if w := g.Wait("192.0.2.251", "alice@example.test"); w == 0 || w > loginAccountMaxBackoff {
		t.Fatalf("a new address during a spread attack waits %v, want (0, %v]", w, loginAccountMaxBackoff)
	}
	if w := g.Wait(owner, "alice@example.test"); w != 0 {
		t.Fatalf("the owner's known address waits %v", w)
	}
	// The owner's own typos slow only the owner's address, as anyone's.
	for i := 0; i <= LoginFreeFailures; i++ {
		g.Fail(owner, "alice@example.test")
	}
	if w := g.Wait(owner, "alice@example.test"); w == 0 {
		t.Fatal("the owner's own repeated failures are not slowed")
	}
	if w := g.Wait(owner, "bob@example.test"); w != 0 {
		t.Fatal("another account is slowed at the owner's address")
	}
	// A known address stays known for 30 days.
	clock.advance(loginKnownFor)
	if g.isKnown(owner, "alice@example.test") {
		t.Fatal("an address is known forever")
	}
}

func TestConnLimiterConcurrent(t *testing.T) {
	t.Parallel()
	l := NewConnLimiter(10)
	var admitted atomic.Int64
	releases := make(chan func(), 100)
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if release, ok := l.Acquire("198.51.100.1"); ok {
				admitted.Add(1)
				releases <- release
			}
		}()
	}
	wg.Wait()
	close(releases)
	if n := admitted.Load(); n != 10 {
		t.Fatalf("%d admitted, want 10", n)
	}
	if _, ok := l.Acquire("198.51.100.2"); !ok {
		t.Fatal("another address is refused")
	}
	for release := range releases {
		release()
		release() // a second call is harmless
	}
	if _, ok := l.Acquire("198.51.100.1"); !ok {
		t.Fatal("released connections still count")
	}
	if n := l.n["198.51.100.1"]; n != 1 {
		t.Fatalf("count %d after releases and one acquire, want 1", n)
	}
}

func TestNoLimitsAdmitsEverything(t *testing.T) {
	t.Parallel()
	l := New(true)
	for i := 0; i < 10000; i++ {
		if ok, _ := l.Bids.Allow("x"); !ok {
			t.Fatal("bid refused with --no-limits")
		}
		if ok, _ := l.Signup.Allow("x"); !ok {
			t.Fatal("sign-up refused with --no-limits")
		}
		l.LoginFailures.Fail("x", "y")
		if _, ok := l.WebSockets.Acquire("x"); !ok {
			t.Fatal("WebSocket refused with --no-limits")
		}
	}
	if l.LoginFailures.Wait("x", "y") != 0 {
		t.Fatal("login backoff with --no-limits")
	}
}

// Live connections stay below the open-file limit, leaving a reserve for
// the rest of the process, and the limit in force is what the process may
// open.
func TestLiveConnectionsBelowOpenFiles(t *testing.T) {
	t.Parallel()
	for _, files := range []uint64{100, 1024, 1500, 20_000, 65_536, 1 << 20} {
		n := LiveConnections(files)
		if n < 1 || uint64(n) >= files || n > WebSocketsPerProcess || (files > 2*reservedFiles && uint64(n) > files-max(reservedFiles, files/10)) {
			t.Errorf("%d open files: %d live connections", files, n)
		}
	}
	if n := LiveConnections(20_000); n != 18_000 {
		t.Errorf("20,000 open files: %d live connections, want 18,000", n)
	}
	got := RaiseOpenFiles()
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil || got != r.Cur || r.Cur != r.Max {
		t.Fatalf("raised to %d; in force %+v (%v)", got, r, err)
	}
}
