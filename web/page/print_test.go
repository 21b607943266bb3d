package page_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	noticepg "gavel/auction/notice/postgres"
	"gavel/payments"
	"gavel/web/page/yuan"
	"gavel/web/request"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/web"
)

// printWorld is a store and the web server in front of it, with staff.
type printWorld struct {
	srv    http.Handler
	users  map[string]*auction.User
	tokens map[string]string
	*auctiontest.World
}

func newPrintWorld(t *testing.T) *printWorld {
	t.Helper()
	world := auctiontest.NewWorld(t, testPool(t))
	w := &printWorld{World: world, users: map[string]*auction.User{}, tokens: map[string]string{}}
	w.srv = web.New(web.Config{Store: w.Store, Log: slog.New(slog.DiscardHandler), NoLimits: true, Notices: noticepg.New(world.Pool, w.Clock)}).Handler()
	w.users[auction.RoleClerk], w.users[auction.RoleFinance] = w.Clerk, w.Finance
	for _, role := range []string{auction.RoleAuditor, auction.RoleAdmin, auction.RoleBidder} {
		w.users[role] = w.User(role, "")
	}
	for role, u := range w.users {
		w.tokens[role] = w.Token(u, auction.TokenAPI, time.Hour)
	}
	return w
}

// user is an account named name, with an API token.
func (w *printWorld) user(t *testing.T, role, name string) (*auction.User, string) {
	t.Helper()
	u := w.Account(auction.NewUser{Role: role, RealName: name, IDNumber: idn(fmt.Sprint("PRINT-ID-", auctiontest.Next()))})
	return u, w.Token(u, auction.TokenAPI, time.Hour)
}

// newCase opens a case whose parties the printed documents name.
func (w *printWorld) newCase(t *testing.T) *auction.Case {
	t.Helper()
	claim := int64(500_000_000)
	return w.CaseOf(auction.NewCase{CourtName: "上海市第一中级人民法院",
		Applicants: []auction.Party{{Name: "申请执行人银行", IDNumber: idn("APPL-P"), Claim: &claim}},
		Debtors:    []auction.Party{{Name: "被执行人公司", IDNumber: idn("DEBT-P")}}})
}

// lot lists a seized flat in Huangpu under the case.
func (w *printWorld) lot(t *testing.T, caseID, title string, appraisal int64) *auction.Lot {
	t.Helper()
	return w.LotOf(caseID, auction.NewLot{Title: title, Description: "查封财产", Category: auction.CategoryRealEstate,
		AppraisalValue: appraisal, Location: "上海市黄浦区"})
}

// round schedules and publishes a round as World.Round does, the balance
// due dueDays after the close.
func (w *printWorld) round(t *testing.T, lotID, round string, start int64, dueDays int) *auction.Auction {
	t.Helper()
	return w.Publish(w.Schedule(auction.ScheduleParams{LotID: lotID, Round: round, StartPrice: start,
		StartsAt: w.Now().Add(31 * 24 * time.Hour).Truncate(time.Second), BalanceDueDays: &dueDays}))
}

func (w *printWorld) pay(t *testing.T, auctionID string, amount int64, ref string) {
	t.Helper()
	if _, _, err := w.Store.RecordBalancePayment(w.Ctx, w.users[auction.RoleFinance].ID, auctionID, amount, ref); err != nil {
		t.Fatal(err)
	}
}

type printResponse struct {
	status int
	header http.Header
	body   string
}

