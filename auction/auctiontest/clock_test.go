package auctiontest_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"gavel/auction"
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

// TestResidentID: generated numbers pass the one validation and differ by key.
func TestResidentID(t *testing.T) {
	seen := map[string]string{}
	for i := 0; i < 2000; i++ {
		key := fmt.Sprintf("bidder-%d", i)
		n := auctiontest.ResidentID(key)
		id, err := auction.ParseIdentity("id_number", auction.IDResident, n, auctiontest.Start)
		if err != nil || id.Number != n {
			t.Fatalf("%s: %q: %v", key, n, err)
		}
		if other, dup := seen[n]; dup {
			t.Fatalf("%s and %s share %s", key, other, n)
		}
		seen[n] = key
		c := auctiontest.CompanyID(key)
		if _, err := auction.ParseIdentity("id_number", auction.IDCompany, c, auctiontest.Start); err != nil {
			t.Fatalf("%s: %q: %v", key, c, err)
		}
	}
}
