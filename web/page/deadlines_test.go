package page_test

import (
	"gavel/web/page/i18n"
	"strings"
	"testing"
	"time"

	"gavel/web/page"
)

// The clerk monitor lists a failed round's next round with its rule and due
// time (the end of the 30th day, in the court's calendar), flagged once the
// clock passes it; the finance page lists a released deposit's refund.
func TestDeadlinesOnPages(t *testing.T) {
	t.Parallel()
	w := pageSetup(t, "待再拍住宅")
	w.TickAt(w.a.EndsAt)
	clerk, _ := w.signedIn(t, w.Clerk)
	// Failed at 10:00 on 2 April in Shanghai: the next round by the end of 2 May.
	due := time.Date(2026, 5, 2, 16, 0, 0, 0, time.UTC)
	l := i18n.Locale{Zone: page.DefaultZone()}
	r := clerk.get("/clerk/monitor")
	checkPage(t, "/clerk/monitor", r, "法定期限", `data-kind="reauction" data-auction="`+w.a.ID+`"`, "待再拍住宅", "30 日内发布下一轮拍卖", l.Time(due))
	if strings.Contains(r.body, "已超期") {
		t.Error("overdue before the deadline")
	}
	w.Clock.Set(due)
	checkPage(t, "/clerk/monitor", clerk.get("/clerk/monitor"), `data-kind="reauction" data-auction="`+w.a.ID+`" class="overdue"`, "已超期")

	w2 := pageSetup(t, "住宅")
	w2.sold(t) // the loser's deposit is due back 24 h after the close
	finance, _ := w2.signedIn(t, w2.Finance)
	checkPage(t, "/finance", finance.get("/finance"), "法定期限", `data-kind="refund" data-auction="`+w2.a.ID+`"`, "24 小时内退还",
		i18n.Locale{Zone: page.DefaultZone()}.Time(w2.a.EndsAt.Add(24*time.Hour)))
}