// get requests path as role ("" for signed out); a role prefixed with
// "cookie:" signs in the way a browser does, with a session cookie.
func (w *printWorld) get(t *testing.T, path, as string) printResponse {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Accept", "text/html")
	if role, ok := strings.CutPrefix(as, "cookie:"); ok {
		token, _, err := w.Store.CreateToken(w.Ctx, w.users[role].ID, auction.TokenSession, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		req.AddCookie(&http.Cookie{Name: request.SessionCookie, Value: token})
	} else if as != "" {
		req.Header.Set("Authorization", "Bearer "+w.tokens[as])
	}
	rec := httptest.NewRecorder()
	w.srv.ServeHTTP(rec, req)
	return printResponse{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

func (w *printWorld) getJSON(t *testing.T, path, as string, v any) {
	t.Helper()
	r := w.get(t, path, as)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

var (
	printRowRe  = `(?s)<tr data-%s="%s">(.*?)</tr>`
	printCellRe = regexp.MustCompile(`data-(?:col|sum)="(\w+)">([^<]*)<`)
	printStyle  = regexp.MustCompile(`(?s)<style>(.*?)</style>`)
)

// cells returns the amounts of the first table row marked data-kind="id",
// by column, as printed.
func cells(t *testing.T, body, kind, id string) map[string]string {
	t.Helper()
	m := regexp.MustCompile(fmt.Sprintf(printRowRe, kind, regexp.QuoteMeta(id))).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no row data-%s=%q in the document", kind, id)
	}
	return cellMap(m[1])
}

func cellMap(s string) map[string]string {
	out := map[string]string{}
	for _, c := range printCellRe.FindAllStringSubmatch(s, -1) {
		out[c[1]] = html.UnescapeString(c[2])
	}
	return out
}

// section returns the part of body from the tag carrying marker to the end
// of that table row.
func section(t *testing.T, body, marker string) map[string]string {
	t.Helper()
	i := strings.Index(body, marker)
	if i < 0 {
		t.Fatalf("no %s in the document", marker)
	}
	end := strings.Index(body[i:], "</tr>")
	return cellMap(body[i : i+end])
}

// noDeveloperText checks that a printed document speaks to people, not
// programs: its text (markup aside) has no API paths, command lines, ledger
// account or JSON field names.
func noDeveloperText(t *testing.T, body string) {
	t.Helper()
	text := regexp.MustCompile(`(?s)<style>.*?</style>|<[^>]*>`).ReplaceAllString(body, " ")
	for _, bad := range []string{"/api/", "GET ", "POST ", "gavel ", ".json", "_received", "_balance", "_proceeds", "_id", "SELECT "} {
		if strings.Contains(text, bad) {
			t.Errorf("the document shows developer text %q", bad)
		}
	}
}

// checkDocument asserts what both documents promise: zh-CN HTML with print
// CSS for A4, no script, a strict policy that admits exactly its own style.
func checkDocument(t *testing.T, r printResponse) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
	if !strings.Contains(r.body, `<html lang="zh-CN">`) {
		t.Error("the document is not marked zh-CN")
	}
	for _, bad := range []string{"<script", "javascript:", " onload=", " onclick=", "<link", "<img", "@import"} {
		if strings.Contains(strings.ToLower(r.body), bad) {
			t.Errorf("the document contains %q", bad)
		}
	}
	csp := r.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP %q is not strict", csp)
	}
	m := printStyle.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("no style in the document")
	}
	sum := sha256.Sum256([]byte(m[1]))
	if !strings.Contains(csp, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
		t.Errorf("CSP %q does not admit the document's style by its hash", csp)
	}
	for _, want := range []string{"@media print", "size: A4"} {
		if !strings.Contains(m[1], want) {
			t.Errorf("the print CSS lacks %q", want)
		}
	}
}

