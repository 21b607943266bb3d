package page_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"gavel/auction"
)

// TestCourtDocumentPrint: a round's announcement and bidders' notice print
// as court documents (heading, numbered sections, signature), name no party
// and carry no developer text; a draft's is marked as not published.
func TestCourtDocumentPrint(t *testing.T) {
	t.Parallel()
	w := newPrintWorld(t)
	c := w.newCase(t)
	lot := w.lot(t, c.ID, "黄浦区某路 1 号 101 室", 100_000_000)
	if _, err := w.Store.AddPriorityHolder(w.Ctx, lot.ID, auction.NewPriorityHolder{Name: "承租人丙", IDNumber: idn("PH-9"), Rank: 1}); err != nil {
		t.Fatal(err)
	}
	a := w.round(t, lot.ID, auction.RoundFirst, 70_000_000, 10)
	for _, kind := range []string{"announcement", "bidder_notice"} {
		r := w.get(t, "/auctions/"+a.ID+"/documents/"+kind+"/print", "")
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", kind, r.status, r.body)
		}
		checkDocument(t, r)
		noDeveloperText(t, r.body)
		title := map[string]string{"announcement": "拍卖公告", "bidder_notice": "竞买须知"}[kind]
		for _, want := range []string{`<p class="title">` + title + `</p>`, `<p class="doc-ref">` + c.CaseNumber + `</p>`, `<h2>一、`,
			`<footer class="doc-sign">`, "上海市第一中级人民法院"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("%s lacks %q", kind, want)
			}
		}
		for _, bad := range []string{"申请执行人银行", "被执行人公司", "承租人丙", "APPL-P", "DEBT-P", "PH-9", "/api/", "草稿", "{{", "<no value>", "%!"} {
			if strings.Contains(r.body, bad) {
				t.Errorf("%s shows %q", kind, bad)
			}
		}
	}
	draft := w.Schedule(auction.ScheduleParams{LotID: w.lot(t, c.ID, "车", 10_000_000).ID, Round: auction.RoundFirst,
		StartPrice: 7_000_000, Increment: 10_000, StartsAt: a.StartsAt, EndsAt: a.EndsAt})
	if r := w.get(t, "/auctions/"+draft.ID+"/documents/announcement/print", ""); r.status != 200 || !strings.Contains(r.body, "草稿（尚未发布") {
		t.Fatalf("draft: %d", r.status)
	}
	for _, path := range []string{"/auctions/" + a.ID + "/documents/receipt/print", "/auctions/00000000-0000-0000-0000-000000000000/documents/announcement/print"} {
		if r := w.get(t, path, ""); r.status != http.StatusNotFound || !strings.Contains(r.body, "未找到该拍卖或该文件") {
			t.Fatalf("%s: %d", path, r.status)
		}
	}
}

// TestResultsAndCaseSearchPages: the public results board shows closed
// auctions by bidder code, never the buyer's name, and filters by court;
// the clerks' case list finds a case by a party's name.
func TestResultsAndCaseSearchPages(t *testing.T) {
	t.Parallel()
	w := newPrintWorld(t)
	c := w.newCase(t)
	a := w.round(t, w.lot(t, c.ID, "静安区某路 8 号", 100_000_000).ID, auction.RoundFirst, 70_000_000, 10)
	buyer, _ := w.user(t, auction.RoleBidder, "买受人真名")
	reg := w.Qualify(buyer, a.ID)
	w.TickAt(a.StartsAt)
	w.Bid(buyer, a.ID, a.StartPrice)
	w.TickAt(a.EndsAt)
	reg, _ = w.Store.Registration(w.Ctx, reg.ID)
	r := w.get(t, "/results?court=第一中级&from=2026-01-01", "")
	if r.status != http.StatusOK || !strings.Contains(r.body, *reg.BidderCode) || !strings.Contains(r.body, "静安区某路 8 号") ||
		!strings.Contains(r.body, "¥700,000.00") {
		t.Fatalf("results: %d", r.status)
	}
	for _, secret := range []string{"买受人真名", buyer.Email, buyer.IDNumber, buyer.ID} {
		if strings.Contains(r.body, secret) {
			t.Fatalf("the results page shows %q", secret)
		}
	}
	if r := w.get(t, "/results?court=北京", ""); !strings.Contains(r.body, "没有符合条件的拍卖结果") {
		t.Fatal("the court filter kept another court's result")
	}
	if r := w.get(t, "/results?from=yesterday", ""); r.status != http.StatusOK || !strings.Contains(r.body, `id="err-from"`) {
		t.Fatalf("a bad day: %d", r.status)
	}
	w.newCase(t)
	r = w.get(t, "/clerk?party=申请执行人银行&case_number="+strings.TrimPrefix(c.CaseNumber, "(2026)"), "cookie:"+auction.RoleClerk)
	if r.status != http.StatusOK || strings.Count(r.body, `<a href="/clerk/cases/`) != 1 || !strings.Contains(r.body, c.CaseNumber) {
		t.Fatalf("case search: %d", r.status)
	}
	// The new case form starts with the court of the clerk's last case.
	if !strings.Contains(r.body, `name="court_name" required value="上海市第一中级人民法院"`) {
		t.Error("the court name is not remembered")
	}
}

