package postgres_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"gavel/auction"
)

// The staff bar is checked again at each bid: a qualified bidder whose
// identity number becomes a staff member's after registering is refused
// (not_qualified, API.md's bid code, with the auction's state), however many
// bids arrive at once, while another bidder's bids are still accepted.
func TestStaffBarAtEachBid(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	later, other := w.Verified("STAFF-LATER", ""), w.Verified("STAFF-OTHER", "")
	w.Qualify(later, a.ID)
	w.Qualify(other, a.ID)
	w.Open(a)
	if _, err := w.TryBid(later, a.ID, a.StartPrice); err != nil {
		t.Fatalf("before the staff account: %v", err)
	}
	if _, err := w.Store.CreateUser(w.Ctx, auction.NewUser{Email: "later-staff@example.test", Password: "correct horse battery",
		Role: auction.RoleClerk, RealName: "x", IDNumber: strings.ToLower(later.IDNumber)}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = w.Store.PlaceBid(w.Ctx, auction.PlaceBid{AuctionID: a.ID, User: later, Amount: a.StartPrice + int64(2+i)*a.Increment,
				Key: fmt.Sprintf("staff-%d", i)})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		var e *auction.Error
		if auction.ErrorCode(err) != auction.ENotQualified || !strings.Contains(err.Error(), "staff") {
			t.Fatalf("bid %d of a bidder who is now staff: %v", i, err)
		} else if e, _ = err.(*auction.Error); e.Auction == nil {
			t.Fatalf("bid %d refusal carries no auction state", i)
		}
	}
	if _, err := w.TryBid(other, a.ID, a.StartPrice+a.Increment); err != nil {
		t.Fatalf("another bidder's bid: %v", err)
	}
	bids, err := w.Store.Bids(w.Ctx, a.ID)
	if err != nil || len(bids) != 2 {
		t.Fatalf("bids %d (%v), want the two accepted", len(bids), err)
	}
}