// The statement of a case with a settled, a failed, a defaulted and a sold
// round and a remittance shows, round by round and in total, the figures of
// the proceeds API, and its balance is the ledger's.
func TestCaseStatementTiesOutWithProceedsAndLedger(t *testing.T) {
	t.Parallel()
	w := newPrintWorld(t)
	c := w.newCase(t)
	b1, _ := w.user(t, auction.RoleBidder, "Bidder One")
	b2, _ := w.user(t, auction.RoleBidder, "Bidder Two")
	b3, _ := w.user(t, auction.RoleBidder, "Bidder Three")

	// Phase 1: lot A sells and is paid in full; lot B's first round fails.
	lotA := w.lot(t, c.ID, "上海市黄浦区某路1号101室", 100_000_000)
	lotB := w.lot(t, c.ID, "上海市黄浦区某路2号202室", 200_000_000)
	lotC := w.lot(t, c.ID, "上海市黄浦区某路3号303室", 50_000_000)
	settled := w.round(t, lotA.ID, auction.RoundFirst, 70_000_000, 10)
	failed := w.round(t, lotB.ID, auction.RoundFirst, 140_000_000, 10)
	w.Qualify(b1, settled.ID)
	w.Qualify(b2, settled.ID)
	w.TickAt(settled.StartsAt)
	w.Bid(b1, settled.ID, 70_000_000)
	w.Bid(b2, settled.ID, 70_100_000)
	w.TickAt(settled.EndsAt)
	w.pay(t, settled.ID, 30_000_000, "BAL-A-1")
	w.pay(t, settled.ID, 70_100_000-7_000_000-30_000_000, "BAL-A-2")

	// Phase 2: lot B's second round sells and the buyer defaults; lot C
	// sells and is partly paid.
	defaulted := w.round(t, lotB.ID, auction.RoundSecond, 120_000_000, 1)
	sold := w.round(t, lotC.ID, auction.RoundFirst, 35_000_000, 30)
	w.Qualify(b3, defaulted.ID)
	w.Qualify(b1, sold.ID)
	w.TickAt(defaulted.StartsAt)
	w.Bid(b3, defaulted.ID, 120_000_000)
	w.Bid(b1, sold.ID, 35_000_000)
	w.TickAt(defaulted.EndsAt)
	w.pay(t, sold.ID, 10_000_000, "BAL-C-1")
	w.TickAt(defaulted.EndsAt.Add(2 * 24 * time.Hour))

	if _, err := w.Store.Remit(w.Ctx, w.users[auction.RoleFinance].ID, c.ID, 50_000_000, "REMIT-<b>1</b>"); err != nil {
		t.Fatal(err)
	}
	w.Clock.Set(w.Clock.Now().Add(time.Hour))
	if _, err := w.Store.Remit(w.Ctx, w.users[auction.RoleFinance].ID, c.ID, 20_000_000, "REMIT-2"); err != nil {
		t.Fatal(err)
	}

	var proceeds payments.Proceeds
	w.getJSON(t, "/api/v1/cases/"+c.ID+"/proceeds", auction.RoleFinance, &proceeds)
	var remittances struct {
		Remittances []payments.Remittance `json:"remittances"`
	}
	w.getJSON(t, "/api/v1/cases/"+c.ID+"/remittances", auction.RoleFinance, &remittances)
	var ledger struct {
		Transactions []payments.LedgerTransaction `json:"transactions"`
		More         bool                         `json:"more"`
	}
	w.getJSON(t, "/api/v1/ledger?limit=1000&case_id="+c.ID, auction.RoleFinance, &ledger)
	if ledger.More {
		t.Fatal("the case's ledger does not fit one page")
	}
	var ledgerBalance, ledgerRemitted int64
	for _, tx := range ledger.Transactions {
		for _, e := range tx.Entries {
			if e.Account == "case_proceeds" {
				ledgerBalance -= e.Amount
			}
		}
		if tx.Kind == "proceeds_remitted" {
			ledgerRemitted += tx.Entries[0].Amount
		}
	}
	var remitted int64
	for _, m := range remittances.Remittances {
		remitted += m.Amount
	}

	// The figures the statement must show, known independently of it.
	wantStatus := map[string]string{settled.ID: auction.StatusSettled, failed.ID: auction.StatusFailed,
		defaulted.ID: auction.StatusDefaulted, sold.ID: auction.StatusSold}
	if len(proceeds.Items) != 4 {
		t.Fatalf("proceeds items %+v", proceeds.Items)
	}
	for _, it := range proceeds.Items {
		if it.Status != wantStatus[it.AuctionID] {
			t.Fatalf("round %s is %s, want %s", it.AuctionID, it.Status, wantStatus[it.AuctionID])
		}
	}
	wantTotal := int64(70_100_000 + 12_000_000 + 3_500_000 + 10_000_000)
	if proceeds.TotalReceived != wantTotal || proceeds.LedgerBalance != wantTotal-70_000_000 ||
		ledgerBalance != proceeds.LedgerBalance || remitted != 70_000_000 || ledgerRemitted != remitted {
		t.Fatalf("proceeds %d / %d, ledger %d, remitted %d / %d; want %d received", proceeds.TotalReceived, proceeds.LedgerBalance,
			ledgerBalance, remitted, ledgerRemitted, wantTotal)
	}

	for _, as := range []string{auction.RoleClerk, "cookie:" + auction.RoleAuditor} {
		r := w.get(t, "/cases/"+c.ID+"/statement", as)
		if r.status != http.StatusOK {
			t.Fatalf("statement as %s: %d %s", as, r.status, r.body)
		}
		checkDocument(t, r)
		noDeveloperText(t, r.body)
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("statement Cache-Control %q", r.header.Get("Cache-Control"))
		}
		body := r.body
		for _, want := range []string{c.CaseNumber, c.CourtName, "申请执行人银行", "被执行人公司", lotA.Title, lotB.Title, lotC.Title,
			"成交，价款已结清", "流拍", "悔拍", "成交，待付余款", "待付余款 ¥215,000.00", "REMIT-&lt;b&gt;1&lt;/b&gt;", "REMIT-2"} {
			if !strings.Contains(body, want) {
				t.Errorf("the statement lacks %q", want)
			}
		}
		// Buyers are bidder codes; the statement names no bidder.
		for _, u := range []*auction.User{b1, b2, b3} {
			if strings.Contains(body, u.RealName) || strings.Contains(body, u.IDNumber) {
				t.Errorf("the statement names bidder %s", u.RealName)
			}
		}

		var sum struct{ applied, balance, forfeited int64 }
		for _, it := range proceeds.Items {
			row := cells(t, body, "auction", it.AuctionID)
			hammer := "—"
			if it.HammerPrice != nil {
				hammer = yuan.Format(*it.HammerPrice)
			}
			net := it.DepositApplied + it.BalanceReceived + it.ForfeitedDeposit
			for col, want := range map[string]string{"hammer_price": hammer, "deposit_applied": yuan.Format(it.DepositApplied),
				"balance_received": yuan.Format(it.BalanceReceived), "forfeited_deposit": yuan.Format(it.ForfeitedDeposit), "net": yuan.Format(net)} {
				if row[col] != want {
					t.Errorf("round %s %s: printed %q, API %q", it.Status, col, row[col], want)
				}
			}
			sum.applied += it.DepositApplied
			sum.balance += it.BalanceReceived
			sum.forfeited += it.ForfeitedDeposit
		}
		totals := section(t, body, `data-total="rounds"`)
		for col, want := range map[string]int64{"deposit_applied": sum.applied, "balance_received": sum.balance,
			"forfeited_deposit": sum.forfeited, "net": proceeds.TotalReceived} {
			if totals[col] != yuan.Format(want) {
				t.Errorf("total %s: printed %q, want %s", col, totals[col], yuan.Format(want))
			}
		}

		// The forfeited deposit and its allocation, as the defaulted event has it.
		forfeit := regexp.MustCompile(`(?s)class="ledger forfeits">.*?</table>`).FindString(body)
		alloc := cells(t, forfeit, "auction", defaulted.ID)
		for col, want := range map[string]int64{"forfeited_deposit": 12_000_000, "auction_costs": 0, "resale_shortfall": 0, "case_debt": 12_000_000} {
			if alloc[col] != yuan.Format(want) {
				t.Errorf("forfeit %s: printed %q, want %s", col, alloc[col], yuan.Format(want))
			}
		}

		summary := cellMap(regexp.MustCompile(`(?s)class="ledger summary">.*?</table>`).FindString(body))
		for col, want := range map[string]string{
			"total_received": yuan.Format(proceeds.TotalReceived),
			"auction_costs":  yuan.Format(0),
			"net":            yuan.Format(proceeds.TotalReceived),
			"remitted":       yuan.Format(remitted),
			"expected":       yuan.Format(proceeds.TotalReceived - remitted),
			"ledger_balance": yuan.Format(ledgerBalance),
			"check":          "相符",
		} {
			if summary[col] != want {
				t.Errorf("summary %s: printed %q, want %q", col, summary[col], want)
			}
		}
		if !strings.Contains(body, yuan.InWords(proceeds.TotalReceived)) {
			t.Errorf("the statement lacks the net proceeds in words %s", yuan.InWords(proceeds.TotalReceived))
		}
		cum := cells(t, body, "remittance", remittances.Remittances[1].ID)
		if cum["amount"] != yuan.Format(20_000_000) || cum["cumulative"] != yuan.Format(70_000_000) {
			t.Errorf("second remittance %v", cum)
		}
	}
}

