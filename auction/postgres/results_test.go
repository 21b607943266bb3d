package postgres_test

import (
	"testing"
	"time"

	"gavel/auction"
)

// TestResultsBoard: closed auctions are listed, the latest close first,
// filtered by court and close time and paged; open and cancelled rounds
// are not.
func TestResultsBoard(t *testing.T) {
	t.Parallel()
	w := setup(t)
	w.Court = "上海市第一中级人民法院"
	sold := w.Announced("住宅")
	failed := w.Announced("住宅")
	cancelled := w.Announced("住宅")
	if _, _, err := w.Store.CancelAuction(w.Ctx, act(w, cancelled.ID, "withdrawn")); err != nil {
		t.Fatal(err)
	}
	soldAt(t, w, sold) // closes sold and failed together
	if got, _ := w.Store.Auction(w.Ctx, failed.ID); got.Status != auction.StatusFailed {
		t.Fatalf("failed is %s", got.Status)
	}
	// Another court's round closes a day later.
	lot := w.Lot(w.CaseOf(auction.NewCase{CourtName: "上海市第二中级人民法院"}).ID, "商铺", 100_000_000)
	other := w.Publish(w.Draft(lot.ID, auction.RoundFirst, 70_000_000, w.Now().Add(month)))
	w.Close(other)
	w.Announced("住宅") // still announced: not a result

	all, more, err := w.Store.Results(w.Ctx, auction.ResultFilter{})
	if err != nil || more {
		t.Fatal(err, more)
	}
	ids := map[string]auction.Result{}
	for _, r := range all {
		ids[r.AuctionID] = r
	}
	if len(all) != 3 || all[0].AuctionID != other.ID {
		t.Fatalf("results %+v", all)
	}
	// The other court's close came a month later: the buyer's balance was
	// due meanwhile, so the sale shows as defaulted, its outcome still sold.
	if r := ids[sold.ID]; r.Outcome != "sold" || r.Status != auction.StatusDefaulted || r.HammerPrice == nil || *r.HammerPrice != sold.StartPrice ||
		r.WinnerCode == nil || r.CourtName != "上海市第一中级人民法院" || r.BidCount != 1 || !r.ClosedAt.Equal(sold.EndsAt) {
		t.Fatalf("sold result %+v", r)
	}
	if r := ids[failed.ID]; r.Outcome != "failed" || r.HammerPrice != nil || r.WinnerCode != nil {
		t.Fatalf("failed result %+v", r)
	}
	for _, tc := range []struct {
		name string
		f    auction.ResultFilter
		want []string
	}{
		{"by court", auction.ResultFilter{Court: "第二中级"}, []string{other.ID}},
		{"closed before", auction.ResultFilter{To: sold.EndsAt.Add(time.Second)}, []string{failed.ID, sold.ID}},
		{"closed from", auction.ResultFilter{From: sold.EndsAt.Add(time.Second)}, []string{other.ID}},
		{"nothing in the range", auction.ResultFilter{From: sold.EndsAt.Add(-2 * time.Hour), To: sold.EndsAt.Add(-time.Hour)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := w.Store.Results(w.Ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d results, want %d", len(got), len(tc.want))
			}
			want := map[string]bool{}
			for _, id := range tc.want {
				want[id] = true
			}
			for _, r := range got {
				if !want[r.AuctionID] {
					t.Fatalf("unexpected %s", r.AuctionID)
				}
			}
		})
	}
	// Pages: two then one, no result twice.
	first, more, _ := w.Store.Results(w.Ctx, auction.ResultFilter{Limit: 2})
	second, more2, _ := w.Store.Results(w.Ctx, auction.ResultFilter{Limit: 2, Offset: 2})
	if len(first) != 2 || !more || len(second) != 1 || more2 || second[0].AuctionID == first[0].AuctionID || second[0].AuctionID == first[1].AuctionID {
		t.Fatalf("pages %d %v %d %v", len(first), more, len(second), more2)
	}
	// An annulled sale stays on the board with its new status.
	if _, _, err := w.Store.AnnulAuction(w.Ctx, act(w, sold.ID, "撤销")); err != nil {
		t.Fatal(err)
	}
	got, _, _ := w.Store.Results(w.Ctx, auction.ResultFilter{})
	for _, r := range got {
		if r.AuctionID == sold.ID && r.Status != auction.StatusAnnulled {
			t.Fatalf("annulled result %+v", r)
		}
	}
}
