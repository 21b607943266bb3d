package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
	"gavel/payments"
)

// twin is a second instance on the test's database: its own pool (its own
// connections) and store, the same clock, as a second `gavel serve` is.
func twin(t *testing.T, w *auctiontest.World) *postgres.Store {
	t.Helper()
	pool, err := pgxpool.NewWithConfig(w.Ctx, w.Pool.Config())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return postgres.New(postgres.Config{Pool: pool, Clock: w.Clock, Rulebook: auction.SPC2016})
}

// ledgerCount counts the ledger transactions of a kind with a reference.
func ledgerCount(t *testing.T, w *auctiontest.World, kind, reference string) int {
	t.Helper()
	var n int
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT count(*) FROM ledger_transactions WHERE kind = $1 AND reference = $2`, kind, reference).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// providerCount counts the provider records of a kind with a reference.
func providerCount(t *testing.T, w *auctiontest.World, kind, reference string) int {
	t.Helper()
	var n int
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT count(*) FROM provider_records WHERE kind = $1 AND external_ref = $2`, kind, reference).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// race runs book(i) for i in 0..7 at once, alternating between the two
// stores, and wants exactly one booked and seven refused with
// duplicate_reference.
func race(t *testing.T, stores [2]*postgres.Store, book func(s *postgres.Store, i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = book(stores[i%2], i)
		}()
	}
	close(start)
	wg.Wait()
	var ok, dup int
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case auction.ErrorCode(err) == auction.EDuplicateReference:
			dup++
		default:
			t.Fatalf("unexpected refusal: %v", err)
		}
	}
	if ok != 1 || dup != 7 {
		t.Fatalf("%d booked and %d refused as duplicates, want 1 and 7", ok, dup)
	}
}

// pendingDeposits registers n bidders to a and returns their pending deposits.
func pendingDeposits(t *testing.T, w *auctiontest.World, a *auction.Auction, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		reg := w.Register(w.Verified("", ""), a.ID)
		ids[i] = reg.Deposit.ID
	}
	return ids
}

// A deposit confirmation's bank reference is booked once: typed again for
// the same deposit or for another, sequentially or by eight requests at
// once on two instances, it is refused with duplicate_reference and books
// nothing.
func TestDepositConfirmationBookedOnce(t *testing.T) {
	t.Parallel()
	w := setup(t)
	stores := [2]*postgres.Store{w.Store, twin(t, w)}
	a := w.Announced("住宅")
	deps := pendingDeposits(t, w, a, 10)

	if _, err := w.Store.ConfirmDeposit(w.Ctx, deps[0], " TRF-1 "); err != nil {
		t.Fatal(err)
	}
	_, err := w.Store.ConfirmDeposit(w.Ctx, deps[0], "TRF-1") // the same request again
	wantCode(t, err, auction.EDuplicateReference)
	_, err = stores[1].ConfirmDeposit(w.Ctx, deps[1], "TRF-1") // another deposit, the same transfer
	wantCode(t, err, auction.EDuplicateReference)
	if d, _ := w.Store.Deposit(w.Ctx, deps[1]); d.Status != auction.DepositPending {
		t.Fatalf("a refused confirmation left the deposit %s", d.Status)
	}
	if n := ledgerCount(t, w, payments.TxDepositHeld, "TRF-1"); n != 1 {
		t.Fatalf("%d deposit_held transactions for TRF-1", n)
	}

	race(t, stores, func(s *postgres.Store, i int) error {
		_, err := s.ConfirmDeposit(context.Background(), deps[2+i], "TRF-RACE")
		return err
	})
	var held int
	for _, id := range deps[2:] {
		if d, _ := w.Store.Deposit(w.Ctx, id); d.Status == auction.DepositHeld {
			held++
		}
	}
	if held != 1 || ledgerCount(t, w, payments.TxDepositHeld, "TRF-RACE") != 1 || providerCount(t, w, payments.RecordDepositReceived, "TRF-RACE") != 1 {
		t.Fatalf("after the race: %d held, %d ledger, %d provider", held, ledgerCount(t, w, payments.TxDepositHeld, "TRF-RACE"),
			providerCount(t, w, payments.RecordDepositReceived, "TRF-RACE"))
	}
	// The same reference is free in another kind: a refund may quote it.
	wantLedgerBalanced(t, w)
}

