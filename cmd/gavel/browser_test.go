package main

import (
	"context"
	"fmt"
	"gavel/web/page/i18n"
	"gavel/web/page/yuan"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"gavel/auction"
	"gavel/auction/auctiontest"
)

// The browser tests drive Debian's Chromium, headless, against a real
// `gavel serve` (Main on :0 with the test clock). `make test` installs
// Chromium when it is missing; without it these tests skip, loudly.

// liveWithin is how soon a page must show what another page did.
const liveWithin = time.Second

// pollWithin is the same for a page that cannot open a WebSocket and polls
// once a second: a poll period, the poll itself and a loaded machine.
const pollWithin = 3 * time.Second

// overloaded reports the machine's load when it is far beyond its CPUs (as
// when many test packages run beside a browser on two cores): then a second
// measures the scheduler, not Gavel, and the live limits are relaxed.
func overloaded() (float64, bool) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, false
	}
	var load float64
	if _, err := fmt.Sscan(string(b), &load); err != nil {
		return 0, false
	}
	return load, load > float64(4*runtime.NumCPU())
}

// liveLimit is liveWithin, or three times it on an overloaded machine.
func liveLimit(t *testing.T) time.Duration {
	if load, over := overloaded(); over {
		t.Logf("the machine is overloaded (load %.1f on %d CPUs): allowing %v instead of %v", load, runtime.NumCPU(), 3*liveWithin, liveWithin)
		return 3 * liveWithin
	}
	return liveWithin
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("GAVEL_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("\n" + strings.Repeat("!", 78) + "\n!!! BROWSER TESTS SKIPPED: no Chromium at /usr/bin/chromium.\n" +
		"!!! `make test` installs it (apt-get install chromium) when it runs as root;\n" +
		"!!! install it, or set GAVEL_CHROMIUM, to test the pages in a real browser.\n" + strings.Repeat("!", 78))
	return ""
}

// chrome is one headless Chromium; each tab is a separate browser context
// (its own cookies), as two people on two machines.
type chrome struct {
	ctx context.Context
	// shots is where screenshots go (GAVEL_SCREENSHOTS); empty for none.
	shots string
}

func newChrome(t *testing.T) *chrome {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	c := &chrome{ctx: ctx, shots: os.Getenv("GAVEL_SCREENSHOTS")}
	if c.shots != "" {
		if err := os.MkdirAll(c.shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// tab is one person's browser window.
type tab struct {
	t    *testing.T
	c    *chrome
	name string
	ctx  context.Context
	base string

	mu       sync.Mutex
	problems []string
}

// tab opens a window in a fresh browser context. Script exceptions, console
// errors and CSP violations fail the test (failed HTTP answers, which the
// pages show as messages, do not).
func (c *chrome) tab(t *testing.T, name, base string, setup ...chromedp.Action[chromedp.Void]) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(c.ctx, chromedp.WithNewBrowserContext())
	tb := &tab{t: t, c: c, name: name, ctx: ctx, base: base}
	if err := chromedp.Do(ctx, setup...); err != nil {
		t.Fatalf("%s: open tab: %v", name, err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || (m.Type == chromedp.ConsoleError && m.Source != "network") {
				tb.mu.Lock()
				tb.problems = append(tb.problems, m.String())
				tb.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, p := range tb.problems {
			t.Errorf("%s: browser console: %s", name, p)
		}
	})
	return tb
}

// do runs actions, failing the test with the page's state on error.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %v\n%s", tb.name, err, tb.state())
	}
}

func (tb *tab) open(path string) { tb.t.Helper(); tb.do(chromedp.Navigate(tb.base+path), ready()) }

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		tb.t.Fatalf("%s: text of %s: %v\n%s", tb.name, sel, err, tb.state())
	}
	return strings.TrimSpace(s)
}

func (tb *tab) eval(expr string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		tb.t.Fatalf("%s: %s: %v", tb.name, expr, err)
	}
	return s
}

// waitJS waits until expr is true, at most until deadline, and returns when.
func (tb *tab) waitJS(expr string, deadline time.Time) time.Time {
	tb.t.Helper()
	for {
		ctx, cancel := context.WithDeadline(tb.ctx, deadline.Add(time.Second))
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(10*time.Millisecond),
			chromedp.WithPollingTimeout(max(time.Until(deadline), 10*time.Millisecond))))
		cancel()
		if err == nil {
			return time.Now()
		}
		// A page that reloads itself (after a form, or once a deposit is
		// confirmed) ends the poll; poll the new page.
		if time.Now().Before(deadline) && (strings.Contains(err.Error(), "navigated") || strings.Contains(err.Error(), "context")) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		tb.t.Fatalf("%s: waiting for %s: %v\n%s", tb.name, expr, err, tb.state())
	}
}

