package page_test

import (
	"encoding/json"
	"fmt"
	noticepg "gavel/auction/notice/postgres"
	"gavel/web"
	"gavel/web/page"
	"gavel/web/page/i18n"
	"gavel/web/request"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
	"gavel/migrations/dbtest"

	"github.com/jackc/pgx/v5/pgxpool"
)

// pageWorld is a server with one case, one lot and one published auction,
// and an account per audience, over an auctiontest.World.
type pageWorld struct {
	*auctiontest.World
	srv    *httptest.Server
	bidder *auction.User
	caseID string
	lot    *auction.Lot
	a      *auction.Auction
}

const pagePassword = auctiontest.Password

func pageSetup(t *testing.T, title string) *pageWorld {
	t.Helper()
	world := auctiontest.NewWorld(t, testPool(t))
	w := &pageWorld{World: world}
	srv := web.New(web.Config{Store: w.Store, Log: slog.New(slog.DiscardHandler), NoLimits: true, Notices: noticepg.New(world.Pool, w.Clock)})
	w.srv = httptest.NewServer(srv.Handler())
	t.Cleanup(w.srv.Close)
	w.bidder = world.User(auction.RoleBidder, "P-ID-1")
	w.caseID = world.Case(1_000_000).ID
	w.lot = world.Lot(w.caseID, title, 100_000_000)
	w.a = world.Round(w.lot.ID, auction.RoundFirst, 70_000_000)
	return w
}

// browser is a cookie jar and a client that does not follow redirects.
type browser struct {
	t      *testing.T
	w      *pageWorld
	client *http.Client
}

