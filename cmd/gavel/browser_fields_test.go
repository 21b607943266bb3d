package main

import (
	"strings"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
)

// The clerk's round form shows every server error at once: a round with a
// start price below 70%, a zero increment, a deposit out of range and a
// bidding period of an hour gets one message at each of the four fields
// from one save, each field marked invalid.
func TestBrowserRoundFormShowsAllServerErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newChrome(t)
	const staffPassword = auctiontest.Password // the world's accounts share it
	clerkUser := s.world.In(t).User(auction.RoleClerk, "")
	w := s.world.In(t)
	lot := w.Lot(w.CaseOf(auction.NewCase{}).ID, "朝阳区住宅", 100_000_000)
	clerk := c.tab(t, "clerk", s.url)
	clerk.signIn(clerkUser.Email, staffPassword)
	clerk.open("/clerk/lots/" + lot.ID)
	start := clerk.eval(`document.getElementById('starts_at').value`)
	at, err := time.Parse("2006-01-02T15:04", start)
	if err != nil {
		t.Fatalf("starts_at %q: %v", start, err)
	}
	clerk.do(setValue("#start_price", "1000"), setValue("#increment", "0"), setValue("#deposit", "900"),
		setValue("#ends_at", at.Add(time.Hour).Format("2006-01-02T15:04")), click(`#schedule-form button[type="submit"]`))
	clerk.waitJS(`document.querySelectorAll('#schedule-form .field-error').length >= 4`, time.Now().Add(10*time.Second))
	clerk.shot("23-round-form-all-errors")
	for _, f := range []string{"start_price", "increment", "deposit", "ends_at"} {
		if v := clerk.eval(`document.getElementById('` + f + `').getAttribute('aria-invalid') || ''`); v != "true" {
			t.Errorf("%s is not marked invalid", f)
		}
		if msg := clerk.eval(`(document.getElementById('err-` + f + `') || {}).textContent || ''`); strings.TrimSpace(msg) == "" {
			t.Errorf("no message at %s", f)
		}
	}
	if lot, err := s.store.Lot(s.ctx, lot.ID); err != nil || len(lot.Auctions) != 0 {
		t.Fatalf("a refused round was saved: %+v %v", lot, err)
	}
}
