package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gavel/auction"
	"gavel/auction/auctiontest"
)

// An overpaid balance in Chromium: finance types more than is still owed;
// the page asks first, saying by how much. Declined, nothing is booked;
// accepted, the payment is booked whole, the auction settles and the
// excess is listed to pay back. Then a refund due is recorded through the
// batch form.
func TestBrowserOverpaymentConfirmed(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newChrome(t)
	const password = auctiontest.Password // the world's accounts share it
	financeUser := s.world.In(t).User(auction.RoleFinance, "")
	w := s.world.In(t)
	a := w.AnnouncedCar("二手轿车")
	buyer, _ := s.bidder(t, "")
	loser, _ := s.bidder(t, "")
	var regs []*auction.Registration
	for _, u := range []*account{buyer, loser} {
		regs = append(regs, w.Qualify(u.User, a.ID))
	}
	s.setClock(t, a.StartsAt)
	w.Bid(buyer.User, a.ID, a.StartPrice)
	s.setClock(t, a.EndsAt.Add(time.Second))
	if got, _ := s.store.Auction(s.ctx, a.ID); got.Status != auction.StatusSold {
		t.Fatalf("auction %s, want sold", got.Status)
	}

	finance := c.tab(t, "finance", s.url)
	finance.signIn(financeUser.Email, password)
	finance.open("/finance")
	row := fmt.Sprintf(`#balances tr[data-auction="%s"]`, a.ID)
	// The outstanding ¥63,000.00 is typed as ¥64,000.00: ¥1,000.00 too much.
	answer := func(yes bool) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.confirm = m => { window.asked = m; return %v; }`, yes))
	}
	finance.do(visible(row), answer(false), setValue(row+` input[name="amount"]`, "64000"),
		setValue(row+` input[name="reference"]`, "ICBC-OVER-1"), click(row+" button"))
	asked := finance.eval(`String(window.asked || '')`)
	if !strings.Contains(asked, "¥1,000.00") || !strings.Contains(asked, "确认入账吗") {
		t.Fatalf("the confirmation asked %q", asked)
	}
	if got, _ := s.store.Auction(s.ctx, a.ID); got.Status != auction.StatusSold {
		t.Fatalf("declined, but the auction is %s", got.Status)
	}
	if due, _ := s.store.BalanceRefundsDue(s.ctx); len(due) != 0 {
		t.Fatalf("declined, but booked: %+v", due)
	}
	finance.shot("23-finance-overpay-asked")
	finance.phoneShot("24-finance-desk-phone")

	finance.do(answer(true), click(row+" button"), chromedp.WaitNotPresent(chromedp.CSS(row)), ready())
	if got, _ := s.store.Auction(s.ctx, a.ID); got.Status != auction.StatusSettled {
		t.Fatalf("accepted, but the auction is %s", got.Status)
	}
	due, err := s.store.BalanceRefundsDue(s.ctx)
	if err != nil || len(due) != 1 || due[0].Excess != 100_000 || due[0].Reference != "ICBC-OVER-1" {
		t.Fatalf("excess to pay back: %+v %v", due, err)
	}
	finance.do(visible(fmt.Sprintf(`#excesses tr[data-balance-payment="%s"]`, due[0].ID)))

	// The loser's deposit is paid back in a bank batch: nothing ticked is
	// refused at the form; ticked with its reference, it is recorded.
	refund := fmt.Sprintf(`#refunds tr[data-deposit="%s"]`, regs[1].Deposit.ID)
	finance.do(click(`#refunds-batch button`), visible(`#refunds-batch .form-error`))
	if msg := finance.text(`#refunds-batch .form-error`); msg != "请先勾选要登记的退款" {
		t.Errorf("nothing ticked: %q", msg)
	}
	finance.do(click(refund+` input[name="pick"]`), setValue(refund+` input[name="reference"]`, "ICBC-REFUND-BATCH-1"),
		click(`#refunds-batch button`), chromedp.WaitNotPresent(chromedp.CSS(refund)), ready())
	if d, err := s.store.Deposit(s.ctx, regs[1].Deposit.ID); err != nil || d.Status != auction.DepositRefunded {
		t.Fatalf("the batch refund: %+v %v", d, err)
	}
}