func (w *pageWorld) browser(t *testing.T) *browser {
	jar := &cookieJar{m: map[string]*http.Cookie{}}
	return &browser{t: t, w: w, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signedIn is a browser with a session for u, as after signing in.
func (w *pageWorld) signedIn(t *testing.T, u *auction.User) (*browser, string) {
	t.Helper()
	b := w.browser(t)
	token, sess, err := w.Store.CreateToken(w.Ctx, u.ID, auction.TokenSession, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(w.srv.URL)
	b.client.Jar.SetCookies(base, []*http.Cookie{{Name: request.SessionCookie, Value: token}})
	return b, sess.CSRF
}

type cookieJar struct {
	mu sync.Mutex
	m  map[string]*http.Cookie
}

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, c := range cs {
		if c.MaxAge < 0 {
			delete(j.m, c.Name)
		} else {
			j.m[c.Name] = c
		}
	}
}

func (j *cookieJar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []*http.Cookie
	for _, c := range j.m {
		out = append(out, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	return out
}

type pageResponse struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, form url.Values, header ...string) pageResponse {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.w.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return pageResponse{status: res.StatusCode, header: res.Header, body: string(raw)}
}

func (b *browser) get(path string) pageResponse { return b.do(http.MethodGet, path, nil) }

var hiddenCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// pageData is the JSON a page hands its scripts.
func pageData(t *testing.T, body string) map[string]any {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="page-data">(.*?)</script>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no page-data in page")
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(m[1]), &out); err != nil {
		t.Fatalf("page-data is not JSON: %v\n%s", err, m[1])
	}
	return out
}

// checkPage asserts what every page must have: 200, HTML, the strict CSP,
// no inline script and no cache.
func checkPage(t *testing.T, path string, r pageResponse, want ...string) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", path, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	csp := r.header.Get("Content-Security-Policy")
	for _, d := range []string{"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("GET %s: CSP %q lacks %q", path, csp, d)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("GET %s: CSP allows inline code: %q", path, csp)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("GET %s: Cache-Control %q", path, r.header.Get("Cache-Control"))
	}
	for _, m := range regexp.MustCompile(`<script([^>]*)>`).FindAllStringSubmatch(r.body, -1) {
		if !strings.Contains(m[1], `src="/static/`) && !strings.Contains(m[1], `type="application/json"`) {
			t.Errorf("GET %s: inline script <script%s>", path, m[1])
		}
	}
	if strings.Contains(r.body, " style=") || strings.Contains(r.body, " onclick=") {
		t.Errorf("GET %s: inline style or handler", path)
	}
	for _, w := range want {
		if !strings.Contains(r.body, w) {
			t.Errorf("GET %s: page lacks %q", path, w)
		}
	}
}

// TestPagesRender visits every page as its audience and checks the shared
// guarantees and the essentials of each.
func TestPagesRender(t *testing.T) {
	t.Parallel()
	w := pageSetup(t, "朝阳区住宅")
	reg := w.Register(w.bidder, w.a.ID)
	anon := w.browser(t)
	bidder, _ := w.signedIn(t, w.bidder)
	clerk, _ := w.signedIn(t, w.Clerk)
	finance, _ := w.signedIn(t, w.Finance)
	for _, c := range []struct {
		who  *browser
		path string
		want []string
	}{
		{anon, "/", []string{"拍卖大厅", "朝阳区住宅", "¥700,000.00", "/auctions/" + w.a.ID, `lang="zh-CN"`}},
		{anon, "/?status=announced&category=real_estate&q=朝阳&min=600000&max=800000", []string{"朝阳区住宅"}},
		{anon, "/?status=bidding", []string{"没有符合条件的拍卖"}},
		{anon, "/?min=abc", []string{"请输入以元为单位的金额"}},
		{anon, "/auctions/" + w.a.ID, []string{"朝阳区住宅", "抵押，随拍卖涤除", "空置", "¥1,000.00", "¥70,000.00", "登录后报名参拍", "本场规则", `role="timer"`, `aria-live="polite"`, `aria-live="assertive"`}},
		{anon, "/login", []string{`name="csrf"`, `autocomplete="current-password"`}},
		{anon, "/signup", []string{`name="id_number"`, `name="real_name"`}},
		{bidder, "/auctions/" + w.a.ID, []string{reg.Deposit.PayReference, "请交纳保证金", "¥70,000.00"}},
		{bidder, "/me", []string{"朝阳区住宅", reg.Deposit.PayReference, "待交保证金", "退出"}},
		{clerk, "/clerk", []string{"新建案件", "北京市第一中级人民法院", `data-api="/api/v1/cases"`}},
		{clerk, "/clerk/cases/" + w.caseID, []string{"朝阳区住宅", "新增标的", "案款情况", "9111**********000R", "/cases/" + w.caseID + "/statement"}},
		{clerk, "/clerk/lots/" + w.lot.ID, []string{"安排拍卖", "保存为草稿", `id="rule-start"`, "70%（¥700,000.00）", `type="datetime-local"`, "公开页面"}},
		{clerk, "/clerk/monitor", []string{"实时监控", "当前没有进行中的拍卖"}},
		{clerk, "/auctions/" + w.a.ID, []string{"工作人员不得参与竞买"}},
		{finance, "/finance", []string{"待确认保证金", reg.Deposit.PayReference, "¥70,000.00", "确认到账"}},
		{finance, "/finance/auctions/" + w.a.ID, []string{reg.Deposit.PayReference, "待到账"}},
	} {
		checkPage(t, c.path, c.who.get(c.path), c.want...)
	}
	// The clerk's id numbers are masked and the debtor's name never reaches
	// the public page.
	if r := anon.get("/auctions/" + w.a.ID); strings.Contains(r.body, "刘某") || strings.Contains(r.body, "110105198001010099") {
		t.Errorf("the public auction page shows a party")
	}
	data := pageData(t, bidder.get("/auctions/"+w.a.ID).body)
	a := data["auction"].(map[string]any)
	if a["id"] != w.a.ID || a["start_price"] != float64(70_000_000) || a["server_time"] == nil || data["csrf"] == "" || data["tz"] != "Asia/Shanghai" {
		t.Errorf("page-data: %v", data)
	}
	if p, _ := data["pending_registrations"].([]any); len(p) != 1 || p[0] != reg.ID {
		t.Errorf("pending registrations: %v", data["pending_registrations"])
	}
	if msgs := data["messages"].(map[string]any); msgs["err.bid_too_low"] == nil || msgs["js.extended"] == nil {
		t.Errorf("messages for the scripts are missing")
	}
}

// TestPageEscaping shows that what clerks type is text on every page.
func TestPageEscaping(t *testing.T) {
	t.Parallel()
	const evil = `<script>alert("x")</script><img src=x onerror=alert(1)>`
	w := pageSetup(t, evil)
	anon := w.browser(t)
	clerk, _ := w.signedIn(t, w.Clerk)
	for _, c := range []struct {
		b    *browser
		path string
	}{{anon, "/"}, {anon, "/auctions/" + w.a.ID}, {clerk, "/clerk/cases/" + w.caseID}, {clerk, "/clerk/lots/" + w.lot.ID}} {
		r := c.b.get(c.path)
		if strings.Contains(r.body, evil) || strings.Contains(r.body, "<img src=x") {
			t.Errorf("%s renders the title as markup", c.path)
		}
		if !strings.Contains(r.body, "&lt;script&gt;") {
			t.Errorf("%s does not show the title escaped", c.path)
		}
	}
	// In the page data for the scripts, < is escaped too (no </script> breakout).
	if r := anon.get("/?q=" + url.QueryEscape("</script><script>alert(1)</script>")); strings.Contains(r.body, "</script><script>alert") {
		t.Errorf("the search box breaks out of its attribute")
	}
}

func TestPageSignInAndOut(t *testing.T) {
	t.Parallel()
	w := pageSetup(t, "住宅")
	b := w.browser(t)
	r := b.get("/login?next=/auctions/" + w.a.ID)
	checkPage(t, "/login", r)
	m := hiddenCSRF.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("no csrf field on the sign-in form")
	}
	form := url.Values{"email": {w.bidder.Email}, "password": {pagePassword}, "next": {"/auctions/" + w.a.ID}}

	// Without the form's token (a cross-site post): refused.
	if r := b.do(http.MethodPost, "/login", form); r.status != http.StatusBadRequest || !strings.Contains(r.body, "页面已过期") {
		t.Errorf("sign-in without csrf: %d", r.status)
	}
	form.Set("csrf", m[1])
	if r := b.do(http.MethodPost, "/login", form, "Origin", "https://evil.example"); r.status != http.StatusBadRequest {
		t.Errorf("sign-in from another origin: %d", r.status)
	}
	form.Set("password", "wrong password!")
	r = b.do(http.MethodPost, "/login", form)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "邮箱或密码错误") || !strings.Contains(r.body, `aria-invalid="true"`) {
		t.Errorf("wrong password: %d %s", r.status, r.body)
	}
	form.Set("password", pagePassword)
	r = b.do(http.MethodPost, "/login", form)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/auctions/"+w.a.ID {
		t.Fatalf("sign-in: %d to %q", r.status, r.header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == request.SessionCookie {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" {
		t.Fatalf("session cookie: %+v", session)
	}
	page := b.get("/me")
	checkPage(t, "/me", page, w.bidder.Email)
	csrf := pageData(t, page.body)["csrf"].(string)

	// The API takes the cookie, but a change needs the CSRF token.
	if r := b.do(http.MethodPost, "/api/v1/auctions/"+w.a.ID+"/registrations", nil); r.status != http.StatusForbidden {
		t.Errorf("registration without the CSRF header: %d %s", r.status, r.body)
	}
	if r := b.do(http.MethodPost, "/api/v1/auctions/"+w.a.ID+"/registrations", nil, "X-CSRF-Token", csrf); r.status != http.StatusCreated {
		t.Errorf("registration with the CSRF header: %d %s", r.status, r.body)
	}
	// Signing out needs the token as well, then the cookie is worthless.
	if r := b.do(http.MethodPost, "/logout", url.Values{}); r.status != http.StatusForbidden {
		t.Errorf("sign-out without csrf: %d", r.status)
	}
	if r := b.do(http.MethodPost, "/logout", url.Values{"csrf": {csrf}}); r.status != http.StatusSeeOther {
		t.Errorf("sign-out: %d", r.status)
	}
	if _, err := w.Store.Authenticate(w.Ctx, session.Value); auction.ErrorCode(err) != auction.EUnauthenticated {
		t.Errorf("the session survives sign-out: %v", err)
	}
	if r := b.get("/me"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/login?next=%2Fme" {
		t.Errorf("/me after sign-out: %d %q", r.status, r.header.Get("Location"))
	}
	// A hostile next never leads off the site.
	b2 := w.browser(t)
	m = hiddenCSRF.FindStringSubmatch(b2.get("/login").body)
	r = b2.do(http.MethodPost, "/login", url.Values{"csrf": {m[1]}, "email": {w.Clerk.Email}, "password": {pagePassword}, "next": {"//evil.example/x"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/clerk" {
		t.Errorf("staff sign-in with a hostile next: %d %q", r.status, r.header.Get("Location"))
	}
}

func TestPageSignup(t *testing.T) {
	t.Parallel()
	w := pageSetup(t, "住宅")
	b := w.browser(t)
	m := hiddenCSRF.FindStringSubmatch(b.get("/signup").body)
	form := url.Values{"csrf": {m[1]}, "email": {w.bidder.Email}, "password": {"long enough password"}, "real_name": {"王一"},
		"id_number": {"110101199001010015"}, "phone": {"13800000000"}}
	r := b.do(http.MethodPost, "/signup", form)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `id="err-email"`) || !strings.Contains(r.body, "该邮箱已注册") {
		t.Errorf("duplicate email: %d", r.status)
	}
	if !strings.Contains(r.body, `value="王一"`) {
		t.Errorf("the form forgets what was typed")
	}
	form.Set("email", "new-bidder@example.test")
	form.Set("password", "short")
	if r := b.do(http.MethodPost, "/signup", form); !strings.Contains(r.body, `id="err-password"`) {
		t.Errorf("weak password not shown at the field: %d", r.status)
	}
	form.Set("password", "long enough password")
	form.Set("real_name", " ")
	if r := b.do(http.MethodPost, "/signup", form); !strings.Contains(r.body, `id="err-real_name"`) || !strings.Contains(r.body, "此项必填") {
		t.Errorf("missing name not shown at the field: %d", r.status)
	}
	form.Set("real_name", "王一")
	r = b.do(http.MethodPost, "/signup", form)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("sign-up: %d %q %s", r.status, r.header.Get("Location"), r.body)
	}
	checkPage(t, "/me", b.get("/me"), "new-bidder@example.test")
}

