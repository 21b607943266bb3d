package main

import (
	"fmt"
	"testing"
	"time"

	"gavel/auction"
)

const oneDay = 24 * time.Hour

// balanceDue is when the balance of an auction closed at closed is due after
// days: the end of the days-th calendar day after the close's day in
// Shanghai (UTC+8 all year), the courts' zone.
func balanceDue(closed time.Time, days int) time.Time {
	cst := time.FixedZone("UTC+8", 8*60*60)
	d := closed.In(cst)
	return time.Date(d.Year(), d.Month(), d.Day()+days+1, 0, 0, 0, 0, cst).UTC()
}

// createLot makes a case and a lot through the API and returns their ids.
func (s *server) createLot(t testing.TB, category string, appraisal int64) (caseID, lotID string) {
	t.Helper()
	r := s.do(t, "POST", "/api/v1/cases", s.clerk, map[string]any{"case_number": fmt.Sprintf("(2026)粤03执%d号", next()), "court_name": "深圳市中级人民法院",
		"applicants": []map[string]any{{"name": "申请人", "id_number": idn(fmt.Sprint("A", next())), "claim": 1_000_000}},
		"debtors":    []map[string]any{{"name": "被执行人", "id_number": idn(fmt.Sprint("D", next()))}}})
	wantStatus(t, r, 201)
	caseID = r.object(t)["id"].(string)
	r = s.do(t, "POST", "/api/v1/cases/"+caseID+"/lots", s.clerk, map[string]any{"title": "标的", "description": "说明", "category": category, "appraisal_value": appraisal})
	wantStatus(t, r, 201)
	return caseID, r.object(t)["id"].(string)
}

// schedule posts a round; times are RFC 3339.
func (s *server) schedule(t testing.TB, lotID string, body map[string]any) apiResponse {
	t.Helper()
	return s.do(t, "POST", "/api/v1/lots/"+lotID+"/auctions", s.clerk, body)
}

func roundBody(r string, start, increment, deposit int64, starts, ends time.Time) map[string]any {
	return map[string]any{"round": r, "start_price": start, "increment": increment, "deposit": deposit,
		"starts_at": starts.UTC().Format(time.RFC3339Nano), "ends_at": ends.UTC().Format(time.RFC3339Nano)}
}

func TestCasesAndLotsAPI(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	body := map[string]any{"case_number": "(2026)沪0101执恢12号", "court_name": "上海市黄浦区人民法院",
		"applicants": []map[string]any{{"name": "张三", "id_number": "310101198001010018", "claim": 500_000_00}},
		"debtors":    []map[string]any{{"name": "李四", "id_number": "310101198001010026"}}}
	r := s.do(t, "POST", "/api/v1/cases", s.clerk, body)
	wantStatus(t, r, 201)
	c := r.object(t)
	if c["id"] == "" || c["case_number"] != "(2026)沪0101执恢12号" {
		t.Fatalf("case: %s", r)
	}
	wantError(t, s.do(t, "POST", "/api/v1/cases", s.clerk, body), 409, "case_exists")
	wantError(t, s.do(t, "POST", "/api/v1/cases", s.clerk, map[string]any{"court_name": "x"}), 422, "invalid_field")

	caseID := c["id"].(string)
	title := "黄浦区中山南路 1号 3室 «Résidence» 🏠"
	desc := "第一行\n第二行\r\n\t缩进 \"引号\" \\ 反斜杠 <script>alert(1)</script>\u00a0 \u200b零宽 😀\n\n"
	r = s.do(t, "POST", "/api/v1/cases/"+caseID+"/lots", s.clerk, map[string]any{"title": title, "description": desc,
		"category": "real_estate", "appraisal_value": 8_000_000_00, "location": "上海市黄浦区"})
	wantStatus(t, r, 201)
	lotID := r.object(t)["id"].(string)
	r = s.do(t, "GET", "/api/v1/lots/"+lotID, s.clerk, nil)
	wantStatus(t, r, 200)
	var lot auction.Lot
	r.decode(t, &lot)
	if lot.Title != title || lot.Description != desc || lot.Category != "real_estate" || lot.AppraisalValue != 8_000_000_00 || lot.CaseID != caseID {
		t.Fatalf("lot not as stored:\n%q\n%q", lot.Title, lot.Description)
	}
	for _, bad := range []map[string]any{
		{"title": "x", "category": "boat", "appraisal_value": 1},
		{"title": "", "category": "other", "appraisal_value": 1},
		{"title": "x", "category": "other", "appraisal_value": 0},
	} {
		wantError(t, s.do(t, "POST", "/api/v1/cases/"+caseID+"/lots", s.clerk, bad), 422, "invalid_field")
	}
	wantError(t, s.do(t, "POST", "/api/v1/cases/00000000-0000-0000-0000-000000000000/lots", s.clerk,
		map[string]any{"title": "x", "category": "other", "appraisal_value": 1}), 404, "not_found")

	r = s.do(t, "GET", "/api/v1/cases/"+caseID, s.clerk, nil)
	wantStatus(t, r, 200)
	var got auction.Case
	r.decode(t, &got)
	if len(got.Lots) != 1 || got.Lots[0].ID != lotID || got.Lots[0].Description != desc || len(got.Applicants) != 1 || *got.Applicants[0].Claim != 500_000_00 {
		t.Fatalf("case with lots: %s", r)
	}
	wantError(t, s.do(t, "GET", "/api/v1/cases/00000000-0000-0000-0000-000000000000", s.clerk, nil), 404, "not_found")
	wantStatus(t, s.do(t, "POST", "/api/v1/lots/"+lotID+"/priority-holders", s.clerk, map[string]any{"name": "承租人", "id_number": idn("P1"), "rank": 1}), 201)
	wantError(t, s.do(t, "POST", "/api/v1/lots/"+lotID+"/priority-holders", s.clerk, map[string]any{"name": "x", "id_number": idn("P2"), "rank": 0}), 422, "invalid_field")
}

