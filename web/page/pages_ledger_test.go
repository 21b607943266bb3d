package page_test

import (
	"encoding/json"
	"gavel/web/page"
	"gavel/web/page/i18n"
	"gavel/web/page/yuan"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gavel/auction"
	"gavel/payments"
)

// ledgerWorld is a page world with a planted sale: two deposits confirmed,
// one bid, the close (the winner's deposit applied, the other released), the
// balance paid, part of the proceeds remitted, and one bank receipt the
// ledger does not know (a reconciliation difference).
type ledgerWorld struct {
	*pageWorld
	winner, loser *auction.Registration
	// hostile is a reference typed by finance that must come out escaped.
	hostile string
	// period is the page query that covers every movement, api the same
	// span as the API's RFC 3339 instants.
	period string
	api    url.Values
}

func ledgerSetup(t *testing.T) *ledgerWorld {
	t.Helper()
	w := &ledgerWorld{pageWorld: pageSetup(t, "住宅"), hostile: `<script>alert("x")</script>&`}
	var regs []*auction.Registration
	for i, u := range []*auction.User{w.bidder, w.User(auction.RoleBidder, "")} {
		reg := w.Register(u, w.a.ID)
		ref := "BANK-" + reg.ID[:6]
		if i == 0 {
			ref = w.hostile
		}
		if _, err := w.Store.ConfirmDeposit(w.Ctx, reg.Deposit.ID, ref); err != nil {
			t.Fatal(err)
		}
		regs = append(regs, reg)
	}
	w.winner, w.loser = regs[0], regs[1]
	w.TickAt(w.a.StartsAt)
	w.Bid(w.bidder, w.a.ID, 70_000_000)
	w.TickAt(w.a.EndsAt.Add(time.Second))
	if _, _, err := w.Store.RecordBalancePayment(w.Ctx, w.Finance.ID, w.a.ID, 63_000_000, "BAL-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.Remit(w.Ctx, w.Finance.ID, w.caseID, 10_000_000, "REMIT-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.Pool().Exec(w.Ctx, `INSERT INTO provider_records (provider, kind, amount, external_ref, occurred_at)
		VALUES ('bank', 'deposit_received', 123456, 'STRAY-1', $1)`, w.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	w.period = "from=2026-03-01&to=2026-04-30"
	w.api = url.Values{"from": {"2026-03-01T00:00:00+08:00"}, "to": {"2026-05-01T00:00:00+08:00"}}
	return w
}

// apiJSON reads an API answer with the browser's session cookie.
func apiJSON(t *testing.T, b *browser, path string, out any) {
	t.Helper()
	r := b.get(path)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	if err := json.Unmarshal([]byte(r.body), out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

var cellTag = regexp.MustCompile(`<[^>]+>`)

// rowCells is the text of each cell of the row marked attr="value".
func rowCells(t *testing.T, body, attr, value string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr ` + regexp.QuoteMeta(attr+`="`+value+`"`) + `[^>]*>(.*?)</tr>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no row %s=%q", attr, value)
	}
	var out []string
	for _, c := range regexp.MustCompile(`(?s)<t[hd][^>]*>(.*?)</t[hd]>`).FindAllStringSubmatch(m[1], -1) {
		out = append(out, strings.TrimSpace(html.UnescapeString(cellTag.ReplaceAllString(c[1], ""))))
	}
	return out
}

// downloadLinks are the page's download hrefs, as a browser would follow them.
func downloadLinks(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`href="([^"]+)" download`).FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

func checkAccounts(t *testing.T, path, body string, r *payments.Reconciliation) {
	t.Helper()
	if len(r.Accounts) < 4 {
		t.Fatalf("the planted sale touched %d accounts", len(r.Accounts))
	}
	for _, a := range append(append([]payments.AccountTotal{}, r.Accounts...), r.AccountsTotal) {
		got := rowCells(t, body, "data-account", a.Account)
		want := []string{yuan.Format(a.Opening), yuan.Format(a.Debits), yuan.Format(a.Credits), yuan.Format(a.Net), yuan.Format(a.Closing)}
		if len(got) != 6 || strings.Join(got[1:], "|") != strings.Join(want, "|") {
			t.Errorf("%s account %s: %q, want %q", path, a.Account, got, want)
		}
	}
	if r.AccountsTotal.Debits != r.AccountsTotal.Credits || r.AccountsTotal.Closing != 0 {
		t.Errorf("the planted ledger does not tie out: %+v", r.AccountsTotal)
	}
}

// TestPagesLedger: the ledger page shows the API's transactions and the
// period's totals per account, which tie out; filters narrow it; its CSV
// link downloads with the session cookie alone.
func TestPagesLedger(t *testing.T) {
	t.Parallel()
	w := ledgerSetup(t)
	finance, _ := w.signedIn(t, w.Finance)

	path := "/finance/ledger?" + w.period
	r := finance.get(path)
	checkPage(t, path, r, "总账", "各科目合计", "借贷平衡", `aria-current="page"`, "法院保证金账户")

	var rec payments.Reconciliation
	apiJSON(t, finance, "/api/v1/reconciliation?"+w.api.Encode(), &rec)
	checkAccounts(t, path, r.body, &rec)

	var led struct {
		Transactions []payments.LedgerTransaction `json:"transactions"`
	}
	apiJSON(t, finance, "/api/v1/ledger?"+w.api.Encode(), &led)
	if len(led.Transactions) < 5 {
		t.Fatalf("the planted sale wrote %d transactions", len(led.Transactions))
	}
	var debits int64
	for _, tx := range led.Transactions {
		cells := rowCells(t, r.body, "data-tx", strconv.FormatInt(tx.ID, 10))
		if cells[2] != (i18n.Locale{Lang: i18n.LangZH}).T("txk."+tx.Kind) {
			t.Errorf("transaction %d: %q", tx.ID, cells)
		}
		for _, e := range tx.Entries {
			amount := e.Amount
			if amount < 0 {
				amount = -amount
			} else {
				debits += amount
			}
			if !strings.Contains(cells[5], yuan.Format(amount)) {
				t.Errorf("transaction %d lacks entry %s %s: %q", tx.ID, e.Account, yuan.Format(amount), cells[5])
			}
		}
	}
	if debits != rec.AccountsTotal.Debits {
		t.Errorf("the listed transactions debit %d, the period's totals %d", debits, rec.AccountsTotal.Debits)
	}

	// The account filter lists only the transactions touching that account.
	r = finance.get(path + "&account=" + payments.AccountCaseProceeds)
	checkPage(t, path, r, `value="case_proceeds" selected`, "/finance/cases/"+w.caseID)
	apiJSON(t, finance, "/api/v1/ledger?"+w.api.Encode()+"&account="+payments.AccountCaseProceeds, &led)
	if got := strings.Count(r.body, `data-tx="`); got != len(led.Transactions) || got == 0 {
		t.Errorf("filtered by account: %d rows, the API lists %d", got, len(led.Transactions))
	}
	r = finance.get(path + "&kind=" + payments.TxProceedsRemitted)
	if got := strings.Count(r.body, `data-tx="`); got != 1 || !strings.Contains(r.body, "REMIT-1") {
		t.Errorf("filtered by kind: %d rows", got)
	}

	// An empty period still renders and ties out (nothing moved).
	r = finance.get("/finance/ledger?from=2025-01-01&to=2025-01-31")
	checkPage(t, "empty period", r, "本期间没有记账凭证", "借贷平衡")
	// A bad or inverted period says so and shows this month.
	r = finance.get("/finance/ledger?from=2026-13-01")
	checkPage(t, "bad date", r, "日期格式应为", `aria-invalid="true"`)
	r = finance.get("/finance/ledger?from=2026-04-02&to=2026-04-01")
	checkPage(t, "inverted", r, "截止日期不能早于起始日期")

	// The CSV link downloads the same totals.
	links := downloadLinks(finance.get(path).body)
	if len(links) != 1 || !strings.Contains(links[0], "part=accounts") {
		t.Fatalf("ledger download links: %q", links)
	}
	csv := finance.get(links[0])
	if csv.status != http.StatusOK || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(csv.body, "\ufeff科目,期初（元）,借方（元）") ||
		!strings.Contains(csv.body, "合计,"+payments.Yuan(rec.AccountsTotal.Opening)+","+payments.Yuan(rec.AccountsTotal.Debits)) {
		t.Errorf("accounts CSV: %d %v\n%s", csv.status, csv.header, csv.body)
	}
}

// TestPagesReconciliation: the page shows the API's reconciliation of the
// period (accounts, escrow against provider records, refunds due with the
// 24 h deadline, the differences line by line) and links each CSV table.
func TestPagesReconciliation(t *testing.T) {
	t.Parallel()
	w := ledgerSetup(t)
	finance, _ := w.signedIn(t, w.Finance)
	path := "/finance/reconciliation?" + w.period

	r := finance.get(path)
	checkPage(t, path, r, "对账", "存在差异", "账簿无记录", "STRAY-1", "待退保证金", `data-deposit="`+w.loser.Deposit.ID+`"`,
		`name="from" type="date" value="2026-03-01"`, `name="to" type="date" value="2026-04-30"`)
	var rec payments.Reconciliation
	apiJSON(t, finance, "/api/v1/reconciliation?"+w.api.Encode(), &rec)
	checkAccounts(t, path, r.body, &rec)
	if len(rec.Escrow) == 0 || len(rec.Differences) == 0 || len(rec.RefundsDue) != 1 {
		t.Fatalf("planted reconciliation: escrow %d, differences %d, refunds %d", len(rec.Escrow), len(rec.Differences), len(rec.RefundsDue))
	}
	for _, e := range append(append([]payments.EscrowTotal{}, rec.Escrow...), rec.EscrowTotal) {
		got := rowCells(t, r.body, "data-provider", e.Provider)
		if len(got) != 4 || got[1] != yuan.Format(e.Ledger) || got[2] != yuan.Format(e.Records) || !strings.HasPrefix(got[3], yuan.Format(e.Difference)) {
			t.Errorf("escrow %s: %q, want %+v", e.Provider, got, e)
		}
	}
	if got := regexp.MustCompile(`<dd id="diff-count">(\d+)</dd>`).FindStringSubmatch(r.body); got == nil || got[1] != strconv.FormatInt(int64(rec.LinesTotal.Differences), 10) {
		t.Errorf("difference count %q, API %d", got, rec.LinesTotal.Differences)
	}
	diffs := regexp.MustCompile(`(?s)<table class="table stack" id="differences">.*?</table>`).FindString(r.body)
	if n := strings.Count(diffs, `data-status="`); n != len(rec.Differences) {
		t.Errorf("differences table has %d rows, the API %d", n, len(rec.Differences))
	}
	lines := regexp.MustCompile(`(?s)<table class="table stack" id="lines">.*?</table>`).FindString(r.body)
	if n := strings.Count(lines, `data-status="`); n != len(rec.Lines) || !strings.Contains(lines, yuan.Format(rec.LinesTotal.Ledger)) {
		t.Errorf("lines table has %d rows, the API %d", n, len(rec.Lines))
	}
	due := rec.RefundsDue[0]
	cells := rowCells(t, r.body, "data-deposit", due.DepositID)
	if cells[3] != yuan.Format(due.Amount) || !strings.HasPrefix(cells[5], i18n.Locale{Zone: page.DefaultZone()}.Time(due.DueBy)) ||
		!due.DueBy.Equal(w.a.EndsAt.Add(24*time.Hour)) {
		t.Errorf("refund row %q, API %+v", cells, due)
	}
	if strings.Contains(r.body, "已超期") {
		t.Errorf("overdue before the 24 h deadline")
	}

	// Every CSV link works with the session cookie alone (a plain GET).
	links := downloadLinks(r.body)
	if len(links) != 4 {
		t.Fatalf("download links: %q", links)
	}
	for _, l := range links {
		u, _ := url.Parse(l)
		if u.Path != "/api/v1/reconciliation" || u.Query().Get("from") != w.api.Get("from") || u.Query().Get("to") != w.api.Get("to") {
			t.Errorf("link %s is not this period's", l)
		}
		csv := finance.get(l)
		if csv.status != http.StatusOK || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(csv.header.Get("Content-Disposition"), "attachment") {
			t.Errorf("GET %s: %d %v", l, csv.status, csv.header)
		}
		if u.Query().Get("part") == "refunds" && !strings.Contains(csv.body, due.DepositID) {
			t.Errorf("refunds CSV lacks the refund due:\n%s", csv.body)
		}
	}

	// Past the deadline the refund is highlighted and counted as overdue.
	w.Clock.Set(w.a.EndsAt.Add(25 * time.Hour))
	r = finance.get(path)
	checkPage(t, path, r, `class="overdue"`, "已超期", "1 笔保证金已超过 24 小时法定退还期限，合计 "+yuan.Format(due.Amount))
	if !strings.Contains(r.body, `data-deposit="`+due.DepositID+`" class="overdue"`) {
		t.Errorf("the overdue refund's row is not highlighted")
	}

	// English.
	en, _ := w.signedIn(t, w.Finance)
	en.get("/lang/en?next=/")
	checkPage(t, path, en.get(path), "Reconciliation", "Missing in ledger", "past the 24-hour legal deadline")
}

// TestPagesFinanceCase: the case's proceeds page shows what the API says,
// finance may remit through the API with the CSRF header, an auditor sees
// no form.
func TestPagesFinanceCase(t *testing.T) {
	t.Parallel()
	w := ledgerSetup(t)
	finance, csrf := w.signedIn(t, w.Finance)
	path := "/finance/cases/" + w.caseID

	var pr payments.Proceeds
	apiJSON(t, finance, "/api/v1/cases/"+w.caseID+"/proceeds", &pr)
	r := finance.get(path)
	checkPage(t, path, r, "案款划付", `id="remit-form"`, `data-api="/api/v1/cases/`+w.caseID+`/remittances"`, "REMIT-1",
		`<dd class="price" id="ledger-balance"><strong>`+yuan.Format(pr.LedgerBalance)+`</strong>`,
		`<dd class="price" id="total-received">`+yuan.Format(pr.TotalReceived)+`</dd>`, `value="`+yuan.Field(pr.LedgerBalance)+`"`)
	if pr.LedgerBalance != 60_000_000 {
		t.Errorf("ledger balance %d after remitting 100,000 of 700,000", pr.LedgerBalance)
	}

	// The form posts JSON to the API with the session's CSRF header (app.js).
	post := func(token, body string) int {
		req, _ := http.NewRequest(http.MethodPost, w.srv.URL+"/api/v1/cases/"+w.caseID+"/remittances", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("X-CSRF-Token", token)
		}
		res, err := finance.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := post("", `{"amount":100,"reference":"R-2"}`); st != http.StatusForbidden {
		t.Errorf("remit without the CSRF header: %d", st)
	}
	if st := post(csrf, `{"amount":100,"reference":"R-2"}`); st != http.StatusCreated {
		t.Errorf("remit with the CSRF header: %d", st)
	}
	checkPage(t, path, finance.get(path), "R-2", yuan.Format(pr.LedgerBalance-100))

	auditor, _ := w.signedIn(t, w.User(auction.RoleAuditor, ""))
	r = auditor.get(path)
	checkPage(t, path, r, "REMIT-1")
	if strings.Contains(r.body, "remit-form") {
		t.Errorf("an auditor is offered the remit form")
	}
	if r := finance.get("/finance/cases/00000000-0000-0000-0000-000000000000"); r.status != http.StatusNotFound {
		t.Errorf("unknown case: %d", r.status)
	}
}

// TestPagesLedgerRefusals: a bidder or a clerk is refused every finance
// book page, the signed-out are sent to sign in.
func TestPagesLedgerRefusals(t *testing.T) {
	t.Parallel()
	w := pageSetup(t, "住宅")
	bidder, _ := w.signedIn(t, w.bidder)
	clerk, _ := w.signedIn(t, w.Clerk)
	anon := w.browser(t)
	for _, p := range []string{"/finance/ledger", "/finance/reconciliation", "/finance/cases/" + w.caseID} {
		for name, b := range map[string]*browser{"bidder": bidder, "clerk": clerk} {
			if r := b.get(p); r.status != http.StatusForbidden || !strings.Contains(r.body, "<html") {
				t.Errorf("%s as %s: %d", p, name, r.status)
			}
		}
		if r := anon.get(p); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login?next=") {
			t.Errorf("%s signed out: %d %s", p, r.status, r.header.Get("Location"))
		}
	}
	// The bidder's navigation has no finance entries; finance's has them.
	if r := bidder.get("/"); strings.Contains(r.body, "/finance/ledger") {
		t.Errorf("a bidder is shown the ledger link")
	}
	finance, _ := w.signedIn(t, w.Finance)
	checkPage(t, "/finance", finance.get("/finance"), `href="/finance/ledger"`, `href="/finance/reconciliation"`)
}

// TestPagesLedgerEscaping: references typed by finance are escaped wherever
// they appear.
func TestPagesLedgerEscaping(t *testing.T) {
	t.Parallel()
	w := ledgerSetup(t)
	finance, _ := w.signedIn(t, w.Finance)
	for _, p := range []string{"/finance/ledger?" + w.period, "/finance/reconciliation?" + w.period} {
		r := finance.get(p)
		checkPage(t, p, r)
		if strings.Contains(r.body, w.hostile) || strings.Contains(r.body, "<script>alert") {
			t.Errorf("%s: the reference is not escaped", p)
		}
		if !strings.Contains(r.body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;") {
			t.Errorf("%s: the escaped reference is missing", p)
		}
	}
	// Query values come back only escaped, in attributes too.
	p := `/finance/ledger?case_id="><script>x</script>`
	if r := finance.get(p); strings.Contains(r.body, "<script>x") {
		t.Errorf("%s: reflected unescaped (%d)", p, r.status)
	}
}
