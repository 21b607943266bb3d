package api_test

import (
	"strings"
	"testing"
	"time"

	"gavel/auction"
)

// A date in the API is the court's calendar day, as on the pages: a deposit
// confirmed at 01:00 on 2 March in Shanghai (17:00 on 1 March UTC) is in the
// ledger of 2 March, not of 1 March, and to= includes its whole day.
func TestAPIDatesAreCourtDays(t *testing.T) {
	t.Parallel()
	e := newMoneyEnv(t, false)
	a := e.AnnouncedCar("车辆")
	e.Clock.Set(time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC))
	u := e.user(t, "early", auction.RoleBidder)
	reg := e.Register(u, a.ID)
	if r := e.do(t, "POST", "/api/v1/deposits/"+reg.Deposit.ID+"/confirm", auction.RoleFinance, `{"reference":"BANK-CAL-1"}`); r.status != 200 {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	for _, c := range []struct {
		query string
		want  int
	}{
		{"from=2026-03-02&to=2026-03-02", 1},
		{"from=2026-03-02", 1},
		{"to=2026-03-02", 1},
		{"from=2026-03-01&to=2026-03-01", 0},
		{"to=2026-03-01", 0},
		{"from=2026-03-03", 0},
		{"from=2026-03-01T17:00:00Z&to=2026-03-01T17:00:01Z", 1},
		{"to=2026-03-01T17:00:00Z", 0},
	} {
		r := e.do(t, "GET", "/api/v1/ledger?deposit_id="+reg.Deposit.ID+"&"+c.query, auction.RoleFinance, "")
		if got := len(r.json(t)["transactions"].([]any)); r.status != 200 || got != c.want {
			t.Errorf("ledger?%s: %d, %d transactions, want %d", c.query, r.status, got, c.want)
		}
	}
	// The reconciliation's CSV is named by the court's days too.
	r := e.do(t, "GET", "/api/v1/reconciliation?from=2026-03-02&to=2026-03-02&part=accounts", auction.RoleFinance, "", "Accept", "text/csv")
	if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, "reconciliation-accounts-2026-03-02-2026-03-02.csv") {
		t.Errorf("reconciliation file %q", cd)
	}
}
