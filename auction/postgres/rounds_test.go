package postgres_test

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"gavel/auction"
)

// mustLot creates a case and a real estate lot with no rounds.
func (b *bundle) mustLot(t *testing.T, appraisal int64) *auction.Lot {
	t.Helper()
	n := userSeq.Add(1)
	c, err := b.store.CreateCase(b.ctx, b.clerk.ID, auction.NewCase{CaseNumber: fmt.Sprintf("(2026)沪02执%d号", n), CourtName: "上海市第二中级人民法院",
		Debtors: []auction.Party{{Name: "债务人", IDNumber: idn("D" + fmt.Sprint(n))}}})
	if err != nil {
		t.Fatal(err)
	}
	lot, err := b.store.CreateLot(b.ctx, c.ID, auction.NewLot{Title: "商铺", Description: "一间商铺", Category: auction.CategoryRealEstate, AppraisalValue: appraisal})
	if err != nil {
		t.Fatal(err)
	}
	return lot
}

const (
	month = 31 * 24 * time.Hour // more than the notice of any round
	year  = 365 * 24 * time.Hour
)

// mustDraft schedules a draft round on lot that opens startsIn after the
// clock and lasts one day; deposit 10%.
func (b *bundle) mustDraft(t *testing.T, lotID, round string, start int64, startsIn time.Duration) *auction.Auction {
	t.Helper()
	starts := b.clock.Now().Add(startsIn)
	a, err := b.store.ScheduleAuction(b.ctx, auction.ScheduleParams{LotID: lotID, Round: round, StartPrice: start,
		Increment: 100_000, Deposit: start / 10, StartsAt: starts, EndsAt: starts.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// wantStatus checks an auction's stored status.
func (b *bundle) wantStatus(t *testing.T, id, status string) {
	t.Helper()
	a, err := b.store.Auction(b.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != status {
		t.Fatalf("auction %s is %s, want %s", id, a.Status, status)
	}
}

// TestPublishRoundsConcurrently: drafts of one lot published at the same
// moment from many connections; the lot's row lock lets exactly one be
// announced and refuses the rest with round_not_allowed.
func TestPublishRoundsConcurrently(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const lots, drafts = 3, 12
	for range lots {
		lot := b.mustLot(t, 100_000_000)
		ids := make([]string, drafts)
		for i := range ids {
			ids[i] = b.mustDraft(t, lot.ID, auction.RoundFirst, 70_000_000+int64(i)*100_000, month).ID
		}
		errs := make([]error, drafts)
		var ready, wg sync.WaitGroup
		ready.Add(drafts)
		start := make(chan struct{})
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ready.Done()
				<-start
				_, errs[i] = b.store.PublishAuction(b.ctx, id)
			}()
		}
		ready.Wait()
		close(start)
		wg.Wait()

		announced := 0
		for i, err := range errs {
			switch code := auction.ErrorCode(err); {
			case err == nil:
				announced++
				b.wantStatus(t, ids[i], auction.StatusAnnounced)
			case code == auction.ERoundNotAllowed:
				b.wantStatus(t, ids[i], auction.StatusDraft)
			default:
				t.Fatalf("publish %s: %v", ids[i], err)
			}
		}
		if announced != 1 {
			t.Fatalf("%d of %d drafts of one lot announced at once, want 1", announced, drafts)
		}
		got, err := b.store.Lot(b.ctx, lot.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range got.Auctions {
			if a.Status == auction.StatusAnnounced {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("the lot has %d announced rounds, want 1", n)
		}
	}
}

// TestPublishAgainstCurrentRounds: a draft is checked against the lot's other
// rounds as they are when it is published, not as they were when it was made.
func TestPublishAgainstCurrentRounds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lot := b.mustLot(t, 100_000_000)
	// The spare drafts open a year on, so that their notice stays long
	// enough whatever the clock does: only the other rounds refuse them.
	first := b.mustDraft(t, lot.ID, auction.RoundFirst, 70_000_000, month)
	spare := b.mustDraft(t, lot.ID, auction.RoundFirst, 80_000_000, year)
	if _, err := b.store.PublishAuction(b.ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	_, err := b.store.PublishAuction(b.ctx, spare.ID)
	wantCode(t, err, auction.ERoundNotAllowed) // the first is announced
	_, err = b.store.PublishAuctionBackdated(b.ctx, spare.ID)
	wantCode(t, err, auction.ERoundNotAllowed) // the demo's path checks the same

	b.open(t, first)
	_, err = b.store.PublishAuction(b.ctx, spare.ID)
	wantCode(t, err, auction.ERoundNotAllowed) // bidding
	b.closeAt(t, first)
	b.wantStatus(t, first.ID, auction.StatusFailed)
	// The first round failed: the lot goes on to a second round, so the
	// spare first-round draft made before can no longer be announced.
	_, err = b.store.PublishAuction(b.ctx, spare.ID)
	wantCode(t, err, auction.ERoundNotAllowed)
	b.wantStatus(t, spare.ID, auction.StatusDraft)

	second := b.mustDraft(t, lot.ID, auction.RoundSecond, 56_000_000, month)
	otherSecond := b.mustDraft(t, lot.ID, auction.RoundSecond, 60_000_000, year)
	if _, err := b.store.PublishAuction(b.ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	_, err = b.store.PublishAuction(b.ctx, otherSecond.ID)
	wantCode(t, err, auction.ERoundNotAllowed) // the other second round is announced

	// The second round sells: no round of the lot may be announced after.
	winner := b.mustUser(t, auction.RoleBidder, "", "")
	b.mustQualify(t, winner, second.ID)
	b.open(t, second)
	if _, err := b.bid(winner, second.ID, second.StartPrice); err != nil {
		t.Fatal(err)
	}
	b.closeAt(t, second)
	b.wantStatus(t, second.ID, auction.StatusSold)
	_, err = b.store.PublishAuction(b.ctx, otherSecond.ID)
	wantCode(t, err, auction.ERoundNotAllowed)
	b.wantStatus(t, otherSecond.ID, auction.StatusDraft)
}

// TestPublishAfterFirstRoundSold: a spare first-round draft of a lot whose
// first round sold is refused.
func TestPublishAfterFirstRoundSold(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lot := b.mustLot(t, 100_000_000)
	first := b.mustDraft(t, lot.ID, auction.RoundFirst, 70_000_000, month)
	spare := b.mustDraft(t, lot.ID, auction.RoundFirst, 70_000_000, year)
	first, err := b.store.PublishAuction(b.ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	b.soldAndSettled(t, first, true)
	b.wantStatus(t, first.ID, auction.StatusSettled)
	_, err = b.store.PublishAuction(b.ctx, spare.ID)
	wantCode(t, err, auction.ERoundNotAllowed)
	_, err = b.store.ScheduleAuction(b.ctx, auction.ScheduleParams{LotID: lot.ID, Round: auction.RoundFirst, StartPrice: 70_000_000,
		Increment: 100_000, Deposit: 7_000_000, StartsAt: spare.StartsAt, EndsAt: spare.EndsAt})
	wantCode(t, err, auction.ERoundNotAllowed)
}

// TestScheduleHugeAndNonPositiveAmounts: the rulebook's bounds hold exactly
// for any appraisal, and amounts of zero or less get the rulebook's codes.
func TestScheduleHugeAndNonPositiveAmounts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	starts := b.clock.Now().Add(31 * 24 * time.Hour)
	round := func(lotID string, start, deposit int64) auction.ScheduleParams {
		return auction.ScheduleParams{LotID: lotID, Round: auction.RoundFirst, StartPrice: start, Increment: 100,
			Deposit: deposit, StartsAt: starts, EndsAt: starts.Add(24 * time.Hour)}
	}
	huge := b.mustLot(t, 200_000_000_000_000_000)
	_, err := b.store.ScheduleAuction(b.ctx, round(huge.ID, 10_000, 1_000))
	wantCode(t, err, auction.EStartPriceTooLow)

	largest := b.mustLot(t, math.MaxInt64)
	_, err = b.store.ScheduleAuction(b.ctx, round(largest.ID, 6456360425798343065-1, 645636042579834306))
	wantCode(t, err, auction.EStartPriceTooLow)
	a, err := b.store.ScheduleAuction(b.ctx, round(largest.ID, 6456360425798343065, 645636042579834306))
	if err != nil {
		t.Fatal(err)
	}
	if a.StartPrice != 6456360425798343065 || a.Deposit != 645636042579834306 {
		t.Fatalf("stored %d / %d", a.StartPrice, a.Deposit)
	}
	if _, err := b.store.PublishAuction(b.ctx, a.ID); err != nil {
		t.Fatal(err)
	}

	lot := b.mustLot(t, 100_000_000)
	_, err = b.store.ScheduleAuction(b.ctx, round(lot.ID, 70_000_000, -1))
	wantCode(t, err, auction.EDepositOutOfRange)
	_, err = b.store.ScheduleAuction(b.ctx, round(lot.ID, 0, 0))
	wantCode(t, err, auction.EStartPriceTooLow)
	_, err = b.store.ScheduleAuction(b.ctx, round(lot.ID, 70_000_000, 7_000_000))
	if err != nil {
		t.Fatal(err)
	}
}
