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
	b := setup(t)
	lot := b.mustLot(t, 100_000_000)
	draft := b.mustDraft(t, lot.ID, auction.RoundFirst, 70_000_000, month)
	got, err := b.store.UpdateLot(b.ctx, lot.ID, auction.LotEdit{Title: str("商铺（更名）"), AppraisalValue: ptr(int64(200_000_000))})
	if err != nil || got.Title != "商铺（更名）" || got.AppraisalValue != 200_000_000 || got.Description != lot.Description {
		t.Fatalf("update: %+v %v", got, err)
	}
	for _, e := range []auction.LotEdit{{Title: str(" ")}, {Category: str("boat")}, {AppraisalValue: ptr(int64(0))},
		{Description: str("a\x00b")}, {Viewing: str("\xff")}} {
		_, err := b.store.UpdateLot(b.ctx, lot.ID, e)
		wantCode(t, err, auction.EInvalidField)
	}
	// The draft's terms are checked again: the appraisal doubled, so the
	// old start is now below 70%.
	p := auction.ScheduleParams{Round: auction.RoundFirst, StartPrice: 70_000_000, Increment: 100_000, Deposit: 7_000_000,
		StartsAt: draft.StartsAt, EndsAt: draft.EndsAt}
	_, err = b.store.UpdateDraft(b.ctx, draft.ID, p)
	wantCode(t, err, auction.EStartPriceTooLow)
	p.StartPrice, p.Deposit = 140_000_000, 14_000_000
	if a, err := b.store.UpdateDraft(b.ctx, draft.ID, p); err != nil || a.StartPrice != 140_000_000 || a.Status != auction.StatusDraft {
		t.Fatalf("update draft: %+v %v", a, err)
	}
	// A second draft is deleted; the lot is published with the first.
	other := b.mustDraft(t, lot.ID, auction.RoundFirst, 140_000_000, month)
	if err := b.store.DeleteDraft(b.ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	_, err = b.store.Auction(b.ctx, other.ID)
	wantCode(t, err, auction.ENotFound)
	if _, err := b.store.PublishAuction(b.ctx, draft.ID); err != nil {
		t.Fatal(err)
	}
	_, err = b.store.UpdateLot(b.ctx, lot.ID, auction.LotEdit{Title: str("again")})
	wantCode(t, err, auction.EInvalidState)
	_, err = b.store.UpdateDraft(b.ctx, draft.ID, p)
	wantCode(t, err, auction.EInvalidState)
	wantCode(t, b.store.DeleteDraft(b.ctx, draft.ID), auction.EInvalidState)
	wantCode(t, b.store.DeleteLot(b.ctx, lot.ID), auction.EInvalidState)
	wantCode(t, b.store.DeleteDraft(b.ctx, "00000000-0000-0000-0000-000000000000"), auction.ENotFound)
	wantCode(t, b.store.DeleteLot(b.ctx, "00000000-0000-0000-0000-000000000000"), auction.ENotFound)
}

