package payments_test

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"gavel/payments"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func id(n int64) *int64 { return &n }

// sample is a reconciliation with every kind of line: matched bank and
// Stripe movements, a provider record with no ledger entry, a ledger entry
// with no provider record, an amount that differs; and a refund overdue.
func sample() *payments.Reconciliation {
	at := time.Date(2026, 5, 2, 9, 30, 0, 0, time.UTC)
	ledger := []payments.Line{
		{Kind: payments.RecordDepositReceived, Provider: "bank", DepositID: "dep-1", AuctionID: "auc-1", CaseID: "case-1", Reference: "BANK-1", At: at, LedgerTransactionID: id(1), LedgerAmount: 700_000},
		{Kind: payments.RecordDepositReceived, Provider: "stripe", DepositID: "dep-2", AuctionID: "auc-1", CaseID: "case-1", Reference: "pi_2", At: at.Add(time.Minute), LedgerTransactionID: id(2), LedgerAmount: 700_000},
		{Kind: payments.RecordDepositReturned, Provider: "stripe", DepositID: "dep-2", AuctionID: "auc-1", CaseID: "case-1", Reference: "pi_2", At: at.Add(25 * time.Hour), LedgerTransactionID: id(7), LedgerAmount: -700_000},
		{Kind: payments.RecordBalanceReceived, Provider: "bank", AuctionID: "auc-1", CaseID: "case-1", Reference: "BAL-1", At: at.Add(48 * time.Hour), LedgerTransactionID: id(9), LedgerAmount: 6_300_000},
		{Kind: payments.RecordBalanceReceived, Provider: "bank", AuctionID: "auc-1", CaseID: "case-1", Reference: "BAL-2", At: at.Add(49 * time.Hour), LedgerTransactionID: id(10), LedgerAmount: 100_000},
		{Kind: payments.RecordProceedsRemitted, Provider: "bank", CaseID: "case-1", Reference: "REMIT-1", At: at.Add(72 * time.Hour), LedgerTransactionID: id(11), LedgerAmount: -5_000_000},
	}
	provider := []payments.Line{
		{Kind: payments.RecordDepositReceived, Provider: "bank", DepositID: "dep-1", AuctionID: "auc-1", CaseID: "case-1", Reference: "BANK-1", At: at, ProviderRecordID: id(1), ProviderAmount: 700_000},
		{Kind: payments.RecordDepositReceived, Provider: "stripe", DepositID: "dep-2", AuctionID: "auc-1", CaseID: "case-1", Reference: "pi_2", At: at.Add(time.Minute), ProviderRecordID: id(2), ProviderAmount: 700_000},
		{Kind: payments.RecordDepositReturned, Provider: "stripe", DepositID: "dep-2", AuctionID: "auc-1", CaseID: "case-1", Reference: "pi_2", At: at.Add(25 * time.Hour), ProviderRecordID: id(5), ProviderAmount: -700_000},
		{Kind: payments.RecordBalanceReceived, Provider: "bank", AuctionID: "auc-1", CaseID: "case-1", Reference: "BAL-1", At: at.Add(48 * time.Hour), ProviderRecordID: id(6), ProviderAmount: 6_000_000},
		{Kind: payments.RecordProceedsRemitted, Provider: "bank", CaseID: "case-1", Reference: "REMIT-1", At: at.Add(72 * time.Hour), ProviderRecordID: id(7), ProviderAmount: -5_000_000},
		{Kind: payments.RecordDepositReceived, Provider: "bank", DepositID: "dep-9", AuctionID: "auc-2", CaseID: "case-2", Reference: "BANK-9", At: at.Add(80 * time.Hour), ProviderRecordID: id(8), ProviderAmount: 500_000},
	}
	r := &payments.Reconciliation{
		From: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
		GeneratedAt: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC), Currency: "CNY",
		Accounts: []payments.AccountTotal{
			{Account: payments.AccountBidderDeposits, Opening: -200_000, Debits: 1_400_000, Credits: 1_400_000, Net: 0, Closing: -200_000},
			{Account: payments.AccountCaseProceeds, Opening: 0, Debits: 5_000_000, Credits: 7_100_000, Net: -2_100_000, Closing: -2_100_000},
			{Account: payments.AccountEscrow, Opening: 200_000, Debits: 7_800_000, Credits: 5_700_000, Net: 2_100_000, Closing: 2_300_000},
			{Account: payments.AccountRefundsDue, Opening: 0, Debits: 700_000, Credits: 700_000, Net: 0, Closing: 0},
		},
		Lines: payments.Match(ledger, provider),
		Escrow: []payments.EscrowTotal{
			{Provider: "bank", Ledger: 900_000, Records: 1_400_000, Difference: -500_000},
			{Provider: "stripe", Ledger: 0, Records: 0, Difference: 0},
		},
		RefundsDue: []payments.RefundDue{
			{DepositID: "dep-3", AuctionID: "auc-1", BidderCode: "BK7Q2", Provider: "bank", Amount: 700_000, PayReference: "GVAB12CD34EF",
				ConfirmReference: "BANK-3", ReleasedAt: at.Add(24 * time.Hour), DueBy: at.Add(48 * time.Hour), Overdue: true},
			{DepositID: "dep-4", AuctionID: "auc-3", BidderCode: "BZ3M9", Provider: "bank", Amount: 350_000, PayReference: "GVXY98ZW76VU",
				ConfirmReference: "BANK-4", ReleasedAt: at.Add(700 * time.Hour), DueBy: at.Add(724 * time.Hour)},
		},
	}
	r.Finish()
	return r
}

