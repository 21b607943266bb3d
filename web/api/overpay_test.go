package api_test

import (
	"fmt"
	"testing"

	"gavel/auction"
	"gavel/payments"
)

// soldOverHTTP runs a fresh auction to sold with one bidder winning at the
// start price, the deposit confirmed over the API.
func (e *moneyEnv) soldOverHTTP(t *testing.T) *auction.Auction {
	t.Helper()
	a := e.AnnouncedCar("车辆")
	buyer := e.user(t, fmt.Sprintf("buyer-%s", a.ID[:8]), auction.RoleBidder)
	reg := e.Register(buyer, a.ID)
	if r := e.do(t, "POST", "/api/v1/deposits/"+reg.Deposit.ID+"/confirm", auction.RoleFinance, `{"reference":"BANK-`+reg.ID[:6]+`"}`); r.status != 200 {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	e.TickAt(a.StartsAt)
	e.Bid(buyer, a.ID, a.StartPrice)
	e.TickAt(a.EndsAt)
	return a
}

// A client paying the whole hammer price gets 201 and a settled auction;
// the proceeds count what was owed; finance records paying the excess back
// and the books reconcile.
func TestBalanceOverpaymentOverHTTP(t *testing.T) {
	t.Parallel()
	e := newMoneyEnv(t, false)
	a := e.soldOverHTTP(t)
	hammer, owed := a.StartPrice, a.StartPrice-a.Deposit
	balance := "/api/v1/auctions/" + a.ID + "/balance-payments"

	r := e.do(t, "POST", balance, auction.RoleFinance, `{"amount":1000,"reference":"PART"}`)
	part := r.json(t)
	if r.status != 201 || part["excess"] != float64(0) || part["outstanding"] != float64(owed-1000) || part["status"] != auction.StatusSold {
		t.Fatalf("part payment: %d %s", r.status, r.body)
	}
	r = e.do(t, "POST", balance, auction.RoleFinance, fmt.Sprintf(`{"amount":%d,"reference":"WHOLE"}`, hammer))
	whole := r.json(t)
	if r.status != 201 || whole["status"] != auction.StatusSettled || whole["outstanding"] != float64(0) || whole["amount"] != float64(hammer) ||
		whole["excess"] != float64(a.Deposit+1000) || whole["excess_refund_reference"] != nil || whole["excess_refunded_at"] != nil {
		t.Fatalf("whole hammer paid: %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", balance, auction.RoleFinance, `{"amount":1,"reference":"AFTER"}`); r.status != 409 || r.code() != auction.EAuctionNotSold {
		t.Fatalf("payment after settlement: %d %s", r.status, r.body)
	}
	p := e.do(t, "GET", "/api/v1/cases/"+a.CaseID+"/proceeds", auction.RoleClerk, "").json(t)
	item := p["items"].([]any)[0].(map[string]any)
	if item["status"] != auction.StatusSettled || item["balance_received"] != float64(owed) || p["total_received"] != float64(hammer) || p["ledger_balance"] != float64(hammer) {
		t.Fatalf("proceeds count the excess: %v", p)
	}

	refunded := func(id string) string { return "/api/v1/balance-payments/" + id + "/refunded" }
	wholeID, partID := whole["id"].(string), part["id"].(string)
	for _, tc := range []struct {
		path, body string
		status     int
		code       string
	}{
		{refunded(wholeID), `{}`, 422, auction.EInvalidField},
		{refunded(wholeID), `{"reference":""}`, 422, auction.EInvalidField},
		{refunded(wholeID), `{"reference":"B","amount":1}`, 400, auction.EInvalidRequest},
		{refunded("00000000-0000-0000-0000-000000000000"), `{"reference":"B"}`, 404, auction.ENotFound},
		{refunded("nope"), `{"reference":"B"}`, 404, auction.ENotFound},
		{refunded(partID), `{"reference":"B"}`, 409, auction.EInvalidState}, // no excess
	} {
		if r := e.do(t, "POST", tc.path, auction.RoleFinance, tc.body); r.status != tc.status || r.code() != tc.code {
			t.Errorf("POST %s %s: %d %s, want %d %s", tc.path, tc.body, r.status, r.body, tc.status, tc.code)
		}
	}
	if r := e.do(t, "POST", refunded(wholeID), auction.RoleAuditor, `{"reference":"B"}`); r.status != 403 {
		t.Fatalf("an auditor paid back: %d %s", r.status, r.body)
	}
	r = e.do(t, "POST", refunded(wholeID), auction.RoleFinance, `{"reference":"BACK-1"}`)
	back := r.json(t)
	if r.status != 200 || back["id"] != wholeID || back["excess"] != float64(a.Deposit+1000) || back["excess_refund_reference"] != "BACK-1" || back["excess_refunded_at"] == nil {
		t.Fatalf("paid back: %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", refunded(wholeID), auction.RoleFinance, `{"reference":"BACK-2"}`); r.status != 409 || r.code() != auction.EInvalidState {
		t.Fatalf("paid back twice: %d %s", r.status, r.body)
	}

	m := e.do(t, "GET", "/api/v1/auctions/"+a.ID+"/money", auction.RoleFinance, "").json(t)
	acc := m["accounts"].(map[string]any)
	if acc[payments.AccountRefundsDue] != float64(0) || acc[payments.AccountCaseProceeds] != float64(-hammer) || acc[payments.AccountEscrow] != float64(hammer) {
		t.Fatalf("accounts after paying back: %v", acc)
	}
	txs := e.do(t, "GET", "/api/v1/ledger?kind="+payments.TxExcessRefunded+"&auction_id="+a.ID, auction.RoleAuditor, "").json(t)["transactions"].([]any)
	if len(txs) != 1 || txs[0].(map[string]any)["reference"] != "BACK-1" {
		t.Fatalf("pay-back transactions %v", txs)
	}
	rec := e.do(t, "GET", "/api/v1/reconciliation?from=2026-01-01", auction.RoleAuditor, "").json(t)
	if rec["ok"] != true || len(rec["differences"].([]any)) != 0 {
		t.Fatalf("reconciliation: %v", rec)
	}
	var matched int
	for _, l := range rec["lines"].([]any) {
		l := l.(map[string]any)
		switch {
		case l["kind"] == payments.RecordBalanceReceived && l["reference"] == "WHOLE" && l["ledger_amount"] == float64(hammer) && l["provider_amount"] == float64(hammer),
			l["kind"] == payments.RecordExcessReturned && l["reference"] == "BACK-1" && l["ledger_amount"] == float64(-(a.Deposit+1000)):
			if l["status"] == payments.LineMatched {
				matched++
			}
		}
	}
	if matched != 2 {
		t.Fatalf("the overpayment and its pay-back are not both matched: %v", rec["lines"])
	}
}