// arm makes the page note, by the machine's clock, the moment cond first
// holds: latencies are measured where they happen, not through the test's
// polling.
func (tb *tab) arm(name, cond string) {
	tb.t.Helper()
	tb.eval(fmt.Sprintf(`(() => {
		const marks = window.marks = window.marks || {};
		const observers = window.observers = window.observers || {};
		if (observers[%[1]q]) observers[%[1]q].disconnect();
		delete marks[%[1]q];
		const check = () => { if (!marks[%[1]q] && (%[2]s)) marks[%[1]q] = Date.now(); };
		observers[%[1]q] = new MutationObserver(check);
		observers[%[1]q].observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
		check();
		return '';
	})()`, name, cond))
}

// mark waits for the moment noted by arm.
func (tb *tab) mark(name string) time.Time {
	tb.t.Helper()
	tb.waitJS(fmt.Sprintf(`Boolean(window.marks && window.marks[%q])`, name), time.Now().Add(10*time.Second))
	return time.UnixMilli(int64(tb.number(fmt.Sprintf(`window.marks[%q]`, name))))
}

func (tb *tab) number(expr string) float64 {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[float64](expr))
	if err != nil {
		tb.t.Fatalf("%s: %s: %v", tb.name, expr, err)
	}
	return n
}

// waitText waits until the page shows text.
func (tb *tab) waitText(text string) {
	tb.t.Helper()
	tb.waitJS(fmt.Sprintf(`document.body.innerText.includes(%q)`, text), time.Now().Add(10*time.Second))
	tb.do(ready())
}

