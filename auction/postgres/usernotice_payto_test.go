package postgres_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/notice"
)

// The won and balance_due notices carry the court's receiving account and
// the buyer's transfer note code, in the app's list and in what delivery
// reads, and their words name the account; a losing bidder's notices carry
// none.
func TestNoticeBalanceNamesCourtAccount(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ns := notices(t, w)
	a := w.Announced("住宅")
	cs, err := w.Store.Case(w.Ctx, a.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	account := auction.PayTo{CourtName: cs.CourtName, AccountName: "法院案款专户", Bank: "中国银行深圳分行", AccountNumber: "7777 8888 9999"}
	if _, err := w.Store.SetCourtAccount(w.Ctx, "", account); err != nil {
		t.Fatal(err)
	}
	winner, loser := w.Verified("PW", ""), w.Verified("PL", "")
	reg := w.Qualify(winner, a.ID)
	w.Qualify(loser, a.ID)
	ref := reg.Deposit.PayReference
	if ref == "" || reg.BalancePayTo == nil || *reg.BalancePayTo != account {
		t.Fatalf("winner's registration: %+v", reg)
	}
	w.Open(a)
	w.Bid(loser, a.ID, a.StartPrice)
	w.Bid(winner, a.ID, a.StartPrice+a.Increment)
	w.TickAt(a.EndsAt)
	sold := w.Auction(a.ID)
	w.Clock.Set(sold.BalanceDueAt.Add(-24 * time.Hour))
	if _, err := ns.Remind(w.Ctx); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{notice.Won, notice.BalanceDue} {
		got := ofType(t, ns, winner, kind)
		if len(got) == 0 || got[0].PayTo == nil || *got[0].PayTo != account || got[0].PayReference != ref {
			t.Fatalf("%s in the list: %+v", kind, got)
		}
		id, _ := strconv.ParseInt(got[0].ID, 10, 64)
		d, err := ns.Delivery(w.Ctx, id)
		if err != nil || d.PayTo == nil || *d.PayTo != account || d.PayReference != ref {
			t.Fatalf("%s for delivery: %+v, %v", kind, d, err)
		}
		for _, lang := range []string{notice.LangZH, notice.LangEN} {
			// On the first line: the one the app's list and an SMS show.
			txt := notice.Render(d.Notice, notice.Context{Title: d.Title, Language: lang, Zone: time.UTC})
			line, _, _ := strings.Cut(txt.Body, "\n")
			for _, want := range []string{account.AccountName, account.Bank, account.AccountNumber, ref} {
				if !strings.Contains(line, want) {
					t.Errorf("%s (%s) lacks %q:\n%s", kind, lang, want, txt.Body)
				}
			}
		}
	}
	for _, n := range mustNotices(t, ns, loser) {
		if n.PayTo != nil {
			t.Errorf("the loser's %s notice names the account", n.Type)
		}
	}
}
