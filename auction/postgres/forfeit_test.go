package postgres_test

import (
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/payments"
)

// A defaulted round's forfeited deposit pays the round's recorded costs
// first, then goes to the case; when the lot's next round sells lower, the
// shortfall is taken from the case-debt share and the case system is told.
// The ledger balances and the proceeds show the allocation throughout.
func TestForfeitAllocatedInLegalOrder(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	if _, err := w.Store.RecordAuctionCost(w.Ctx, w.Clerk.ID, a.ID, 0, "x"); auction.ErrorCode(err) != auction.EInvalidField {
		t.Fatalf("zero cost: %v", err)
	}
	if _, err := w.Store.RecordAuctionCost(w.Ctx, w.Clerk.ID, a.ID, 100, " "); auction.ErrorCode(err) != auction.EInvalidField {
		t.Fatalf("blank description: %v", err)
	}
	const costs = 1_500_000
	if _, err := w.Store.RecordAuctionCost(w.Ctx, w.Clerk.ID, a.ID, costs, "评估费"); err != nil {
		t.Fatal(err)
	}
	hammer, _ := soldAt(t, w, a)
	got, _ := w.Store.Auction(w.Ctx, a.ID)
	w.Clock.Set(*got.BalanceDueAt)
	changes := w.Tick()
	if len(changes) != 1 {
		t.Fatalf("changes %+v", changes)
	}
	want := payments.ForfeitAllocation{AuctionCosts: costs, CaseDebt: a.Deposit - costs}
	item := proceedsItem(t, w, a.CaseID, a.ID)
	if al := item.ForfeitAllocation; al == nil || *al != want {
		t.Fatalf("allocation at the default %+v, want %+v", al, want)
	}
	acc := accounts(t, w, a.ID)
	if acc[payments.AccountAuctionCosts] != -costs || acc[payments.AccountCaseProceeds] != -(a.Deposit-costs) || acc[payments.AccountForfeited] != 0 {
		t.Fatalf("accounts after the default %v", acc)
	}
	var hook int64
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT (body->'data'->'allocation'->>'auction_costs')::bigint FROM case_notifications
		WHERE auction_id = $1 AND type = 'deposit.forfeited'`, a.ID).Scan(&hook); err != nil || hook != costs {
		t.Fatalf("deposit.forfeited allocation costs %d (%v)", hook, err)
	}
	p, _ := w.Store.CaseProceeds(w.Ctx, a.CaseID)
	if p.TotalReceived != a.Deposit || p.LedgerBalance != a.Deposit-costs {
		t.Fatalf("proceeds %+v", p)
	}
	wantLedgerBalanced(t, w)

	// The re-sale: a second round sells 3,000,000 fen lower.
	second := w.Publish(w.Schedule(auction.ScheduleParams{LotID: a.LotID, Round: auction.RoundSecond, StartPrice: a.StartPrice - 3_000_000,
		Increment: a.Increment, Deposit: a.Deposit, StartsAt: w.Now().Add(16 * 24 * time.Hour)}))
	resaleHammer, _ := soldAt(t, w, second)
	shortfall := hammer - resaleHammer
	want = payments.ForfeitAllocation{AuctionCosts: costs, ResaleShortfall: shortfall, CaseDebt: a.Deposit - costs - shortfall, ResaleAuctionID: &second.ID}
	item = proceedsItem(t, w, a.CaseID, a.ID)
	if al := item.ForfeitAllocation; al == nil || al.AuctionCosts != want.AuctionCosts || al.ResaleShortfall != want.ResaleShortfall ||
		al.CaseDebt != want.CaseDebt || al.ResaleAuctionID == nil || *al.ResaleAuctionID != second.ID {
		t.Fatalf("allocation after the re-sale %+v, want %+v", al, want)
	}
	var told int64
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT (body->'data'->'allocation'->>'resale_shortfall')::bigint FROM case_notifications
		WHERE auction_id = $1 AND type = 'forfeiture.reallocated'`, second.ID).Scan(&told); err != nil || told != shortfall {
		t.Fatalf("forfeiture.reallocated shortfall %d (%v), want %d", told, err, shortfall)
	}
	wantLedgerBalanced(t, w)
}

// A shortfall larger than the case-debt share takes all of it, never more.
func TestForfeitShortfallBoundedByTheDeposit(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	soldAt(t, w, a)
	got, _ := w.Store.Auction(w.Ctx, a.ID)
	w.TickAt(*got.BalanceDueAt)
	second := w.Publish(w.Schedule(auction.ScheduleParams{LotID: a.LotID, Round: auction.RoundSecond, StartPrice: a.StartPrice * 8 / 10,
		Increment: a.Increment, Deposit: a.Deposit * 8 / 10, StartsAt: w.Now().Add(16 * 24 * time.Hour)}))
	soldAt(t, w, second)
	al := proceedsItem(t, w, a.CaseID, a.ID).ForfeitAllocation
	if al == nil || al.ResaleShortfall != a.Deposit || al.CaseDebt != 0 || al.AuctionCosts != 0 {
		t.Fatalf("allocation %+v, want the whole deposit as shortfall", al)
	}
	wantLedgerBalanced(t, w)
}

