package page_test

import (
	"strings"
	"testing"
)

// TestFinanceExcessToPayBack: the finance page lists a balance payment's
// excess with a form that records paying it back, beside the deposit
// refunds whose forms still post to the deposits; once paid back it is gone.
func TestFinanceExcessToPayBack(t *testing.T) {
	t.Parallel()
	w := pageSetup(t, "住宅")
	regs := w.sold(t)
	finance, _ := w.signedIn(t, w.Finance)
	checkPage(t, "/finance", finance.get("/finance"), "没有待退还的多付款")

	// The buyer transfers the whole hammer price: the deposit's worth,
	// ¥70,000.00, is theirs to get back.
	p, _, err := w.Store.RecordBalancePayment(w.Ctx, w.Finance.ID, w.a.ID, 70_000_000, "WHOLE-1")
	if err != nil || p.Excess != 7_000_000 {
		t.Fatalf("overpayment: %+v %v", p, err)
	}
	r := finance.get("/finance")
	checkPage(t, "/finance", r, "待退多付款", `data-balance-payment="`+p.ID+`"`, `data-api="/api/v1/balance-payments/`+p.ID+`/refunded"`,
		"WHOLE-1", "¥70,000.00", "¥700,000.00", `data-api="/api/v1/deposits/`+regs[1].Deposit.ID+`/refunded"`)
	if cells := rowCells(t, r.body, "data-balance-payment", p.ID); len(cells) < 5 || !strings.Contains(cells[4], "¥70,000.00") {
		t.Errorf("excess row %q", cells)
	}
	en, _ := w.signedIn(t, w.Finance)
	en.get("/lang/en")
	checkPage(t, "/finance (en)", en.get("/finance"), "Overpaid balances to pay back", "Excess")

	if _, err := w.Store.MarkBalanceRefunded(w.Ctx, p.ID, "BACK-1"); err != nil {
		t.Fatal(err)
	}
	r = finance.get("/finance")
	checkPage(t, "/finance", r, "没有待退还的多付款")
	if strings.Contains(r.body, `data-balance-payment="`) {
		t.Error("the finance page still lists an excess paid back")
	}
}
