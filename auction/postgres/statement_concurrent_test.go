package postgres_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"gavel/auction"
	"gavel/payments"
	"gavel/payments/statement"
)

// Two finance officers import overlapping bank statements at once (the same
// transfers, listed in opposite orders, as two banks' exports of one account
// may list them): both imports succeed, every transfer confirms its deposit
// once, and the line each import did not book is reported as repeated.
func TestImportOverlappingStatementsConcurrently(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("两份重叠的对账单")
	const transfers = 24
	var refs, deps []string
	for range transfers {
		reg := w.Register(w.Bidder(), a.ID)
		refs, deps = append(refs, reg.Deposit.PayReference), append(deps, reg.Deposit.ID)
	}
	amount := fmt.Sprintf("%d.%02d", a.Deposit/100, a.Deposit%100)
	line := func(i int) string {
		return fmt.Sprintf("2026-06-02,OVERLAP-%04d,贷,%s,付款人,6216610100012345,%s\n", i, amount, refs[i])
	}
	var forward, backward strings.Builder
	forward.WriteString("交易日期,交易流水号,借贷标志,金额,对方户名,对方账号,附言\n")
	backward.WriteString("交易日期,交易流水号,借贷标志,金额,对方户名,对方账号,附言\n")
	for i := range transfers {
		forward.WriteString(line(i))
		backward.WriteString(line(transfers - 1 - i))
	}
	var imports [2]*payments.StatementImport
	var errs [2]error
	var wg sync.WaitGroup
	for i, text := range []string{forward.String(), backward.String()} {
		st, err := statement.Parse([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			imports[i], errs[i] = w.Store.ImportStatement(w.Ctx, w.Finance.ID, fmt.Sprintf("statement-%d.csv", i), st)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("import %d: %v", i, err)
		}
	}
	confirmed, repeated := imports[0].Confirmed+imports[1].Confirmed, imports[0].Repeated+imports[1].Repeated
	if confirmed != transfers || repeated != transfers {
		t.Fatalf("confirmed %d and repeated %d of %d transfers imported twice: %+v %+v", confirmed, repeated, transfers, imports[0], imports[1])
	}
	for i, id := range deps {
		d, err := w.Store.Deposit(w.Ctx, id)
		if err != nil || d.Status != auction.DepositHeld {
			t.Fatalf("deposit %d: %+v %v", i, d, err)
		}
		var booked int
		if err := w.Pool.QueryRow(w.Ctx, `SELECT count(*) FROM ledger_transactions WHERE kind = $1 AND reference = $2`,
			payments.TxDepositHeld, fmt.Sprintf("OVERLAP-%04d", i)).Scan(&booked); err != nil || booked != 1 {
			t.Fatalf("transfer %d booked %d times (%v)", i, booked, err)
		}
	}
}
