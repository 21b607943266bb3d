package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"gavel/auction/auctiontest"
	"gavel/auction/notice"
)

// socketsJS keeps the page's WebSockets where the test reaches them
// (window.sockets): window.blockSockets makes new ones close before they
// open, as behind a proxy that drops them, and window.deaf hides the bid
// answers from the page, as when the connection dies after the bid was
// placed.
const socketsJS = `(() => {
	const W = window.WebSocket;
	window.sockets = [];
	window.WebSocket = class extends W {
		constructor(...args) {
			super(...args);
			window.sockets.push(this);
			if (window.blockSockets) this.close();
		}
		set onmessage(f) { super.onmessage = m => { if (!(window.deaf && m.data.includes('"bid_result"'))) f(m); }; }
		get onmessage() { return super.onmessage; }
	};
})();`

// bidPosts counts the server's requests POST /auctions/{id}/bids.
func (s *server) bidPosts() int {
	return strings.Count(s.logs.String(), `"method":"POST","route":"/api/v1/auctions/:id/bids"`)
}

var bidsAnswered = regexp.MustCompile(`(?m)^gavel_bid_duration_seconds_count (\d+)$`)

// bidsAnswered is how many bids the server answered, over HTTP or the socket.
func (s *server) bidsAnswered(t *testing.T) int {
	t.Helper()
	r := s.do(t, "GET", "/metrics", nil, nil)
	wantStatus(t, r, 200)
	m := bidsAnswered.FindSubmatch(r.body)
	if m == nil {
		t.Fatalf("no bid count in /metrics: %s", r.body)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestBrowserBidOverSocket: the page bids on its open live socket, with no
// request of its own, and says what it said over HTTP; a bid whose answer
// the socket loses is sent again over HTTP with the same key and placed once;
// with the socket down the page bids over HTTP.
func TestBrowserBidOverSocket(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newChrome(t)
	a := s.auction(t, lotSpec{})
	alice, _ := s.bidder(t, "")
	bob, _ := s.bidder(t, "")
	codeA := s.qualify(t, alice, a.ID)
	codeB := s.qualify(t, bob, a.ID)
	s.setClock(t, a.StartsAt)

	A := c.tab(t, "alice", s.url, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: socketsJS})
		return err
	}))
	A.signIn(alice.Email, auctiontest.Password)
	A.open("/auctions/" + a.ID)
	A.do(visible("#conn[data-mode='ws']"))
	msg := func(text string) string {
		return fmt.Sprintf(`document.getElementById('bid-msg').textContent === %q`, text)
	}
	// check counts what the server saw. An HTTP bid is logged and counted
	// just after its answer is written, so the counts may take a moment.
	check := func(what string, posts, answered, bids int) {
		t.Helper()
		var p, n, b int
		for end := time.Now().Add(2 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			p, n, b = s.bidPosts(), s.bidsAnswered(t), len(s.bids(t, a.ID))
			if p == posts && n == answered && b == bids || time.Now().After(end) {
				break
			}
		}
		if p != posts || n != answered || b != bids {
			t.Errorf("%s: %d bids sent over HTTP, %d answered, %d placed; want %d, %d, %d", what, p, n, b, posts, answered, bids)
		}
	}

	// One click: placed over the socket, no request.
	first := a.StartPrice
	A.do(click("#bid-next"))
	A.waitJS(msg("出价成功："+notice.Money(first)), time.Now().Add(10*time.Second))
	A.waitJS(fmt.Sprintf(`document.getElementById('leader').textContent === %q`, codeA+"（我）"), time.Now().Add(10*time.Second))
	check("a bid on the socket", 0, 1, 1)

	// A refusal over the socket says what it said over HTTP.
	wantStatus(t, s.bid(t, bob, a.ID, first+a.Increment), 201)
	A.waitJS(fmt.Sprintf(`document.getElementById('leader').textContent === %q`, codeB), time.Now().Add(10*time.Second))
	A.do(setValue("#bid-amount", fmt.Sprint(first/100)), click(`#bid-form button[type="submit"]`))
	A.waitJS(msg("出价过低，当前最低有效出价为 "+notice.Money(first+2*a.Increment)), time.Now().Add(10*time.Second))
	check("a refusal on the socket", 1, 3, 2)

	// The socket places the bid but its answer is lost: after a few seconds
	// the same bid goes over HTTP with the same key, which answers with the
	// first answer and places nothing more.
	A.eval(`window.deaf = true; ''`)
	A.do(click("#bid-next"))
	A.waitJS(msg("出价成功："+notice.Money(first+2*a.Increment)), time.Now().Add(15*time.Second))
	A.eval(`window.deaf = false; ''`)
	check("a bid whose socket answer was lost", 2, 5, 3)

	// With the socket down, the page bids over HTTP.
	wantStatus(t, s.bid(t, bob, a.ID, first+3*a.Increment), 201)
	A.waitJS(fmt.Sprintf(`document.getElementById('leader').textContent === %q`, codeB), time.Now().Add(10*time.Second))
	A.eval(`window.blockSockets = true; window.sockets.forEach(w => w.close()); ''`)
	A.do(visible("#conn[data-mode='poll']"))
	A.do(click("#bid-next"))
	A.waitJS(msg("出价成功："+notice.Money(first+4*a.Increment)), time.Now().Add(10*time.Second))
	check("a bid with the socket down", 4, 7, 5)
}