// The confirmation is a 404 page until the sale, then names the buyer with
// the price in figures and in words, the close in Beijing time, the record's
// final hash and the balance due date; a default voids it again.
func TestConfirmationPrint(t *testing.T) {
	t.Parallel()
	w := newPrintWorld(t)
	c := w.newCase(t)
	lot := w.lot(t, c.ID, "上海市黄浦区某路9号901室", 500_000_000)
	a := w.round(t, lot.ID, auction.RoundFirst, 367_640_000, 10)
	buyer, _ := w.user(t, auction.RoleBidder, "Printable Buyer")
	other, _ := w.user(t, auction.RoleBidder, "Other Bidder")
	reg := w.Qualify(buyer, a.ID)
	w.Qualify(other, a.ID)
	path := "/auctions/" + a.ID + "/confirmation/print"

	before := func(when string) {
		t.Helper()
		r := w.get(t, path, "")
		if r.status != http.StatusNotFound || !strings.Contains(r.body, "本次拍卖尚未成交") {
			t.Fatalf("%s: %d %s", when, r.status, r.body)
		}
		checkDocument(t, r)
		for _, secret := range []string{buyer.RealName, other.RealName, buyer.IDNumber} {
			if strings.Contains(r.body, secret) {
				t.Errorf("%s: the page reveals %q", when, secret)
			}
		}
	}
	before("announced")
	w.TickAt(a.StartsAt)
	w.Bid(buyer, a.ID, 367_640_000)
	before("bidding")

	w.TickAt(a.EndsAt)
	r := w.get(t, path, "")
	if r.status != http.StatusOK {
		t.Fatalf("after the sale: %d %s", r.status, r.body)
	}
	checkDocument(t, r)
	var conf auction.Confirmation
	w.getJSON(t, "/api/v1/auctions/"+a.ID+"/confirmation", "", &conf)
	var record struct {
		Events []auction.Event `json:"events"`
	}
	w.getJSON(t, "/api/v1/auctions/"+a.ID+"/record", "", &record)
	last := record.Events[len(record.Events)-1]
	if conf.RecordHash != last.Hash {
		t.Fatalf("confirmation hash %s, record ends with %s", conf.RecordHash, last.Hash)
	}
	fields := map[string]string{}
	for _, m := range regexp.MustCompile(`data-field="(\w+)">([^<]*)<`).FindAllStringSubmatch(r.body, -1) {
		fields[m[1]] = html.UnescapeString(m[2])
	}
	deposit := reg.Deposit.Amount
	for name, want := range map[string]string{
		"buyer_name":      buyer.RealName,
		"bidder_code":     conf.BidderCode,
		"hammer_price":    "¥3,676,400.00",
		"hammer_words":    "叁佰陆拾柒万陆仟肆佰元整",
		"closed_at":       "2026年4月2日 10:00:00（北京时间）",
		"deposit_applied": yuan.Format(deposit),
		"balance":         yuan.Format(367_640_000 - deposit),
		// Due by the end of the tenth day after the close's day.
		"balance_due_at": "2026年4月13日 00:00:00（北京时间）前",
		"seq":            fmt.Sprint(last.Seq),
		"record_hash":    last.Hash,
	} {
		if fields[name] != want {
			t.Errorf("%s: printed %q, want %q", name, fields[name], want)
		}
	}
	for _, want := range []string{c.CourtName, c.CaseNumber, lot.Title, "第一次拍卖", "下载完整竞价记录", a.ID,
		yuan.InWords(367_640_000 - deposit)} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the confirmation lacks %q", want)
		}
	}
	noDeveloperText(t, r.body)
	// Only the buyer's name is published: never the id number, phone or email,
	// and nothing of the other bidder.
	for _, secret := range []string{buyer.IDNumber, buyer.Phone, buyer.Email, buyer.ID, other.RealName} {
		if strings.Contains(r.body, secret) {
			t.Errorf("the confirmation reveals %q", secret)
		}
	}

	// Settling appends an event: the printed hash follows the record.
	w.pay(t, a.ID, 367_640_000-deposit, "BAL-9")
	r = w.get(t, path, "")
	w.getJSON(t, "/api/v1/auctions/"+a.ID+"/record", "", &record)
	last = record.Events[len(record.Events)-1]
	if r.status != http.StatusOK || !strings.Contains(r.body, "余款已付清") || !strings.Contains(r.body, `data-field="record_hash">`+last.Hash+"<") ||
		!strings.Contains(r.body, `data-field="seq">`+fmt.Sprint(last.Seq)+"<") {
		t.Errorf("after settlement: %d, want the settled note and hash %s at seq %d", r.status, last.Hash, last.Seq)
	}

	// A buyer who defaults has no confirmation.
	lot2 := w.lot(t, c.ID, "上海市黄浦区某路9号902室", 500_000_000)
	a2 := w.round(t, lot2.ID, auction.RoundFirst, 350_000_000, 1)
	w.Qualify(buyer, a2.ID)
	w.TickAt(a2.StartsAt)
	w.Bid(buyer, a2.ID, 350_000_000)
	w.TickAt(a2.EndsAt)
	if r := w.get(t, "/auctions/"+a2.ID+"/confirmation/print", ""); r.status != http.StatusOK {
		t.Fatalf("sold: %d", r.status)
	}
	// Closed at 10:00 in Shanghai with one day to pay: due at the end of
	// the next day, 38 h later.
	w.TickAt(a2.EndsAt.Add(38 * time.Hour))
	if r := w.get(t, "/auctions/"+a2.ID+"/confirmation/print", ""); r.status != http.StatusNotFound || strings.Contains(r.body, buyer.RealName) {
		t.Errorf("after the default: %d", r.status)
	}
}

