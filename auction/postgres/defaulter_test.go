package postgres_test

import (
	"testing"
	"time"

	"gavel/auction"
	"gavel/payments"
)

// A defaulter's part payments of the balance are owed back to them at the
// default: they leave balance_received and total_received (only the
// forfeited deposit stays), are listed for finance, booked in the ledger,
// told to the case system, and paid back with the refund of balance
// payments, each transfer booked once and matched on the statement side.
func TestDefaulterPartPaymentsOwedBack(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	_, owed := soldAt(t, w, a)
	p1, _, err := w.Store.RecordBalancePayment(w.Ctx, w.Clerk.ID, a.ID, owed/4, "PART-1")
	if err != nil {
		t.Fatal(err)
	}
	p2, _, err := w.Store.RecordBalancePayment(w.Ctx, w.Clerk.ID, a.ID, owed/4, "PART-2")
	if err != nil {
		t.Fatal(err)
	}
	paid := p1.Amount + p2.Amount
	if due, _ := w.Store.BalanceRefundsDue(w.Ctx); len(due) != 0 {
		t.Fatalf("refunds due while the sale stands: %+v", due)
	}

	got, _ := w.Store.Auction(w.Ctx, a.ID)
	w.Clock.Set(*got.BalanceDueAt)
	changes := w.Tick()
	if len(changes) != 1 || changes[0].Events[0].Type != auction.EventDefaulted {
		t.Fatalf("changes %+v", changes)
	}
	if v, ok := changes[0].Events[0].Data["balance_owed_back"]; !ok || toInt(v) != paid {
		t.Fatalf("defaulted event data %v, want balance_owed_back %d", changes[0].Events[0].Data, paid)
	}

	p, err := w.Store.CaseProceeds(w.Ctx, a.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	it := p.Items[0]
	if it.BalanceReceived != 0 || it.BalanceOwedBack != paid || it.ForfeitedDeposit != a.Deposit || p.TotalReceived != a.Deposit || p.LedgerBalance != a.Deposit {
		t.Fatalf("proceeds after the default: %+v (item %+v)", p, it)
	}
	m, err := w.Store.AuctionMoney(w.Ctx, a.ID)
	if err != nil || m.BalanceReceived != 0 {
		t.Fatalf("auction money %+v %v", m, err)
	}
	acc := accounts(t, w, a.ID)
	if acc[payments.AccountRefundsDue] != -paid || acc[payments.AccountCaseProceeds] != -a.Deposit || acc[payments.AccountEscrow] != a.Deposit+paid {
		t.Fatalf("accounts after the default %v", acc)
	}
	wantLedgerBalanced(t, w)
	if txs, _, err := w.Store.Ledger(w.Ctx, payments.LedgerFilter{AuctionID: a.ID, Kind: payments.TxBalanceOwedBack}); err != nil || len(txs) != 1 ||
		txs[0].Entries[0].Amount != paid {
		t.Fatalf("owed-back transactions %+v %v", txs, err)
	}

	var note int64
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT (body->'data'->>'balance_owed_back')::bigint FROM case_notifications
		WHERE auction_id = $1 AND type = 'auction.defaulted'`, a.ID).Scan(&note); err != nil || note != paid {
		t.Fatalf("auction.defaulted tells the case system %d owed back (%v), want %d", note, err, paid)
	}
	if !financeWorkHas(t, w, a.ID) {
		t.Fatal("finance's work does not list the defaulted auction's payments to pay back")
	}
	due, err := w.Store.BalanceRefundsDue(w.Ctx)
	if err != nil || len(due) != 2 || due[0].RefundDue != p1.Amount || due[0].OwedBack != p1.Amount || due[0].OwedBackAt == nil {
		t.Fatalf("refunds due %+v %v", due, err)
	}

	back, err := w.Store.MarkBalanceRefunded(w.Ctx, p1.ID, "RETURN-1")
	if err != nil || back.ReturnReference == nil || *back.ReturnReference != "RETURN-1" || back.RefundDue != 0 {
		t.Fatalf("paid back %+v %v", back, err)
	}
	_, err = w.Store.MarkBalanceRefunded(w.Ctx, p1.ID, "RETURN-1B")
	wantCode(t, err, auction.EInvalidState)
	_, err = w.Store.MarkBalanceRefunded(w.Ctx, p2.ID, "RETURN-1")
	wantCode(t, err, auction.EDuplicateReference)
	if _, err := w.Store.MarkBalanceRefunded(w.Ctx, p2.ID, "RETURN-2"); err != nil {
		t.Fatal(err)
	}
	acc = accounts(t, w, a.ID)
	if acc[payments.AccountRefundsDue] != 0 || acc[payments.AccountEscrow] != a.Deposit {
		t.Fatalf("accounts after paying back %v", acc)
	}
	if p, _ := w.Store.CaseProceeds(w.Ctx, a.CaseID); p.TotalReceived != a.Deposit || p.LedgerBalance != a.Deposit {
		t.Fatalf("proceeds after paying back %+v", p)
	}
	r := wantReconciled(t, w)
	if l := lineOf(r, payments.RecordBalanceReturned, "RETURN-2"); l == nil || l.Status != payments.LineMatched || l.LedgerAmount != -p2.Amount {
		t.Fatalf("reconciliation line of the pay-back: %+v", l)
	}
	wantLedgerBalanced(t, w)
	// A later tick moves nothing again.
	w.Clock.Advance(48 * time.Hour)
	w.Tick()
	if acc := accounts(t, w, a.ID); acc[payments.AccountRefundsDue] != 0 || acc[payments.AccountCaseProceeds] != -a.Deposit {
		t.Fatalf("accounts after another tick %v", acc)
	}
}

func toInt(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	case int:
		return int64(n)
	}
	return -1
}