// TestDeleteLot: an unpublished lot goes with its drafts, photos and
// priority holders.
func TestDeleteLot(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lot := b.mustLot(t, 100_000_000)
	draft := b.mustDraft(t, lot.ID, auction.RoundFirst, 70_000_000, month)
	if _, err := b.store.AddPriorityHolder(b.ctx, lot.ID, auction.NewPriorityHolder{Name: "承租人", IDNumber: idn("P1"), Rank: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.store.AddDocument(b.ctx, lot.ID, "photo", "a.png", "image/png", []byte("png")); err != nil {
		t.Fatal(err)
	}
	if err := b.store.DeleteLot(b.ctx, lot.ID); err != nil {
		t.Fatal(err)
	}
	_, err := b.store.Lot(b.ctx, lot.ID)
	wantCode(t, err, auction.ENotFound)
	_, err = b.store.Auction(b.ctx, draft.ID)
	wantCode(t, err, auction.ENotFound)
	// A lot whose only round was cancelled keeps its record.
	lot = b.mustLot(t, 100_000_000)
	draft = b.mustDraft(t, lot.ID, auction.RoundFirst, 70_000_000, month)
	if _, _, err := b.store.CancelAuction(b.ctx, b.act(draft.ID, "entered twice")); err != nil {
		t.Fatal(err)
	}
	wantCode(t, b.store.DeleteLot(b.ctx, lot.ID), auction.EInvalidState)
	// The database itself keeps it.
	if _, err := b.store.Pool().Exec(b.ctx, `DELETE FROM auctions WHERE id = $1`, draft.ID); err == nil {
		t.Fatal("the database deleted a cancelled round")
	}
}

// TestCorrectionHistory: a published lot's text is corrected in public:
// numbered versions with the reason and the old text, a `corrected` event
// on the running round, and no change to price, deposit or times.
func TestCorrectionHistory(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mustAuction(t, lotParams{})
	lot, _ := b.store.Lot(b.ctx, a.LotID)
	_, _, err := b.store.CorrectLot(b.ctx, b.clerk, lot.ID, "", auction.LotEdit{Title: str("x")})
	wantCode(t, err, auction.EInvalidField)
	_, _, err = b.store.CorrectLot(b.ctx, b.clerk, lot.ID, "no change", auction.LotEdit{Title: str(lot.Title)})
	wantCode(t, err, auction.EInvalidField)
	_, _, err = b.store.CorrectLot(b.ctx, b.clerk, lot.ID, "price", auction.LotEdit{AppraisalValue: ptr(int64(1))})
	wantCode(t, err, auction.EInvalidState)
	_, _, err = b.store.CorrectLot(b.ctx, b.clerk, lot.ID, "blank title", auction.LotEdit{Title: str("  ")})
	wantCode(t, err, auction.EInvalidField)
	_, _, err = b.store.CorrectLot(b.ctx, b.clerk, lot.ID, "NUL", auction.LotEdit{Occupancy: str("a\x00b")})
	wantCode(t, err, auction.EInvalidField)

	c1, changes, err := b.store.CorrectLot(b.ctx, b.clerk, lot.ID, "面积笔误", auction.LotEdit{Description: str("一套住宅，建筑面积 89.5 平方米")})
	if err != nil {
		t.Fatal(err)
	}
	if c1.Version != 1 || len(c1.Changes) != 1 || c1.Changes[0].Old != lot.Description || len(changes) != 1 || changes[0].AuctionID != a.ID ||
		changes[0].Events[0].Type != auction.EventCorrected || changes[0].Events[0].Data["reason"] != "面积笔误" {
		t.Fatalf("first correction: %+v %+v", c1, changes)
	}
	b.clock.Advance(time.Hour)
	c2, _, err := b.store.CorrectLot(b.ctx, b.clerk, lot.ID, "补充看样时间", auction.LotEdit{Viewing: str("每周六 9:00-11:00"), Description: str("一套住宅，建筑面积 89.5 平方米")})
	if err != nil || c2.Version != 2 || len(c2.Changes) != 1 || c2.Changes[0].Field != "viewing" {
		t.Fatalf("second correction: %+v %v", c2, err)
	}
	list, err := b.store.Corrections(b.ctx, lot.ID)
	if err != nil || len(list) != 2 || list[0].Version != 1 || list[0].Changes[0].Old != lot.Description || list[1].Reason != "补充看样时间" {
		t.Fatalf("history: %+v %v", list, err)
	}
	now, _ := b.store.Lot(b.ctx, lot.ID)
	if now.Description != "一套住宅，建筑面积 89.5 平方米" || now.Disclosures.Viewing != "每周六 9:00-11:00" || now.Title != lot.Title {
		t.Fatalf("lot after corrections: %+v", now)
	}
	if e := b.lastEvent(t, a.ID); e.Type != auction.EventCorrected || e.Seq != 2 {
		t.Fatalf("record ends with %+v", e)
	}
	got, _ := b.store.Auction(b.ctx, a.ID)
	if got.StartPrice != a.StartPrice || got.Deposit != a.Deposit || !got.StartsAt.Equal(a.StartsAt) || !got.EndsAt.Equal(a.EndsAt) || got.Status != auction.StatusAnnounced {
		t.Fatalf("a correction changed the round: %+v", got)
	}
	b.wantAuditedOn(t, "court correct", lot.ID, "面积笔误")
	// An unpublished lot is edited, not corrected.
	other := b.mustLot(t, 100_000_000)
	_, _, err = b.store.CorrectLot(b.ctx, b.clerk, other.ID, "why", auction.LotEdit{Title: str("x")})
	wantCode(t, err, auction.EInvalidState)
	_, err = b.store.Corrections(b.ctx, "00000000-0000-0000-0000-000000000000")
	wantCode(t, err, auction.ENotFound)
}