// state describes the page for failure messages.
func (tb *tab) state() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 3*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText.slice(0, 3000)`))
	return s
}

// shot writes a full-page PNG when screenshots are asked for.
func (tb *tab) shot(name string) {
	tb.t.Helper()
	if tb.c.shots == "" {
		return
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(tb.c.shots, name+".png"), buf, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// phoneShot is shot at the size of a phone.
func (tb *tab) phoneShot(name string) {
	tb.t.Helper()
	if tb.c.shots == "" {
		return
	}
	tb.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	tb.shot(name)
	tb.do(chromedp.ResetViewport(), chromedp.EmulateViewport(1280, 900))
}

func (tb *tab) signIn(email, password string) {
	tb.t.Helper()
	tb.open("/login")
	tb.do(chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)), visible(`form[action="/logout"]`))
}

func (tb *tab) signUp(p person, password string) {
	tb.t.Helper()
	tb.open("/signup")
	tb.do(chromedp.SendKeys(chromedp.ID("email"), p.email), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.SendKeys(chromedp.ID("real_name"), p.name), chromedp.SendKeys(chromedp.ID("id_number"), p.idNumber),
		chromedp.SendKeys(chromedp.ID("phone"), p.phone), chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
		visible(`a[href="/me"]`))
}

// setValue replaces an input's value (SendKeys would append to a prefilled one).
func setValue(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.CSS(sel), v)
}

func click(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }

// visible waits for an element and for the scripts of its page: forms that
// post to the API can be used only then (their buttons come disabled).
func visible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.WaitVisible(chromedp.CSS(sel)), ready())
}

// ready waits until the current page's scripts have run.
func ready() chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](`document.readyState === 'complete' && document.body.dataset.ready === '1'`,
			chromedp.WithPollingInterval(20*time.Millisecond))(ctx, t)
		return chromedp.Void{}, err
	}
}

// photo writes a PNG a clerk can upload: a little house under a sky.
func photo(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := 0; y < 480; y++ {
		for x := 0; x < 640; x++ {
			c := color.RGBA{uint8(120 + y/6), uint8(170 + y/8), 235, 255}
			switch {
			case y > 380:
				c = color.RGBA{90, 150, 80, 255}
			case x > 200 && x < 440 && y > 220:
				c = color.RGBA{225, 215, 195, 255}
				if (x > 290 && x < 350 && y > 300) || ((x-230)%150 < 40 && y > 250 && y < 290) {
					c = color.RGBA{110, 80, 60, 255}
				}
			case y > 120 && y <= 220 && x > 180+(220-y) && x < 460-(220-y):
				c = color.RGBA{163, 36, 27, 255}
			}
			img.Set(x, y, c)
		}
	}
	path := filepath.Join(t.TempDir(), "flat.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return path
}

var shanghai = func() i18n.Locale {
	z, err := time.LoadLocation(i18n.DefaultTimezone)
	if err != nil {
		panic(err)
	}
	return i18n.Locale{Lang: i18n.LangZH, Zone: z}
}()

// TestBrowserAuction is the whole sale in a real browser: a clerk lists a lot
// and publishes an auction; two bidders in two browser contexts register;
// finance confirms the deposits; they bid against each other and each page
// shows the other's bid within a second without reloading; the extension and
// the close appear live; the winner sees the confirmation; refused bids show
// their messages.
func TestBrowserAuction(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newChrome(t)
	const staffPassword = auctiontest.Password // the world's accounts share it
	const bidderPassword = "bidder password 1"
	clerkUser, financeUser := s.world.In(t).User(auction.RoleClerk, ""), s.world.In(t).User(auction.RoleFinance, "")
	limit := liveLimit(t)

	// A clerk lists the lot.
	clerk := c.tab(t, "clerk", s.url)
	clerk.signIn(clerkUser.Email, staffPassword)
	clerk.shot("08-clerk-cases")
	caseNumber := fmt.Sprintf("(2026)京0105执%d号", next())
	clerk.do(chromedp.SendKeys(chromedp.ID("case_number"), caseNumber), chromedp.SendKeys(chromedp.ID("court_name"), "北京市朝阳区人民法院"),
		chromedp.SendKeys(chromedp.CSS(`input[name="applicants.*.name"]`), "北京某银行股份有限公司"),
		chromedp.SetValue(chromedp.CSS(`select[name="applicants.*.id_type"]`), "company"),
		chromedp.SendKeys(chromedp.CSS(`input[name="applicants.*.id_number"]`), "91110000100000000r"),
		chromedp.SendKeys(chromedp.CSS(`input[name="applicants.*.claim"]`), "500,000"),
		chromedp.SendKeys(chromedp.CSS(`input[name="debtors.*.name"]`), "刘某"),
		chromedp.SendKeys(chromedp.CSS(`input[name="debtors.*.id_number"]`), "110105198001010091"),
		click(`#case-form button[type="submit"]`), visible("#lot-form"))
	clerk.do(chromedp.SendKeys(chromedp.ID("title"), "2021 年款 丰田凯美瑞 2.5L 轿车"), setValue("#category", auction.CategoryMovable),
		chromedp.SendKeys(chromedp.ID("appraisal_value"), "1000000"), chromedp.SendKeys(chromedp.ID("location"), "北京市朝阳区法院停车场"),
		chromedp.SendKeys(chromedp.ID("description"), "行驶里程 4.1 万公里，手续齐全。"),
		chromedp.SendKeys(chromedp.ID("appraisal_report"), "京评车(2026)第 56 号"), chromedp.SendKeys(chromedp.ID("encumbrances"), "无"),
		chromedp.SendKeys(chromedp.ID("occupancy"), "法院保管"), chromedp.SendKeys(chromedp.ID("tax_terms"), "过户费用由买受人承担"),
		chromedp.SendKeys(chromedp.ID("viewing"), "工作日预约看样"),
		click(`#lot-form button[type="submit"]`), visible("#schedule-form"))
	clerk.do(chromedp.SetUploadFiles(chromedp.ID("file"), []string{photo(t)}), click(`#upload-form button[type="submit"]`), visible(".thumbs img"))
	clerk.do(chromedp.SendKeys(chromedp.ID("h-name"), "承租人某"), chromedp.SendKeys(chromedp.ID("h-id"), "110101198505050059"),
		click(`#holder-form button[type="submit"]`))
	clerk.waitText("承租人某")

	// The rulebook's refusal appears at its field; then the round is saved.
	clerk.do(setValue("#start_price", "600,000"), setValue("#increment", "10000"), setValue("#deposit", "70000"),
		click(`#schedule-form button[type="submit"]`), visible("#err-start_price"))
	if msg := clerk.text("#err-start_price"); msg != "起拍价低于法定下限" {
		t.Errorf("start price error: %q", msg)
	}
	// The field is marked invalid and described by the rule it breaks and the error.
	if got := clerk.eval(`document.getElementById('start_price').getAttribute('aria-invalid') + ' ' + document.getElementById('start_price').getAttribute('aria-describedby')`); got != "true rule-start err-start_price" {
		t.Errorf("the refused field: %q", got)
	}
	if rule := clerk.text("#rule-start"); !strings.Contains(rule, "70%（¥700,000.00）") {
		t.Errorf("the rule beside the field: %q", rule)
	}
	clerk.shot("10-clerk-lot-error")
	startsTyped := clerk.eval(`document.getElementById('starts_at').value`)
	clerk.do(setValue("#start_price", "700000"), click(`#schedule-form button[type="submit"]`), visible("form.publish button"))
	// What the clerk typed is read in Asia/Shanghai whatever the browser's zone.
	if got := clerk.text("#rounds tbody tr td:nth-child(6)"); got != strings.Replace(startsTyped, "T", " ", 1)+":00" {
		t.Errorf("bidding opens at %q, the clerk typed %q", got, startsTyped)
	}
	clerk.do(click("form.publish button"), visible("#rounds .status-announced"))
	id := clerk.eval(`document.querySelector('#rounds tr[data-auction]').dataset.auction`)
	a, err := s.store.Auction(s.ctx, id)
	if err != nil || a.Status != auction.StatusAnnounced || a.StartPrice != 70_000_000 || a.Increment != 1_000_000 || a.Deposit != 7_000_000 {
		t.Fatalf("published auction: %+v %v", a, err)
	}
	clerk.shot("11-clerk-lot")

	// Two bidders sign up and register, each in a browser of their own.
	alice, bob := c.tab(t, "alice", s.url), c.tab(t, "bob", s.url)
	pa, pb := newPerson(), newPerson()
	alice.open("/signup")
	alice.shot("06-signup")
	alice.signUp(pa, bidderPassword)
	bob.signUp(pb, bidderPassword)
	alice.shot("01-browse")
	for _, b := range []*tab{alice, bob} {
		b.open("/auctions/" + id)
		b.do(click("#declare"), click(`#register button[type="submit"]`), visible("#pay-reference"))
	}
	alice.shot("03-auction-registered")
	refA, refB := alice.text("#pay-reference"), bob.text("#pay-reference")

	// Finance confirms both transfers.
	finance := c.tab(t, "finance", s.url)
	finance.signIn(financeUser.Email, staffPassword)
	finance.shot("12-finance-deposits")
	for _, ref := range []string{refA, refB} {
		dep := finance.eval(fmt.Sprintf(`[...document.querySelectorAll('#pending tr[data-deposit]')].find(r => r.textContent.includes(%q)).dataset.deposit`, ref))
		row := fmt.Sprintf(`#pending tr[data-deposit="%s"]`, dep)
		finance.do(chromedp.SendKeys(chromedp.CSS(row+` input[name="reference"]`), "ICBC-"+ref), click(row+" button"),
			chromedp.WaitNotPresent(chromedp.CSS(row)), ready())
	}

	// The bidders' pages notice by themselves and show their codes.
	for _, b := range []*tab{alice, bob} {
		b.do(visible("#my-code"), visible("#bid-wait"))
	}
	codeA, codeB := alice.eval(`G.auction.my_code`), bob.eval(`G.auction.my_code`)
	if codeA == "" || codeB == "" || codeA == codeB {
		t.Fatalf("bidder codes %q %q", codeA, codeB)
	}

	// Bidding opens (the test clock jumps 16 days): both pages open live, and
	// count down from the server's time, not the browser's.
	for _, b := range []*tab{alice, bob} {
		b.arm("opened", `!document.getElementById('bid-panel').hidden && /^23:59:[0-5]\d$/.test(document.getElementById('countdown').textContent)`)
	}
	s.setClock(t, a.StartsAt)
	opened := time.Now()
	for _, b := range []*tab{alice, bob} {
		if late := b.mark("opened").Sub(opened); late > limit {
			t.Errorf("%s saw bidding open %v after it did", b.name, late)
		}
	}
	monitor := c.tab(t, "monitor", s.url)
	monitor.signIn(clerkUser.Email, staffPassword)

	// They bid against each other; each sees the other's bid within a second
	// of the click, by the machine's clock (the pages note the moments).
	var latencies []time.Duration
	bid := func(who, other *tab, action chromedp.Action[chromedp.Void], price, leader string) {
		t.Helper()
		other.arm("bid", fmt.Sprintf(`document.getElementById('price').textContent === %q && document.getElementById('leader').textContent === %q`, price, leader))
		who.eval(`window.clickAt = 0; document.addEventListener('click', () => { window.clickAt = window.clickAt || Date.now(); }, {capture: true, once: true}); ''`)
		who.do(action)
		seen := other.mark("bid")
		latency := seen.Sub(time.UnixMilli(int64(who.number(`window.clickAt`))))
		latencies = append(latencies, latency)
		if latency > limit {
			t.Errorf("%s's bid of %s reached %s's page after %v", who.name, price, other.name, latency)
		}
	}
	bid(alice, bob, click("#bid-next"), "¥700,000.00", codeA)
	bid(bob, alice, click("#bid-next"), "¥710,000.00", codeB)
	bid(alice, bob, chromedp.Steps(chromedp.SendKeys(chromedp.ID("bid-amount"), "730,000"), click(`#bid-form button[type="submit"]`)), "¥730,000.00", codeA)
	// Screen readers hear each price change (a polite live region).
	if said := bob.text("#sr-price"); said != "新出价 ¥730,000.00，出价人 "+codeA+". 您的出价已被超过" {
		t.Errorf("announced to screen readers: %q", said)
	}
	if mode := bob.eval(`document.getElementById('conn').dataset.mode`); mode != "ws" {
		t.Errorf("the page is not on the live socket (mode %q)", mode)
	}
	// The leader's own page says so and offers no bid against themselves.
	alice.waitJS(fmt.Sprintf(`document.getElementById('leader').textContent === %q && document.getElementById('bid-next').disabled`, codeA+"（我）"),
		time.Now().Add(5*time.Second))
	if rows := bob.eval(`String(document.querySelectorAll('#history tr').length)`); rows != "3" {
		t.Errorf("bid history has %s rows", rows)
	}
	monitor.open("/clerk/monitor")
	monitor.waitText("¥730,000.00")
	// The page's refresh asks the API for as many auctions as the page lists.
	monitor.waitJS(`document.getElementById('monitor').dataset.limit === '500'`, time.Now().Add(5*time.Second))
	monitor.shot("13-clerk-monitor")

	// Refused bids say why, in words.
	for _, c := range []struct{ amount, want string }{
		{"735000", "出价须按加价幅度递增，例如 ¥740,000.00"},
		{"700000", "出价过低，当前最低有效出价为 ¥740,000.00"},
		{"abc", "请输入以元为单位的金额"},
	} {
		bob.do(setValue("#bid-amount", c.amount), click(`#bid-form button[type="submit"]`))
		bob.waitJS(fmt.Sprintf(`document.getElementById('bid-msg').textContent.includes(%q)`, c.want), time.Now().Add(5*time.Second))
	}
	// A typed bid far above the price is asked twice; the rulebook's cap (10
	// times the appraisal of ¥1,000,000.00) refuses one past it.
	bob.do(setValue("#bid-amount", "7300000"), click(`#bid-form button[type="submit"]`))
	bob.waitJS(`document.getElementById('bid-msg').textContent.includes('出价 ¥7,300,000.00 远高于下一口价 ¥740,000.00')`, time.Now().Add(5*time.Second))
	bob.do(setValue("#bid-amount", "20000000"), click(`#bid-form button[type="submit"]`))
	bob.waitJS(`document.getElementById('bid-msg').textContent.includes('远高于下一口价')`, time.Now().Add(5*time.Second))
	bob.do(click(`#bid-form button[type="submit"]`))
	bob.waitJS(`document.getElementById('bid-msg').textContent.includes('出价超过本标的允许的单次最高出价')`, time.Now().Add(5*time.Second))
	if price := bob.text("#price"); price != "¥730,000.00" {
		t.Errorf("after the asked and the refused bids the price is %s", price)
	}
	bob.shot("04-auction-refused")

	// A bid in the last five minutes extends the end, announced on both pages.
	s.setClock(t, a.EndsAt.Add(-2*time.Minute))
	newEnd := a.EndsAt.Add(-2 * time.Minute).Add(5 * time.Minute)
	alice.arm("extended", fmt.Sprintf(`document.getElementById('announce').textContent.includes('结束时间延长至 %s') && document.getElementById('ends-at').textContent === %q`,
		shanghai.Time(newEnd), shanghai.Time(newEnd)))
	bid(bob, alice, click("#bid-next"), "¥740,000.00", codeB)
	if late := alice.mark("extended").Sub(time.UnixMilli(int64(bob.number(`window.clickAt`)))); late > limit {
		t.Errorf("the extension reached alice's page after %v", late)
	}
	alice.waitJS(`/^00:0[45]:[0-5]\d$/.test(document.getElementById('countdown').textContent)`, time.Now().Add(5*time.Second))
	t.Logf("a bid reached the other bidder's page in %v (live mode %s)", latencies, bob.eval(`document.getElementById('conn').dataset.mode`))
	alice.shot("02-auction-live")
	bob.phoneShot("05-auction-phone")

	// The close appears live; the winner sees the confirmation.
	for _, b := range []*tab{alice, bob} {
		b.arm("closed", fmt.Sprintf(`!document.getElementById('outcome').hidden && document.getElementById('outcome-text').textContent.includes('以 ¥740,000.00 成交，买受人竞买号 %s')`, codeB))
	}
	s.setClock(t, newEnd.Add(time.Second))
	closed := time.Now()
	for _, b := range []*tab{alice, bob} {
		if late := b.mark("closed").Sub(closed); late > limit {
			t.Errorf("%s saw the close %v after it happened", b.name, late)
		}
	}
	bob.waitJS(fmt.Sprintf(`!document.getElementById('confirmation').hidden && document.getElementById('conf-buyer').textContent === %q`, pb.name), time.Now().Add(5*time.Second))
	if bob.eval(`String(document.getElementById('won').hidden)`) != "false" || alice.eval(`String(document.getElementById('won').hidden)`) != "true" {
		t.Errorf("only the winner is told they won")
	}
	if alice.eval(`String(document.getElementById('bid-panel').hidden)`) != "true" {
		t.Errorf("the bid panel stays after the close")
	}
	bob.shot("07-auction-sold")

	// Finance sees alice's deposit due back (within 24 h of the close) and
	// bob's balance; paying it back and receiving the balance clear both,
	// and bob's page shows the sale settled without reloading.
	finance.open("/finance")
	finance.do(visible("#refunds"), visible("#balances"))
	if got := finance.text("#balances .price strong"); got != "¥670,000.00" {
		t.Errorf("outstanding balance %q", got)
	}
	if got := finance.text("#refunds time"); got != shanghai.Time(newEnd.Add(24*time.Hour)) {
		t.Errorf("refund deadline %q", got)
	}
	finance.shot("14-finance-after")
	finance.do(chromedp.SendKeys(chromedp.CSS(`#refunds input[name="reference"]`), "ICBC-REFUND-1"), click("#refunds button"),
		chromedp.WaitNotPresent(chromedp.CSS("#refunds")), ready())
	finance.do(chromedp.SendKeys(chromedp.CSS(`#balances input[name="reference"]`), "ICBC-BAL-1"), click("#balances button"),
		chromedp.WaitNotPresent(chromedp.CSS("#balances")), ready())
	bob.waitJS(`document.getElementById('status-badge').textContent === '已结清'`, time.Now().Add(5*time.Second))
	clerk.open("/clerk/cases/" + a.CaseID)
	if got := clerk.text("#total-received"); got != "¥740,000.00" {
		t.Errorf("case proceeds %q", got)
	}
	clerk.shot("15-clerk-case")
	bob.open("/me")
	bob.waitText("已竞得")
	bob.shot("09-me")
	bob.phoneShot("09-me-phone")

	// The same page in English.
	alice.open("/lang/en?next=/auctions/" + id)
	alice.waitText("Rules of this round")
	alice.shot("16-auction-english")
	anon := c.tab(t, "anon", s.url)
	anon.open("/login")
	anon.shot("17-login")
	// The keyboard reaches the skip link first.
	anon.do(chromedp.KeyEvent("\t"))
	if got := anon.eval(`document.activeElement.className`); got != "skip" {
		t.Errorf("first Tab stop: %q", got)
	}
}

