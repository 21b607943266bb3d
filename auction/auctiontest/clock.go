// Package auctiontest provides what tests of Gavel need to control the
// auction domain from outside: a clock the test moves by hand, and a World
// (world.go) of a store on a database of its own with the case, lot,
// auction and qualified bidders most tests start from.
package auctiontest

import (
	"sync"
	"time"

	"gavel/auction"
)

// Start is the moment test clocks start at unless a test says otherwise: a
// fixed instant, so that schedules and golden files do not depend on the day
// the tests run.
var Start = time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)

// Clock is an auction.Clock that stands still until the test moves it. It is
// safe for concurrent use, as the store and the servers read it from many
// goroutines.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

var _ auction.Clock = (*Clock)(nil)

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock {
	c := &Clock{}
	c.Set(t)
	return c
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t, in UTC and to the microsecond PostgreSQL keeps,
// so that a time read back from the database equals the one written.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t.UTC().Truncate(time.Microsecond)
	c.mu.Unlock()
}

// Advance moves the clock forward by d, in one step: two goroutines
// advancing at once move it by the sum.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d).Truncate(time.Microsecond)
	c.mu.Unlock()
}
