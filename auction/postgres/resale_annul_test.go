package postgres_test

import (
	"testing"
	"time"

	"gavel/auction"
	"gavel/payments"
)

// Annulling the re-sale that fixed a defaulted round's shortfall undoes
// that: the share goes back to the case debt, the case system is told, and
// the lot's next sale fixes the shortfall against its own price.
func TestAnnulledResaleRestoresTheShortfall(t *testing.T) {
	t.Parallel()
	w := setup(t)
	sell := func(a *auction.Auction) int64 {
		t.Helper()
		buyer := w.Bidder()
		w.Qualify(buyer, a.ID)
		w.Open(a)
		w.Bid(buyer, a.ID, a.StartPrice)
		if got := w.Close(a); got.Status != auction.StatusSold {
			t.Fatalf("round %s after its close", got.Status)
		}
		return a.StartPrice
	}
	resale := func(of *auction.Auction, round string, lower int64) *auction.Auction {
		t.Helper()
		starts := w.Now().Add(16 * 24 * time.Hour)
		return w.Publish(w.Schedule(auction.ScheduleParams{LotID: of.LotID, Round: round, StartPrice: of.StartPrice - lower,
			Increment: of.Increment, Deposit: of.Deposit, StartsAt: starts, EndsAt: starts.Add(24 * time.Hour)}))
	}
	allocation := func() payments.ForfeitAllocation {
		t.Helper()
		var al payments.ForfeitAllocation
		if err := w.Pool.QueryRow(w.Ctx, `SELECT auction_costs, resale_shortfall, case_debt, resale_auction_id::text FROM forfeit_allocations`).
			Scan(&al.AuctionCosts, &al.ResaleShortfall, &al.CaseDebt, &al.ResaleAuctionID); err != nil {
			t.Fatal(err)
		}
		return al
	}
	balanced := func() {
		t.Helper()
		var sum int64
		if err := w.Pool.QueryRow(w.Ctx, `SELECT coalesce(sum(amount), 0)::bigint FROM ledger_entries`).Scan(&sum); err != nil || sum != 0 {
			t.Fatalf("ledger sums to %d (%v)", sum, err)
		}
	}

	first := w.Announced("违约后再拍的房产")
	hammer := sell(first)
	w.TickAt(*w.Auction(first.ID).BalanceDueAt)
	if got := w.Auction(first.ID); got.Status != auction.StatusDefaulted {
		t.Fatalf("first round %s, want defaulted", got.Status)
	}

	second := resale(first, auction.RoundSecond, 3_000_000)
	sell(second)
	if al := allocation(); al.ResaleShortfall != 3_000_000 || al.ResaleAuctionID == nil || *al.ResaleAuctionID != second.ID {
		t.Fatalf("allocation after the re-sale %+v", al)
	}

	if _, _, err := w.Store.AnnulAuction(w.Ctx, auction.CourtAction{AuctionID: second.ID, Actor: w.Clerk, Reason: "撤销再拍"}); err != nil {
		t.Fatal(err)
	}
	if al := allocation(); al.ResaleShortfall != 0 || al.CaseDebt != first.Deposit || al.ResaleAuctionID != nil {
		t.Fatalf("allocation after the re-sale's annulment %+v, want the whole deposit as case debt", al)
	}
	var annulled bool
	var shortfall int64
	if err := w.Pool.QueryRow(w.Ctx, `SELECT (body->'data'->>'resale_annulled')::boolean, (body->'data'->'allocation'->>'resale_shortfall')::bigint
		FROM case_notifications WHERE auction_id = $1 AND type = 'forfeiture.reallocated' AND body->'data' ? 'resale_annulled'`, second.ID).Scan(&annulled, &shortfall); err != nil || !annulled || shortfall != 0 {
		t.Fatalf("case system told resale_annulled %v, shortfall %d (%v)", annulled, shortfall, err)
	}
	balanced()

	// The lot's next round sells lower still: the shortfall is fixed against it.
	third := resale(first, auction.RoundSecond, 4_000_000)
	resold := sell(third)
	if al := allocation(); al.ResaleShortfall != hammer-resold || al.ResaleAuctionID == nil || *al.ResaleAuctionID != third.ID {
		t.Fatalf("allocation after the next sale %+v, want shortfall %d from %s", al, hammer-resold, third.ID)
	}
	balanced()
}