func TestPageRolesAndErrors(t *testing.T) {
	t.Parallel()
	w := pageSetup(t, "住宅")
	anon := w.browser(t)
	if r := anon.get("/clerk"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/login?next=%2Fclerk" {
		t.Errorf("/clerk signed out: %d %q", r.status, r.header.Get("Location"))
	}
	bidder, _ := w.signedIn(t, w.bidder)
	for _, p := range []string{"/clerk", "/clerk/monitor", "/finance", "/clerk/lots/" + w.lot.ID} {
		r := bidder.get(p)
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "您无权进行此操作") || r.header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s as a bidder: %d", p, r.status)
		}
	}
	clerk, _ := w.signedIn(t, w.Clerk)
	if r := clerk.get("/finance"); r.status != http.StatusForbidden {
		t.Errorf("/finance as a clerk: %d", r.status)
	}
	if r := anon.get("/auctions/00000000-0000-0000-0000-000000000000"); r.status != http.StatusNotFound || !strings.Contains(r.body, "未找到") {
		t.Errorf("unknown auction: %d", r.status)
	}
	if r := clerk.get("/clerk/cases/not-a-uuid"); r.status != http.StatusNotFound {
		t.Errorf("malformed case id: %d", r.status)
	}
	// A draft is not public.
	draft, err := w.Store.ScheduleAuction(w.Ctx, auction.ScheduleParams{LotID: w.lot.ID, Round: auction.RoundFirst, StartPrice: 70_000_000,
		Increment: 100_000, Deposit: 7_000_000, StartsAt: w.a.StartsAt.Add(48 * time.Hour), EndsAt: w.a.EndsAt.Add(48 * time.Hour)})
	if err == nil {
		if r := anon.get("/auctions/" + draft.ID); r.status != http.StatusNotFound {
			t.Errorf("a draft's page: %d", r.status)
		}
	}
}

