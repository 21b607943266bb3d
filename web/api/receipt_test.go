package api_test

import (
	"fmt"
	"strings"
	"testing"

	"gavel/auction"
)

// Finance records a part payment of a bank deposit over HTTP: 201, the
// deposit still pending and the receipt marked part; the whole deposit then
// confirms it; the same reference again is 409 duplicate_reference; bad
// input is 422 and a bidder is refused. No answer is a 500.
func TestDepositReceiptOverHTTP(t *testing.T) {
	t.Parallel()
	e := newMoneyEnv(t, false)
	a := e.AnnouncedCar("车辆")
	bidder := e.user(t, fmt.Sprintf("payer-%s", a.ID[:8]), auction.RoleBidder)
	reg := e.Register(bidder, a.ID)
	path := "/api/v1/deposits/" + reg.Deposit.ID + "/receipts"
	body := func(amount int64, ref string) string {
		return fmt.Sprintf(`{"amount":%d,"reference":%q,"payer_name":"张三","payer_account":"6222000011112222"}`, amount, ref)
	}
	r := e.do(t, "POST", path, auction.RoleFinance, body(reg.Deposit.Amount/2, "PART-1"))
	if r.status != 201 || !strings.Contains(string(r.body), `"part":true`) || !strings.Contains(string(r.body), `"status":"pending"`) {
		t.Fatalf("part payment: %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", path, auction.RoleFinance, body(1, "PART-1")); r.status != 409 || r.code() != auction.EDuplicateReference {
		t.Fatalf("the same reference again: %d %s", r.status, r.body)
	}
	for _, bad := range []string{`{"reference":"X"}`, body(reg.Deposit.Amount+1, "X-1"), body(1<<63-1, "X-2"), `{"amount":1,"reference":"\u0000"}`,
		`{"amount":1,"reference":"X-3","payer_account":"` + strings.Repeat("9", 12000) + `"}`} {
		if r := e.do(t, "POST", path, auction.RoleFinance, bad); r.status != 422 {
			t.Errorf("%.60s: %d %s", bad, r.status, r.body)
		}
	}
	if r := e.do(t, "POST", path, auction.RoleBidder, body(1, "X-4")); r.status != 403 {
		t.Fatalf("a bidder: %d", r.status)
	}
	r = e.do(t, "POST", path, auction.RoleFinance, body(reg.Deposit.Amount, "WHOLE-1"))
	if r.status != 201 || !strings.Contains(string(r.body), `"part":false`) || !strings.Contains(string(r.body), `"status":"held"`) {
		t.Fatalf("whole payment: %d %s", r.status, r.body)
	}
}