// Text typed by users reaches the documents escaped, never as markup.
func TestPrintEscapesMaliciousLotTitle(t *testing.T) {
	t.Parallel()
	w := newPrintWorld(t)
	c := w.newCase(t)
	evil := `</td><script>alert("lot")</script><img src=x onerror=alert(1)><style>body{display:none}</style>`
	lot := w.lot(t, c.ID, evil, 100_000_000)
	a := w.round(t, lot.ID, auction.RoundFirst, 70_000_000, 10)
	buyer, _ := w.user(t, auction.RoleBidder, `<b>Buyer</b>`)
	w.Qualify(buyer, a.ID)
	w.TickAt(a.StartsAt)
	w.Bid(buyer, a.ID, 70_000_000)
	w.TickAt(a.EndsAt)

	for _, r := range []printResponse{
		w.get(t, "/cases/"+c.ID+"/statement", auction.RoleFinance),
		w.get(t, "/auctions/"+a.ID+"/confirmation/print", ""),
	} {
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		checkDocument(t, r)
		if strings.Contains(r.body, evil) || strings.Contains(r.body, "<script") || strings.Contains(r.body, "<b>Buyer") ||
			strings.Count(r.body, "<style>") != 1 {
			t.Errorf("user text is rendered as markup:\n%s", r.body)
		}
		if !strings.Contains(r.body, "&lt;script&gt;alert(&#34;lot&#34;)&lt;/script&gt;") {
			t.Errorf("the escaped title is missing:\n%s", r.body)
		}
	}
}

