package postgres_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gavel/auction"
)

func TestRegisterRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mustAuction(t, lotParams{category: auction.CategoryVehicle})
	for _, role := range []string{auction.RoleClerk, auction.RoleFinance, auction.RoleAuditor, auction.RoleAdmin} {
		_, err := b.store.Register(b.ctx, &auction.User{ID: b.clerk.ID, Role: role}, a.ID)
		wantCode(t, err, auction.EStaffCannotBid)
	}
	alice := b.mustUser(t, auction.RoleBidder, "ID-GA", "")
	reg, err := b.store.Register(b.ctx, alice, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if reg.Status != auction.RegistrationPending || reg.BidderCode != nil || reg.PriorityRank != nil ||
		reg.Deposit.Status != auction.DepositPending || reg.Deposit.Amount != a.Deposit || reg.Deposit.Provider != "bank" || reg.AuctionID != a.ID {
		t.Fatalf("registration: %+v deposit %+v", reg, reg.Deposit)
	}
	_, err = b.store.Register(b.ctx, alice, a.ID)
	wantCode(t, err, auction.EAlreadyRegistered)

	// The restriction list applies to real estate and vehicles only.
	listed := b.mustUser(t, auction.RoleBidder, "ID-LISTED", "")
	if _, err := b.store.ImportBlacklist(b.ctx, "api", []auction.BlacklistEntry{{Name: "x", IDNumber: idn("ID-LISTED"), CaseNumber: "c"}}); err != nil {
		t.Fatal(err)
	}
	_, err = b.store.Register(b.ctx, listed, a.ID)
	wantCode(t, err, auction.EBidderRestricted)
	equity := b.mustAuction(t, lotParams{category: auction.CategoryEquity})
	if _, err := b.store.Register(b.ctx, listed, equity.ID); err != nil {
		t.Fatalf("listed person on an equity lot: %v", err)
	}
	if _, err := b.store.RemoveFromBlacklist(b.ctx, []string{strings.ToLower(idn("ID-LISTED")) + "\u200b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.store.Register(b.ctx, listed, a.ID); err != nil {
		t.Fatalf("after removal from the list: %v", err)
	}

	_, err = b.store.Register(b.ctx, alice, "00000000-0000-0000-0000-000000000000")
	wantCode(t, err, auction.ENotFound)
}

func TestRegistrationClosed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.mustUser(t, auction.RoleBidder, "ID-C", "")
	// A draft is not open for registration.
	a := b.mustAuction(t, lotParams{})
	draft, err := b.store.ScheduleAuction(b.ctx, auction.ScheduleParams{LotID: mustOtherLot(t, b), Round: auction.RoundFirst,
		StartPrice: 70_000_000, Increment: 100_000, Deposit: 7_000_000, StartsAt: a.StartsAt, EndsAt: a.EndsAt})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.store.Register(b.ctx, u, draft.ID)
	wantCode(t, err, auction.ERegistrationClosed)

	// Bidding: still open. At ends_at (before the scheduler closed it) and after: closed.
	b.open(t, a)
	late := b.mustUser(t, auction.RoleBidder, "ID-L", "")
	if _, err := b.store.Register(b.ctx, late, a.ID); err != nil {
		t.Fatalf("registering while bidding: %v", err)
	}
	b.clock.Set(a.EndsAt)
	_, err = b.store.Register(b.ctx, u, a.ID)
	wantCode(t, err, auction.ERegistrationClosed)
	if _, err := b.store.Tick(b.ctx); err != nil {
		t.Fatal(err)
	}
	_, err = b.store.Register(b.ctx, u, a.ID)
	wantCode(t, err, auction.ERegistrationClosed)
}

