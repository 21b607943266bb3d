package postgres_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"pgregory.net/rapid"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/payments"
)

var propertyRound atomic.Int64

// moneyOp is one finance entry as finance would type it.
type moneyOp struct {
	kind   string // confirm, pay, remit
	target int    // which pending deposit, for confirm
	amount int64
	ref    string
}

// Random sequences of finance entries, with repeated references and exact
// retries, never book a reference twice within its kind: the ledger holds
// one transaction per reference booked, a refused entry changes nothing,
// and the ledger balances throughout.
func TestMoneyBookedOnceProperty(t *testing.T) {
	limitChecks()
	t.Parallel()
	w := setup(t)
	rapid.Check(t, func(rt *rapid.T) {
		round := propertyRound.Add(1)
		rw := w.In(rt)
		// A sold round whose buyer pays the balance and whose case is
		// remitted, and an open round with deposits to confirm.
		sold := rw.Announced("住宅")
		buyer := rw.Verified("", "")
		rw.Qualify(buyer, sold.ID)
		rw.Open(sold)
		rw.Bid(buyer, sold.ID, sold.StartPrice)
		rw.TickAt(sold.EndsAt)
		open := rw.Announced("住宅")
		var deposits []string
		for range 3 {
			reg, err := w.Store.Register(w.Ctx, rw.Verified("", ""), open.ID)
			if err != nil {
				rt.Fatal(err)
			}
			deposits = append(deposits, reg.Deposit.ID)
		}

		refs := []string{"A", "B", "C", "D"}
		var done []moneyOp
		booked := map[string]bool{} // kind/ref
		n := rapid.IntRange(5, 25).Draw(rt, "entries")
		for i := range n {
			var op moneyOp
			if len(done) > 0 && rapid.Bool().Draw(rt, fmt.Sprint("retry", i)) {
				op = done[rapid.IntRange(0, len(done)-1).Draw(rt, fmt.Sprint("which", i))]
			} else {
				op = moneyOp{kind: rapid.SampledFrom([]string{"confirm", "pay", "remit"}).Draw(rt, fmt.Sprint("kind", i)),
					target: rapid.IntRange(0, len(deposits)-1).Draw(rt, fmt.Sprint("target", i)),
					amount: int64(rapid.IntRange(1, 50).Draw(rt, fmt.Sprint("amount", i))) * 100,
					ref:    fmt.Sprintf("P%d-%s", round, rapid.SampledFrom(refs).Draw(rt, fmt.Sprint("ref", i)))}
			}
			before := ledgerTransactions(rt, w)
			var err error
			var kind string
			switch op.kind {
			case "confirm":
				kind = payments.TxDepositHeld
				_, err = w.Store.ConfirmDeposit(context.Background(), deposits[op.target], op.ref)
			case "pay":
				kind = payments.TxBalanceReceived
				_, _, err = w.Store.RecordBalancePayment(context.Background(), "", sold.ID, op.amount, op.ref)
			case "remit":
				kind = payments.TxProceedsRemitted
				_, err = w.Store.Remit(context.Background(), "", sold.CaseID, op.amount, op.ref)
			}
			key := op.kind + "/" + op.ref
			after := ledgerTransactions(rt, w)
			switch {
			case err == nil:
				if booked[key] {
					rt.Fatalf("%+v booked a second time", op)
				}
				booked[key] = true
				if after != before+1 {
					rt.Fatalf("%+v wrote %d ledger transactions", op, after-before)
				}
			case booked[key] && auction.ErrorCode(err) != auction.EDuplicateReference:
				rt.Fatalf("%+v again: %v, want duplicate_reference", op, err)
			default:
				// Refused for another reason (a deposit already held
				// under another reference): nothing written.
				if after != before {
					rt.Fatalf("%+v refused (%v) but wrote %d ledger transactions", op, err, after-before)
				}
			}
			if got := ledgerCountOf(rt, w, kind, op.ref); got > 1 {
				rt.Fatalf("%d %s transactions with reference %s", got, kind, op.ref)
			}
			done = append(done, op)
		}
		var sum int64
		if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT coalesce(sum(amount), 0)::bigint FROM ledger_entries`).Scan(&sum); err != nil || sum != 0 {
			rt.Fatalf("ledger sums to %d (%v)", sum, err)
		}
	})
}

func ledgerCountOf(t tb, w *auctiontest.World, kind, reference string) int {
	t.Helper()
	var n int
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT count(*) FROM ledger_transactions WHERE kind = $1 AND reference = $2`, kind, reference).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
