package postgres_test

import (
	"math"
	"sync"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
)

const (
	month = 31 * 24 * time.Hour // more than the notice of any round
	year  = 365 * 24 * time.Hour
)

// wantStatus checks an auction's stored status.
func wantStatus(t *testing.T, w *auctiontest.World, id, status string) {
	t.Helper()
	a, err := w.Store.Auction(w.Ctx, id)
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
	w := setup(t)
	const lots, drafts = 3, 12
	for range lots {
		lot := w.Lot(w.Case(1_000_000).ID, "商铺", 100_000_000)
		ids := make([]string, drafts)
		for i := range ids {
			ids[i] = w.Draft(lot.ID, auction.RoundFirst, 70_000_000+int64(i)*100_000, w.Now().Add(month)).ID
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
				_, errs[i] = w.Store.PublishAuction(w.Ctx, id)
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
				wantStatus(t, w, ids[i], auction.StatusAnnounced)
			case code == auction.ERoundNotAllowed:
				wantStatus(t, w, ids[i], auction.StatusDraft)
			default:
				t.Fatalf("publish %s: %v", ids[i], err)
			}
		}
		if announced != 1 {
			t.Fatalf("%d of %d drafts of one lot announced at once, want 1", announced, drafts)
		}
		got, err := w.Store.Lot(w.Ctx, lot.ID)
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
	w := setup(t)
	lot := w.Lot(w.Case(1_000_000).ID, "商铺", 100_000_000)
	// The spare drafts open a year on, so that their notice stays long
	// enough whatever the clock does: only the other rounds refuse them.
	first := w.Draft(lot.ID, auction.RoundFirst, 70_000_000, w.Now().Add(month))
	spare := w.Draft(lot.ID, auction.RoundFirst, 80_000_000, w.Now().Add(year))
	if _, err := w.Store.PublishAuction(w.Ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	_, err := w.Store.PublishAuction(w.Ctx, spare.ID)
	wantCode(t, err, auction.ERoundNotAllowed) // the first is announced
	_, err = w.Store.PublishAuctionBackdated(w.Ctx, spare.ID)
	wantCode(t, err, auction.ERoundNotAllowed) // the demo's path checks the same

	w.Open(first)
	_, err = w.Store.PublishAuction(w.Ctx, spare.ID)
	wantCode(t, err, auction.ERoundNotAllowed) // bidding
	w.Close(first)
	wantStatus(t, w, first.ID, auction.StatusFailed)
	// The first round failed: the lot goes on to a second round, so the
	// spare first-round draft made before can no longer be announced.
	_, err = w.Store.PublishAuction(w.Ctx, spare.ID)
	wantCode(t, err, auction.ERoundNotAllowed)
	wantStatus(t, w, spare.ID, auction.StatusDraft)

	second := w.Draft(lot.ID, auction.RoundSecond, 56_000_000, w.Now().Add(month))
	otherSecond := w.Draft(lot.ID, auction.RoundSecond, 60_000_000, w.Now().Add(year))
	if _, err := w.Store.PublishAuction(w.Ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	_, err = w.Store.PublishAuction(w.Ctx, otherSecond.ID)
	wantCode(t, err, auction.ERoundNotAllowed) // the other second round is announced

	// The second round sells: no round of the lot may be announced after.
	winner := w.Verified("", "")
	w.Qualify(winner, second.ID)
	w.Open(second)
	w.Bid(winner, second.ID, second.StartPrice)
	w.Close(second)
	wantStatus(t, w, second.ID, auction.StatusSold)
	_, err = w.Store.PublishAuction(w.Ctx, otherSecond.ID)
	wantCode(t, err, auction.ERoundNotAllowed)
	wantStatus(t, w, otherSecond.ID, auction.StatusDraft)
}

// TestPublishAfterFirstRoundSold: a spare first-round draft of a lot whose
// first round sold is refused.
func TestPublishAfterFirstRoundSold(t *testing.T) {
	t.Parallel()
	w := setup(t)
	lot := w.Lot(w.Case(1_000_000).ID, "商铺", 100_000_000)
	first := w.Draft(lot.ID, auction.RoundFirst, 70_000_000, w.Now().Add(month))
	spare := w.Draft(lot.ID, auction.RoundFirst, 70_000_000, w.Now().Add(year))
	first, err := w.Store.PublishAuction(w.Ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	soldAndSettled(t, w, first, true)
	wantStatus(t, w, first.ID, auction.StatusSettled)
	_, err = w.Store.PublishAuction(w.Ctx, spare.ID)
	wantCode(t, err, auction.ERoundNotAllowed)
	_, err = w.Store.ScheduleAuction(w.Ctx, auction.ScheduleParams{LotID: lot.ID, Round: auction.RoundFirst, StartPrice: 70_000_000,
		Increment: 100_000, Deposit: 7_000_000, StartsAt: spare.StartsAt, EndsAt: spare.EndsAt})
	wantCode(t, err, auction.ERoundNotAllowed)
}

// TestScheduleHugeAndNonPositiveAmounts: the rulebook's bounds hold exactly
// for any appraisal, and amounts of zero or less get the rulebook's codes.
func TestScheduleHugeAndNonPositiveAmounts(t *testing.T) {
	t.Parallel()
	w := setup(t)
	starts := w.Clock.Now().Add(31 * 24 * time.Hour)
	round := func(lotID string, start, deposit int64) auction.ScheduleParams {
		return auction.ScheduleParams{LotID: lotID, Round: auction.RoundFirst, StartPrice: start, Increment: 100,
			Deposit: deposit, StartsAt: starts, EndsAt: starts.Add(24 * time.Hour)}
	}
	huge := w.Lot(w.Case(1_000_000).ID, "商铺", 200_000_000_000_000_000)
	_, err := w.Store.ScheduleAuction(w.Ctx, round(huge.ID, 10_000, 1_000))
	wantCode(t, err, auction.EStartPriceTooLow)

	largest := w.Lot(w.Case(1_000_000).ID, "商铺", math.MaxInt64)
	_, err = w.Store.ScheduleAuction(w.Ctx, round(largest.ID, 6456360425798343065-1, 645636042579834306))
	wantCode(t, err, auction.EStartPriceTooLow)
	a, err := w.Store.ScheduleAuction(w.Ctx, round(largest.ID, 6456360425798343065, 645636042579834306))
	if err != nil {
		t.Fatal(err)
	}
	if a.StartPrice != 6456360425798343065 || a.Deposit != 645636042579834306 {
		t.Fatalf("stored %d / %d", a.StartPrice, a.Deposit)
	}
	if _, err := w.Store.PublishAuction(w.Ctx, a.ID); err != nil {
		t.Fatal(err)
	}

	lot := w.Lot(w.Case(1_000_000).ID, "商铺", 100_000_000)
	_, err = w.Store.ScheduleAuction(w.Ctx, round(lot.ID, 70_000_000, -1))
	wantCode(t, err, auction.EDepositOutOfRange)
	_, err = w.Store.ScheduleAuction(w.Ctx, round(lot.ID, 0, 0))
	wantCode(t, err, auction.EStartPriceTooLow)
	_, err = w.Store.ScheduleAuction(w.Ctx, round(lot.ID, 70_000_000, 7_000_000))
	if err != nil {
		t.Fatal(err)
	}
}
