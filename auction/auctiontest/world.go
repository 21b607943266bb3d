package auctiontest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/postgres"
)

// Password is the password of every account a World creates.
const Password = "correct horse battery"

// World is a store on a database of its own (a test's, from
// migrations/dbtest) and the clock it runs on: the case -> lot -> auction -> bidders
// world most tests start from, built by the same store calls the API makes.
// Every helper fails the test on an error, so a test reads as its story.
type World struct {
	TB    testing.TB
	Ctx   context.Context
	Pool  *pgxpool.Pool
	Clock *Clock
	Store *postgres.Store
	// Clerk and Finance act for the court in the helpers that need staff.
	Clerk, Finance *auction.User
}

// seq makes case numbers, emails and idempotency keys unique across the
// worlds of one test binary.
var seq atomic.Int64

// Next is a number no other call in this test binary returns.
func Next() int64 { return seq.Add(1) }

// NewWorld returns a world on pool, a migrated database of the test's own
// (dbtest.Pool), under the SPC 2016 rulebook, its clock standing at Start.
func NewWorld(tb testing.TB, pool *pgxpool.Pool) *World {
	tb.Helper()
	w := &World{TB: tb, Ctx: context.Background(), Pool: pool, Clock: NewClock(Start)}
	w.Store = postgres.New(postgres.Config{Pool: pool, Clock: w.Clock, Rulebook: auction.SPC2016})
	w.Clerk = w.User(auction.RoleClerk, "")
	w.Finance = w.User(auction.RoleFinance, "")
	return w
}

// User creates an account with role. A bidder gets a valid identity
// number of their own, derived from key (IDNumber), so that each bidder is
// a different person.
func (w *World) User(role, key string) *auction.User {
	w.TB.Helper()
	n := Next()
	idNumber := ""
	if role == auction.RoleBidder {
		idNumber = IDNumber(fmt.Sprint("world person ", key, n))
	}
	u, err := w.Store.CreateUser(w.Ctx, auction.NewUser{Email: fmt.Sprintf("world%d@example.test", n), Password: Password, Role: role,
		RealName: fmt.Sprintf("World %d", n), IDNumber: idNumber, Phone: "13800000000"})
	if err != nil {
		w.TB.Fatal(err)
	}
	return u
}

// Bidder creates a bidder account, a person of their own.
func (w *World) Bidder() *auction.User {
	return w.User(auction.RoleBidder, "")
}

// Case opens an enforcement case with one applicant (claim in fen) and one
// debtor.
func (w *World) Case(claim int64) *auction.Case {
	w.TB.Helper()
	c, err := w.Store.CreateCase(w.Ctx, w.Clerk.ID, auction.NewCase{
		CaseNumber: fmt.Sprintf("(2026)京01执%d号", Next()), CourtName: "北京市第一中级人民法院",
		Applicants: []auction.Party{{Name: "某银行", IDType: auction.IDCompany, IDNumber: "91110000100000000R", Claim: &claim}},
		Debtors:    []auction.Party{{Name: "刘某", IDNumber: IDNumber("110105198001010099")}}})
	if err != nil {
		w.TB.Fatal(err)
	}
	return c
}

// Lot lists a flat appraised at appraisal fen under the case.
func (w *World) Lot(caseID, title string, appraisal int64) *auction.Lot {
	w.TB.Helper()
	l, err := w.Store.CreateLot(w.Ctx, caseID, auction.NewLot{Title: title, Description: "两居室", Category: auction.CategoryRealEstate,
		AppraisalValue: appraisal, Location: "北京市", Disclosures: auction.Disclosures{Encumbrances: "抵押，随拍卖涤除", Occupancy: "空置"}})
	if err != nil {
		w.TB.Fatal(err)
	}
	return l
}

// Round schedules a round of the lot and publishes it: opening 31 days from
// the clock (past the longest notice), bidding for a day, steps of ¥1,000,
// a deposit of a tenth of the start price.
func (w *World) Round(lotID, round string, start int64) *auction.Auction {
	w.TB.Helper()
	starts := w.Clock.Now().Add(31 * 24 * time.Hour).Truncate(time.Second)
	a, err := w.Store.ScheduleAuction(w.Ctx, auction.ScheduleParams{LotID: lotID, Round: round, StartPrice: start, Increment: 100_000,
		Deposit: start / 10, StartsAt: starts, EndsAt: starts.Add(24 * time.Hour)})
	if err != nil {
		w.TB.Fatal(err)
	}
	if a, err = w.Store.PublishAuction(w.Ctx, a.ID); err != nil {
		w.TB.Fatal(err)
	}
	return a
}

// Announced is a published first round of a new flat of a new case:
// appraised at ¥1,000,000, starting at ¥700,000.
func (w *World) Announced(title string) *auction.Auction {
	w.TB.Helper()
	c := w.Case(1_000_000)
	return w.Round(w.Lot(c.ID, title, 100_000_000).ID, auction.RoundFirst, 70_000_000)
}

// Qualify registers u for the auction and confirms the deposit's transfer.
func (w *World) Qualify(u *auction.User, auctionID string) *auction.Registration {
	w.TB.Helper()
	reg, err := w.Store.Register(w.Ctx, u, auctionID)
	if err != nil {
		w.TB.Fatal(err)
	}
	if _, err := w.Store.ConfirmDeposit(w.Ctx, reg.Deposit.ID, fmt.Sprintf("BANK-%d", Next())); err != nil {
		w.TB.Fatal(err)
	}
	return reg
}

// TickAt moves the clock to at and applies every transition then due.
func (w *World) TickAt(at time.Time) {
	w.TB.Helper()
	w.Clock.Set(at)
	if _, err := w.Store.Tick(w.Ctx); err != nil {
		w.TB.Fatal(err)
	}
}

// Open moves the clock to the auction's start and opens it; it returns the
// auction as it is now.
func (w *World) Open(a *auction.Auction) *auction.Auction {
	w.TB.Helper()
	w.TickAt(a.StartsAt)
	a, err := w.Store.Auction(w.Ctx, a.ID)
	if err != nil {
		w.TB.Fatal(err)
	}
	return a
}

// Bid places u's bid of amount under a fresh idempotency key.
func (w *World) Bid(u *auction.User, auctionID string, amount int64) *auction.BidResult {
	w.TB.Helper()
	res, err := w.Store.PlaceBid(w.Ctx, auction.PlaceBid{AuctionID: auctionID, User: u, Amount: amount, Key: fmt.Sprintf("world-%d", Next())})
	if err != nil {
		w.TB.Fatal(err)
	}
	return res
}
