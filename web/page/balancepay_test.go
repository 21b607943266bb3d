package page_test

import (
	"strings"
	"testing"

	"gavel/auction"
	"gavel/web/page/yuan"
)

// After the close the winner's auction page says what is owed, by when, and
// the court's receiving account to pay it into (with the transfer note
// code); a losing bidder's page shows no account. Without a configured
// account the winner is told to ask the court first.
func TestWinnerPageShowsCourtAccount(t *testing.T) {
	t.Parallel()
	w := pageSetup(t, "余款")
	winner, loser := w.User(auction.RoleBidder, "W-PAY-1"), w.User(auction.RoleBidder, "L-PAY-1")
	reg := w.Qualify(winner, w.a.ID)
	w.Qualify(loser, w.a.ID)
	a := w.Open(w.a)
	w.Bid(loser, a.ID, a.StartPrice)
	w.Bid(winner, a.ID, a.StartPrice+a.Increment)
	if reg.Deposit.PayReference == "" {
		t.Fatal("the bank deposit has no transfer note code")
	}
	bw, _ := w.signedIn(t, winner)
	bl, _ := w.signedIn(t, loser)

	w.TickAt(a.EndsAt)
	if r := bw.get("/auctions/" + a.ID); !strings.Contains(r.body, `id="balance-no-account"`) {
		t.Errorf("winner without a court account: no advice to ask the court")
	}
	cs, err := w.Store.Case(w.Ctx, a.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.SetCourtAccount(w.Ctx, "", auction.PayTo{CourtName: cs.CourtName, AccountName: "北京市第一中级人民法院案款专户",
		Bank: "中国工商银行北京分行", AccountNumber: "0200 0012 3456 7890 123"}); err != nil {
		t.Fatal(err)
	}
	r := bw.get("/auctions/" + a.ID)
	for _, want := range []string{`id="balance-pay"`, "北京市第一中级人民法院案款专户", "中国工商银行北京分行", "0200 0012 3456 7890 123",
		reg.Deposit.PayReference} {
		if !strings.Contains(r.body, want) {
			t.Errorf("winner's page lacks %q", want)
		}
	}
	if r := bl.get("/auctions/" + a.ID); strings.Contains(r.body, `id="balance-pay"`) {
		t.Errorf("the losing bidder is shown the balance account")
	}

	// A part of the balance received: the page asks for what is left, not
	// the whole price less the deposit.
	hammer := a.StartPrice + a.Increment
	paid := (hammer - reg.Deposit.Amount) / 2
	if _, _, err := w.Store.RecordBalancePayment(w.Ctx, "", a.ID, paid, "BAL-PART-1"); err != nil {
		t.Fatal(err)
	}
	left := yuan.Format(hammer - reg.Deposit.Amount - paid)
	if r := bw.get("/auctions/" + a.ID); !strings.Contains(r.body, left) {
		t.Errorf("after a part payment the winner's page does not ask for the %s left", left)
	}
}
