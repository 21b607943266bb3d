package auction

import (
	"sync"
	"time"
)

// A bid's time is the moment the server received it (Art. 20), not the moment
// its batch took the auction's row lock: under load, or behind the batch
// before it, a bid received in the last second may be decided after ends_at,
// and must still be decided as of its arrival. Two things follow.
//
//   - Each bid carries its Arrival, stamped by the clock when the request
//     was read (the HTTP handler, the socket's reader), through the queue to
//     the decision, placed_at, the extension and the record.
//   - The close of an auction must wait for every bid received before its
//     end, including bids still waiting in another instance's memory. Each
//     process therefore publishes a horizon with every heartbeat (Horizon,
//     service_runs.received_through): every bid it received before that
//     moment has been decided. An auction closes only when every running
//     process's horizon has passed its end (tick.go), and in any case once
//     MaxBidWait has passed since its end, because no bid may wait longer.
//   - A bid received after the end as stored waits, out of its batch, until
//     every bid received before it has been decided, here and in every
//     other running process (the horizons again): one of them may extend
//     the end past it (postgres/late.go).

// MaxBidWait bounds how long a bid may wait between its arrival and its
// decision: a bid decided later than this is refused with 503
// service_unavailable (the client may retry, which is a new arrival), so that
// no arrival older than this can change an auction. It equals the request
// budget: the bidder has been answered with a timeout by then anyway.
const MaxBidWait = 10 * time.Second

// Arrivals keeps the bids this process received and has not yet decided, so
// that its horizon never passes one of them.
type Arrivals struct {
	clock Clock
	// mu makes reading the clock and registering an arrival one step, so
	// that a horizon computed meanwhile cannot pass an arrival not yet
	// registered. It is held for a clock read and a map write.
	mu      sync.Mutex
	pending map[*Arrival]struct{}
	// last is the latest time handed out, so that horizons and arrivals
	// never go backwards even if the clock did.
	last time.Time
	// ended, when a late bid waits for the arrivals before it
	// (EarlierEnded), is closed at the next end of an arrival; nil when
	// nobody waits, so that ending an arrival costs nothing more.
	ended chan struct{}
}

// NewArrivals returns a tracker stamping arrivals with clock.
func NewArrivals(clock Clock) *Arrivals {
	return &Arrivals{clock: clock, pending: map[*Arrival]struct{}{}}
}

// Arrival is the moment a bid was received. It stays pending, holding back
// the process's horizon, until everyone holding it has released it: the
// request that received it and the queue that decides it.
type Arrival struct {
	// At is the bid's time.
	At time.Time

	of   *Arrivals
	refs int // guarded by of.mu
}

// now is the clock's time, never before one already handed out; a.mu held.
func (a *Arrivals) now() time.Time {
	t := a.clock.Now()
	if t.Before(a.last) {
		t = a.last
	}
	a.last = t
	return t
}

// Arrive stamps a bid received now; the caller releases it once the bid has
// been decided or refused.
func (a *Arrivals) Arrive() *Arrival {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := &Arrival{At: a.now(), of: a, refs: 1}
	a.pending[r] = struct{}{}
	return r
}

// Hold adds a holder: the queue holds a bid until its batch has ended, also
// when the request that brought it gave up waiting.
func (r *Arrival) Hold() {
	r.of.mu.Lock()
	r.refs++
	r.of.mu.Unlock()
}

// Release drops one holder; the last one ends the arrival.
func (r *Arrival) Release() {
	a := r.of
	a.mu.Lock()
	defer a.mu.Unlock()
	if r.refs--; r.refs == 0 {
		delete(a.pending, r)
		if a.ended != nil {
			close(a.ended)
			a.ended = nil
		}
	}
}

// EarlierEnded reports whether every other bid this process received before
// r has been decided: the horizon as r sees it, leaving out r itself (held
// while it waits) and arrivals at the same moment (no order between them).
// When not, next is closed as soon as some arrival ends, to ask again.
func (r *Arrival) EarlierEnded() (ended bool, next <-chan struct{}) {
	a := r.of
	a.mu.Lock()
	defer a.mu.Unlock()
	for o := range a.pending {
		if o != r && o.At.Before(r.At) {
			if a.ended == nil {
				a.ended = make(chan struct{})
			}
			return false, a.ended
		}
	}
	return true, nil
}

// Horizon is the moment before which every bid this process received has
// been decided: the oldest pending arrival, or now when none is pending.
func (a *Arrivals) Horizon() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	h := a.now()
	for r := range a.pending {
		if r.At.Before(h) {
			h = r.At
		}
	}
	return h
}