// TestBrowserPollingFallback: where WebSockets cannot connect (a proxy that
// blocks them), the page polls the events once a second, keeps retrying the
// socket, and still shows every bid.
func TestBrowserPollingFallback(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newChrome(t)
	a := s.auction(t, lotSpec{})
	alice, _ := s.bidder(t, "")
	bob, _ := s.bidder(t, "")
	codeA, codeB := s.qualify(t, alice, a.ID), s.qualify(t, bob, a.ID)
	s.setClock(t, a.StartsAt)

	// Every WebSocket fails before it opens, as behind such a proxy.
	blocked := `window.WebSocket = class { constructor() { window.socketTries = (window.socketTries || 0) + 1; setTimeout(() => this.onclose && this.onclose({}), 5); } close() {} };`
	watcher := c.tab(t, "watcher", s.url, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: blocked})
		return err
	}))
	watcher.open("/auctions/" + a.ID)
	watcher.do(visible("#conn[data-mode='poll']"))
	for i, who := range []*account{alice, bob, alice} {
		amount := a.StartPrice + int64(i)*a.Increment
		code := map[*account]string{alice: codeA, bob: codeB}[who]
		watcher.arm("bid", fmt.Sprintf(`document.getElementById('price').textContent === %q && document.getElementById('leader').textContent === %q`,
			yuan.Format(amount), code))
		start := time.Now()
		wantStatus(t, s.bid(t, who, a.ID, amount), 201)
		latency := watcher.mark("bid").Sub(start)
		t.Logf("the polling page saw bid %d after %v", i+1, latency)
		if latency > pollWithin {
			t.Errorf("bid %d reached the polling page after %v", i+1, latency)
		}
	}
	if rows := watcher.eval(`String(document.querySelectorAll('#history tr').length)`); rows != "3" {
		t.Errorf("history rows %s", rows)
	}
	if tries := watcher.eval(`String(window.socketTries)`); tries == "1" {
		t.Errorf("the page gave up on the socket after one try")
	}
}