// TestSchedulingRefusals: every rulebook code of POST /lots/{id}/auctions.
func TestSchedulingRefusals(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, lotID := s.createLot(t, "real_estate", 1_000_000_00)
	starts := s.now().Add(40 * oneDay).Truncate(time.Second)
	ends := starts.Add(oneDay)
	const start, inc, dep = 700_000_00, 1_000_00, 70_000_00
	for _, tc := range []struct {
		name string
		body map[string]any
		code string
	}{
		{"start below 70%", roundBody("first", start-1, inc, dep, starts, ends), "start_price_too_low"},
		{"deposit under 5%", roundBody("first", start, inc, start*5/100-1, starts, ends), "deposit_out_of_range"},
		{"deposit over 20%", roundBody("first", start, inc, start*20/100+1, starts, ends), "deposit_out_of_range"},
		{"bidding under 24 h", roundBody("first", start, inc, dep, starts, starts.Add(oneDay-time.Second)), "bidding_period_too_short"},
		{"zero increment", roundBody("first", start, 0, dep, starts, ends), "invalid_field"},
		{"negative increment", roundBody("first", start, -100, dep, starts, ends), "invalid_field"},
		{"ends_at equal to starts_at", roundBody("first", start, inc, dep, starts, starts), "invalid_field"},
		{"ends_at before starts_at", roundBody("first", start, inc, dep, starts, starts.Add(-oneDay)), "invalid_field"},
		{"unknown round", roundBody("third", start, inc, dep, starts, ends), "invalid_field"},
		{"second round without a failed first", roundBody("second", start*8/10, inc, dep/2, starts, ends), "round_not_allowed"},
		{"sale without a failed second", roundBody("sale", start*8/10, inc, dep/2, starts, ends), "round_not_allowed"},
	} {
		r := s.schedule(t, lotID, tc.body)
		if r.status != 422 {
			t.Errorf("%s: %s", tc.name, r)
			continue
		}
		wantError(t, r, 422, tc.code)
	}
	r := s.schedule(t, lotID, map[string]any{"round": "first", "start_price": start, "increment": inc, "deposit": dep, "starts_at": "tomorrow", "ends_at": "later"})
	wantError(t, r, 422, "invalid_field")
	wantError(t, s.schedule(t, "00000000-0000-0000-0000-000000000000", roundBody("first", start, inc, dep, starts, ends)), 404, "not_found")

	// A draft at exactly 70%: 201 with the defaults of API.md.
	r = s.schedule(t, lotID, roundBody("first", start, inc, dep, starts, ends))
	wantStatus(t, r, 201)
	first := r.object(t)
	if first["status"] != "draft" || first["balance_due_days"].(interface{ String() string }).String() != "10" {
		t.Fatalf("draft: %s", r)
	}
	firstID := first["id"].(string)
	wantStatus(t, s.do(t, "POST", "/api/v1/auctions/"+firstID+"/publish", s.clerk, map[string]any{}), 200)
	// A round while another round of the lot is announced, then bidding.
	wantError(t, s.schedule(t, lotID, roundBody("first", start, inc, dep, starts.Add(10*oneDay), ends.Add(10*oneDay))), 422, "round_not_allowed")
	s.setClock(t, starts)
	if a := s.view(t, firstID); a.Status != "bidding" {
		t.Fatalf("at starts_at: %s", a.Status)
	}
	wantError(t, s.schedule(t, lotID, roundBody("second", start*8/10, inc, dep/2, starts.Add(20*oneDay), ends.Add(20*oneDay))), 422, "round_not_allowed")
	s.setClock(t, ends)
	if a := s.view(t, firstID); a.Status != "failed" {
		t.Fatalf("no bids at the end: %s", a.Status)
	}
	// Second round: at most 20% below the first.
	s2, e2 := ends.Add(20*oneDay), ends.Add(21*oneDay)
	wantError(t, s.schedule(t, lotID, roundBody("second", start*8/10-1, inc, dep/2, s2, e2)), 422, "price_cut_too_large")
	wantStatus(t, s.schedule(t, lotID, roundBody("second", start*8/10, inc, start*8/100, s2, e2)), 201)
}

