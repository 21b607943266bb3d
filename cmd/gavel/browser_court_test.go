package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gavel/auction"
	"gavel/auction/auctiontest"
)

// TestBrowserCourtActions: a clerk suspends a live auction while a bidder
// watches (the bidder's page shows it at once and its bid button is
// disabled), resumes it (the button comes back), and cancels another
// auction; each action first shows its consequences and asks again.
func TestBrowserCourtActions(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newChrome(t)
	const password = auctiontest.Password // the world's accounts share it
	limit := liveLimit(t)

	live, other := s.auction(t, lotSpec{}), s.auction(t, lotSpec{})
	watcher, _ := s.bidder(t, "")
	rival, _ := s.bidder(t, "")
	s.qualify(t, watcher, live.ID)
	s.qualify(t, rival, live.ID)
	s.qualify(t, rival, other.ID)
	s.setClock(t, live.StartsAt)
	wantStatus(t, s.bid(t, rival, live.ID, live.StartPrice), 201)

	bidder := c.tab(t, "bidder", s.url)
	bidder.signIn(watcher.Email, password)
	bidder.open("/auctions/" + live.ID)
	bidder.do(visible("#bid-next"))
	if bidder.eval(`String(document.getElementById('bid-next').disabled)`) != "false" {
		t.Fatalf("the bid button is disabled while bidding\n%s", bidder.state())
	}

	clerk := c.tab(t, "clerk", s.url)
	clerk.signIn(s.clerk.Email, password)
	clerk.open("/clerk/lots/" + live.LotID)
	const suspend = `details[data-action="suspend"]`
	clerk.do(click(suspend+" summary"), visible(suspend+" textarea"),
		chromedp.SendKeys(chromedp.CSS(suspend+" textarea"), "案外人提出执行异议"), click(suspend+` button[type="submit"]`),
		visible(suspend+" .confirm"))
	// The confirmation names what the suspension touches: two bidders, two
	// deposits held.
	if text := clerk.text(suspend + " .confirm"); !strings.Contains(text, "2 名竞买人") || !strings.Contains(text, "2 份保证金") {
		t.Errorf("suspension consequences: %q", text)
	}
	if got := s.view(t, live.ID).Status; got != auction.StatusBidding {
		t.Fatalf("the first press suspended the auction (%s)", got)
	}
	clerk.shot("20-clerk-confirm-suspend")
	bidder.arm("suspended", `document.getElementById('bid-next').disabled && !document.getElementById('suspended-note').hidden && document.getElementById('suspended-note').textContent.includes('案外人提出执行异议')`)
	start := time.Now()
	clerk.do(click(suspend + ` button[type="submit"]`))
	latency := bidder.mark("suspended").Sub(start)
	t.Logf("the bidder's page showed the suspension after %v", latency)
	if latency > limit {
		t.Errorf("the suspension reached the bidder's page after %v", latency)
	}
	if got := s.view(t, live.ID).Status; got != auction.StatusSuspended {
		t.Fatalf("after the confirmation: %s", got)
	}
	bidder.shot("21-bidder-suspended")
	bidder.phoneShot("22-bidder-suspended-phone")

	// Resume: the page reloaded; the new end is suggested.
	clerk.do(visible("#rounds .status-suspended"), visible(`details[data-action="resume"]`))
	const resume = `details[data-action="resume"]`
	bidder.arm("resumed", `!document.getElementById('bid-next').disabled && document.getElementById('suspended-note').hidden`)
	clerk.do(click(resume+" summary"), visible(resume+` input[name="ends_at"]`), click(resume+` button[type="submit"]`),
		visible(resume+" .confirm"), click(resume+` button[type="submit"]`), visible("#rounds .status-bidding"))
	bidder.mark("resumed")
	if got := s.view(t, live.ID); got.Status != auction.StatusBidding || got.CurrentPrice == nil || *got.CurrentPrice != live.StartPrice {
		t.Fatalf("after resuming: %+v", got)
	}

	// A correction of the lot's text reaches the bidder at once.
	clerk.open("/clerk/lots/" + live.LotID)
	clerk.do(setValue("#c-description", "一套住宅，建筑面积 89.5 平方米"), chromedp.SendKeys(chromedp.ID("c-reason"), "建筑面积笔误"),
		click(`#correct-form button[type="submit"]`), visible("#correct-form .confirm"))
	clerk.shot("29-clerk-correction")
	bidder.arm("corrected", `document.getElementById('announce').textContent.includes('第 1 号')`)
	clerk.do(click(`#correct-form button[type="submit"]`))
	bidder.mark("corrected")
	// The clerk's page reloads after the correction: wait for the new one
	// (its confirmation hidden again) before going elsewhere.
	clerk.waitJS(`document.body.dataset.ready === '1' && document.querySelector('#correct-form .confirm').hidden`, time.Now().Add(20*time.Second))
	if list, err := s.store.Corrections(s.ctx, live.LotID); err != nil || len(list) != 1 || list[0].Changes[0].Old != "一套住宅" {
		t.Fatalf("corrections: %+v %v", list, err)
	}

	// The monitor lists it with its case number and a way to its actions,
	// on a desk and on a phone.
	cs, err := s.store.Case(s.ctx, live.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	clerk.open("/clerk/monitor")
	clerk.waitText(cs.CaseNumber)
	clerk.do(visible(`#monitor tr[data-id="` + live.ID + `"] a[href="/clerk/lots/` + live.LotID + `#court-actions"]`))
	clerk.shot("26-clerk-monitor")
	clerk.phoneShot("27-clerk-monitor-phone")

	// Cancel the other auction: its deposit is released.
	clerk.open("/clerk/lots/" + other.LotID)
	const cancel = `details[data-action="cancel"]`
	clerk.do(click(cancel+" summary"), visible(cancel+" textarea"), chromedp.SendKeys(chromedp.CSS(cancel+" textarea"), "被执行人已履行全部义务"),
		click(cancel+` button[type="submit"]`), visible(cancel+" .confirm"))
	if text := clerk.text(cancel + " .confirm"); !strings.Contains(text, "1 份保证金") || !strings.Contains(text, "24 小时内退还") {
		t.Errorf("cancellation consequences: %q", text)
	}
	clerk.shot("23-clerk-confirm-cancel")
	clerk.do(click(cancel + ` button[type="submit"]`))
	clerk.waitText("已撤回")
	if got := s.view(t, other.ID).Status; got != auction.StatusCancelled {
		t.Fatalf("after cancelling: %s", got)
	}
	var deposits []auction.Deposit
	deposits, err = s.store.Deposits(s.ctx, other.ID)
	if err != nil || len(deposits) != 1 || deposits[0].Status != auction.DepositRefundPending {
		t.Fatalf("deposits after cancelling: %+v %v", deposits, err)
	}
	clerk.shot("24-clerk-cancelled")

	// A new round of the same kind may be scheduled. The form shows every
	// error at once, in Chinese, the early start naming the earliest legal
	// one, before anything is sent.
	tomorrow := s.now().Add(24 * time.Hour).In(shanghai.Zone).Format("2006-01-02T15:04")
	clerk.do(setValue("#starts_at", tomorrow), setValue("#increment", "abc"), click(`#schedule-form button[type="submit"]`),
		visible("#err-starts_at"), visible("#err-increment"))
	if msg := clerk.text("#err-starts_at"); !strings.Contains(msg, "公告期不足：本轮最早可于") {
		t.Errorf("early start: %q", msg)
	}
	if msg := clerk.text("#err-increment"); msg != "请输入以元为单位的金额，最多两位小数" {
		t.Errorf("increment: %q", msg)
	}
	clerk.shot("28-clerk-schedule-errors")
	clerk.phoneShot("25-clerk-lot-phone")
}
