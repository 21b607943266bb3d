package api_test

import (
	"strings"
	"testing"

	"gavel/auction"
)

// CSV downloads for people are in yuan with two decimals, the courts' time,
// headers in the page's language and a byte-order mark; a program's CSV
// stays in fen, UTC and English keys.
func TestCSVForPeople(t *testing.T) {
	t.Parallel()
	e := newMoneyEnv(t, false)
	a := e.AnnouncedCar("车辆")
	e.user(t, "refund", auction.RoleBidder)
	reg := e.Register(e.users["refund"], a.ID)
	if r := e.do(t, "POST", "/api/v1/deposits/"+reg.Deposit.ID+"/confirm", auction.RoleFinance, `{"reference":"=CMD|' /C calc'!A0"}`); r.status != 200 {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	e.TickAt(a.StartsAt)
	e.TickAt(a.EndsAt) // no bids: the deposit is due back

	zh := e.do(t, "GET", "/api/v1/refunds-due?format=csv&lang=zh", auction.RoleFinance, "")
	body := string(zh.body)
	if zh.status != 200 || !strings.HasPrefix(body, "\ufeff保证金编号,拍卖编号,竞买号,渠道,金额（元）") || !strings.Contains(body, ",7000.00,") ||
		!strings.Contains(body, "合计,,,,7000.00,") || !strings.Contains(body, `'=CMD|`) {
		t.Fatalf("zh CSV: %d\n%s", zh.status, body)
	}
	// The release time in Beijing: the close at ends_at, eight hours ahead of UTC.
	if want := a.EndsAt.UTC().Add(8 * 3600e9).Format("2006-01-02 15:04:05"); !strings.Contains(body, want) {
		t.Fatalf("zh CSV lacks the Beijing time %s:\n%s", want, body)
	}
	en := string(e.do(t, "GET", "/api/v1/refunds-due?format=csv&lang=en", auction.RoleFinance, "").body)
	if !strings.HasPrefix(en, "\ufeffDeposit,Auction,Bidder code,Provider,Amount (yuan)") || !strings.Contains(en, "TOTAL,,,,7000.00,") {
		t.Fatalf("en CSV:\n%s", en)
	}
	machine := string(e.do(t, "GET", "/api/v1/refunds-due", auction.RoleFinance, "", "Accept", "text/csv").body)
	if !strings.HasPrefix(machine, "deposit_id,") || !strings.Contains(machine, ",700000,") {
		t.Fatalf("program CSV:\n%s", machine)
	}
	if r := e.do(t, "GET", "/api/v1/refunds-due?format=csv&lang=fr", auction.RoleFinance, ""); r.status != 422 {
		t.Fatalf("lang=fr: %d", r.status)
	}
}
