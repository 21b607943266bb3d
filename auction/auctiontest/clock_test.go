package auctiontest_test

import (
	"sync"
	"testing"
	"time"

	"gavel/auction/auctiontest"
)

// TestClock: the clock stands still, moves only when told, keeps
// microseconds in UTC, and is safe to read while another goroutine moves it.
func TestClock(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	c := auctiontest.NewClock(at)
	want := time.Date(2026, 3, 1, 2, 0, 0, 123456000, time.UTC)
	if got := c.Now(); !got.Equal(want) || got.Location() != time.UTC {
		t.Fatalf("Now = %v, want %v in UTC", got, want)
	}
	if got := c.Now(); !got.Equal(want) {
		t.Fatalf("the clock moved by itself: %v", got)
	}
	c.Advance(90 * time.Second)
	if got := c.Now(); !got.Equal(want.Add(90 * time.Second)) {
		t.Fatalf("after Advance: %v", got)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 100 {
				if i%2 == 0 {
					c.Advance(time.Millisecond)
				} else {
					_ = c.Now()
				}
			}
		})
	}
	wg.Wait()
	if got := c.Now(); !got.Equal(want.Add(90*time.Second + 400*time.Millisecond)) {
		t.Fatalf("after concurrent advances: %v", got)
	}
}
