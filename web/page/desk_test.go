package page_test

import (
	"strings"
	"testing"
	"time"

	"gavel/auction"
	"gavel/payments"
	"gavel/payments/statement"
)

// The finance desk names who paid each deposit, what arrived and from
// which account: a part payment finance typed is shown as such and the
// deposit stays to confirm; refunds due can be ticked for one bank batch;
// a statement line's note is said in the page's language.
func TestFinanceDeskPayers(t *testing.T) {
	t.Parallel()
	w := pageSetup(t, "住宅")
	u := w.User(auction.RoleBidder, "")
	reg := w.Register(u, w.a.ID)
	if _, _, err := w.Store.ReceiveDeposit(w.Ctx, w.Finance.ID, reg.Deposit.ID, payments.DepositReceipt{Reference: "PART-9",
		Amount: reg.Deposit.Amount / 2, PayerName: "付款人甲", PayerAccount: "6222 0200 0000 1234"}); err != nil {
		t.Fatal(err)
	}
	finance, _ := w.signedIn(t, w.Finance)
	r := finance.get("/finance")
	checkPage(t, "/finance", r, `data-api="/api/v1/deposits/`+reg.Deposit.ID+`/receipts"`, `name="payer_account"`)
	cells := rowCells(t, r.body, "data-deposit", reg.Deposit.ID)
	row := strings.Join(cells, "|")
	for _, want := range []string{u.RealName, "部分到账，未确认", "6222 0200 0000 1234", "付款人甲"} {
		if !strings.Contains(row, want) {
			t.Errorf("pending row lacks %q: %q", want, cells)
		}
	}
	checkPage(t, "/finance/auctions", finance.get("/finance/auctions/"+w.a.ID), u.RealName, "6222 0200 0000 1234")

	// A bidder's own page never shows the paying account.
	bidder, _ := w.signedIn(t, u)
	if r := bidder.get("/auctions/" + w.a.ID); strings.Contains(r.body, "6222 0200 0000 1234") {
		t.Error("the bidder's page shows the paying account")
	}

	// A statement line that quotes no code: its note in Chinese, then English.
	st, err := statement.Parse([]byte("date,reference,amount,remittance\n2026-06-02,STMT-N-1,12.00,货款\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.ImportStatement(w.Ctx, w.Finance.ID, "s.csv", st); err != nil {
		t.Fatal(err)
	}
	checkPage(t, "/finance", finance.get("/finance"), "附言中没有转账附言码")
	en, _ := w.signedIn(t, w.Finance)
	en.get("/lang/en")
	r = en.get("/finance")
	checkPage(t, "/finance (en)", r, "The note quotes no transfer note code", "Paying account", "Part payment, not confirmed")

	// Refunds due: each row can be ticked for the batch form.
	w2 := pageSetup(t, "住宅")
	regs := w2.sold(t)
	f2, _ := w2.signedIn(t, w2.Finance)
	r = f2.get("/finance")
	checkPage(t, "/finance", r, `id="refunds-batch"`, `data-batch-api="/api/v1/refunds/paid"`,
		`name="pick" form="refunds-batch" value="`+regs[1].Deposit.ID+`"`)
	// Each ledger line links to its auction and its case.
	from, to := w2.a.StartsAt.Add(-60*24*time.Hour).Format("2006-01-02"), w2.a.EndsAt.Add(48*time.Hour).Format("2006-01-02")
	checkPage(t, "/finance/ledger", f2.get("/finance/ledger?from="+from+"&to="+to), `href="/finance/auctions/`+w2.a.ID+`"`,
		`href="/finance/cases/`+w2.caseID+`"`)
}

// The reconciliation page lists the differences with the outside truth:
// an imported statement line nobody booked is named, in either language.
func TestPagesReconciliationOutside(t *testing.T) {
	t.Parallel()
	w := ledgerSetup(t)
	finance, _ := w.signedIn(t, w.Finance)
	path := "/finance/reconciliation?" + w.period
	checkPage(t, path, finance.get(path), "与银行流水及支付机构核对", "没有差异")
	st, err := statement.Parse([]byte("date,reference,amount,remittance\n2026-03-15,OUTSIDE-1,12.00,货款\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.ImportStatement(w.Ctx, w.Finance.ID, "s.csv", st); err != nil {
		t.Fatal(err)
	}
	r := finance.get(path)
	checkPage(t, path, r, `id="statement-diffs"`, "对账单有，未记账")
	if cells := rowCells(t, r.body, "data-status", "on_statement_not_booked"); len(cells) != 4 || !strings.Contains(cells[1], "OUTSIDE-1") ||
		cells[3] != "¥12.00" {
		t.Errorf("statement difference row %q", cells)
	}
	en, _ := w.signedIn(t, w.Finance)
	en.get("/lang/en")
	checkPage(t, path, en.get(path), "On the statement, not booked")
}