func TestMatch(t *testing.T) {
	t.Parallel()
	r := sample()
	want := []string{payments.LineMatched, payments.LineMatched, payments.LineMatched, payments.LineAmountDiffers,
		payments.LineMissingAtProvider, payments.LineMatched, payments.LineMissingInLedger}
	if len(r.Lines) != len(want) {
		t.Fatalf("%d lines: %+v", len(r.Lines), r.Lines)
	}
	for i, l := range r.Lines {
		if l.Status != want[i] {
			t.Errorf("line %d (%s %s): %s, want %s", i, l.Kind, l.Reference, l.Status, want[i])
		}
	}
	if r.LinesTotal.Differences != 3 || len(r.Differences) != 3 || r.OK {
		t.Fatalf("totals %+v, ok %v", r.LinesTotal, r.OK)
	}
	// The totals tie out: ledger minus provider is the sum of differences.
	var diff int64
	for _, l := range r.Lines {
		diff += l.Difference
	}
	if r.LinesTotal.Ledger-r.LinesTotal.Provider != diff || diff != r.LinesTotal.Difference {
		t.Fatalf("differences %d, totals %+v", diff, r.LinesTotal)
	}
	if r.AccountsTotal.Debits != r.AccountsTotal.Credits || r.AccountsTotal.Net != 0 || r.AccountsTotal.Closing != 0 {
		t.Fatalf("accounts total %+v", r.AccountsTotal)
	}
	if r.RefundsDueTotal != (payments.RefundTotal{Count: 2, Amount: 1_050_000, OverdueCount: 1, OverdueAmount: 700_000}) {
		t.Fatalf("refunds total %+v", r.RefundsDueTotal)
	}
}

func TestCSVGolden(t *testing.T) {
	t.Parallel()
	r := sample()
	for name, write := range map[string]func(*bytes.Buffer) error{
		"reconciliation_lines.csv":    func(b *bytes.Buffer) error { return payments.WriteLinesCSV(b, r) },
		"reconciliation_accounts.csv": func(b *bytes.Buffer) error { return payments.WriteAccountsCSV(b, r) },
		"reconciliation_escrow.csv":   func(b *bytes.Buffer) error { return payments.WriteEscrowCSV(b, r) },
		"refunds_due.csv":             func(b *bytes.Buffer) error { return payments.WriteRefundsCSV(b, r.RefundsDue) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./payments -update to create it)", err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s differs from the golden file:\n%s\nwant:\n%s", name, b.Bytes(), want)
		}
		// Every export parses as one rectangular table whose last row is TOTAL.
		rows, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if last := rows[len(rows)-1]; last[0] != "TOTAL" {
			t.Errorf("%s: last row %v", name, last)
		}
	}
}

