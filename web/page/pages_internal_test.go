package page

import (
	"gavel/auction"
	"gavel/web/page/i18n"
	"gavel/web/request"
	"io/fs"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestLocaleTimes(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 16, 30, 5, 0, time.UTC)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		zone *time.Location
		want string
	}{{defaultZone, "2026-03-02 00:30:05"}, {ny, "2026-03-01 11:30:05"}, {time.UTC, "2026-03-01 16:30:05"}} {
		l := i18n.Locale{Lang: i18n.LangZH, Zone: c.zone}
		if got := l.Time(at); got != c.want {
			t.Errorf("Time in %s = %q, want %q", c.zone, got, c.want)
		}
		if got := l.Time(&at); got != c.want {
			t.Errorf("Time(*) in %s = %q, want %q", c.zone, got, c.want)
		}
	}
	l := i18n.Locale{Lang: i18n.LangEN, Zone: defaultZone}
	if got := l.Input(at); got != "2026-03-02T00:30" {
		t.Errorf("Input = %q", got)
	}
	if got := l.Time((*time.Time)(nil)); got != "—" {
		t.Errorf("Time(nil) = %q", got)
	}
	if got := l.ZoneLabel(); got != "Asia/Shanghai (UTC+08:00)" {
		t.Errorf("ZoneLabel = %q", got)
	}
	for d, want := range map[time.Duration]string{24 * time.Hour: "1 days", 30 * 24 * time.Hour: "30 days", 5 * time.Minute: "5 minutes",
		15 * time.Second: "15 seconds", 2 * time.Hour: "2 hours"} {
		if got := l.Duration(d); got != want {
			t.Errorf("Duration(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestCatalogue keeps the catalogue complete: every refusal code of the one
// table has a message a person understands, and every key the templates and
// scripts use exists (i18n's tests check that each has both languages).
func TestCatalogue(t *testing.T) {
	t.Parallel()
	want := map[string]bool{"err.csrf": true, "err.money": true}
	for code := range request.Status {
		want["err."+code] = true
	}
	for _, s := range append(publicStatuses, auction.StatusDraft, auction.StatusCancelled) {
		want["status."+s] = true
	}
	for _, c := range categories {
		want["cat."+c] = true
	}
	for _, r := range []string{auction.RoundFirst, auction.RoundSecond, auction.RoundSale} {
		want["round."+r] = true
	}
	for _, s := range []string{auction.DepositPending, auction.DepositHeld, auction.DepositApplied, auction.DepositRefundPending, auction.DepositRefunded, auction.DepositForfeited} {
		want["dep."+s] = true
	}
	want["reg."+auction.RegistrationPending], want["reg."+auction.RegistrationQualified] = true, true
	for _, role := range []string{auction.RoleBidder, auction.RoleClerk, auction.RoleFinance, auction.RoleAuditor, auction.RoleAdmin} {
		want["role."+role] = true
	}
	uses := []*regexp.Regexp{regexp.MustCompile(`\.T "([a-z_.]+)"`), regexp.MustCompile(`\bt\('([a-z_.]+)'`), regexp.MustCompile(`"(clerk\.kind_)"`)}
	for _, dir := range []fs.FS{templateFS, staticFS} {
		_ = fs.WalkDir(dir, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, _ := fs.ReadFile(dir, p)
			for _, re := range uses {
				for _, m := range re.FindAllStringSubmatch(string(b), -1) {
					if !strings.HasSuffix(m[1], "_") && !strings.HasSuffix(m[1], ".") {
						want[m[1]] = true
					}
				}
			}
			return nil
		})
	}
	for k := range want {
		if !i18n.Known(k) {
			t.Errorf("no message %q in the catalogue", k)
		}
	}
	// The scripts receive every message they look up.
	msgs := i18n.Locale{Lang: i18n.LangEN, Zone: defaultZone}.Messages()
	js, _ := fs.ReadFile(staticFS, "static/live.js")
	app, _ := fs.ReadFile(staticFS, "static/app.js")
	for _, m := range uses[1].FindAllStringSubmatch(string(js)+string(app), -1) {
		if _, ok := msgs[m[1]]; !ok && !strings.HasSuffix(m[1], ".") {
			t.Errorf("script message %q is not handed to the scripts (see scriptPrefixes)", m[1])
		}
	}
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/auctions/1": "/auctions/1", "/me?x=1": "/me?x=1", "": "/", "//evil.example/": "/", "https://evil.example": "/",
		"/\\evil.example": "/", "evil": "/", "/ok\r\nSet-Cookie: x": "/", "javascript:alert(1)": "/",
	} {
		if got := safeNext(in, "/"); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSuggestRound(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 2, 17, 0, 0, time.UTC)
	lot := &auction.Lot{Category: auction.CategoryMovable, AppraisalValue: 100_000_099}
	d := suggestRound(auction.SPC2016, lot, now)
	if d.Round != auction.RoundFirst || d.StartPrice != 70_000_100 || d.MinStart != 70_000_100 {
		t.Errorf("first round: %+v", d)
	}
	if d.Increment != 700_000 || d.Deposit != 7_000_100 {
		t.Errorf("first round increment/deposit: %+v", d)
	}
	if err := auction.SPC2016.ValidateSchedule(auction.ScheduleParams{Round: d.Round, StartPrice: d.StartPrice, Increment: d.Increment,
		Deposit: d.Deposit, StartsAt: d.StartsAt, EndsAt: d.EndsAt}, lot.AppraisalValue, nil); err != nil {
		t.Errorf("the suggestion breaks the rulebook: %v", err)
	}
	if want := now.Add(16 * 24 * time.Hour).Truncate(time.Hour).Add(time.Hour); !d.StartsAt.Equal(want) || d.EndsAt.Sub(d.StartsAt) != 24*time.Hour {
		t.Errorf("first round times: %s .. %s", d.StartsAt, d.EndsAt)
	}
	lot.Auctions = []auction.Auction{{Round: auction.RoundFirst, Status: auction.StatusFailed, StartPrice: 70_000_000}}
	if d := suggestRound(auction.SPC2016, lot, now); d.Round != auction.RoundSecond || d.StartPrice != 56_000_000 ||
		!d.StartsAt.Equal(now.Add(8*24*time.Hour).Truncate(time.Hour).Add(time.Hour)) {
		t.Errorf("second round after a failed first: %+v", d)
	}
	lot.Auctions = append(lot.Auctions, auction.Auction{Round: auction.RoundSecond, Status: auction.StatusFailed, StartPrice: 56_000_000})
	if d := suggestRound(auction.SPC2016, lot, now); d.Round != auction.RoundSale || d.StartPrice != 56_000_000 {
		t.Errorf("sale after a failed second: %+v", d)
	}
	if d := suggestRound(auction.Demo, lot, now); d.StartsAt.Sub(now) > 10*time.Minute || d.EndsAt.Sub(d.StartsAt) != time.Minute {
		t.Errorf("demo rulebook: %s .. %s", d.StartsAt, d.EndsAt)
	}
	// The largest appraisals suggest a legal first round too (no overflow).
	for _, appraisal := range []int64{200_000_000_000_000_000, math.MaxInt64} {
		huge := &auction.Lot{Category: auction.CategoryMovable, AppraisalValue: appraisal}
		d := suggestRound(auction.SPC2016, huge, now)
		if err := auction.SPC2016.ValidateSchedule(auction.ScheduleParams{Round: d.Round, StartPrice: d.StartPrice, Increment: d.Increment,
			Deposit: d.Deposit, StartsAt: d.StartsAt, EndsAt: d.EndsAt}, huge.AppraisalValue, nil); err != nil || d.StartPrice <= 0 {
			t.Errorf("appraisal %d: %+v breaks the rulebook: %v", appraisal, d, err)
		}
	}
}

func TestMaskID(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"110101199001010011": "1101**********0011", "1234": "****", "": ""} {
		if got := maskID(in); got != want {
			t.Errorf("maskID(%q) = %q, want %q", in, got, want)
		}
	}
}