func TestPageLanguage(t *testing.T) {
	t.Parallel()
	w := pageSetup(t, "住宅")
	b := w.browser(t)
	r := b.get("/lang/en?next=/auctions/" + w.a.ID)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/auctions/"+w.a.ID {
		t.Fatalf("/lang/en: %d %q", r.status, r.header.Get("Location"))
	}
	page := b.get("/auctions/" + w.a.ID)
	checkPage(t, "/auctions (en)", page, `lang="en"`, "Rules of this round", "Sign in to register", "Times are shown in Asia/Shanghai (UTC")
	if msgs := pageData(t, page.body)["messages"].(map[string]any); msgs["err.already_leading"] != "You already lead; there is no need to bid again" {
		t.Errorf("English script messages: %v", msgs["err.already_leading"])
	}
	if r := b.get("/lang/zh-CN?next=//evil.example"); r.header.Get("Location") != "/" {
		t.Errorf("language switch follows a hostile next: %q", r.header.Get("Location"))
	}
	checkPage(t, "/ (zh)", b.get("/"), `lang="zh-CN"`, "拍卖大厅")
}

func TestPageTimezone(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	clock := auctiontest.NewClock(auctiontest.Start)
	store := postgres.New(postgres.Config{Pool: pool, Clock: clock, Rulebook: auction.SPC2016})
	ny, _ := time.LoadLocation("America/New_York")
	srv := httptest.NewServer(web.New(web.Config{Store: store, Log: slog.New(slog.DiscardHandler), NoLimits: true, Timezone: ny, Notices: noticepg.New(pool, store.Clock())}).Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(body), "America/New_York (UTC-0") || !strings.Contains(string(body), `"tz":"America/New_York"`) {
		t.Errorf("the configured zone is not used:\n%s", body)
	}
}