// mustOtherLot lists another lot (no rounds) under a new case.
func mustOtherLot(t testing.TB, b *bundle) string {
	t.Helper()
	n := userSeq.Add(1)
	c, err := b.store.CreateCase(b.ctx, b.clerk.ID, auction.NewCase{CaseNumber: fmt.Sprintf("(2026)京01执%d号", n), CourtName: "北京市第一中级人民法院"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := b.store.CreateLot(b.ctx, c.ID, auction.NewLot{Title: "车辆", Category: auction.CategoryVehicle, AppraisalValue: 100_000_000})
	if err != nil {
		t.Fatal(err)
	}
	return l.ID
}

// TestApplicantDeposit: a case applicant owes max(0, deposit - claim); owing
// nothing qualifies at once with a bidder code.
func TestApplicantDeposit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const appraisal = 100_000_000 // start 70,000,000; deposit 7,000,000
	a := b.mustAuction(t, lotParams{appraisal: appraisal, applicants: []auction.Party{
		{Name: "小债权人", IDNumber: idn("APP-SMALL"), Claim: ptr[int64](2_000_000)},
		{Name: "大债权人", IDNumber: idn("APP-BIG"), Claim: ptr[int64](50_000_000)},
		{Name: "正好", IDNumber: idn("APP-EXACT"), Claim: ptr[int64](7_000_000)},
		{Name: "零", IDNumber: idn("APP-ZERO"), Claim: ptr[int64](0)},
	}})
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
		u := b.mustUser(t, auction.RoleBidder, tc.idNumber, "")
		reg, err := b.store.Register(b.ctx, u, a.ID)
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
	b := setup(t)
	a := b.mustAuction(t, lotParams{applicants: []auction.Party{{Name: "x", IDNumber: idn("A0"), Claim: ptr[int64](1 << 40)}}})
	seen := map[string]bool{}
	for i := range 8 {
		u := b.mustUser(t, auction.RoleBidder, "ID-CODE"+string(rune('0'+i)), "")
		reg := b.mustQualify(t, u, a.ID)
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
	b := setup(t)
	a := b.mustAuction(t, lotParams{})
	buyer := b.mustUser(t, auction.RoleBidder, "ID-DEF", "")
	other := b.mustUser(t, auction.RoleBidder, "ID-OK", "")
	b.mustQualify(t, buyer, a.ID)
	b.open(t, a)
	if _, err := b.bid(buyer, a.ID, a.StartPrice); err != nil {
		t.Fatal(err)
	}
	b.clock.Set(a.EndsAt)
	b.tick(t)
	// The close is at 10:00 in Shanghai: the balance is due by the end of
	// the tenth calendar day after it, 14 h after ten 24-hour days.
	due := a.EndsAt.Add(10*24*time.Hour + 14*time.Hour)
	for _, at := range []time.Time{a.EndsAt.Add(10 * 24 * time.Hour), due.Add(-time.Microsecond)} {
		b.clock.Set(at)
		b.tick(t)
		if got, _ := b.store.Auction(b.ctx, a.ID); got.Status != auction.StatusSold {
			t.Fatalf("defaulted at %s, before the end of the tenth day: %s", at, got.Status)
		}
	}
	b.clock.Set(due)
	b.tick(t)
	if got, _ := b.store.Auction(b.ctx, a.ID); got.Status != auction.StatusDefaulted {
		t.Fatalf("after balance_due_days: %s", got.Status)
	}
	starts := b.clock.Now().Add(16 * 24 * time.Hour)
	second, err := b.store.ScheduleAuction(b.ctx, auction.ScheduleParams{LotID: a.LotID, Round: auction.RoundSecond,
		StartPrice: a.StartPrice * 8 / 10, Increment: a.Increment, Deposit: a.StartPrice * 8 / 100, StartsAt: starts, EndsAt: starts.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.store.PublishAuction(b.ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	_, err = b.store.Register(b.ctx, buyer, second.ID)
	wantCode(t, err, auction.EBidderBarred)
	// The bar follows the person: another account of the same number (one
	// an older database held, flagged but working) is barred too.
	again := b.duplicateAccount(t, "again@example.test", buyer.IDNumber)
	_, err = b.store.Register(b.ctx, again, second.ID)
	wantCode(t, err, auction.EBidderBarred)
	if _, err := b.store.Register(b.ctx, other, second.ID); err != nil {
		t.Fatalf("another bidder in the second round: %v", err)
	}
	// The bar is per lot: the defaulter may bid on other lots.
	elsewhere := b.mustAuction(t, lotParams{})
	if _, err := b.store.Register(b.ctx, buyer, elsewhere.ID); err != nil {
		t.Fatalf("defaulter on another lot: %v", err)
	}
}

func (b *bundle) tick(t testing.TB) []auction.Change {
	t.Helper()
	ch, err := b.store.Tick(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func ptr[T any](v T) *T { return &v }
