package api_test

import (
	"fmt"
	"strings"
	"testing"

	"gavel/auction"
)

// An admin sets a court's receiving account; a bidder registering for a
// round of that court's cases is told where to pay and what to quote.
func TestPayInInstructions(t *testing.T) {
	t.Parallel()
	e := newMoneyEnv(t, false)
	e.user(t, auction.RoleAdmin, auction.RoleAdmin)
	a := e.AnnouncedCar("车辆")
	register := func(name string) map[string]any {
		t.Helper()
		e.user(t, name, auction.RoleBidder)
		r := e.do(t, "POST", "/api/v1/auctions/"+a.ID+"/registrations", name, `{}`)
		if r.status != 201 {
			t.Fatalf("register: %d %s", r.status, r.body)
		}
		return r.json(t)["deposit"].(map[string]any)
	}
	// No account yet: the note code, no account.
	d := register("early")
	if d["payment_reference"] == "" || d["payment_reference"] != d["pay_reference"] || d["pay_to"] != nil {
		t.Fatalf("deposit before an account is set: %v", d)
	}

	account := `{"court_name":"深圳市中级人民法院","account_name":" 深圳市中级人民法院 ","bank":"中国工商银行深圳分行营业部","account_number":"4000 0232 0920 0123 456"}`
	for _, role := range []string{auction.RoleFinance, auction.RoleClerk, auction.RoleBidder} {
		if r := e.do(t, "PUT", "/api/v1/court-accounts", role, account); r.status != 403 {
			t.Fatalf("%s set an account: %d %s", role, r.status, r.body)
		}
	}
	for _, body := range []string{
		`{"court_name":"","account_name":"x","bank":"y","account_number":"123456"}`,
		`{"court_name":"c","account_name":"x","bank":"y","account_number":"12AB56"}`,
		`{"court_name":"c","account_name":"x","bank":"y","account_number":"12345"}`,
		`{"court_name":"c","account_name":"x\u0000","bank":"y","account_number":"123456"}`,
		fmt.Sprintf(`{"court_name":"c","account_name":"%s","bank":"y","account_number":"123456"}`, strings.Repeat("名", 12000)),
	} {
		if r := e.do(t, "PUT", "/api/v1/court-accounts", auction.RoleAdmin, body); r.status != 422 || r.code() != auction.EInvalidField {
			t.Fatalf("%s: %d %s", body, r.status, r.body)
		}
	}
	if r := e.do(t, "PUT", "/api/v1/court-accounts", auction.RoleAdmin, `{"court_name":"c","bank":"y"}`+"x"); r.status != 400 {
		t.Fatalf("malformed: %d %s", r.status, r.body)
	}
	r := e.do(t, "PUT", "/api/v1/court-accounts", auction.RoleAdmin, account)
	if r.status != 200 || r.json(t)["account_name"] != "深圳市中级人民法院" {
		t.Fatalf("set: %d %s", r.status, r.body)
	}
	list := e.do(t, "GET", "/api/v1/court-accounts", auction.RoleFinance, "").json(t)["court_accounts"].([]any)
	if len(list) != 1 {
		t.Fatalf("accounts %v", list)
	}

	d = register("late")
	pay, _ := d["pay_to"].(map[string]any)
	if pay == nil || pay["bank"] != "中国工商银行深圳分行营业部" || pay["account_number"] != "4000 0232 0920 0123 456" ||
		pay["account_name"] != "深圳市中级人民法院" || d["payment_reference"] == "" {
		t.Fatalf("deposit with the account set: %v", d)
	}
	// The bidders who registered earlier see it too, in their registrations.
	regs := e.do(t, "GET", "/api/v1/me/registrations", "early", "").json(t)["registrations"].([]any)
	if dep := regs[0].(map[string]any)["deposit"].(map[string]any); dep["pay_to"] == nil {
		t.Fatalf("earlier registration without the account: %v", dep)
	}
	// Finance's deposit list is about the deposits, not where to pay.
	deps := e.do(t, "GET", "/api/v1/auctions/"+a.ID+"/deposits", auction.RoleFinance, "").json(t)["deposits"].([]any)
	if dep := deps[0].(map[string]any); dep["pay_to"] != nil {
		t.Fatalf("finance list %v", dep)
	}
}