// sold registers w.bidder and another bidder on w.a with their deposits held,
// has w.bidder bid the start price and closes the auction one second after
// its end: sold to w.bidder, the other deposit released. It returns the two
// registrations, the buyer's first.
func (w *pageWorld) sold(t *testing.T) []*auction.Registration {
	t.Helper()
	var regs []*auction.Registration
	for _, u := range []*auction.User{w.bidder, w.User(auction.RoleBidder, "")} {
		regs = append(regs, w.Qualify(u, w.a.ID))
	}
	w.Open(w.a)
	w.Bid(w.bidder, w.a.ID, 70_000_000)
	w.TickAt(w.a.EndsAt.Add(time.Second))
	return regs
}

// TestFinanceRefundDeadline: a released deposit is listed with its deadline,
// 24 h after the close, marked overdue once past it.
func TestFinanceRefundDeadline(t *testing.T) {
	t.Parallel()
	w := pageSetup(t, "住宅")
	regs := w.sold(t)
	finance, _ := w.signedIn(t, w.Finance)
	deadline := i18n.Locale{Zone: page.DefaultZone()}.Time(w.a.EndsAt.Add(24 * time.Hour))
	r := finance.get("/finance")
	checkPage(t, "/finance", r, "待退还保证金", deadline, "待付尾款", "¥630,000.00", `data-deposit="`+regs[1].Deposit.ID+`"`)
	if strings.Contains(r.body, `class="overdue"`) {
		t.Errorf("overdue before the deadline")
	}
	w.Clock.Set(w.a.EndsAt.Add(25 * time.Hour))
	checkPage(t, "/finance", finance.get("/finance"), `class="overdue"`, "已超期")
	checkPage(t, "/finance/auctions", finance.get("/finance/auctions/"+w.a.ID), "已超期", "已抵作价款")
}

func TestStatic(t *testing.T) {
	t.Parallel()
	w := pageSetup(t, "住宅")
	b := w.browser(t)
	r := b.get(page.Asset("app.js"))
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/javascript") ||
		!strings.Contains(r.header.Get("Cache-Control"), "immutable") || !strings.Contains(r.body, "function money") {
		t.Errorf("app.js: %d %v", r.status, r.header)
	}
	if r := b.get("/static/app.css"); r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") || strings.Contains(r.header.Get("Cache-Control"), "immutable") {
		t.Errorf("app.css without version: %d %v", r.status, r.header)
	}
	for _, p := range []string{"/static/nope.js", "/static/", "/static/../pages.go", "/static/%2e%2e/pages.go"} {
		if r := b.get(p); r.status != http.StatusNotFound {
			t.Errorf("%s: %d", p, r.status)
		}
	}
}