// The TOTAL row of the lines CSV equals the column sums, read back as a
// spreadsheet would.
func TestCSVTotalsTieOut(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := payments.WriteLinesCSV(&b, sample()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var sums [3]int64
	for _, row := range rows[1 : len(rows)-1] {
		for i, col := range []int{9, 10, 11} {
			n, err := strconv.ParseInt(row[col], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			sums[i] += n
		}
	}
	total := rows[len(rows)-1]
	for i, col := range []int{9, 10, 11} {
		if total[col] != strconv.FormatInt(sums[i], 10) {
			t.Errorf("column %s: TOTAL %s, sum %d", rows[0][col], total[col], sums[i])
		}
	}
}

// The ledger's bank movements against the bank's statement: every kind of
// difference is named; a day no statement covers is not reported missing.
func TestCompareStatement(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 6, d, 0, 0, 0, 0, time.UTC) }
	ledger := []payments.Line{
		{Provider: payments.ProviderBank, Reference: "IN-OK", LedgerAmount: 500, LedgerTransactionID: id(1), At: day(1).Add(3 * time.Hour)},
		{Provider: payments.ProviderBank, Reference: "IN-DIFF", LedgerAmount: 700, LedgerTransactionID: id(2), At: day(1).Add(4 * time.Hour)},
		{Provider: payments.ProviderBank, Reference: "IN-MISSING", LedgerAmount: 900, LedgerTransactionID: id(3), At: day(1).Add(5 * time.Hour)},
		{Provider: payments.ProviderBank, Reference: "OUT-OK", LedgerAmount: -200, LedgerTransactionID: id(4), At: day(1).Add(6 * time.Hour)},
		{Provider: payments.ProviderBank, Reference: "UNCOVERED", LedgerAmount: 100, LedgerTransactionID: id(5), At: day(5)},
		{Provider: payments.ProviderStripe, Reference: "pi_1", LedgerAmount: 100, LedgerTransactionID: id(6), At: day(1)},
		// 23:30 UTC on 1 June is 2 June in Beijing, which no statement covers.
		{Provider: payments.ProviderBank, Reference: "LATE", LedgerAmount: 100, LedgerTransactionID: id(7), At: day(1).Add(23*time.Hour + 30*time.Minute)},
	}
	stmt := []payments.StatementLine{
		{Reference: "IN-OK", Direction: "credit", Amount: 500, BookedOn: day(1)},
		{Reference: "IN-DIFF", Direction: "credit", Amount: 699, BookedOn: day(1)},
		{Reference: "OUT-OK", Direction: "debit", Amount: 200, BookedOn: day(1)},
		{Reference: "NOT-BOOKED", Direction: "credit", Amount: 42, BookedOn: day(1)},
		// The same reference the other way is another movement.
		{Reference: "IN-OK", Direction: "debit", Amount: 500, BookedOn: day(1)},
	}
	got := payments.CompareStatement(ledger, stmt, func(d time.Time) bool { return d.Equal(day(1)) })
	want := map[string]string{"IN-DIFF": payments.StatementAmountDiffers, "IN-MISSING": payments.StatementBookedNotOnStatement, "NOT-BOOKED": payments.StatementNotBooked}
	if len(got) != 4 {
		t.Fatalf("differences %+v", got)
	}
	var reversed bool
	for _, d := range got {
		if d.Reference == "IN-OK" && d.Status == payments.StatementNotBooked && d.StatementAmount == -500 {
			reversed = true
			continue
		}
		if want[d.Reference] != d.Status {
			t.Errorf("%s: %s, want %s", d.Reference, d.Status, want[d.Reference])
		}
	}
	if !reversed {
		t.Errorf("the debit IN-OK line is not reported: %+v", got)
	}
}
