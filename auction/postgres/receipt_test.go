package postgres_test

import (
	"fmt"
	"strings"
	"testing"

	"gavel/auction"
	"gavel/payments"
)

// Finance types what arrived for a bank deposit: less than the deposit is
// a part payment, recorded and shown with the paying account but never
// confirming; the whole deposit confirms it. A reference is recorded once,
// and every refusal books nothing.
func TestReceiveDepositPartThenWhole(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	u := w.Verified("", "")
	reg := w.Register(u, a.ID)
	dep := reg.Deposit
	part := payments.DepositReceipt{Reference: "ICBC-PART-1", Amount: dep.Amount / 2, PayerName: "张三", PayerAccount: "6222 0000 1111 2222"}
	d, r, err := w.Store.ReceiveDeposit(w.Ctx, w.Clerk.ID, dep.ID, part)
	if err != nil || d.Status != auction.DepositPending || !r.Part || r.Amount != dep.Amount/2 {
		t.Fatalf("part payment: %+v %+v %v", d, r, err)
	}
	payers, err := w.Store.DepositPayers(w.Ctx, w.Clerk, "GET /finance", []string{dep.ID})
	if err != nil {
		t.Fatal(err)
	}
	p := payers[dep.ID]
	if !p.PartReceived || p.Received != dep.Amount/2 || p.PayerAccount != "6222 0000 1111 2222" || p.PayerName != "张三" || p.BidderName != u.RealName {
		t.Fatalf("desk row after a part payment %+v", p)
	}
	if acc := accounts(t, w, a.ID); acc[payments.AccountEscrow] != 0 {
		t.Fatalf("a part payment was booked: %v", acc)
	}
	for name, c := range map[string]struct {
		r    payments.DepositReceipt
		code string
	}{
		"the same reference again":  {part, auction.EDuplicateReference},
		"more than the deposit":     {payments.DepositReceipt{Reference: "X-1", Amount: dep.Amount + 1}, auction.EInvalidField},
		"zero":                      {payments.DepositReceipt{Reference: "X-2"}, auction.EInvalidField},
		"the int64 extreme":         {payments.DepositReceipt{Reference: "X-3", Amount: 1<<63 - 1}, auction.EInvalidField},
		"no reference":              {payments.DepositReceipt{Reference: " ", Amount: 1}, auction.EInvalidField},
		"a NUL in the account":      {payments.DepositReceipt{Reference: "X-4", Amount: 1, PayerAccount: "62\x0022"}, auction.EInvalidField},
		"a 12,000 character name":   {payments.DepositReceipt{Reference: "X-5", Amount: 1, PayerName: strings.Repeat("名", 12000)}, auction.EInvalidField},
		"invalid UTF-8 in the name": {payments.DepositReceipt{Reference: "X-6", Amount: 1, PayerName: "\xff\xfe"}, auction.EInvalidField},
	} {
		if _, _, err := w.Store.ReceiveDeposit(w.Ctx, w.Clerk.ID, dep.ID, c.r); auction.ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
	// The rest arrives as a whole transfer of the deposit: confirmed.
	d, r, err = w.Store.ReceiveDeposit(w.Ctx, w.Clerk.ID, dep.ID, payments.DepositReceipt{Reference: "ICBC-WHOLE-1", Amount: dep.Amount,
		PayerName: "张三", PayerAccount: "6222 0000 1111 3333"})
	if err != nil || d.Status != auction.DepositHeld || r.Part {
		t.Fatalf("whole payment: %+v %+v %v", d, r, err)
	}
	payers, _ = w.Store.DepositPayers(w.Ctx, w.Clerk, "GET /finance", []string{dep.ID})
	if p := payers[dep.ID]; p.PartReceived || p.PayerAccount != "6222 0000 1111 3333" {
		t.Fatalf("desk row after the confirmation %+v", p)
	}
	_, _, err = w.Store.ReceiveDeposit(w.Ctx, w.Clerk.ID, dep.ID, payments.DepositReceipt{Reference: "ICBC-WHOLE-2", Amount: dep.Amount})
	wantCode(t, err, auction.EDepositNotPending)
	// A confirmation's reference cannot be recorded again as a part.
	other, _ := w.Store.Register(w.Ctx, w.Verified("", ""), a.ID)
	_, _, err = w.Store.ReceiveDeposit(w.Ctx, w.Clerk.ID, other.Deposit.ID, payments.DepositReceipt{Reference: "ICBC-WHOLE-1", Amount: 1})
	wantCode(t, err, auction.EDuplicateReference)
	wantLedgerBalanced(t, w)
	// Each look at a bidder's name before the close was audited.
	var looks int
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT count(*) FROM audit_log WHERE action = 'GET /finance' AND target = $1`, dep.ID).Scan(&looks); err != nil || looks != 2 {
		t.Fatalf("%d audited looks (%v), want 2", looks, err)
	}
}

// The same part payment typed at the same moment on several connections
// is recorded once; every other attempt is duplicate_reference.
func TestReceiveDepositConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	var deps []string
	for range 2 {
		reg := w.Register(w.Verified("", ""), a.ID)
		deps = append(deps, reg.Deposit.ID)
	}
	const n = 8
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := range n {
		go func() {
			<-start
			// Half type it against one deposit, half against the other.
			_, _, err := w.Store.ReceiveDeposit(w.Ctx, w.Clerk.ID, deps[i%2], payments.DepositReceipt{Reference: "SAME-PART", Amount: 1000})
			errs <- err
		}()
	}
	close(start)
	ok := 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			ok++
		case auction.ErrorCode(err) == auction.EDuplicateReference:
		default:
			t.Errorf("unexpected: %v", err)
		}
	}
	var rows int
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT count(*) FROM deposit_receipts WHERE reference = 'SAME-PART'`).Scan(&rows); err != nil || ok != 1 || rows != 1 {
		t.Fatalf("%d recorded, %d rows (%v); want exactly one", ok, rows, err)
	}
}