// The statement is for court staff only; unknown documents are 404 pages.
func TestPrintRefusals(t *testing.T) {
	t.Parallel()
	w := newPrintWorld(t)
	c := w.newCase(t)
	lot := w.lot(t, c.ID, "住宅", 100_000_000)
	a := w.round(t, lot.ID, auction.RoundFirst, 70_000_000, 10)
	statement := "/cases/" + c.ID + "/statement"

	r := w.get(t, statement, "")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login?next=%2Fcases%2F"+c.ID+"%2Fstatement" {
		t.Errorf("signed out: %d %q, want a redirect to sign in", r.status, r.header.Get("Location"))
	}
	r = w.get(t, statement, auction.RoleBidder)
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "仅供法院工作人员") || strings.Contains(r.body, c.CaseNumber) {
		t.Errorf("bidder: %d %s", r.status, r.body)
	}
	checkDocument(t, r)
	for _, role := range []string{auction.RoleClerk, auction.RoleFinance, auction.RoleAuditor, auction.RoleAdmin} {
		if r := w.get(t, statement, role); r.status != http.StatusOK {
			t.Errorf("%s: %d", role, r.status)
		}
	}
	for _, id := range []string{"00000000-0000-0000-0000-000000000000", "not-a-uuid"} {
		r := w.get(t, "/cases/"+id+"/statement", auction.RoleClerk)
		if r.status != http.StatusNotFound || !strings.Contains(r.body, "未找到该执行案件") {
			t.Errorf("case %s: %d %s", id, r.status, r.body)
		}
		checkDocument(t, r)
		if r := w.get(t, "/auctions/"+id+"/confirmation/print", ""); r.status != http.StatusNotFound {
			t.Errorf("confirmation of %s: %d", id, r.status)
		}
	}
	// Announced, not sold: no confirmation, not even for staff.
	if r := w.get(t, "/auctions/"+a.ID+"/confirmation/print", auction.RoleClerk); r.status != http.StatusNotFound {
		t.Errorf("announced auction: %d", r.status)
	}
}
