package postgres_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/payments"
	"gavel/payments/statement"
)

// statementFile reads a sample under payments/statement/testdata with its
// {{PAYREFn}} placeholders replaced, and parses it.
func statementFile(t *testing.T, name string, refs ...string) *statement.Statement {
	t.Helper()
	b, err := os.ReadFile("../../payments/statement/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for i, r := range refs {
		text = strings.ReplaceAll(text, "{{PAYREF"+string(rune('1'+i))+"}}", r)
	}
	st, err := statement.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func ledgerTransactions(t tb, w *auctiontest.World) int {
	t.Helper()
	var n int
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT count(*) FROM ledger_transactions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A camt.053 statement and a CSV statement, each imported twice: exact
// matches confirm their deposits once, a part payment and unknown lines
// are listed for finance, the second import books nothing.
func TestImportStatements(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	var refs []string
	var deps []string
	for range 4 {
		reg := w.Register(w.Verified("", ""), a.ID)
		refs, deps = append(refs, reg.Deposit.PayReference), append(deps, reg.Deposit.ID)
	}
	if a.Deposit != 7_000_000 {
		t.Fatalf("the samples pay 70,000 yuan; the deposit is %d fen", a.Deposit)
	}

	camt := statementFile(t, "camt053.xml", refs[0], refs[1])
	for round := range 2 {
		before := ledgerTransactions(t, w)
		imp, err := w.Store.ImportStatement(w.Ctx, w.Clerk.ID, "camt053.xml", camt)
		if err != nil {
			t.Fatal(err)
		}
		if round == 1 {
			if imp.Repeated != 4 || len(imp.New) != 0 || ledgerTransactions(t, w) != before {
				t.Fatalf("second import: %+v", imp)
			}
			continue
		}
		if imp.Lines != 4 || imp.Confirmed != 1 || imp.Partial != 1 || imp.Unmatched != 2 || imp.Repeated != 0 {
			t.Fatalf("first import: %+v", imp)
		}
		if got := imp.New[0]; got.Status != payments.LineConfirmed || got.MatchID == nil || *got.MatchID != deps[0] {
			t.Fatalf("exact line %+v", got)
		}
		if got := imp.New[1]; got.Status != payments.LinePartial || !strings.Contains(got.Note, "exact amount") {
			t.Fatalf("part payment line %+v", got)
		}
	}
	if d, _ := w.Store.Deposit(w.Ctx, deps[0]); d.Status != auction.DepositHeld {
		t.Fatalf("exactly paid deposit %s", d.Status)
	}
	if d, _ := w.Store.Deposit(w.Ctx, deps[1]); d.Status != auction.DepositPending {
		t.Fatalf("part paid deposit %s", d.Status)
	}
	if n := ledgerCount(t, w, payments.TxDepositHeld, "ICBC20260601000101"); n != 1 {
		t.Fatalf("%d deposit_held for the statement line", n)
	}

	// Finance typed one transfer by hand before the CSV came: its line
	// is matched, not booked again.
	if _, err := w.Store.ConfirmDeposit(w.Ctx, deps[3], "BOC20260602-0002"); err != nil {
		t.Fatal(err)
	}
	csv := statementFile(t, "statement.csv", refs[2], refs[3])
	for round := range 2 {
		before := ledgerTransactions(t, w)
		imp, err := w.Store.ImportStatement(w.Ctx, w.Clerk.ID, "statement.csv", csv)
		if err != nil {
			t.Fatal(err)
		}
		if round == 1 {
			if imp.Repeated != 3 || len(imp.New) != 0 || ledgerTransactions(t, w) != before {
				t.Fatalf("second CSV import: %+v", imp)
			}
			continue
		}
		if imp.Confirmed != 1 || imp.Partial != 1 || imp.Unmatched != 1 {
			t.Fatalf("CSV import: %+v", imp)
		}
		// Typed as 70,000.00 by finance, 69,999.99 on the statement.
		if got := imp.New[1]; got.Status != payments.LinePartial || got.MatchKind != payments.BookDepositConfirmation {
			t.Fatalf("typed line %+v", got)
		}
	}
	if d, _ := w.Store.Deposit(w.Ctx, deps[2]); d.Status != auction.DepositHeld {
		t.Fatalf("CSV-paid deposit %s", d.Status)
	}
	open, err := w.Store.StatementLines(w.Ctx, "")
	if err != nil || len(open) != 5 {
		t.Fatalf("lines for finance %d %v", len(open), err)
	}
	wantLedgerBalanced(t, w)

	// Reconciled against the statement: the typed transfer's amount
	// differs, the lines nothing booked are named, the confirmed ones
	// agree.
	r, err := w.Store.Reconcile(w.Ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range r.Statement {
		got[d.Reference] = d.Status
	}
	want := map[string]string{
		"BOC20260602-0002":   payments.StatementAmountDiffers,
		"ICBC20260601000102": payments.StatementNotBooked, // a part payment
		"ICBC20260601000103": payments.StatementNotBooked,
		"ICBC20260601000104": payments.StatementNotBooked,
		"BOC20260602-0003":   payments.StatementNotBooked,
	}
	if len(got) != len(want) || r.OK {
		t.Fatalf("statement differences %v (ok %v), want %v", got, r.OK, want)
	}
	for ref, st := range want {
		if got[ref] != st {
			t.Errorf("%s: %q, want %q", ref, got[ref], st)
		}
	}
}

// A buyer's transfer quoting their code with exactly the outstanding
// balance is booked as the balance payment and settles the auction.
func TestImportStatementBalancePayment(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	buyer := w.Verified("", "")
	reg := w.Qualify(buyer, a.ID)
	w.Open(a)
	w.Bid(buyer, a.ID, a.StartPrice)
	w.Close(a)
	owed := a.StartPrice - a.Deposit
	text := "date,reference,amount,remittance\n2026-06-05,BAL-STMT-1,1000.00,尾款 " + reg.Deposit.PayReference + "\n" +
		"2026-06-05,BAL-STMT-2," + payments.Yuan(owed) + ",尾款 " + reg.Deposit.PayReference + "\n"
	st, err := statement.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	imp, err := w.Store.ImportStatement(w.Ctx, w.Clerk.ID, "balance.csv", st)
	if err != nil {
		t.Fatal(err)
	}
	if imp.Partial != 1 || imp.Confirmed != 1 || imp.New[1].MatchID == nil || *imp.New[1].MatchID != a.ID {
		t.Fatalf("import %+v", imp)
	}
	if got, _ := w.Store.Auction(w.Ctx, a.ID); got.Status != auction.StatusSettled {
		t.Fatalf("auction %s after the statement", got.Status)
	}
	wantLedgerBalanced(t, w)
}