// TestAuctionPageDocumentsAndCorrections: the auction page links the
// round's documents, shows the lot's corrections with the old text, and a
// bidder's registration form carries the version of the notice in force.
func TestAuctionPageDocumentsAndCorrections(t *testing.T) {
	t.Parallel()
	w := newPrintWorld(t)
	c := w.newCase(t)
	lot := w.lot(t, c.ID, "徐汇区某路 3 号", 100_000_000)
	a := w.round(t, lot.ID, auction.RoundFirst, 70_000_000, 10)
	desc := "查封财产，建筑面积 66 平方米"
	if _, _, err := w.Store.CorrectLot(w.Ctx, w.users[auction.RoleClerk], lot.ID, "面积笔误", auction.LotEdit{Description: &desc}); err != nil {
		t.Fatal(err)
	}
	r := w.get(t, "/auctions/"+a.ID, "cookie:"+auction.RoleBidder)
	for _, want := range []string{`name="notice_version" data-type="int" value="1"`, "/documents/bidder_notice/print", "/documents/announcement/print",
		`id="corrections"`, "面积笔误", "<del>查封财产</del>", "<ins>" + desc + "</ins>"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the auction page lacks %q", want)
		}
	}
}

// TestOldDraftNotOffered: while a round of the lot runs (or once it sold)
// another draft is not offered for publication; the page says why.
func TestOldDraftNotOffered(t *testing.T) {
	t.Parallel()
	w := newPrintWorld(t)
	c := w.newCase(t)
	lot := w.lot(t, c.ID, "长宁区某路 9 号", 100_000_000)
	starts := w.Clock.Now().Add(31 * 24 * time.Hour)
	var drafts []*auction.Auction
	for range 2 {
		drafts = append(drafts, w.Draft(lot.ID, auction.RoundFirst, 70_000_000, starts))
	}
	w.Publish(drafts[0])
	r := w.get(t, "/clerk/lots/"+lot.ID, "cookie:"+auction.RoleClerk)
	if r.status != http.StatusOK || strings.Contains(r.body, `class="publish"`) || !strings.Contains(r.body, "现在不能安排该轮次") {
		t.Fatalf("the old draft is offered: %d", r.status)
	}
	// The draft's documents can be edited there; the published round's not.
	if !strings.Contains(r.body, `data-api="/api/v1/auctions/`+drafts[1].ID+`/documents/announcement" data-method="PUT"`) ||
		strings.Contains(r.body, `data-api="/api/v1/auctions/`+drafts[0].ID+`/documents/announcement" data-method="PUT"`) {
		t.Fatal("document editing offered wrongly")
	}
	if !strings.Contains(r.body, `data-api="/api/v1/auctions/`+drafts[1].ID+`" data-method="PUT"`) ||
		strings.Contains(r.body, `data-api="/api/v1/auctions/`+drafts[0].ID+`" data-method="PUT"`) {
		t.Fatal("draft editing offered wrongly")
	}
	// The lot is published: its text is corrected, not edited.
	if !strings.Contains(r.body, `id="correct-form"`) || strings.Contains(r.body, `id="lot-edit-form"`) {
		t.Fatal("the published lot is offered for editing")
	}
}