// TestBrowserIdentityDesk: a bidder signs up with a full-width, lower-case
// number; at the identity desk a clerk finds both accounts claiming it,
// verifies the right one in two presses (the page asks whether the documents
// were checked), and the page then shows it verified and the other account
// without the number.
func TestBrowserIdentityDesk(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newChrome(t)
	const staffPassword = auctiontest.Password // the world's accounts share it
	clerkUser := s.world.In(t).User(auction.RoleClerk, "")
	p := newPerson()
	number := p.idNumber
	p.idNumber = strings.ToLower(strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '０'
		}
		return r
	}, number))
	bidder := c.tab(t, "bidder", s.url)
	bidder.open("/signup")
	bidder.shot("20-signup-id-type")
	bidder.signUp(p, "bidder password 1")
	var dupID string
	if err := s.pool.QueryRow(s.ctx, `INSERT INTO users (email, password_hash, role, real_name, id_number, phone, created_at, id_issue)
		VALUES ('real.person@example.test', 'x', 'bidder', '真本人', $1, '1', now(), 'duplicate') RETURNING id`, number).Scan(&dupID); err != nil {
		t.Fatal(err)
	}
	clerk := c.tab(t, "clerk", s.url)
	clerk.signIn(clerkUser.Email, staffPassword)
	clerk.open("/clerk/identity")
	clerk.do(chromedp.SendKeys(chromedp.ID("id_number"), strings.ToLower(number)), click(`main form[action="/clerk/identity"] button[type="submit"]`),
		visible(`tr[data-user="`+dupID+`"]`))
	if rows := clerk.eval(`String(document.querySelectorAll('#found tbody tr').length)`); rows != "2" {
		t.Fatalf("accounts found: %s", rows)
	}
	row := `tr[data-user="` + dupID + `"] `
	clerk.do(chromedp.SendKeys(chromedp.CSS(row+`input[name="reference"]`), "窗口 2026-31"), click(row+`button[type="submit"]`), visible(row+`.confirm`))
	clerk.shot("21-identity-desk-confirm")
	clerk.do(click(row + `button[type="submit"]`))
	clerk.waitJS(`!!document.querySelector('tr[data-user="`+dupID+`"] .badge.ok')`, time.Now().Add(10*time.Second))
	if n := clerk.eval(`String(document.querySelectorAll('#found tbody tr').length)`); n != "1" {
		t.Fatalf("after verifying, the page lists %s accounts for the number", n)
	}
	clerk.phoneShot("22-identity-desk-phone")
	u, err := s.store.User(s.ctx, dupID)
	if err != nil || !u.Verified {
		t.Fatalf("verified account: %+v %v", u, err)
	}
}
