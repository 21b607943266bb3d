package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/payments"
)

// soldAndSettled runs an auction to settled: a winner and a loser, the
// loser refunded, the balance paid. It returns the winner's and the loser's
// registrations.
func soldAndSettled(t *testing.T, w *auctiontest.World, a *auction.Auction, refund bool) (win, lose *auction.Registration) {
	t.Helper()
	winner := w.Verified("", "")
	loser := w.Verified("", "")
	win, lose = w.Qualify(winner, a.ID), w.Qualify(loser, a.ID)
	w.Open(a)
	w.Bid(loser, a.ID, a.StartPrice)
	w.Bid(winner, a.ID, a.StartPrice+a.Increment)
	w.Close(a)
	if refund {
		if _, err := w.Store.MarkRefunded(w.Ctx, lose.Deposit.ID, "REFUND-"+lose.ID[:8]); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := w.Store.RecordBalancePayment(w.Ctx, "", a.ID, a.StartPrice+a.Increment-a.Deposit, "BAL-"+a.ID[:8]); err != nil {
		t.Fatal(err)
	}
	return win, lose
}

func reconcile(t *testing.T, w *auctiontest.World) *payments.Reconciliation {
	t.Helper()
	r, err := w.Store.Reconcile(w.Ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), w.Clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func account(r *payments.Reconciliation, name string) payments.AccountTotal {
	for _, a := range r.Accounts {
		if a.Account == name {
			return a
		}
	}
	return payments.AccountTotal{Account: name}
}

// A clean period reconciles: every escrow movement has its provider record,
// and the totals tie out across the report.
func TestReconcileTiesOut(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	win, _ := soldAndSettled(t, w, a, true)
	if _, err := w.Store.Remit(w.Ctx, "", a.CaseID, a.StartPrice, "REMIT-1"); err != nil {
		t.Fatal(err)
	}
	r := reconcile(t, w)
	if !r.OK || len(r.Differences) != 0 {
		t.Fatalf("clean books do not reconcile: %+v", r.Differences)
	}
	// held x2, refunded, balance, remittance
	if len(r.Lines) != 5 {
		t.Fatalf("%d lines: %+v", len(r.Lines), r.Lines)
	}
	if r.AccountsTotal.Debits != r.AccountsTotal.Credits || r.AccountsTotal.Net != 0 || r.AccountsTotal.Closing != 0 {
		t.Fatalf("accounts do not balance: %+v", r.AccountsTotal)
	}
	escrow := account(r, payments.AccountEscrow)
	if r.LinesTotal.Ledger != escrow.Net || r.LinesTotal.Provider != escrow.Net {
		t.Fatalf("lines total %+v, escrow net %d", r.LinesTotal, escrow.Net)
	}
	hammer := a.StartPrice + a.Increment
	if escrow.Closing != hammer-a.StartPrice {
		t.Fatalf("escrow closing %d, want hammer %d minus remitted %d", escrow.Closing, hammer, a.StartPrice)
	}
	if len(r.Escrow) != 1 || r.Escrow[0].Provider != payments.ProviderBank || r.Escrow[0].Ledger != win.Deposit.Amount || r.Escrow[0].Difference != 0 {
		t.Fatalf("escrow by provider %+v, want the winner's deposit %d", r.Escrow, win.Deposit.Amount)
	}
	// A period before any of it is empty and clean.
	empty, err := w.Store.Reconcile(w.Ctx, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || len(empty.Lines) != 0 || len(empty.Accounts) != 0 || !empty.OK {
		t.Fatalf("empty period: %+v %v", empty, err)
	}
	_, err = w.Store.Reconcile(w.Ctx, w.Clock.Now(), w.Clock.Now())
	wantCode(t, err, auction.EInvalidField)
}

// Reconciliation finds a planted mismatch on each side: a provider record
// with no ledger entry, and a ledger entry with no provider record.
func TestReconcileFindsPlantedMismatch(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	_, lose := soldAndSettled(t, w, a, true)
	pool := w.Store.Pool()
	now := w.Clock.Now()
	if _, err := pool.Exec(w.Ctx, `INSERT INTO provider_records (provider, kind, deposit_id, auction_id, case_id, amount, external_ref, occurred_at)
		VALUES ('bank', 'deposit_received', $1, $2, $3, 12345, 'BANK-GHOST', $4)`, lose.Deposit.ID, a.ID, a.CaseID, now); err != nil {
		t.Fatal(err)
	}
	err := pgx.BeginFunc(w.Ctx, pool, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(w.Ctx, `INSERT INTO ledger_transactions (kind, auction_id, case_id, reference, created_at)
			VALUES ('balance_received', $1, $2, 'BAL-GHOST', $3) RETURNING id`, a.ID, a.CaseID, now).Scan(&id); err != nil {
			return err
		}
		_, err := tx.Exec(w.Ctx, `INSERT INTO ledger_entries (transaction_id, account, amount) VALUES ($1, 'court_escrow', 5000), ($1, 'case_proceeds', -5000)`, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	r := reconcile(t, w)
	if r.OK || len(r.Differences) != 2 {
		t.Fatalf("differences %+v", r.Differences)
	}
	found := map[string]payments.Line{}
	for _, l := range r.Differences {
		found[l.Reference] = l
	}
	if l := found["BANK-GHOST"]; l.Status != payments.LineMissingInLedger || l.ProviderAmount != 12345 || l.Difference != -12345 || l.DepositID != lose.Deposit.ID {
		t.Fatalf("planted provider record: %+v", l)
	}
	if l := found["BAL-GHOST"]; l.Status != payments.LineMissingAtProvider || l.LedgerAmount != 5000 || l.Difference != 5000 {
		t.Fatalf("planted ledger entry: %+v", l)
	}
	if r.LinesTotal.Difference != 5000-12345 || r.EscrowTotal.Difference != -12345 {
		t.Fatalf("totals %+v escrow %+v", r.LinesTotal, r.EscrowTotal)
	}
	if r.LinesTotal.Ledger != account(r, payments.AccountEscrow).Net {
		t.Fatalf("lines ledger total %d, escrow net %d", r.LinesTotal.Ledger, account(r, payments.AccountEscrow).Net)
	}
}

// A released deposit not paid back 24 h after the close is overdue: a
// breach of Art. 23, flagged in the refunds due and the reconciliation.
func TestRefundsDueAndOverdue(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	_, lose := soldAndSettled(t, w, a, false)
	due, err := w.Store.RefundsDue(w.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].DepositID != lose.Deposit.ID || due[0].Overdue || due[0].Amount != lose.Deposit.Amount ||
		due[0].BidderCode != *lose.BidderCode || !due[0].DueBy.Equal(a.EndsAt.Add(24*time.Hour)) {
		t.Fatalf("refunds due %+v", due)
	}
	w.Clock.Set(a.EndsAt.Add(24*time.Hour + time.Second))
	due, _ = w.Store.RefundsDue(w.Ctx)
	if len(due) != 1 || !due[0].Overdue {
		t.Fatalf("a refund 24 h after the close is not overdue: %+v", due)
	}
	r := reconcile(t, w)
	if r.OK || r.RefundsDueTotal.OverdueCount != 1 || r.RefundsDueTotal.OverdueAmount != lose.Deposit.Amount {
		t.Fatalf("reconciliation refunds %+v ok %v", r.RefundsDueTotal, r.OK)
	}
	if _, err := w.Store.MarkRefunded(w.Ctx, lose.Deposit.ID, "LATE-REFUND"); err != nil {
		t.Fatal(err)
	}
	if due, _ = w.Store.RefundsDue(w.Ctx); len(due) != 0 {
		t.Fatalf("refunded deposit still due: %+v", due)
	}
}

// The proceeds of a case with a settled, a failed and a defaulted round
// add up to the ledger, before and after a remittance.
func TestCaseProceedsAddUpToLedger(t *testing.T) {
	t.Parallel()
	w := setup(t)
	c := w.CaseOf(auction.NewCase{Debtors: []auction.Party{{Name: "债务人", IDNumber: idn("D77")}}})
	lotA := w.LotOf(c.ID, auction.NewLot{Title: "A", Description: "a", Category: auction.CategoryRealEstate, AppraisalValue: 10_000_000})
	lotB := w.LotOf(c.ID, auction.NewLot{Title: "B", Description: "b", Category: auction.CategoryRealEstate, AppraisalValue: 20_000_000})
	settled := w.Round(lotA.ID, auction.RoundFirst, 7_000_000)
	failed := w.Round(lotB.ID, auction.RoundFirst, 14_000_000)
	soldAndSettled(t, w, settled, true)
	w.Close(failed)

	defaulted := w.Round(lotB.ID, auction.RoundSecond, 12_000_000)
	buyer := w.Verified("", "")
	reg := w.Qualify(buyer, defaulted.ID)
	w.Open(defaulted)
	w.Bid(buyer, defaulted.ID, defaulted.StartPrice)
	w.Close(defaulted)
	w.Clock.Advance(11 * 24 * time.Hour)
	w.Tick()

	p, err := w.Store.CaseProceeds(w.Ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]string{}
	for _, i := range p.Items {
		statuses[i.AuctionID] = i.Status
	}
	if statuses[settled.ID] != auction.StatusSettled || statuses[failed.ID] != auction.StatusFailed || statuses[defaulted.ID] != auction.StatusDefaulted {
		t.Fatalf("items %+v", p.Items)
	}
	want := settled.StartPrice + settled.Increment + reg.Deposit.Amount
	if p.TotalReceived != want || p.LedgerBalance != want {
		t.Fatalf("total received %d, ledger %d, want %d", p.TotalReceived, p.LedgerBalance, want)
	}
	if _, err := w.Store.Remit(w.Ctx, "", c.ID, 5_000_000, "REMIT-77"); err != nil {
		t.Fatal(err)
	}
	p, _ = w.Store.CaseProceeds(w.Ctx, c.ID)
	if p.TotalReceived != want || p.LedgerBalance != want-5_000_000 {
		t.Fatalf("after remitting: received %d, ledger %d", p.TotalReceived, p.LedgerBalance)
	}
	rs, err := w.Store.Remittances(w.Ctx, c.ID)
	if err != nil || len(rs) != 1 || rs[0].Amount != 5_000_000 || rs[0].Reference != "REMIT-77" || rs[0].NotificationID == nil {
		t.Fatalf("remittances %+v %v", rs, err)
	}
	if !reconcile(t, w).OK {
		t.Fatal("the case's books do not reconcile")
	}
}

// Remittances are refused when invalid or beyond the case's balance; two
// concurrent remittances of the whole balance cannot both succeed.
func TestRemitRefusals(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	soldAndSettled(t, w, a, true)
	hammer := a.StartPrice + a.Increment
	_, err := w.Store.Remit(w.Ctx, "", a.CaseID, 0, "R")
	wantCode(t, err, auction.EInvalidField)
	_, err = w.Store.Remit(w.Ctx, "", a.CaseID, 100, "  ")
	wantCode(t, err, auction.EInvalidField)
	_, err = w.Store.Remit(w.Ctx, "", "00000000-0000-0000-0000-000000000000", 100, "R")
	wantCode(t, err, auction.ENotFound)
	_, err = w.Store.Remit(w.Ctx, "", "not-a-uuid", 100, "R")
	wantCode(t, err, auction.ENotFound)
	_, err = w.Store.Remit(w.Ctx, "", a.CaseID, hammer+1, "R")
	wantCode(t, err, auction.EOverpayment)

	errs := make(chan error, 2)
	for i := range 2 {
		go func() {
			_, err := w.Store.Remit(context.Background(), "", a.CaseID, hammer, "RACE-"+string(rune('A'+i)))
			errs <- err
		}()
	}
	var ok, over int
	for range 2 {
		switch err := <-errs; auction.ErrorCode(err) {
		case auction.EOverpayment:
			over++
		default:
			if err != nil {
				t.Fatal(err)
			}
			ok++
		}
	}
	if ok != 1 || over != 1 {
		t.Fatalf("%d remittances succeeded, %d refused; want 1 and 1", ok, over)
	}
	p, _ := w.Store.CaseProceeds(w.Ctx, a.CaseID)
	if p.LedgerBalance != 0 {
		t.Fatalf("case balance %d after remitting everything", p.LedgerBalance)
	}
}

// The ledger listing pages through balanced transactions, filtered; the
// money summary of an auction adds up.
func TestLedgerListingAndAuctionMoney(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	other := w.Announced("住宅")
	w.Qualify(w.Verified("", ""), other.ID)
	win, lose := soldAndSettled(t, w, a, false)

	all, more, err := w.Store.Ledger(w.Ctx, payments.LedgerFilter{AuctionID: a.ID})
	if err != nil || more {
		t.Fatal(err, more)
	}
	// held x2, applied, released, balance received
	if len(all) != 5 {
		t.Fatalf("%d transactions", len(all))
	}
	for _, tx := range all {
		var sum int64
		for _, e := range tx.Entries {
			sum += e.Amount
		}
		if sum != 0 || len(tx.Entries) < 2 || *tx.AuctionID != a.ID {
			t.Fatalf("transaction %+v", tx)
		}
	}
	page, more, err := w.Store.Ledger(w.Ctx, payments.LedgerFilter{AuctionID: a.ID, Limit: 2})
	if err != nil || !more || len(page) != 2 {
		t.Fatalf("first page: %d more=%v %v", len(page), more, err)
	}
	page2, _, _ := w.Store.Ledger(w.Ctx, payments.LedgerFilter{AuctionID: a.ID, Limit: 2, After: page[1].ID})
	if len(page2) != 2 || page2[0].ID <= page[1].ID || page2[0].ID != all[2].ID {
		t.Fatalf("second page %+v", page2)
	}
	refunds, _, _ := w.Store.Ledger(w.Ctx, payments.LedgerFilter{Account: payments.AccountRefundsDue, AuctionID: a.ID})
	if len(refunds) != 1 || *refunds[0].DepositID != lose.Deposit.ID {
		t.Fatalf("refunds_due transactions %+v", refunds)
	}
	held, _, _ := w.Store.Ledger(w.Ctx, payments.LedgerFilter{Kind: payments.TxDepositHeld})
	if len(held) != 3 {
		t.Fatalf("%d deposit_held transactions across auctions, want 3", len(held))
	}
	_, _, err = w.Store.Ledger(w.Ctx, payments.LedgerFilter{CaseID: "nope"})
	wantCode(t, err, auction.EInvalidField)

	m, err := w.Store.AuctionMoney(w.Ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	hammer := a.StartPrice + a.Increment
	if m.Status != auction.StatusSettled || m.DepositApplied != win.Deposit.Amount || m.BalanceReceived != hammer-a.Deposit ||
		m.Outstanding != 0 || m.Deposits[auction.DepositRefundPending].Count != 1 || len(m.RefundsDue) != 1 || m.LedgerTransactions != 5 {
		t.Fatalf("money %+v", m)
	}
	if m.Accounts[payments.AccountEscrow] != hammer+lose.Deposit.Amount || m.Accounts[payments.AccountCaseProceeds] != -hammer {
		t.Fatalf("accounts %+v", m.Accounts)
	}
	_, err = w.Store.AuctionMoney(w.Ctx, "00000000-0000-0000-0000-000000000000")
	wantCode(t, err, auction.ENotFound)
}
