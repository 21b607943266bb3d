package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"gavel/auction"
)

// TestFinanceAPI: deposit confirmation and refund, balance payments up to
// settlement, a default with its forfeited deposit, and the case proceeds.
func TestFinanceAPI(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	settled := s.auction(t, lotSpec{})
	caseView := s.do(t, "GET", "/api/v1/cases/"+settled.CaseID, s.clerk, nil)
	wantStatus(t, caseView, 200)
	// A second lot of the same case whose buyer will default.
	var defaulted *auction.Auction
	{
		r := s.do(t, "POST", "/api/v1/cases/"+settled.CaseID+"/lots", s.clerk, map[string]any{"title": "车辆", "description": "", "category": "vehicle", "appraisal_value": 10_000_000})
		wantStatus(t, r, 201)
		lotID := r.object(t)["id"].(string)
		r = s.schedule(t, lotID, roundBody("first", 7_000_000, 100_000, 700_000, settled.StartsAt, settled.EndsAt))
		wantStatus(t, r, 201)
		id := r.object(t)["id"].(string)
		wantStatus(t, s.do(t, "POST", "/api/v1/auctions/"+id+"/publish", s.clerk, map[string]any{}), 200)
		a, err := s.store.Auction(s.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		defaulted = a
	}
	buyer, _ := s.bidder(t, "")
	loser, _ := s.bidder(t, "")
	defaulter, _ := s.bidder(t, "")

	// Confirm: pending -> held, registration qualified with a code.
	r := s.do(t, "POST", "/api/v1/auctions/"+settled.ID+"/registrations", buyer, map[string]any{})
	wantStatus(t, r, 201)
	var reg auction.Registration
	r.decode(t, &reg)
	wantError(t, s.do(t, "POST", "/api/v1/deposits/"+reg.Deposit.ID+"/refunded", s.finance, map[string]any{"reference": "R"}), 409, "invalid_state")
	wantError(t, s.do(t, "POST", "/api/v1/deposits/"+reg.Deposit.ID+"/confirm", s.finance, map[string]any{}), 422, "invalid_field")
	r = s.do(t, "POST", "/api/v1/deposits/"+reg.Deposit.ID+"/confirm", s.finance, map[string]any{"reference": "ICBC-20260301-001"})
	wantStatus(t, r, 200)
	confirmed := r.object(t)
	buyerCode, _ := confirmed["bidder_code"].(string)
	if confirmed["status"] != "held" || buyerCode == "" {
		t.Fatalf("confirmed deposit: %s", r)
	}
	wantError(t, s.do(t, "POST", "/api/v1/deposits/"+reg.Deposit.ID+"/confirm", s.finance, map[string]any{"reference": "again"}), 409, "deposit_not_pending")
	wantError(t, s.do(t, "POST", "/api/v1/deposits/00000000-0000-0000-0000-000000000000/confirm", s.finance, map[string]any{"reference": "x"}), 404, "not_found")
	r = s.do(t, "GET", "/api/v1/me/registrations", buyer, nil)
	if !contains(r, `"status":"qualified"`) {
		t.Fatalf("registration after confirmation: %s", r)
	}
	s.qualify(t, loser, settled.ID)
	s.qualify(t, defaulter, defaulted.ID)

	balance := "/api/v1/auctions/" + settled.ID + "/balance-payments"
	wantError(t, s.do(t, "POST", balance, s.finance, map[string]any{"amount": 1000, "reference": "early"}), 409, "auction_not_sold")
	s.setClock(t, settled.StartsAt)
	wantStatus(t, s.bid(t, loser, settled.ID, settled.StartPrice), 201)
	hammer := settled.StartPrice + 5*settled.Increment
	wantStatus(t, s.bid(t, buyer, settled.ID, hammer), 201)
	wantStatus(t, s.bid(t, defaulter, defaulted.ID, defaulted.StartPrice), 201)
	s.setClock(t, settled.EndsAt)

	// The loser's deposit is released; finance marks it refunded.
	r = s.do(t, "GET", "/api/v1/auctions/"+settled.ID+"/deposits", s.finance, nil)
	wantStatus(t, r, 200)
	var deps struct {
		Deposits []auction.Deposit `json:"deposits"`
	}
	r.decode(t, &deps)
	for _, d := range deps.Deposits {
		want := auction.DepositRefundPending
		if *d.BidderCode == buyerCode {
			want = auction.DepositApplied
		}
		if d.Status != want || d.Provider != "bank" || d.RegistrationID == "" {
			t.Fatalf("deposit after the close: %+v", d)
		}
		if d.Status == auction.DepositRefundPending {
			wantError(t, s.do(t, "POST", "/api/v1/deposits/"+d.ID+"/refunded", s.finance, map[string]any{}), 422, "invalid_field")
			r := s.do(t, "POST", "/api/v1/deposits/"+d.ID+"/refunded", s.finance, map[string]any{"reference": "REFUND-1"})
			wantStatus(t, r, 200)
			if r.object(t)["status"] != "refunded" {
				t.Fatalf("refunded: %s", r)
			}
			wantError(t, s.do(t, "POST", "/api/v1/deposits/"+d.ID+"/refunded", s.finance, map[string]any{"reference": "REFUND-1"}), 409, "duplicate_reference")
			wantError(t, s.do(t, "POST", "/api/v1/deposits/"+d.ID+"/refunded", s.finance, map[string]any{"reference": "REFUND-2"}), 409, "invalid_state")
		}
	}

	// Balance: hammer - deposit is owed; the last payment brings more than
	// is left, settles the auction and records the rest as its excess,
	// which the proceeds below leave out.
	owed := hammer - settled.Deposit
	wantError(t, s.do(t, "POST", balance, s.finance, map[string]any{"reference": "x"}), 422, "invalid_field")
	wantError(t, s.do(t, "POST", balance, s.finance, map[string]any{"amount": 0, "reference": "x"}), 422, "invalid_field")
	wantError(t, s.do(t, "POST", balance, s.finance, map[string]any{"amount": 100, "reference": ""}), 422, "invalid_field")
	r = s.do(t, "POST", balance, s.finance, map[string]any{"amount": owed - 500_000, "reference": "PART-1"})
	wantStatus(t, r, 201)
	if o := r.object(t); o["outstanding"] != json.Number("500000") || o["status"] != "sold" || o["excess"] != json.Number("0") {
		t.Fatalf("part payment: %s", r)
	}
	r = s.do(t, "POST", balance, s.finance, map[string]any{"amount": 623_400, "reference": "PART-2"})
	wantStatus(t, r, 201)
	if o := r.object(t); o["outstanding"] != json.Number("0") || o["status"] != "settled" || o["excess"] != json.Number("123400") {
		t.Fatalf("final payment: %s", r)
	}
	if v := s.view(t, settled.ID); v.Status != "settled" {
		t.Fatalf("after full payment: %s", v.Status)
	}
	evs := s.events(t, settled.ID)
	wantGapless(t, evs)
	if evs[len(evs)-1].Type != "settled" {
		t.Fatalf("last event %s", evs[len(evs)-1].Type)
	}
	wantError(t, s.do(t, "POST", balance, s.finance, map[string]any{"amount": 1, "reference": "late"}), 409, "auction_not_sold")
	wantStatus(t, s.do(t, "GET", "/api/v1/auctions/"+settled.ID+"/confirmation", nil, nil), 200)

	// The other buyer never pays: defaulted after balance_due_days (10).
	s.setClock(t, balanceDue(defaulted.EndsAt, 10))
	if v := s.view(t, defaulted.ID); v.Status != "defaulted" {
		t.Fatalf("unpaid after the deadline: %s", v.Status)
	}
	r = s.do(t, "GET", "/api/v1/auctions/"+defaulted.ID+"/deposits", s.finance, nil)
	if !contains(r, `"status":"forfeited"`) {
		t.Fatalf("defaulter's deposit: %s", r)
	}
	wantError(t, s.do(t, "GET", "/api/v1/auctions/"+defaulted.ID+"/confirmation", nil, nil), 404, "not_found")

	r = s.do(t, "GET", "/api/v1/cases/"+settled.CaseID+"/proceeds", s.finance, nil)
	wantStatus(t, r, 200)
	o := r.object(t)
	items := o["items"].([]any)
	if o["case_number"] == nil || o["currency"] != "CNY" || len(items) != 2 {
		t.Fatalf("proceeds: %s", r)
	}
	var sum int64
	byID := map[string]map[string]any{}
	for _, it := range items {
		m := it.(map[string]any)
		wantKeysAtLeast(t, m, "auction_id", "lot_id", "round", "status", "hammer_price", "deposit_applied", "balance_received", "forfeited_deposit")
		byID[m["auction_id"].(string)] = m
		for _, k := range []string{"deposit_applied", "balance_received", "forfeited_deposit"} {
			n, _ := m[k].(json.Number).Int64()
			sum += n
		}
	}
	if total, _ := o["total_received"].(json.Number).Int64(); total != sum || total != hammer+defaulted.Deposit {
		t.Fatalf("total_received %v, items sum %d, want %d", o["total_received"], sum, hammer+defaulted.Deposit)
	}
	if m := byID[settled.ID]; m["status"] != "settled" || m["deposit_applied"] != num(settled.Deposit) || m["balance_received"] != num(owed) || m["hammer_price"] != num(hammer) {
		t.Fatalf("settled item: %v", m)
	}
	if m := byID[defaulted.ID]; m["status"] != "defaulted" || m["forfeited_deposit"] != num(defaulted.Deposit) || m["deposit_applied"] != num(0) {
		t.Fatalf("defaulted item: %v", m)
	}
	var ledger int64
	if err := s.pool.QueryRow(s.ctx, `SELECT coalesce(sum(amount), 0)::bigint FROM ledger_entries`).Scan(&ledger); err != nil || ledger != 0 {
		t.Fatalf("the ledger sums to %d (%v)", ledger, err)
	}
}

func num(n int64) json.Number { return json.Number(fmt.Sprint(n)) }

func contains(r apiResponse, s string) bool { return strings.Contains(string(r.body), s) }

func wantKeysAtLeast(t testing.TB, o map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := o[k]; !ok {
			t.Fatalf("%v lacks %q", o, k)
		}
	}
}
