package postgres_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
	"gavel/migrations/dbtest"
)

type bundle struct {
	store *postgres.Store
	clock *auctiontest.Clock
	ctx   context.Context
	clerk *auction.User
	// url is the test database's, for a second instance on it (twin).
	url string
}

func setup(t *testing.T) *bundle {
	t.Helper()
	pool, url := dbtest.Pool(t)
	clock := auctiontest.NewClock(auctiontest.Start)
	b := &bundle{store: postgres.New(postgres.Config{Pool: pool, Clock: clock, Rulebook: auction.SPC2016}), clock: clock, ctx: context.Background(), url: url}
	b.clerk = b.mustUser(t, auction.RoleClerk, "", "")
	return b
}

var userSeq atomic.Int64

// tb is what the must helpers need: satisfied by *testing.T and by
// *rapid.T, so property tests build their fixtures with the same helpers.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// idn is the valid identity number tests know a person key by: the same key
// is the same person wherever it is used (account, applicant, holder, list).
var idn = auctiontest.IDNumber

// mustUser creates an account; a bidder is the person idNumber names (idn;
// a fresh person when empty) and is verified at the desk, as bidders who use
// a privilege are.
func (b *bundle) mustUser(t tb, role, idNumber, name string) *auction.User {
	t.Helper()
	u := b.mustClaimant(t, role, idNumber, name)
	if role != auction.RoleBidder {
		return u
	}
	u, err := b.store.VerifyUser(b.ctx, b.clerk, u.ID, auction.Verification{Method: auction.VerifyDesk, Reference: "desk file " + u.ID})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// mustClaimant creates an account whose identity number is only claimed
// (not verified).
func (b *bundle) mustClaimant(t tb, role, idNumber, name string) *auction.User {
	t.Helper()
	n := userSeq.Add(1)
	if name == "" {
		name = fmt.Sprintf("User %d", n)
	}
	if idNumber != "" || role == auction.RoleBidder {
		if idNumber == "" {
			idNumber = fmt.Sprintf("person %d", n)
		}
		idNumber = idn(idNumber)
	}
	u, err := b.store.CreateUser(b.ctx, auction.NewUser{Email: fmt.Sprintf("u%d@example.test", n), Password: "correct horse battery",
		Role: role, RealName: name, IDNumber: idNumber, Phone: "1380000" + fmt.Sprint(n)})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// lotParams describes a lot and its first round for mustAuction.
type lotParams struct {
	category   string
	appraisal  int64
	applicants []auction.Party
	holders    []auction.NewPriorityHolder
}

// mustAuction creates a case, a lot and a published first round that opens
// 31 days after the clock and lasts one day; start 70% of the appraisal,
// increment 1,000 yuan, deposit 10%.
func (b *bundle) mustAuction(t tb, p lotParams) *auction.Auction {
	t.Helper()
	if p.category == "" {
		p.category = auction.CategoryRealEstate
	}
	if p.appraisal == 0 {
		p.appraisal = 100_000_000
	}
	n := userSeq.Add(1)
	c, err := b.store.CreateCase(b.ctx, b.clerk.ID, auction.NewCase{CaseNumber: fmt.Sprintf("(2026)沪01执%d号", n), CourtName: "上海市第一中级人民法院",
		Applicants: p.applicants, Debtors: []auction.Party{{Name: "债务人", IDNumber: idn("D" + fmt.Sprint(n))}}})
	if err != nil {
		t.Fatal(err)
	}
	lot, err := b.store.CreateLot(b.ctx, c.ID, auction.NewLot{Title: "住宅", Description: "一套住宅", Category: p.category, AppraisalValue: p.appraisal})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range p.holders {
		if _, err := b.store.AddPriorityHolder(b.ctx, lot.ID, h); err != nil {
			t.Fatal(err)
		}
	}
	start := p.appraisal * 70 / 100
	starts := b.clock.Now().Add(31 * 24 * time.Hour)
	a, err := b.store.ScheduleAuction(b.ctx, auction.ScheduleParams{LotID: lot.ID, Round: auction.RoundFirst, StartPrice: start,
		Increment: 100_000, Deposit: start / 10, StartsAt: starts, EndsAt: starts.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if a, err = b.store.PublishAuction(b.ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	return a
}

// mustQualify registers u and confirms their deposit.
func (b *bundle) mustQualify(t tb, u *auction.User, auctionID string) *auction.Registration {
	t.Helper()
	reg, err := b.store.Register(b.ctx, u, auctionID)
	if err != nil {
		t.Fatal(err)
	}
	if reg.Deposit.Status == auction.DepositPending {
		if _, err := b.store.ConfirmDeposit(b.ctx, reg.Deposit.ID, "BANK-"+reg.ID[:8]); err != nil {
			t.Fatal(err)
		}
	}
	if reg, err = b.store.Registration(b.ctx, reg.ID); err != nil {
		t.Fatal(err)
	}
	return reg
}

// open moves the clock to the auction's start and ticks.
func (b *bundle) open(t tb, a *auction.Auction) {
	t.Helper()
	if b.clock.Now().Before(a.StartsAt) {
		b.clock.Set(a.StartsAt)
	}
	if _, err := b.store.Tick(b.ctx); err != nil {
		t.Fatal(err)
	}
}

func (b *bundle) bid(u *auction.User, auctionID string, amount int64) (*auction.BidResult, error) {
	return b.store.PlaceBid(b.ctx, auction.PlaceBid{AuctionID: auctionID, User: u, Amount: amount, Key: fmt.Sprintf("k%d", userSeq.Add(1))})
}

func wantCode(t tb, err error, code string) {
	t.Helper()
	if got := auction.ErrorCode(err); got != code || err == nil {
		t.Fatalf("want error %s, got %v", code, err)
	}
}