// TestAnnouncementPeriods: publishing needs starts_at - now of at least the
// notice period: first round 30 days (real estate, equity, other) or 15
// (vehicle, movable); second round 15 or 7.
func TestAnnouncementPeriods(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	notice := map[string][2]time.Duration{
		"real_estate": {30 * oneDay, 15 * oneDay}, "equity": {30 * oneDay, 15 * oneDay}, "other": {30 * oneDay, 15 * oneDay},
		"vehicle": {15 * oneDay, 7 * oneDay}, "movable": {15 * oneDay, 7 * oneDay},
	}
	const appraisal, start, inc, dep = 100_000_00, 70_000_00, 1_000_00, 7_000_00
	now := s.now()
	publish := func(id string) apiResponse {
		return s.do(t, "POST", "/api/v1/auctions/"+id+"/publish", s.clerk, map[string]any{})
	}
	// tryPublish schedules a round starting `in` from now and publishes it.
	tryPublish := func(lotID, r string, price int64, in time.Duration) (string, apiResponse) {
		starts := now.Add(in)
		res := s.schedule(t, lotID, roundBody(r, price, inc, price/10, starts, starts.Add(oneDay)))
		wantStatus(t, res, 201)
		id := res.object(t)["id"].(string)
		return id, publish(id)
	}
	lots := map[string]string{}
	firsts := map[string]string{}
	var latestEnd time.Time
	for category, periods := range notice {
		_, lotID := s.createLot(t, category, appraisal)
		lots[category] = lotID
		// One second short of the notice: refused, and the draft stays a draft.
		id, r := tryPublish(lotID, "first", start, periods[0]-time.Second)
		wantError(t, r, 422, "announcement_period_too_short")
		// The refused publish left a draft, as anyone reading the auction sees
		// (API.md's public GET answers every auction, drafts included).
		for _, who := range []*account{nil, s.clerk} {
			if r := s.do(t, "GET", "/api/v1/auctions/"+id, who, nil); r.status != 200 || r.object(t)["status"] != "draft" {
				t.Fatalf("%s: refused publish left %s", category, r)
			}
		}
		// A draft does not block another round: schedule one with exactly the notice.
		id, r = tryPublish(lotID, "first", start, periods[0])
		wantStatus(t, r, 200)
		o := r.object(t)
		if o["status"] != "announced" || o["announced_at"] == nil {
			t.Fatalf("%s: publish answer %s", category, r)
		}
		firsts[category] = id
		if e := now.Add(periods[0] + oneDay); e.After(latestEnd) {
			latestEnd = e
		}
	}
	wantError(t, publish(firsts["vehicle"]), 409, "invalid_state")
	wantError(t, publish("00000000-0000-0000-0000-000000000000"), 404, "not_found")

	// Every first round fails without bids; second rounds have the short notice.
	s.setClock(t, latestEnd)
	now = s.now()
	for category, periods := range notice {
		if a := s.view(t, firsts[category]); a.Status != "failed" {
			t.Fatalf("%s first round: %s", category, a.Status)
		}
		_, r := tryPublish(lots[category], "second", start*8/10, periods[1]-time.Second)
		wantError(t, r, 422, "announcement_period_too_short")
		_, r = tryPublish(lots[category], "second", start*8/10, periods[1])
		wantStatus(t, r, 200)
	}
}