// A deposit refund's reference is booked once.
func TestDepositRefundBookedOnce(t *testing.T) {
	t.Parallel()
	w := setup(t)
	stores := [2]*postgres.Store{w.Store, twin(t, w)}
	a := w.Announced("住宅")
	deps := pendingDeposits(t, w, a, 10)
	for i, id := range deps {
		if _, err := w.Store.ConfirmDeposit(w.Ctx, id, fmt.Sprintf("IN-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	w.Open(a)
	w.Close(a) // no bids: every deposit is released
	if _, err := w.Store.MarkRefunded(w.Ctx, deps[0], "IN-0"); err != nil {
		t.Fatal(err) // a confirmation's reference is another kind's
	}
	_, err := w.Store.MarkRefunded(w.Ctx, deps[0], "IN-0")
	wantCode(t, err, auction.EDuplicateReference)
	_, err = stores[1].MarkRefunded(w.Ctx, deps[1], "IN-0")
	wantCode(t, err, auction.EDuplicateReference)
	race(t, stores, func(s *postgres.Store, i int) error {
		_, err := s.MarkRefunded(context.Background(), deps[2+i], "OUT-RACE")
		return err
	})
	if n := ledgerCount(t, w, payments.TxDepositRefunded, "OUT-RACE"); n != 1 {
		t.Fatalf("%d refunds booked for OUT-RACE", n)
	}
	if n := providerCount(t, w, payments.RecordDepositReturned, "OUT-RACE"); n != 1 {
		t.Fatalf("%d provider records for OUT-RACE", n)
	}
	wantLedgerBalanced(t, w)
}

// A balance payment's reference is booked once: the transfer typed twice no
// longer settles an auction with half its balance unpaid.
func TestBalancePaymentBookedOnce(t *testing.T) {
	t.Parallel()
	w := setup(t)
	stores := [2]*postgres.Store{w.Store, twin(t, w)}
	a := w.Announced("住宅")
	_, owed := soldAt(t, w, a)
	half := owed / 2
	if _, _, err := w.Store.RecordBalancePayment(w.Ctx, w.Clerk.ID, a.ID, half, "BAL-1"); err != nil {
		t.Fatal(err)
	}
	_, _, err := stores[1].RecordBalancePayment(w.Ctx, w.Clerk.ID, a.ID, half, "BAL-1")
	wantCode(t, err, auction.EDuplicateReference)
	if got, _ := w.Store.Auction(w.Ctx, a.ID); got.Status != auction.StatusSold {
		t.Fatalf("the duplicate left the auction %s", got.Status)
	}
	race(t, stores, func(s *postgres.Store, i int) error {
		_, _, err := s.RecordBalancePayment(context.Background(), w.Clerk.ID, a.ID, 1000, "BAL-RACE")
		return err
	})
	m, err := w.Store.AuctionMoney(w.Ctx, a.ID)
	if err != nil || m.BalanceReceived != half+1000 || m.Outstanding != owed-half-1000 {
		t.Fatalf("money after the race: %+v %v", m, err)
	}
	if ledgerCount(t, w, payments.TxBalanceReceived, "BAL-RACE") != 1 || providerCount(t, w, payments.RecordBalanceReceived, "BAL-RACE") != 1 {
		t.Fatal("BAL-RACE booked more than once")
	}
	wantLedgerBalanced(t, w)
}

// A balance refund's reference is booked once.
func TestBalanceRefundBookedOnce(t *testing.T) {
	t.Parallel()
	w := setup(t)
	stores := [2]*postgres.Store{w.Store, twin(t, w)}
	var over []string
	for range 2 {
		a := w.Announced("住宅")
		_, owed := soldAt(t, w, a)
		p, _, err := w.Store.RecordBalancePayment(w.Ctx, w.Clerk.ID, a.ID, owed+5000, "OVER-"+a.ID)
		if err != nil || p.Excess != 5000 {
			t.Fatalf("overpayment %+v %v", p, err)
		}
		over = append(over, p.ID)
	}
	race(t, stores, func(s *postgres.Store, i int) error {
		_, err := s.MarkBalanceRefunded(context.Background(), over[i%2], "BACK-RACE")
		return err
	})
	due, err := w.Store.BalanceRefundsDue(w.Ctx)
	if err != nil || len(due) != 1 {
		t.Fatalf("refunds due after the race: %+v %v", due, err)
	}
	// The payment still due may not quote the booked transfer either.
	_, err = w.Store.MarkBalanceRefunded(w.Ctx, due[0].ID, "BACK-RACE")
	wantCode(t, err, auction.EDuplicateReference)
	if ledgerCount(t, w, payments.TxExcessRefunded, "BACK-RACE") != 1 || providerCount(t, w, payments.RecordExcessReturned, "BACK-RACE") != 1 {
		t.Fatal("BACK-RACE booked more than once")
	}
	wantLedgerBalanced(t, w)
}

// A remittance's reference is booked once.
func TestRemittanceBookedOnce(t *testing.T) {
	t.Parallel()
	w := setup(t)
	stores := [2]*postgres.Store{w.Store, twin(t, w)}
	a := w.Announced("住宅")
	soldAndSettled(t, w, a, true)
	if _, err := w.Store.Remit(w.Ctx, w.Clerk.ID, a.CaseID, 100, "REMIT-1"); err != nil {
		t.Fatal(err)
	}
	_, err := stores[1].Remit(w.Ctx, w.Clerk.ID, a.CaseID, 100, "REMIT-1")
	wantCode(t, err, auction.EDuplicateReference)
	race(t, stores, func(s *postgres.Store, i int) error {
		_, err := s.Remit(context.Background(), w.Clerk.ID, a.CaseID, 100, "REMIT-RACE")
		return err
	})
	rs, err := w.Store.Remittances(w.Ctx, a.CaseID)
	if err != nil || len(rs) != 2 {
		t.Fatalf("remittances %+v %v", rs, err)
	}
	if ledgerCount(t, w, payments.TxProceedsRemitted, "REMIT-RACE") != 1 {
		t.Fatal("REMIT-RACE booked more than once")
	}
	var notes int
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT count(*) FROM case_notifications WHERE type = 'proceeds.remitted'`).Scan(&notes); err != nil || notes != 2 {
		t.Fatalf("%d proceeds.remitted notifications (%v)", notes, err)
	}
	wantLedgerBalanced(t, w)
}

// References are trimmed and must be text a bank would issue.
func TestReferenceRefusals(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	deps := pendingDeposits(t, w, a, 1)
	for _, ref := range []string{"", "   ", "A\x00B", "\xff\xfe", string(make([]byte, 12000)), fmt.Sprintf("%0141d", 0)} {
		_, err := w.Store.ConfirmDeposit(w.Ctx, deps[0], ref)
		wantCode(t, err, auction.EInvalidField)
	}
}

// Refunds paid in one bank batch are booked together or not at all; a
// duplicate reference anywhere refuses the whole batch, naming the item.
func TestRefundBatch(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	deps := pendingDeposits(t, w, a, 3)
	for i, id := range deps {
		if _, err := w.Store.ConfirmDeposit(w.Ctx, id, fmt.Sprintf("IN-B%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	w.Open(a)
	w.Close(a)
	if _, err := w.Store.MarkRefunded(w.Ctx, deps[0], "OUT-TAKEN"); err != nil {
		t.Fatal(err)
	}
	before := ledgerTransactions(t, w)
	_, err := w.Store.MarkRefundedBatch(w.Ctx, []payments.RefundPaid{{DepositID: deps[1], Reference: "OUT-B1"}, {DepositID: deps[2], Reference: "OUT-TAKEN"}})
	wantCode(t, err, auction.EDuplicateReference)
	if !strings.Contains(err.Error(), "item 2") || ledgerTransactions(t, w) != before {
		t.Fatalf("refused batch: %v, %d ledger transactions written", err, ledgerTransactions(t, w)-before)
	}
	if d, _ := w.Store.Deposit(w.Ctx, deps[1]); d.Status != auction.DepositRefundPending {
		t.Fatalf("the batch's first refund was booked alone: %s", d.Status)
	}
	for _, bad := range [][]payments.RefundPaid{nil, {{DepositID: deps[1], Reference: " "}}} {
		_, err := w.Store.MarkRefundedBatch(w.Ctx, bad)
		wantCode(t, err, auction.EInvalidField)
	}
	ds, err := w.Store.MarkRefundedBatch(w.Ctx, []payments.RefundPaid{{DepositID: deps[2], Reference: "OUT-B2"}, {DepositID: deps[1], Reference: "OUT-B1"}})
	if err != nil || len(ds) != 2 || ds[0].Status != auction.DepositRefunded || ds[1].Status != auction.DepositRefunded {
		t.Fatalf("batch %+v %v", ds, err)
	}
	wantLedgerBalanced(t, w)
}
