package postgres_test

import (
	"strings"
	"testing"

	"gavel/auction"
	"gavel/auction/courtdoc"
)

// TestDocumentsPublishedWithTheRound: a draft's documents are written from
// it until a clerk edits one (kept as versions); publication fixes the
// latest of each, writing the unedited one as published; a published
// document never changes.
func TestDocumentsPublishedWithTheRound(t *testing.T) {
	t.Parallel()
	w := setup(t)
	lot := w.Lot(w.Case(1_000_000).ID, "商铺", 100_000_000)
	draft := w.Draft(lot.ID, auction.RoundFirst, 70_000_000, w.Now().Add(month))
	docs, err := w.Store.AuctionDocuments(w.Ctx, draft.ID)
	if err != nil || len(docs) != 2 || docs[0].Kind != courtdoc.KindAnnouncement || docs[0].Version != 0 ||
		!strings.Contains(docs[0].Body, "起拍价：700,000.00元") || !strings.Contains(docs[1].Body, "竞买须知") {
		t.Fatalf("draft documents: %+v %v", docs, err)
	}
	for _, tc := range []struct{ kind, body, code string }{
		{"receipt", "x", auction.EInvalidField},
		{courtdoc.KindAnnouncement, " \n ", auction.EInvalidField},
		{courtdoc.KindAnnouncement, "a\x00b", auction.EInvalidField},
		{courtdoc.KindAnnouncement, "a\xffb", auction.EInvalidField},
		{courtdoc.KindAnnouncement, strings.Repeat("字", 50_001), auction.EInvalidField},
	} {
		_, err := w.Store.EditAuctionDocument(w.Ctx, w.Clerk, draft.ID, tc.kind, tc.body)
		wantCode(t, err, tc.code)
	}
	edited := docs[0].Body + "\r\n补充：本次拍卖不设保留价。\r\n"
	for i := 1; i <= 2; i++ {
		d, err := w.Store.EditAuctionDocument(w.Ctx, w.Clerk, draft.ID, courtdoc.KindAnnouncement, edited)
		if err != nil || d.Version != i || !d.Edited || strings.Contains(d.Body, "\r") {
			t.Fatalf("edit %d: %+v %v", i, d, err)
		}
	}
	w.Clock.Advance(month / 31)
	w.Publish(draft)
	docs, _ = w.Store.AuctionDocuments(w.Ctx, draft.ID)
	if docs[0].Version != 2 || docs[0].PublishedAt == nil || !strings.Contains(docs[0].Body, "不设保留价") ||
		docs[1].Version != 1 || docs[1].Edited || docs[1].PublishedAt == nil || !strings.Contains(docs[1].Body, courtdoc.Day(w.Clock.Now(), courtdoc.DefaultZone)) {
		t.Fatalf("published documents: %+v", docs)
	}
	versions, err := w.Store.DocumentVersions(w.Ctx, draft.ID, courtdoc.KindAnnouncement)
	if err != nil || len(versions) != 2 || versions[0].PublishedAt != nil || versions[1].PublishedAt == nil {
		t.Fatalf("versions: %+v %v", versions, err)
	}
	_, err = w.Store.EditAuctionDocument(w.Ctx, w.Clerk, draft.ID, courtdoc.KindBidderNotice, "新文本")
	wantCode(t, err, auction.EInvalidState)
	wantAuditedOn(t, w, "court edit document", draft.ID, "")
}

// TestRegistrationAgreesToTheNotice: a registration records the version of
// the bidders' notice in force; a bidder shown another version is refused.
func TestRegistrationAgreesToTheNotice(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	u1, u2 := w.Verified("", ""), w.Verified("", "")
	two := 2
	_, err := w.Store.RegisterAgreeing(w.Ctx, u1, a.ID, &two)
	wantCode(t, err, auction.EInvalidField)
	one := 1
	reg, err := w.Store.RegisterAgreeing(w.Ctx, u1, a.ID, &one)
	if err != nil || reg.NoticeVersion == nil || *reg.NoticeVersion != 1 {
		t.Fatalf("registration: %+v %v", reg, err)
	}
	if reg, err := w.Store.Register(w.Ctx, u2, a.ID); err != nil || reg.NoticeVersion == nil || *reg.NoticeVersion != 1 {
		t.Fatalf("registration without a version: %+v %v", reg, err)
	}
	var agreed int
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT count(*) FROM registrations WHERE auction_id = $1 AND notice_version = 1 AND notice_agreed_at IS NOT NULL`, a.ID).Scan(&agreed); err != nil || agreed != 2 {
		t.Fatalf("%d agreements recorded (%v)", agreed, err)
	}
}
