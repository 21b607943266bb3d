package postgres_test

import (
	"testing"
	"time"

	"gavel/auction"
	"gavel/payments"
)

// A defaulted round's forfeited deposit pays the round's recorded costs
// first, then goes to the case; when the lot's next round sells lower, the
// shortfall is taken from the case-debt share and the case system is told.
// The ledger balances and the proceeds show the allocation throughout.
func TestForfeitAllocatedInLegalOrder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mustAuction(t, lotParams{})
	if _, err := b.store.RecordAuctionCost(b.ctx, b.clerk.ID, a.ID, 0, "x"); auction.ErrorCode(err) != auction.EInvalidField {
		t.Fatalf("zero cost: %v", err)
	}
	if _, err := b.store.RecordAuctionCost(b.ctx, b.clerk.ID, a.ID, 100, " "); auction.ErrorCode(err) != auction.EInvalidField {
		t.Fatalf("blank description: %v", err)
	}
	const costs = 1_500_000
	if _, err := b.store.RecordAuctionCost(b.ctx, b.clerk.ID, a.ID, costs, "评估费"); err != nil {
		t.Fatal(err)
	}
	hammer, _ := b.soldAt(t, a)
	got, _ := b.store.Auction(b.ctx, a.ID)
	b.clock.Set(*got.BalanceDueAt)
	changes := b.tick(t)
	if len(changes) != 1 {
		t.Fatalf("changes %+v", changes)
	}
	want := payments.ForfeitAllocation{AuctionCosts: costs, CaseDebt: a.Deposit - costs}
	item := b.proceedsItem(t, a.CaseID, a.ID)
	if al := item.ForfeitAllocation; al == nil || *al != want {
		t.Fatalf("allocation at the default %+v, want %+v", al, want)
	}
	acc := b.accounts(t, a.ID)
	if acc[payments.AccountAuctionCosts] != -costs || acc[payments.AccountCaseProceeds] != -(a.Deposit-costs) || acc[payments.AccountForfeited] != 0 {
		t.Fatalf("accounts after the default %v", acc)
	}
	var hook int64
	if err := b.store.Pool().QueryRow(b.ctx, `SELECT (body->'data'->'allocation'->>'auction_costs')::bigint FROM case_notifications
		WHERE auction_id = $1 AND type = 'deposit.forfeited'`, a.ID).Scan(&hook); err != nil || hook != costs {
		t.Fatalf("deposit.forfeited allocation costs %d (%v)", hook, err)
	}
	p, _ := b.store.CaseProceeds(b.ctx, a.CaseID)
	if p.TotalReceived != a.Deposit || p.LedgerBalance != a.Deposit-costs {
		t.Fatalf("proceeds %+v", p)
	}
	b.wantLedgerBalanced(t)

	// The re-sale: a second round sells 3,000,000 fen lower.
	starts := b.clock.Now().Add(16 * 24 * time.Hour)
	second, err := b.store.ScheduleAuction(b.ctx, auction.ScheduleParams{LotID: a.LotID, Round: auction.RoundSecond, StartPrice: a.StartPrice - 3_000_000,
		Increment: a.Increment, Deposit: a.Deposit, StartsAt: starts, EndsAt: starts.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if second, err = b.store.PublishAuction(b.ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	resaleHammer, _ := b.soldAt(t, second)
	shortfall := hammer - resaleHammer
	want = payments.ForfeitAllocation{AuctionCosts: costs, ResaleShortfall: shortfall, CaseDebt: a.Deposit - costs - shortfall, ResaleAuctionID: &second.ID}
	item = b.proceedsItem(t, a.CaseID, a.ID)
	if al := item.ForfeitAllocation; al == nil || al.AuctionCosts != want.AuctionCosts || al.ResaleShortfall != want.ResaleShortfall ||
		al.CaseDebt != want.CaseDebt || al.ResaleAuctionID == nil || *al.ResaleAuctionID != second.ID {
		t.Fatalf("allocation after the re-sale %+v, want %+v", al, want)
	}
	var told int64
	if err := b.store.Pool().QueryRow(b.ctx, `SELECT (body->'data'->'allocation'->>'resale_shortfall')::bigint FROM case_notifications
		WHERE auction_id = $1 AND type = 'forfeiture.reallocated'`, second.ID).Scan(&told); err != nil || told != shortfall {
		t.Fatalf("forfeiture.reallocated shortfall %d (%v), want %d", told, err, shortfall)
	}
	b.wantLedgerBalanced(t)
}

// A shortfall larger than the case-debt share takes all of it, never more.
func TestForfeitShortfallBoundedByTheDeposit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mustAuction(t, lotParams{})
	b.soldAt(t, a)
	got, _ := b.store.Auction(b.ctx, a.ID)
	b.clock.Set(*got.BalanceDueAt)
	b.tick(t)
	starts := b.clock.Now().Add(16 * 24 * time.Hour)
	second, err := b.store.ScheduleAuction(b.ctx, auction.ScheduleParams{LotID: a.LotID, Round: auction.RoundSecond, StartPrice: a.StartPrice * 8 / 10,
		Increment: a.Increment, Deposit: a.Deposit * 8 / 10, StartsAt: starts, EndsAt: starts.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if second, err = b.store.PublishAuction(b.ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	b.soldAt(t, second)
	al := b.proceedsItem(t, a.CaseID, a.ID).ForfeitAllocation
	if al == nil || al.ResaleShortfall != a.Deposit || al.CaseDebt != 0 || al.AuctionCosts != 0 {
		t.Fatalf("allocation %+v, want the whole deposit as shortfall", al)
	}
	b.wantLedgerBalanced(t)
}

func (b *bundle) proceedsItem(t *testing.T, caseID, auctionID string) payments.ProceedsItem {
	t.Helper()
	p, err := b.store.CaseProceeds(b.ctx, caseID)
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
		b := setup(t)
		a := b.mustAuction(t, lotParams{})
		const costs = 1_500_000
		if _, err := b.store.RecordAuctionCost(b.ctx, b.clerk.ID, a.ID, costs, "评估费"); err != nil {
			t.Fatal(err)
		}
		hammer, _ := b.soldAt(t, a)
		got, _ := b.store.Auction(b.ctx, a.ID)
		b.clock.Set(*got.BalanceDueAt)
		b.tick(t)
		b.wantStatus(t, a.ID, auction.StatusDefaulted)
		var second *auction.Auction
		if resale {
			starts := b.clock.Now().Add(16 * 24 * time.Hour)
			var err error
			second, err = b.store.ScheduleAuction(b.ctx, auction.ScheduleParams{LotID: a.LotID, Round: auction.RoundSecond,
				StartPrice: a.StartPrice - 3_000_000, Increment: a.Increment, Deposit: a.Deposit, StartsAt: starts, EndsAt: starts.Add(24 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if second, err = b.store.PublishAuction(b.ctx, second.ID); err != nil {
				t.Fatal(err)
			}
			resaleHammer, _ := b.soldAt(t, second)
			if al := b.proceedsItem(t, a.CaseID, a.ID).ForfeitAllocation; al == nil || al.ResaleShortfall != hammer-resaleHammer {
				t.Fatalf("resale=%v: allocation before the annulment %+v", resale, al)
			}
		}
		if _, _, err := b.store.AnnulAuction(b.ctx, b.act(a.ID, "撤销")); err != nil {
			t.Fatal(err)
		}
		acc := b.accounts(t, a.ID)
		if acc[payments.AccountAuctionCosts] != 0 || acc[payments.AccountCaseProceeds] != 0 || acc[payments.AccountForfeited] != 0 ||
			acc[payments.AccountRefundsDue] != -a.Deposit {
			t.Fatalf("resale=%v: accounts of the annulled round %v", resale, acc)
		}
		item := b.proceedsItem(t, a.CaseID, a.ID)
		if item.ForfeitAllocation != nil || item.ForfeitedDeposit != 0 || item.Status != auction.StatusAnnulled {
			t.Fatalf("resale=%v: proceeds item of the annulled round %+v", resale, item)
		}
		p, _ := b.store.CaseProceeds(b.ctx, a.CaseID)
		if p.LedgerBalance != p.TotalReceived {
			t.Fatalf("resale=%v: ledger balance %d, total received %d", resale, p.LedgerBalance, p.TotalReceived)
		}
		if resale {
			if s := b.proceedsItem(t, a.CaseID, second.ID); p.TotalReceived != s.DepositApplied || s.DepositApplied != second.Deposit {
				t.Fatalf("proceeds after the annulment %+v", p)
			}
		} else if p.TotalReceived != 0 {
			t.Fatalf("proceeds after the annulment %+v", p)
		}
		// The case system is told what was reversed.
		var told int64
		if err := b.store.Pool().QueryRow(b.ctx, `SELECT (body->'data'->'forfeit_allocation_reversed'->>'auction_costs')::bigint FROM case_notifications
			WHERE auction_id = $1 AND type = 'auction.annulled'`, a.ID).Scan(&told); err != nil || told != costs {
			t.Fatalf("resale=%v: auction.annulled reversed costs %d (%v)", resale, told, err)
		}
		b.wantLedgerBalanced(t)
	}
}

// TestAuctionCostsTotalBounded: a round's costs never add up to more than
// one amount can be (payments.MaxAmount), however many are recorded, so the
// default that allocates the forfeited deposit to them still happens.
func TestAuctionCostsTotalBounded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mustAuction(t, lotParams{})
	var total int64
	for range 10 {
		c, err := b.store.RecordAuctionCost(b.ctx, b.clerk.ID, a.ID, payments.MaxAmount, "评估费")
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
	b.soldAt(t, a)
	got, _ := b.store.Auction(b.ctx, a.ID)
	b.clock.Set(*got.BalanceDueAt)
	if changes := b.tick(t); len(changes) != 1 {
		t.Fatalf("changes %+v", changes)
	}
	if al := b.proceedsItem(t, a.CaseID, a.ID).ForfeitAllocation; al == nil || al.AuctionCosts != a.Deposit || al.CaseDebt != 0 {
		t.Fatalf("allocation %+v", al)
	}
	b.wantLedgerBalanced(t)
}
