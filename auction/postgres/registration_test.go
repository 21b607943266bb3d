package postgres_test

import (
	"strings"
	"testing"
	"time"

	"gavel/auction"
)

func TestRegisterRefusals(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.AnnouncedOf(auction.NewCase{}, auction.NewLot{Category: auction.CategoryVehicle})
	for _, role := range []string{auction.RoleClerk, auction.RoleFinance, auction.RoleAuditor, auction.RoleAdmin} {
		_, err := w.Store.Register(w.Ctx, &auction.User{ID: w.Clerk.ID, Role: role}, a.ID)
		wantCode(t, err, auction.EStaffCannotBid)
	}
	alice := w.Verified("ID-GA", "")
	reg, err := w.Store.Register(w.Ctx, alice, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if reg.Status != auction.RegistrationPending || reg.BidderCode != nil || reg.PriorityRank != nil ||
		reg.Deposit.Status != auction.DepositPending || reg.Deposit.Amount != a.Deposit || reg.Deposit.Provider != "bank" || reg.AuctionID != a.ID {
		t.Fatalf("registration: %+v deposit %+v", reg, reg.Deposit)
	}
	_, err = w.Store.Register(w.Ctx, alice, a.ID)
	wantCode(t, err, auction.EAlreadyRegistered)

	// The restriction list applies to real estate and vehicles only.
	listed := w.Verified("ID-LISTED", "")
	if _, err := w.Store.ImportBlacklist(w.Ctx, "api", []auction.BlacklistEntry{{Name: "x", IDNumber: idn("ID-LISTED"), CaseNumber: "c"}}); err != nil {
		t.Fatal(err)
	}
	_, err = w.Store.Register(w.Ctx, listed, a.ID)
	wantCode(t, err, auction.EBidderRestricted)
	equity := w.AnnouncedOf(auction.NewCase{}, auction.NewLot{Category: auction.CategoryEquity})
	if _, err := w.Store.Register(w.Ctx, listed, equity.ID); err != nil {
		t.Fatalf("listed person on an equity lot: %v", err)
	}
	if _, err := w.Store.RemoveFromBlacklist(w.Ctx, []string{strings.ToLower(idn("ID-LISTED")) + "\u200b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.Register(w.Ctx, listed, a.ID); err != nil {
		t.Fatalf("after removal from the list: %v", err)
	}

	_, err = w.Store.Register(w.Ctx, alice, "00000000-0000-0000-0000-000000000000")
	wantCode(t, err, auction.ENotFound)
}

func TestRegistrationClosed(t *testing.T) {
	t.Parallel()
	w := setup(t)
	u := w.Verified("ID-C", "")
	// A draft is not open for registration.
	a := w.Announced("住宅")
	other := w.LotOf(w.CaseOf(auction.NewCase{}).ID, auction.NewLot{Title: "车辆", Category: auction.CategoryVehicle, AppraisalValue: 100_000_000})
	draft := w.Schedule(auction.ScheduleParams{LotID: other.ID, Round: auction.RoundFirst, StartPrice: 70_000_000, StartsAt: a.StartsAt, EndsAt: a.EndsAt})
	_, err := w.Store.Register(w.Ctx, u, draft.ID)
	wantCode(t, err, auction.ERegistrationClosed)

	// Bidding: still open. At ends_at (before the scheduler closed it) and after: closed.
	w.Open(a)
	late := w.Verified("ID-L", "")
	if _, err := w.Store.Register(w.Ctx, late, a.ID); err != nil {
		t.Fatalf("registering while bidding: %v", err)
	}
	w.Clock.Set(a.EndsAt)
	_, err = w.Store.Register(w.Ctx, u, a.ID)
	wantCode(t, err, auction.ERegistrationClosed)
	w.Tick()
	_, err = w.Store.Register(w.Ctx, u, a.ID)
	wantCode(t, err, auction.ERegistrationClosed)
}

// TestApplicantDeposit: a case applicant owes max(0, deposit - claim); owing
// nothing qualifies at once with a bidder code.
func TestApplicantDeposit(t *testing.T) {
	t.Parallel()
	w := setup(t)
	const appraisal = 100_000_000 // start 70,000,000; deposit 7,000,000
	a := w.AnnouncedOf(auction.NewCase{Applicants: []auction.Party{
		{Name: "小债权人", IDNumber: idn("APP-SMALL"), Claim: ptr[int64](2_000_000)},
		{Name: "大债权人", IDNumber: idn("APP-BIG"), Claim: ptr[int64](50_000_000)},
		{Name: "正好", IDNumber: idn("APP-EXACT"), Claim: ptr[int64](7_000_000)},
		{Name: "零", IDNumber: idn("APP-ZERO"), Claim: ptr[int64](0)},
	}}, auction.NewLot{AppraisalValue: appraisal})
	for _, tc := range []struct {
		idNumber string
		owed     int64
	}{
		{"APP-SMALL", 5_000_000},
		{"APP-BIG", 0},
		{"APP-EXACT", 0},
		{"APP-ZERO", 7_000_000},
		{"NOT-AN-APPLICANT", 7_000_000},
	} {
		u := w.Verified(tc.idNumber, "")
		reg, err := w.Store.Register(w.Ctx, u, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if reg.Deposit.Amount != tc.owed {
			t.Errorf("%s owes %d, want %d", tc.idNumber, reg.Deposit.Amount, tc.owed)
		}
		qualified := tc.owed == 0
		if (reg.Status == auction.RegistrationQualified) != qualified || (reg.BidderCode != nil) != qualified ||
			(reg.Deposit.Status == auction.DepositHeld) != qualified {
			t.Errorf("%s: status %s code %v deposit %s", tc.idNumber, reg.Status, reg.BidderCode, reg.Deposit.Status)
		}
	}
}

// TestBidderCodes: codes are random, unique per auction, never personal data.
func TestBidderCodes(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.AnnouncedOf(auction.NewCase{Applicants: []auction.Party{{Name: "x", IDNumber: idn("A0"), Claim: ptr[int64](1 << 40)}}}, auction.NewLot{})
	seen := map[string]bool{}
	for i := range 8 {
		u := w.Verified("ID-CODE"+string(rune('0'+i)), "")
		reg := w.Qualify(u, a.ID)
		code := *reg.BidderCode
		if seen[code] || len(code) != 6 || code[0] != 'B' {
			t.Fatalf("bidder code %q (seen %v)", code, seen)
		}
		seen[code] = true
	}
}

// TestBidderBarred: the buyer who defaulted on a round may not register for
// the lot's later rounds; others may.
func TestBidderBarred(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	buyer := w.Verified("ID-DEF", "")
	other := w.Verified("ID-OK", "")
	w.Qualify(buyer, a.ID)
	w.Open(a)
	w.Bid(buyer, a.ID, a.StartPrice)
	w.TickAt(a.EndsAt)
	// The close is at 10:00 in Shanghai: the balance is due by the end of
	// the tenth calendar day after it, 14 h after ten 24-hour days.
	due := a.EndsAt.Add(10*24*time.Hour + 14*time.Hour)
	for _, at := range []time.Time{a.EndsAt.Add(10 * 24 * time.Hour), due.Add(-time.Microsecond)} {
		w.TickAt(at)
		if got, _ := w.Store.Auction(w.Ctx, a.ID); got.Status != auction.StatusSold {
			t.Fatalf("defaulted at %s, before the end of the tenth day: %s", at, got.Status)
		}
	}
	w.TickAt(due)
	if got, _ := w.Store.Auction(w.Ctx, a.ID); got.Status != auction.StatusDefaulted {
		t.Fatalf("after balance_due_days: %s", got.Status)
	}
	second := w.Publish(w.Schedule(auction.ScheduleParams{LotID: a.LotID, Round: auction.RoundSecond,
		StartPrice: a.StartPrice * 8 / 10, Increment: a.Increment, Deposit: a.StartPrice * 8 / 100, StartsAt: w.Now().Add(16 * 24 * time.Hour)}))
	_, err := w.Store.Register(w.Ctx, buyer, second.ID)
	wantCode(t, err, auction.EBidderBarred)
	// The bar follows the person: another account of the same number (one
	// an older database held, flagged but working) is barred too.
	again := duplicateAccount(t, w, "again@example.test", buyer.IDNumber)
	_, err = w.Store.Register(w.Ctx, again, second.ID)
	wantCode(t, err, auction.EBidderBarred)
	if _, err := w.Store.Register(w.Ctx, other, second.ID); err != nil {
		t.Fatalf("another bidder in the second round: %v", err)
	}
	// The bar is per lot: the defaulter may bid on other lots.
	elsewhere := w.Announced("住宅")
	if _, err := w.Store.Register(w.Ctx, buyer, elsewhere.ID); err != nil {
		t.Fatalf("defaulter on another lot: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