func proceedsItem(t *testing.T, w *auctiontest.World, caseID, auctionID string) payments.ProceedsItem {
	t.Helper()
	p, err := w.Store.CaseProceeds(w.Ctx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range p.Items {
		if it.AuctionID == auctionID {
			return it
		}
	}
	t.Fatalf("no proceeds item for %s", auctionID)
	return payments.ProceedsItem{}
}

// Annulling a defaulted round owes the whole forfeited deposit back, each
// share taken from where the allocation put it: the costs share out of
// auction_costs, the re-sale shortfall and case-debt shares out of
// case_proceeds. No account is left short or long, and the proceeds and
// the case statement no longer count the allocation.
func TestAnnulDefaultedRoundReversesTheAllocation(t *testing.T) {
	t.Parallel()
	for _, resale := range []bool{false, true} {
		w := setup(t)
		a := w.Announced("住宅")
		const costs = 1_500_000
		if _, err := w.Store.RecordAuctionCost(w.Ctx, w.Clerk.ID, a.ID, costs, "评估费"); err != nil {
			t.Fatal(err)
		}
		hammer, _ := soldAt(t, w, a)
		got, _ := w.Store.Auction(w.Ctx, a.ID)
		w.TickAt(*got.BalanceDueAt)
		wantStatus(t, w, a.ID, auction.StatusDefaulted)
		var second *auction.Auction
		if resale {
			second = w.Publish(w.Schedule(auction.ScheduleParams{LotID: a.LotID, Round: auction.RoundSecond,
				StartPrice: a.StartPrice - 3_000_000, Increment: a.Increment, Deposit: a.Deposit, StartsAt: w.Now().Add(16 * 24 * time.Hour)}))
			resaleHammer, _ := soldAt(t, w, second)
			if al := proceedsItem(t, w, a.CaseID, a.ID).ForfeitAllocation; al == nil || al.ResaleShortfall != hammer-resaleHammer {
				t.Fatalf("resale=%v: allocation before the annulment %+v", resale, al)
			}
		}
		if _, _, err := w.Store.AnnulAuction(w.Ctx, act(w, a.ID, "撤销")); err != nil {
			t.Fatal(err)
		}
		acc := accounts(t, w, a.ID)
		if acc[payments.AccountAuctionCosts] != 0 || acc[payments.AccountCaseProceeds] != 0 || acc[payments.AccountForfeited] != 0 ||
			acc[payments.AccountRefundsDue] != -a.Deposit {
			t.Fatalf("resale=%v: accounts of the annulled round %v", resale, acc)
		}
		item := proceedsItem(t, w, a.CaseID, a.ID)
		if item.ForfeitAllocation != nil || item.ForfeitedDeposit != 0 || item.Status != auction.StatusAnnulled {
			t.Fatalf("resale=%v: proceeds item of the annulled round %+v", resale, item)
		}
		p, _ := w.Store.CaseProceeds(w.Ctx, a.CaseID)
		if p.LedgerBalance != p.TotalReceived {
			t.Fatalf("resale=%v: ledger balance %d, total received %d", resale, p.LedgerBalance, p.TotalReceived)
		}
		if resale {
			if s := proceedsItem(t, w, a.CaseID, second.ID); p.TotalReceived != s.DepositApplied || s.DepositApplied != second.Deposit {
				t.Fatalf("proceeds after the annulment %+v", p)
			}
		} else if p.TotalReceived != 0 {
			t.Fatalf("proceeds after the annulment %+v", p)
		}
		// The case system is told what was reversed.
		var told int64
		if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT (body->'data'->'forfeit_allocation_reversed'->>'auction_costs')::bigint FROM case_notifications
			WHERE auction_id = $1 AND type = 'auction.annulled'`, a.ID).Scan(&told); err != nil || told != costs {
			t.Fatalf("resale=%v: auction.annulled reversed costs %d (%v)", resale, told, err)
		}
		wantLedgerBalanced(t, w)
	}
}

// TestAuctionCostsTotalBounded: a round's costs never add up to more than
// one amount can be (payments.MaxAmount), however many are recorded, so the
// default that allocates the forfeited deposit to them still happens.
func TestAuctionCostsTotalBounded(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	var total int64
	for range 10 {
		c, err := w.Store.RecordAuctionCost(w.Ctx, w.Clerk.ID, a.ID, payments.MaxAmount, "评估费")
		switch {
		case err == nil:
			total += c.Amount
		case auction.ErrorCode(err) != auction.EInvalidField:
			t.Fatalf("cost refused with %v", err)
		}
	}
	if total != payments.MaxAmount {
		t.Fatalf("costs recorded %d, want %d", total, int64(payments.MaxAmount))
	}
	soldAt(t, w, a)
	got, _ := w.Store.Auction(w.Ctx, a.ID)
	w.Clock.Set(*got.BalanceDueAt)
	if changes := w.Tick(); len(changes) != 1 {
		t.Fatalf("changes %+v", changes)
	}
	if al := proceedsItem(t, w, a.CaseID, a.ID).ForfeitAllocation; al == nil || al.AuctionCosts != a.Deposit || al.CaseDebt != 0 {
		t.Fatalf("allocation %+v", al)
	}
	wantLedgerBalanced(t, w)
}
