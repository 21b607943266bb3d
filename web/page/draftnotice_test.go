package page_test

import (
	"strings"
	"testing"
	"time"

	"gavel/auction"
	"gavel/web/page/i18n"
)

// A draft saved with a start inside the notice period is not offered for
// publication, and the clerk's lot page names the earliest legal start in
// the page's language.
func TestClerkLotNamesEarliestStart(t *testing.T) {
	t.Parallel()
	w := pageSetup(t, "公告期")
	lot := w.Lot(w.Case(1_000_000).ID, "草稿", 100_000_000)
	starts := w.Clock.Now().Add(10 * 24 * time.Hour).Truncate(time.Minute)
	w.Draft(lot.ID, auction.RoundFirst, 70_000_000, starts)
	earliest := auction.SPC2016.EarliestStart(auction.RoundFirst, lot.Category, w.Clock.Now())
	b, _ := w.signedIn(t, w.Clerk)
	for _, lang := range []string{"zh-CN", "en"} {
		zone, _ := time.LoadLocation(i18n.DefaultTimezone)
		l := i18n.Locale{Lang: lang, Zone: zone}
		b.get("/lang/" + lang + "?next=/")
		r := b.get("/clerk/lots/" + lot.ID)
		want := l.T("js.earliest_start", l.Time(earliest))
		if r.status != 200 || !strings.Contains(r.body, want) {
			t.Errorf("%s: lot page (%d) lacks %q", lang, r.status, want)
		}
	}
}
