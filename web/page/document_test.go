package page_test

import (
	"net/http"
	"strings"
	"testing"

	"gavel/auction"
	"gavel/auction/postgres"
)

// TestCourtDocumentPrint: a round's announcement and bidders' notice print
// as court documents (heading, numbered sections, signature), name no party
// and carry no developer text; a draft's is marked as not published.
func TestCourtDocumentPrint(t *testing.T) {
	t.Parallel()
	w := newPrintWorld(t)
	c := w.newCase(t)
	lot := w.lot(t, c.ID, "黄浦区某路 1 号 101 室", 100_000_000)
	if _, err := w.store.AddPriorityHolder(w.ctx, lot.ID, postgres.NewPriorityHolder{Name: "承租人丙", IDNumber: idn("PH-9"), Rank: 1}); err != nil {
		t.Fatal(err)
	}
	a := w.round(t, lot.ID, auction.RoundFirst, 70_000_000, 10)
	for _, kind := range []string{"announcement", "bidder_notice"} {
		r := w.get(t, "/auctions/"+a.ID+"/documents/"+kind+"/print", "")
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", kind, r.status, r.body)
		}
		checkDocument(t, r)
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
	draft, err := w.store.ScheduleAuction(w.ctx, auction.ScheduleParams{LotID: w.lot(t, c.ID, "车", 10_000_000).ID, Round: auction.RoundFirst,
		StartPrice: 7_000_000, Increment: 10_000, Deposit: 700_000, StartsAt: a.StartsAt, EndsAt: a.EndsAt})
	if err != nil {
		t.Fatal(err)
	}
	if r := w.get(t, "/auctions/"+draft.ID+"/documents/announcement/print", ""); r.status != 200 || !strings.Contains(r.body, "草稿（尚未发布") {
		t.Fatalf("draft: %d", r.status)
	}
	for _, path := range []string{"/auctions/" + a.ID + "/documents/receipt/print", "/auctions/00000000-0000-0000-0000-000000000000/documents/announcement/print"} {
		if r := w.get(t, path, ""); r.status != http.StatusNotFound || !strings.Contains(r.body, "未找到该拍卖或该文件") {
			t.Fatalf("%s: %d", path, r.status)
		}
	}
}
