package postgres_test

import (
	"testing"
	"time"

	"gavel/auction"
)

func str(s string) *string { return &s }

// TestEditUnpublished: a lot and its drafts are edited and deleted freely
// until the lot is published; then every edit and deletion is refused.
func TestEditUnpublished(t *testing.T) {
	t.Parallel()
	w := setup(t)
	lot := w.Lot(w.Case(1_000_000).ID, "商铺", 100_000_000)
	draft := w.Draft(lot.ID, auction.RoundFirst, 70_000_000, w.Now().Add(month))
	got, err := w.Store.UpdateLot(w.Ctx, lot.ID, auction.LotEdit{Title: str("商铺（更名）"), AppraisalValue: ptr(int64(200_000_000))})
	if err != nil || got.Title != "商铺（更名）" || got.AppraisalValue != 200_000_000 || got.Description != lot.Description {
		t.Fatalf("update: %+v %v", got, err)
	}
	for _, e := range []auction.LotEdit{{Title: str(" ")}, {Category: str("boat")}, {AppraisalValue: ptr(int64(0))},
		{Description: str("a\x00b")}, {Viewing: str("\xff")}} {
		_, err := w.Store.UpdateLot(w.Ctx, lot.ID, e)
		wantCode(t, err, auction.EInvalidField)
	}
	// The draft's terms are checked again: the appraisal doubled, so the
	// old start is now below 70%.
	p := auction.ScheduleParams{Round: auction.RoundFirst, StartPrice: 70_000_000, Increment: 100_000, Deposit: 7_000_000,
		StartsAt: draft.StartsAt, EndsAt: draft.EndsAt}
	_, err = w.Store.UpdateDraft(w.Ctx, draft.ID, p)
	wantCode(t, err, auction.EStartPriceTooLow)
	p.StartPrice, p.Deposit = 140_000_000, 14_000_000
	if a, err := w.Store.UpdateDraft(w.Ctx, draft.ID, p); err != nil || a.StartPrice != 140_000_000 || a.Status != auction.StatusDraft {
		t.Fatalf("update draft: %+v %v", a, err)
	}
	// A second draft is deleted; the lot is published with the first.
	other := w.Draft(lot.ID, auction.RoundFirst, 140_000_000, w.Now().Add(month))
	if err := w.Store.DeleteDraft(w.Ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	_, err = w.Store.Auction(w.Ctx, other.ID)
	wantCode(t, err, auction.ENotFound)
	w.Publish(draft)
	_, err = w.Store.UpdateLot(w.Ctx, lot.ID, auction.LotEdit{Title: str("again")})
	wantCode(t, err, auction.EInvalidState)
	_, err = w.Store.UpdateDraft(w.Ctx, draft.ID, p)
	wantCode(t, err, auction.EInvalidState)
	wantCode(t, w.Store.DeleteDraft(w.Ctx, draft.ID), auction.EInvalidState)
	wantCode(t, w.Store.DeleteLot(w.Ctx, lot.ID), auction.EInvalidState)
	wantCode(t, w.Store.DeleteDraft(w.Ctx, "00000000-0000-0000-0000-000000000000"), auction.ENotFound)
	wantCode(t, w.Store.DeleteLot(w.Ctx, "00000000-0000-0000-0000-000000000000"), auction.ENotFound)
}

// TestDeleteLot: an unpublished lot goes with its drafts, photos and
// priority holders.
func TestDeleteLot(t *testing.T) {
	t.Parallel()
	w := setup(t)
	lot := w.Lot(w.Case(1_000_000).ID, "商铺", 100_000_000)
	draft := w.Draft(lot.ID, auction.RoundFirst, 70_000_000, w.Now().Add(month))
	w.Holder(lot.ID, auction.NewPriorityHolder{Name: "承租人", IDNumber: idn("P1"), Rank: 1})
	if _, err := w.Store.AddDocument(w.Ctx, lot.ID, "photo", "a.png", "image/png", []byte("png")); err != nil {
		t.Fatal(err)
	}
	if err := w.Store.DeleteLot(w.Ctx, lot.ID); err != nil {
		t.Fatal(err)
	}
	_, err := w.Store.Lot(w.Ctx, lot.ID)
	wantCode(t, err, auction.ENotFound)
	_, err = w.Store.Auction(w.Ctx, draft.ID)
	wantCode(t, err, auction.ENotFound)
	// A lot whose only round was cancelled keeps its record.
	lot = w.Lot(w.Case(1_000_000).ID, "商铺", 100_000_000)
	draft = w.Draft(lot.ID, auction.RoundFirst, 70_000_000, w.Now().Add(month))
	if _, _, err := w.Store.CancelAuction(w.Ctx, act(w, draft.ID, "entered twice")); err != nil {
		t.Fatal(err)
	}
	wantCode(t, w.Store.DeleteLot(w.Ctx, lot.ID), auction.EInvalidState)
	// The database itself keeps it.
	if _, err := w.Store.Pool().Exec(w.Ctx, `DELETE FROM auctions WHERE id = $1`, draft.ID); err == nil {
		t.Fatal("the database deleted a cancelled round")
	}
}

// TestCorrectionHistory: a published lot's text is corrected in public:
// numbered versions with the reason and the old text, a `corrected` event
// on the running round, and no change to price, deposit or times.
func TestCorrectionHistory(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	lot, _ := w.Store.Lot(w.Ctx, a.LotID)
	_, _, err := w.Store.CorrectLot(w.Ctx, w.Clerk, lot.ID, "", auction.LotEdit{Title: str("x")})
	wantCode(t, err, auction.EInvalidField)
	_, _, err = w.Store.CorrectLot(w.Ctx, w.Clerk, lot.ID, "no change", auction.LotEdit{Title: str(lot.Title)})
	wantCode(t, err, auction.EInvalidField)
	_, _, err = w.Store.CorrectLot(w.Ctx, w.Clerk, lot.ID, "price", auction.LotEdit{AppraisalValue: ptr(int64(1))})
	wantCode(t, err, auction.EInvalidState)
	_, _, err = w.Store.CorrectLot(w.Ctx, w.Clerk, lot.ID, "blank title", auction.LotEdit{Title: str("  ")})
	wantCode(t, err, auction.EInvalidField)
	_, _, err = w.Store.CorrectLot(w.Ctx, w.Clerk, lot.ID, "NUL", auction.LotEdit{Occupancy: str("a\x00b")})
	wantCode(t, err, auction.EInvalidField)

	c1, changes, err := w.Store.CorrectLot(w.Ctx, w.Clerk, lot.ID, "面积笔误", auction.LotEdit{Description: str("一套住宅，建筑面积 89.5 平方米")})
	if err != nil {
		t.Fatal(err)
	}
	if c1.Version != 1 || len(c1.Changes) != 1 || c1.Changes[0].Old != lot.Description || len(changes) != 1 || changes[0].AuctionID != a.ID ||
		changes[0].Events[0].Type != auction.EventCorrected || changes[0].Events[0].Data["reason"] != "面积笔误" {
		t.Fatalf("first correction: %+v %+v", c1, changes)
	}
	w.Clock.Advance(time.Hour)
	c2, _, err := w.Store.CorrectLot(w.Ctx, w.Clerk, lot.ID, "补充看样时间", auction.LotEdit{Viewing: str("每周六 9:00-11:00"), Description: str("一套住宅，建筑面积 89.5 平方米")})
	if err != nil || c2.Version != 2 || len(c2.Changes) != 1 || c2.Changes[0].Field != "viewing" {
		t.Fatalf("second correction: %+v %v", c2, err)
	}
	list, err := w.Store.Corrections(w.Ctx, lot.ID)
	if err != nil || len(list) != 2 || list[0].Version != 1 || list[0].Changes[0].Old != lot.Description || list[1].Reason != "补充看样时间" {
		t.Fatalf("history: %+v %v", list, err)
	}
	now, _ := w.Store.Lot(w.Ctx, lot.ID)
	if now.Description != "一套住宅，建筑面积 89.5 平方米" || now.Disclosures.Viewing != "每周六 9:00-11:00" || now.Title != lot.Title {
		t.Fatalf("lot after corrections: %+v", now)
	}
	if e := lastEvent(t, w, a.ID); e.Type != auction.EventCorrected || e.Seq != 2 {
		t.Fatalf("record ends with %+v", e)
	}
	got, _ := w.Store.Auction(w.Ctx, a.ID)
	if got.StartPrice != a.StartPrice || got.Deposit != a.Deposit || !got.StartsAt.Equal(a.StartsAt) || !got.EndsAt.Equal(a.EndsAt) || got.Status != auction.StatusAnnounced {
		t.Fatalf("a correction changed the round: %+v", got)
	}
	wantAuditedOn(t, w, "court correct", lot.ID, "面积笔误")
	// An unpublished lot is edited, not corrected.
	other := w.Lot(w.Case(1_000_000).ID, "商铺", 100_000_000)
	_, _, err = w.Store.CorrectLot(w.Ctx, w.Clerk, other.ID, "why", auction.LotEdit{Title: str("x")})
	wantCode(t, err, auction.EInvalidState)
	_, err = w.Store.Corrections(w.Ctx, "00000000-0000-0000-0000-000000000000")
	wantCode(t, err, auction.ENotFound)
}
