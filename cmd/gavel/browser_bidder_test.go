package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gavel/auction/auctiontest"
	"gavel/auction/notice"
)

// contrastJS defines contrast(a, b): the WCAG contrast ratio of two CSS
// colours as getComputedStyle gives them.
const contrastJS = `window.contrast = (a, b) => {
	const lum = c => {
		const [r, g, b] = c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map(v => {
			v /= 255;
			return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
		});
		return 0.2126 * r + 0.7152 * g + 0.0722 * b;
	};
	const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
	return (x + 0.05) / (y + 0.05);
}; ''`

// The bidder's page in the last minutes, as the bidder sees it.
func TestBrowserBidderLastMinutes(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newChrome(t)
	a := s.auction(t, lotSpec{})
	alice, _ := s.bidder(t, "")
	bob, _ := s.bidder(t, "")
	s.qualify(t, alice, a.ID)
	s.qualify(t, bob, a.ID)
	s.setClock(t, a.StartsAt)

	A := c.tab(t, "alice", s.url)
	A.signIn(alice.Email, auctiontest.Password)
	A.open("/auctions/" + a.ID)
	A.eval(contrastJS)
	A.do(click("#bid-next"))
	A.waitJS(`document.getElementById('bid-next').classList.contains('leading')`, time.Now().Add(10*time.Second))
	// "You lead" is readable: AA for its text.
	if r := A.number(`(() => { const b = getComputedStyle(document.getElementById('bid-next')); return contrast(b.color, b.backgroundColor); })()`); r < 4.5 {
		t.Errorf("\"you lead\" contrast %.2f:1, want at least 4.5:1", r)
	}
	// The focus ring on the red header stands out from it (3:1 for non-text).
	A.eval(`document.querySelector('.top nav a').focus(); ''`)
	if r := A.number(`contrast(getComputedStyle(document.querySelector('.top nav a')).outlineColor, getComputedStyle(document.querySelector('.top')).backgroundColor)`); r < 3 {
		t.Errorf("header focus ring contrast %.2f:1, want at least 3:1", r)
	}
	top := `Math.round(document.getElementById('bid-next').getBoundingClientRect().top + scrollY)`
	before := A.number(top)

	// Outbid by bob: a banner, not only a screen reader's message.
	wantStatus(t, s.bid(t, bob, a.ID, a.StartPrice+a.Increment), 201)
	A.waitJS(`!document.getElementById('outbid').hidden && document.getElementById('outbid').textContent.includes('您的出价已被超过')`, time.Now().Add(10*time.Second))
	if A.number(top) != before {
		t.Errorf("the bid button moved when the outbid banner showed")
	}

	// In the final minutes a bid extends the end: the announcement shows and
	// the button stays where the finger is.
	s.setClock(t, a.EndsAt.Add(-time.Minute))
	A.do(click("#bid-next"))
	A.waitJS(`document.getElementById('announce').textContent.length > 0`, time.Now().Add(10*time.Second))
	if after := A.number(top); after != before {
		t.Errorf("the bid button moved from %v to %v when the extension was announced", before, after)
	}
	A.shot("50-last-minutes")

	// A typed amount far above the next step is sent only when submitted twice.
	wantStatus(t, s.bid(t, bob, a.ID, a.StartPrice+3*a.Increment), 201)
	A.waitJS(`!document.getElementById('outbid').hidden`, time.Now().Add(10*time.Second))
	high := a.StartPrice + 100*a.Increment
	A.do(chromedp.SendKeys(chromedp.ID("bid-amount"), fmt.Sprint(high/100)), click(`#bid-form button[type="submit"]`))
	A.waitJS(`document.getElementById('bid-msg').textContent.includes('远高于')`, time.Now().Add(10*time.Second))
	if n := len(s.bids(t, a.ID)); n != 4 {
		t.Fatalf("%d bids after one submit of a far higher amount, want 4 (nothing sent)", n)
	}
	A.do(click(`#bid-form button[type="submit"]`))
	A.waitJS(`document.getElementById('bid-next').classList.contains('leading')`, time.Now().Add(10*time.Second))

	// After the close: the final price, what is owed and by when.
	final := s.view(t, a.ID)
	s.setClock(t, final.EndsAt)
	want := fmt.Sprintf("您以 %s 竞得，应缴余款 %s", notice.Money(high), notice.Money(high-a.Deposit))
	A.waitJS(fmt.Sprintf(`document.getElementById('won').textContent.startsWith(%q)`, want), time.Now().Add(10*time.Second))
	A.open("/auctions/" + a.ID) // and so it says after a reload
	if got := A.text("#won"); !strings.HasPrefix(got, want) {
		t.Errorf("after the close: %q", got)
	}
	A.shot("51-won")
	B := c.tab(t, "bob", s.url)
	B.signIn(bob.Email, auctiontest.Password)
	B.open("/auctions/" + a.ID)
	if got := B.text("#lost"); !strings.HasPrefix(got, "成交价 "+notice.Money(high)+"，您未竞得。保证金 "+notice.Money(a.Deposit)+" 将于") {
		t.Errorf("the loser's summary: %q", got)
	}
	B.open("/me")
	if got := B.text(`tr[data-registration] td:last-child`); got != "未竞得" {
		t.Errorf("/me outcome: %q", got)
	}

	// On a phone the catalogue's filters fold away.
	B.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	B.open("/")
	if B.eval(`String(document.getElementById('court').offsetParent === null)`) != "true" {
		t.Error("the filters are open on a phone")
	}
	B.do(click(".filters-toggle"))
	if B.eval(`String(document.getElementById('court').offsetParent !== null && document.querySelector('.filters-toggle').getAttribute('aria-expanded'))`) != "true" {
		t.Error("the filters do not unfold")
	}
	B.shot("52-phone-filters")
	// And the bid history fits the phone's screen.
	B.open("/auctions/" + a.ID)
	if fits := B.eval(`(() => { const t = document.querySelector('table.history'); return String(t.scrollWidth <= t.parentElement.clientWidth); })()`); fits != "true" {
		t.Error("the bid history is wider than a phone's screen")
	}
	B.shot("53-phone-auction")
}
