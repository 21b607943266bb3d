package main

import (
	"fmt"
	"testing"
	"time"

	"gavel/auction/auctiontest"
	"gavel/auction/notice"
)

// noticeWithin is how soon a notice caused elsewhere must show in the
// header: the page polls every 5 s, plus a loaded machine.
const noticeWithin = 15 * time.Second

// Bidder A is outbid by B, who bids in another browser context: A's header
// badge and notice list update by themselves; A marks them read; A watches
// the auction from its page and finds it on the watch list with its price.
func TestBrowserNotices(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newChrome(t)
	a := s.auction(t, lotSpec{})
	alice, _ := s.bidder(t, "")
	bob, _ := s.bidder(t, "")
	s.qualify(t, alice, a.ID)
	codeB := s.qualify(t, bob, a.ID)
	s.setClock(t, a.StartsAt)
	wantStatus(t, s.bid(t, alice, a.ID, a.StartPrice), 201)

	A := c.tab(t, "alice", s.url)
	A.signIn(alice.Email, auctiontest.Password)
	A.open("/me/notifications")
	A.waitJS(`document.getElementById('notice-count').textContent === '1' && document.querySelectorAll('#notice-list .notice').length === 1`,
		time.Now().Add(noticeWithin))
	A.shot("40-notices-before")

	B := c.tab(t, "bob", s.url)
	B.signIn(bob.Email, auctiontest.Password)
	B.open("/auctions/" + a.ID)
	B.do(click("#bid-next"))
	B.waitJS(fmt.Sprintf(`document.getElementById('leader').textContent.startsWith(%q)`, codeB), time.Now().Add(10*time.Second))

	// Alice's page was not reloaded: the badge and the list follow.
	A.waitJS(`document.getElementById('notice-count').textContent === '2' && Boolean(document.querySelector('#notice-list .notice-outbid.unread'))`,
		time.Now().Add(noticeWithin))
	if got := A.text("#notice-list .notice-outbid .notice-text"); got != "您在「"+s.lotTitle(t, a.LotID)+"」的领先出价已被超越，当前价 "+notice.Money(a.StartPrice+a.Increment)+"。" {
		t.Errorf("outbid notice: %q", got)
	}
	if label := A.eval(`document.getElementById('bell').getAttribute('aria-label')`); label != "通知 2 条未读" {
		t.Errorf("bell label: %q", label)
	}
	A.shot("41-notices-outbid")
	A.do(click("#notices-read"))
	A.waitJS(`document.getElementById('notice-count').hidden && !document.querySelector('#notice-list .unread')`, time.Now().Add(noticeWithin))

	// Watch from the auction page; the watch list shows it, and its price follows bids.
	A.open("/auctions/" + a.ID)
	A.do(click("button.watch"))
	A.waitJS(`document.querySelector('button.watch').getAttribute('aria-pressed') === 'true'`, time.Now().Add(10*time.Second))
	A.open("/me/watchlist")
	if got := A.text(`tr[data-auction="` + a.ID + `"] [data-field="price"]`); got != notice.Money(a.StartPrice+a.Increment) {
		t.Errorf("watch list price: %q", got)
	}
	wantStatus(t, s.bid(t, alice, a.ID, a.StartPrice+2*a.Increment), 201)
	A.waitJS(fmt.Sprintf(`document.querySelector('tr[data-auction] [data-field="price"]').textContent === %q`, notice.Money(a.StartPrice+2*a.Increment)),
		time.Now().Add(noticeWithin))
	A.shot("42-watchlist")

	// The preferences on /me: outbid e-mails off, English.
	A.open("/me")
	A.do(click(`#notice-settings input[data-kind="outbid"][data-channel="email"]`), setValue("#ns-lang", "en"),
		click(`#notice-settings button[type="submit"]`))
	A.waitText("已保存")
	A.shot("43-me-settings")
	set, err := s.m.notices.Settings(s.ctx, alice.ID)
	if err != nil || set.Language != "en" || set.Enabled("email", "outbid") || !set.Enabled("sms", "outbid") || !set.Enabled("email", "won") {
		t.Fatalf("settings saved: %+v, %v", set, err)
	}
}

// lotTitle is the title of the lot, as notices name the auction.
func (s *server) lotTitle(t *testing.T, lotID string) string {
	t.Helper()
	lot, err := s.store.Lot(s.ctx, lotID)
	if err != nil {
		t.Fatal(err)
	}
	return lot.Title
}