// A part payment and a confirmation quoting the same transfer, sent at the
// same moment for two deposits: exactly one of them is recorded.
func TestReceiveDepositRacesConfirmation(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	for round := range 6 {
		var deps []*auction.Deposit
		for range 2 {
			reg := w.Register(w.Verified("", ""), a.ID)
			deps = append(deps, reg.Deposit)
		}
		ref := fmt.Sprintf("RACE-%d", round)
		errs := make(chan error, 2)
		start := make(chan struct{})
		go func() {
			<-start
			_, _, err := w.Store.ReceiveDeposit(w.Ctx, w.Clerk.ID, deps[0].ID, payments.DepositReceipt{Reference: ref, Amount: 1000})
			errs <- err
		}()
		go func() {
			<-start
			_, err := w.Store.ConfirmDeposit(w.Ctx, deps[1].ID, ref)
			errs <- err
		}()
		close(start)
		ok := 0
		for range 2 {
			switch err := <-errs; {
			case err == nil:
				ok++
			case auction.ErrorCode(err) == auction.EDuplicateReference:
			default:
				t.Fatalf("unexpected: %v", err)
			}
		}
		var receipts, booked int
		if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT (SELECT count(*) FROM deposit_receipts WHERE reference = $1),
				(SELECT count(*) FROM booked_references WHERE reference = $1)`, ref).Scan(&receipts, &booked); err != nil || ok != 1 || receipts+booked != 1 {
			t.Fatalf("round %d: %d succeeded, %d receipts, %d booked (%v)", round, ok, receipts, booked, err)
		}
	}
}

// A deposit paid in parts is confirmed by the part that completes it (the
// ledger books the deposit once, under that transfer's reference); a part
// that would take the parts past the deposit is refused and records
// nothing.
func TestReceiveDepositInParts(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	reg := w.Register(w.Verified("", ""), a.ID)
	dep := reg.Deposit
	first := dep.Amount / 3
	if d, r, err := w.Store.ReceiveDeposit(w.Ctx, w.Clerk.ID, dep.ID, payments.DepositReceipt{Reference: "PART-A", Amount: first}); err != nil || !r.Part || d.Status != auction.DepositPending {
		t.Fatalf("first part: %+v %+v %v", d, r, err)
	}
	_, _, err := w.Store.ReceiveDeposit(w.Ctx, w.Clerk.ID, dep.ID, payments.DepositReceipt{Reference: "PART-OVER", Amount: dep.Amount - first + 1})
	wantCode(t, err, auction.EInvalidField)
	d, r, err := w.Store.ReceiveDeposit(w.Ctx, w.Clerk.ID, dep.ID, payments.DepositReceipt{Reference: "PART-B", Amount: dep.Amount - first})
	if err != nil || r.Part || d.Status != auction.DepositHeld {
		t.Fatalf("the completing part: %+v %+v %v", d, r, err)
	}
	payers, err := w.Store.DepositPayers(w.Ctx, w.Clerk, "GET /finance", []string{dep.ID})
	if err != nil {
		t.Fatal(err)
	}
	if p := payers[dep.ID]; p.PartReceived || p.Received != dep.Amount {
		t.Fatalf("desk row after the parts: %+v", p)
	}
	if acc := accounts(t, w, a.ID); acc[payments.AccountEscrow] != dep.Amount {
		t.Fatalf("escrow after the parts: %v, want %d", acc, dep.Amount)
	}
	wantLedgerBalanced(t, w)
}