// TestFinanceWorkBeyondCatalogue: the finance page lists the deposits to
// confirm of every auction, however many auctions end before it (the
// public catalogue shows at most 500).
func TestFinanceWorkBeyondCatalogue(t *testing.T) {
	t.Parallel()
	w := pageSetup(t, "住宅")
	starts := w.a.StartsAt.Add(-time.Hour)
	for i := range 501 {
		lot := w.LotOf(w.caseID, auction.NewLot{Title: fmt.Sprintf("车位 %d", i), Description: "地下车位",
			Category: auction.CategoryRealEstate, AppraisalValue: 10_000_000})
		w.Publish(w.Schedule(auction.ScheduleParams{LotID: lot.ID, Round: auction.RoundFirst, StartPrice: 7_000_000, Increment: 10_000, StartsAt: starts}))
	}
	reg := w.Register(w.bidder, w.a.ID)
	finance, _ := w.signedIn(t, w.Finance)
	r := finance.get("/finance")
	checkPage(t, "/finance", r, `data-deposit="`+reg.Deposit.ID+`"`, reg.Deposit.PayReference)
	if strings.Contains(r.body, "车位") {
		t.Error("auctions with nothing for finance to do are listed")
	}
}

// TestCataloguePages: the catalogue comes a page at a time, in the API
// (limit, offset, more) and on the page (page links that keep the filters),
// every auction on exactly one page; a bad limit or offset is refused.
func TestCataloguePages(t *testing.T) {
	t.Parallel()
	w := pageSetup(t, "住宅")
	const total = page.BrowsePageSize + 2 // with w.a
	for i := range total - 1 {
		lot := w.LotOf(w.caseID, auction.NewLot{Title: fmt.Sprintf("车位 %d", i), Description: "地下车位",
			Category: auction.CategoryRealEstate, AppraisalValue: 10_000_000})
		w.Publish(w.Schedule(auction.ScheduleParams{LotID: lot.ID, Round: auction.RoundFirst, StartPrice: 7_000_000, Increment: 10_000, StartsAt: w.a.StartsAt.Add(time.Duration(i) * time.Minute)}))
	}
	anon := w.browser(t)
	seen := map[string]int{}
	for offset := 0; ; offset += 20 {
		r := anon.get(fmt.Sprintf("/api/v1/auctions?limit=20&offset=%d", offset))
		var page struct {
			Auctions []struct{ ID string } `json:"auctions"`
			More     *bool                 `json:"more"`
		}
		if err := json.Unmarshal([]byte(r.body), &page); err != nil || r.status != http.StatusOK || page.More == nil {
			t.Fatalf("offset %d: %d %s", offset, r.status, r.body)
		}
		for _, a := range page.Auctions {
			seen[a.ID]++
		}
		if want := min(20, total-offset); len(page.Auctions) != want || *page.More != (offset+20 < total) {
			t.Fatalf("offset %d: %d auctions, more %v", offset, len(page.Auctions), *page.More)
		}
		if !*page.More {
			break
		}
	}
	if len(seen) != total {
		t.Fatalf("%d auctions over the pages, want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("auction %s on %d pages", id, n)
		}
	}
	for _, q := range []string{"limit=0", "limit=501", "limit=ten", "offset=-1", "offset=x"} {
		r := anon.get("/api/v1/auctions?" + q)
		field := strings.SplitN(q, "=", 2)[0]
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `"code":"invalid_field"`) || !strings.Contains(r.body, field) {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}

	first := anon.get("/?category=real_estate")
	next := `href="/?category=real_estate&amp;page=2" rel="next"`
	checkPage(t, "/", first, "第 1 页，本页 50 场", next)
	if strings.Contains(first.body, `rel="prev"`) {
		t.Error("a previous page before the first")
	}
	second := anon.get("/?category=real_estate&page=2")
	checkPage(t, "/?page=2", second, "第 2 页，本页 2 场", `href="/?category=real_estate" rel="prev"`)
	if strings.Contains(second.body, `rel="next"`) {
		t.Error("a next page after the last")
	}
	if n := strings.Count(first.body, `class="card listing"`) + strings.Count(second.body, `class="card listing"`); n != total {
		t.Errorf("%d auctions over the two pages, want %d", n, total)
	}
	// A page past the end is empty, not an error; a bad page number is the first page.
	checkPage(t, "/?page=9", anon.get("/?page=9"), "没有符合条件的拍卖", `rel="prev"`)
	checkPage(t, "/?page=x", anon.get("/?page=x"), "第 1 页")
}

// testPool is a migrated database of the test's own.
func testPool(t *testing.T) *pgxpool.Pool {
	pool, _ := dbtest.Pool(t)
	return pool
}
