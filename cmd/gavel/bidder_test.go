package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"gavel/auction"
)

// wantKeys checks that a JSON object has exactly the given keys.
func wantKeys(t testing.TB, what string, o map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := o[k]; !ok {
			t.Fatalf("%s lacks %q: %v", what, k, o)
		}
	}
	if len(o) != len(keys) {
		t.Fatalf("%s has keys beyond %v: %v", what, keys, o)
	}
}

// refusalState checks a bid refusal's status and code and that it carries
// the auction state of API.md; it returns that state.
func refusalState(t testing.TB, r apiResponse, status int, code string) auction.State {
	t.Helper()
	wantError(t, r, status, code)
	o := r.object(t)
	st, ok := o["auction"].(map[string]any)
	if !ok {
		t.Fatalf("refusal %s carries no auction state: %s", code, r)
	}
	wantKeys(t, "refusal state", st, "current_price", "leader_code", "ends_at", "seq", "status")
	var out struct {
		Auction auction.State `json:"auction"`
	}
	r.decode(t, &out)
	return out.Auction
}

func TestRegistrationAPI(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := s.auction(t, lotSpec{category: auction.CategoryVehicle,
		applicants: []auction.Party{
			{Name: "小额申请人", IDNumber: idn("APP-PART"), Claim: ptr[int64](2_000_000)},
			{Name: "大额申请人", IDNumber: idn("APP-FULL"), Claim: ptr[int64](7_000_000)},
		},
		holders: []auction.NewPriorityHolder{{Name: "优先人", IDNumber: idn("PRIO-2"), Rank: 2}}})
	path := "/api/v1/auctions/" + a.ID + "/registrations"

	alice, _ := s.bidder(t, "")
	r := s.do(t, "POST", path, alice, map[string]any{})
	wantStatus(t, r, 201)
	o := r.object(t)
	for _, k := range []string{"id", "auction_id", "status", "bidder_code", "priority_rank", "deposit"} {
		if _, ok := o[k]; !ok {
			t.Fatalf("registration lacks %s: %s", k, r)
		}
	}
	dep := o["deposit"].(map[string]any)
	if o["auction_id"] != a.ID || o["status"] != "pending_deposit" || o["bidder_code"] != nil || o["priority_rank"] != nil ||
		dep["id"] == "" || dep["amount"] != json.Number(fmt.Sprint(a.Deposit)) || dep["status"] != "pending" || dep["provider"] != "bank" {
		t.Fatalf("registration: %s", r)
	}
	// Without a body at all (none of its fields is required).
	noBody, _ := s.bidder(t, "")
	wantStatus(t, s.do(t, "POST", path, noBody, nil), 201)

	refusalCode := func(who *account, status int, code string) {
		t.Helper()
		wantError(t, s.do(t, "POST", path, who, map[string]any{}), status, code)
	}
	refusalCode(alice, 409, "already_registered")
	for _, staff := range []*account{s.clerk, s.finance, s.auditor, s.admin} {
		refusalCode(staff, 403, "staff_cannot_bid")
	}

	// Restriction list: imported by a clerk, checked on registration for a vehicle.
	listed, p := s.bidder(t, "")
	wantStatus(t, s.do(t, "POST", "/api/v1/blacklist", s.clerk, map[string]any{"entries": []map[string]any{
		{"name": p.name, "id_number": p.idNumber, "case_number": "(2025)沪01执1号"}}}), 200)
	refusalCode(listed, 403, "bidder_restricted")

	// Priority holders are matched by ID number and get their rank.
	holder, _ := s.bidder(t, "PRIO-2")
	r = s.do(t, "POST", path, holder, map[string]any{})
	wantStatus(t, r, 201)
	if o := r.object(t); o["priority_rank"] != json.Number("2") {
		t.Fatalf("priority holder: %s", r)
	}
	// Applicants owe max(0, deposit - claim); zero qualifies at once.
	part, _ := s.bidder(t, "APP-PART")
	r = s.do(t, "POST", path, part, map[string]any{})
	wantStatus(t, r, 201)
	if o := r.object(t); o["status"] != "pending_deposit" || o["deposit"].(map[string]any)["amount"] != json.Number(fmt.Sprint(a.Deposit-2_000_000)) {
		t.Fatalf("applicant with a small claim: %s", r)
	}
	full, _ := s.bidder(t, "APP-FULL")
	r = s.do(t, "POST", path, full, map[string]any{})
	wantStatus(t, r, 201)
	if o := r.object(t); o["status"] != "qualified" || o["bidder_code"] == nil || o["deposit"].(map[string]any)["amount"] != json.Number("0") ||
		o["deposit"].(map[string]any)["status"] != "held" {
		t.Fatalf("applicant whose claim covers the deposit: %s", r)
	}

	r = s.do(t, "GET", "/api/v1/me/registrations", alice, nil)
	wantStatus(t, r, 200)
	var mine struct {
		Registrations []map[string]any `json:"registrations"`
	}
	r.decode(t, &mine)
	if len(mine.Registrations) != 1 || mine.Registrations[0]["auction_id"] != a.ID {
		t.Fatalf("my registrations: %s", r)
	}

	// Closed: a draft, and an auction whose bidding has ended.
	_, lotID := s.createLot(t, "other", 10_000_000)
	r = s.schedule(t, lotID, roundBody("first", 7_000_000, 100_000, 700_000, a.StartsAt, a.EndsAt))
	wantStatus(t, r, 201)
	draftID := r.object(t)["id"].(string)
	late, _ := s.bidder(t, "")
	wantError(t, s.do(t, "POST", "/api/v1/auctions/"+draftID+"/registrations", late, map[string]any{}), 409, "registration_closed")
	s.setClock(t, a.EndsAt)
	refusalCode(late, 409, "registration_closed")
	wantError(t, s.do(t, "POST", "/api/v1/auctions/00000000-0000-0000-0000-000000000000/registrations", late, map[string]any{}), 404, "not_found")
}

func ptr[T any](v T) *T { return &v }

// TestBidsAPI walks the bid contract through HTTP: every refusal code with
// its auction state, idempotency, the increment grid, the extension, the
// close and the confirmation.
func TestBidsAPI(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := s.auction(t, lotSpec{})
	alice, pa := s.bidder(t, "")
	bob, _ := s.bidder(t, "")
	carol, pc := s.bidder(t, "")
	stranger, _ := s.bidder(t, "")
	pending, _ := s.bidder(t, "")
	codeA := s.qualify(t, alice, a.ID)
	codeB := s.qualify(t, bob, a.ID)
	s.qualify(t, carol, a.ID)
	wantStatus(t, s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/registrations", pending, map[string]any{}), 201)
	bidPath := "/api/v1/auctions/" + a.ID + "/bids"

	// Before starts_at.
	st := refusalState(t, s.bid(t, alice, a.ID, a.StartPrice), 409, "auction_not_open")
	if st.Status != "announced" || st.CurrentPrice != nil || st.LeaderCode != nil || st.Seq != 0 || !st.EndsAt.Equal(a.EndsAt) {
		t.Fatalf("state before the start: %+v", st)
	}
	wantError(t, s.do(t, "GET", "/api/v1/auctions/"+a.ID+"/confirmation", nil, nil), 404, "not_found")

	s.setClock(t, a.StartsAt)
	// The key: required, 1..100 characters.
	refusalState(t, s.do(t, "POST", bidPath, alice, map[string]any{"amount": a.StartPrice}), 400, "idempotency_key_required")
	refusalState(t, s.do(t, "POST", bidPath, alice, map[string]any{"amount": a.StartPrice}, apiHeader{"Idempotency-Key", strings.Repeat("k", 101)}), 400, "idempotency_key_required")
	wantError(t, s.do(t, "POST", bidPath, alice, map[string]any{}, apiHeader{"Idempotency-Key", "no-amount"}), 422, "invalid_field")
	wantError(t, s.do(t, "POST", bidPath, alice, map[string]any{"amount": 1.5}, apiHeader{"Idempotency-Key", "float"}), 422, "invalid_field")

	refusalState(t, s.bid(t, stranger, a.ID, a.StartPrice), 403, "not_qualified")
	refusalState(t, s.bid(t, pending, a.ID, a.StartPrice), 403, "not_qualified")
	refusalState(t, s.bid(t, alice, a.ID, a.StartPrice-a.Increment), 422, "bid_too_low")
	refusalState(t, s.bid(t, alice, a.ID, a.StartPrice+1), 422, "bid_not_on_increment")

	key := apiHeader{"Idempotency-Key", strings.Repeat("拍", 100)}
	r := s.do(t, "POST", bidPath, alice, map[string]any{"amount": a.StartPrice}, key)
	wantStatus(t, r, 201)
	o := r.object(t)
	wantKeys(t, "bid", o["bid"].(map[string]any), "seq", "bidder_code", "amount", "placed_at", "priority")
	wantKeys(t, "bid answer state", o["auction"].(map[string]any), "current_price", "leader_code", "ends_at", "seq", "status")
	var first auction.BidResult
	r.decode(t, &first)
	if first.Bid.BidderCode != codeA || first.Bid.Amount != a.StartPrice || first.Bid.Priority || first.Bid.Seq != 2 ||
		!first.Bid.PlacedAt.Equal(a.StartsAt) || *first.Auction.CurrentPrice != a.StartPrice || *first.Auction.LeaderCode != codeA ||
		first.Auction.Seq != 2 || first.Auction.Status != "bidding" {
		t.Fatalf("first bid: %s", r)
	}
	// The same key and body: the first answer again, nothing placed.
	again := s.do(t, "POST", bidPath, alice, map[string]any{"amount": a.StartPrice}, key)
	wantStatus(t, again, 201)
	var second auction.BidResult
	again.decode(t, &second)
	if fmt.Sprint(second.Bid, *second.Auction.CurrentPrice, second.Auction.Seq) != fmt.Sprint(first.Bid, *first.Auction.CurrentPrice, first.Auction.Seq) {
		t.Fatalf("retry answered %s, first %s", again.body, r.body)
	}
	if n := len(s.bids(t, a.ID)); n != 1 {
		t.Fatalf("a retry placed a bid: %d bids", n)
	}
	refusalState(t, s.do(t, "POST", bidPath, alice, map[string]any{"amount": a.StartPrice + a.Increment}, key), 409, "idempotency_key_reused")

	st = refusalState(t, s.bid(t, alice, a.ID, a.StartPrice+a.Increment), 409, "already_leading")
	if *st.CurrentPrice != a.StartPrice || *st.LeaderCode != codeA || st.Seq != 2 || st.Status != "bidding" {
		t.Fatalf("already_leading state: %+v", st)
	}
	refusalState(t, s.bid(t, bob, a.ID, a.StartPrice), 422, "bid_too_low")
	refusalState(t, s.bid(t, bob, a.ID, a.StartPrice+a.Increment+a.Increment/2), 422, "bid_not_on_increment")
	wantStatus(t, s.bid(t, bob, a.ID, a.StartPrice+a.Increment), 201)
	wantError(t, s.do(t, "GET", "/api/v1/auctions/"+a.ID+"/confirmation", nil, nil), 404, "not_found")
	// Listed after registering: refused at the bid on a real estate lot.
	wantStatus(t, s.do(t, "POST", "/api/v1/blacklist", s.clerk, map[string]any{"entries": []map[string]any{
		{"name": pc.name, "id_number": pc.idNumber, "case_number": "(2025)沪01执9号"}}}), 200)
	st = refusalState(t, s.bid(t, carol, a.ID, a.StartPrice+2*a.Increment), 403, "bidder_restricted")
	if *st.LeaderCode != codeB {
		t.Fatalf("bidder_restricted state: %+v", st)
	}

	// The last five minutes: the bid event, then the extended event; the end
	// moves to bid time + 5 min.
	at := a.EndsAt.Add(-2 * time.Minute)
	s.setClock(t, at)
	r = s.bid(t, alice, a.ID, a.StartPrice+3*a.Increment)
	wantStatus(t, r, 201)
	var late auction.BidResult
	r.decode(t, &late)
	if !late.Auction.EndsAt.Equal(at.Add(5*time.Minute)) || late.Auction.Seq != late.Bid.Seq+1 {
		t.Fatalf("late bid: %s", r)
	}
	evs := s.events(t, a.ID)
	n := len(evs)
	if evs[n-2].Type != "bid" || evs[n-1].Type != "extended" || evs[n-2].Seq != late.Bid.Seq ||
		evs[n-1].Data["ends_at"] != at.Add(5*time.Minute).Format(time.RFC3339Nano) {
		t.Fatalf("events after a late bid: %+v", evs[n-2:])
	}
	// The old end passes; bidding goes on until the new one.
	s.setClock(t, a.EndsAt)
	if v := s.view(t, a.ID); v.Status != "bidding" || !v.ServerTime.Equal(a.EndsAt) {
		t.Fatalf("at the original end: %s at %s", v.Status, v.ServerTime)
	}
	s.setClock(t, at.Add(5*time.Minute))
	refusalState(t, s.bid(t, bob, a.ID, a.StartPrice+4*a.Increment), 409, "auction_not_open")
	v := s.view(t, a.ID)
	if v.Status != "sold" || *v.HammerPrice != a.StartPrice+3*a.Increment || *v.WinnerCode != codeA || v.BidCount != 3 {
		t.Fatalf("after the close: %+v", v)
	}
	evs = s.events(t, a.ID)
	wantGapless(t, evs)
	if last := evs[len(evs)-1]; last.Type != "closed" || last.Data["outcome"] != "sold" || last.Data["winner_code"] != codeA ||
		fmt.Sprint(last.Data["hammer_price"]) != fmt.Sprint(a.StartPrice+3*a.Increment) {
		t.Fatalf("closed event: %+v", last)
	}
	r = s.do(t, "GET", "/api/v1/auctions/"+a.ID+"/confirmation", nil, nil)
	wantStatus(t, r, 200)
	conf := r.object(t)
	if conf["auction_id"] != a.ID || conf["bidder_code"] != codeA || conf["buyer_name"] != pa.name ||
		fmt.Sprint(conf["hammer_price"]) != fmt.Sprint(a.StartPrice+3*a.Increment) || conf["closed_at"] != at.Add(5*time.Minute).Format(time.RFC3339Nano) {
		t.Fatalf("confirmation: %s", r)
	}

	// Deposits: the winner's applied, the others' released.
	r = s.do(t, "GET", "/api/v1/auctions/"+a.ID+"/deposits", s.finance, nil)
	wantStatus(t, r, 200)
	var deps struct {
		Deposits []map[string]any `json:"deposits"`
	}
	r.decode(t, &deps)
	statuses := map[string]string{}
	for _, d := range deps.Deposits {
		code, _ := d["bidder_code"].(string)
		statuses[code] = d["status"].(string)
	}
	if statuses[codeA] != "applied" || statuses[codeB] != "refund_pending" || statuses[""] != "pending" || len(deps.Deposits) != 4 {
		t.Fatalf("deposits after the close: %s", r)
	}

	// Bids in increasing seq; events paged with since, limit and more.
	bids := s.bids(t, a.ID)
	if len(bids) != 3 || bids[0].Seq >= bids[1].Seq || bids[1].Seq >= bids[2].Seq || bids[2].BidderCode != codeA || bids[1].Amount != a.StartPrice+a.Increment {
		t.Fatalf("bids: %+v", bids)
	}
	page := func(q string) (events []auction.Event, more bool) {
		r := s.do(t, "GET", "/api/v1/auctions/"+a.ID+"/events"+q, nil, nil)
		wantStatus(t, r, 200)
		var out struct {
			Events []auction.Event `json:"events"`
			More   *bool           `json:"more"`
		}
		r.decode(t, &out)
		if out.More == nil || out.Events == nil {
			t.Fatalf("events%s: %s", q, r)
		}
		return out.Events, *out.More
	}
	total := int64(len(evs))
	if e, more := page("?since=0&limit=2"); len(e) != 2 || !more || e[0].Seq != 1 || e[1].Seq != 2 {
		t.Fatalf("first page: %+v %v", e, more)
	}
	if e, more := page("?since=2&limit=2"); len(e) != 2 || !more || e[0].Seq != 3 {
		t.Fatalf("second page: %+v %v", e, more)
	}
	if e, more := page(fmt.Sprintf("?since=%d&limit=1", total-1)); len(e) != 1 || more || e[0].Seq != total {
		t.Fatalf("last page: %+v %v", e, more)
	}
	if e, more := page(fmt.Sprintf("?since=%d", total)); len(e) != 0 || more {
		t.Fatalf("past the end: %+v %v", e, more)
	}
	if e, more := page(""); int64(len(e)) != total || more {
		t.Fatalf("default page: %d events, more %v", len(e), more)
	}
	for _, q := range []string{"?limit=0", "?limit=-5", "?since=-1", "?since=x"} {
		wantError(t, s.do(t, "GET", "/api/v1/auctions/"+a.ID+"/events"+q, nil, nil), 422, "invalid_field")
	}
	if _, more := page("?limit=10000"); more {
		t.Fatal("more with every event on the page")
	}
}

// TestCloseFailed: no bids at the end: failed, every held deposit released,
// no confirmation.
func TestCloseFailed(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := s.auction(t, lotSpec{category: auction.CategoryMovable, startsIn: 16 * oneDay})
	u, _ := s.bidder(t, "")
	code := s.qualify(t, u, a.ID)
	s.setClock(t, a.EndsAt)
	v := s.view(t, a.ID)
	if v.Status != "failed" || v.HammerPrice != nil || v.WinnerCode != nil || v.CurrentPrice != nil || v.LeaderCode != nil {
		t.Fatalf("failed auction: %+v", v)
	}
	evs := s.events(t, a.ID)
	wantGapless(t, evs)
	if len(evs) != 2 || evs[0].Type != "opened" || evs[1].Type != "closed" || evs[1].Data["outcome"] != "failed" {
		t.Fatalf("events: %+v", evs)
	}
	wantError(t, s.do(t, "GET", "/api/v1/auctions/"+a.ID+"/confirmation", nil, nil), 404, "not_found")
	r := s.do(t, "GET", "/api/v1/auctions/"+a.ID+"/deposits", s.auditor, nil)
	wantStatus(t, r, 200)
	if !strings.Contains(string(r.body), `"bidder_code":"`+code+`"`) || !strings.Contains(string(r.body), `"status":"refund_pending"`) {
		t.Fatalf("deposits after a failed round: %s", r)
	}
}

// TestPriorityMatchAPI: a priority holder matches the top price and leads;
// a better rank takes it over; an equal rank and ordinary bidders cannot.
func TestPriorityMatchAPI(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := s.auction(t, lotSpec{holders: []auction.NewPriorityHolder{
		{Name: "一号", IDNumber: idn("PM-1"), Rank: 1}, {Name: "二号甲", IDNumber: idn("PM-2A"), Rank: 2}, {Name: "二号乙", IDNumber: idn("PM-2B"), Rank: 2}}})
	ord, _ := s.bidder(t, "")
	p1, _ := s.bidder(t, "PM-1")
	p2a, _ := s.bidder(t, "PM-2A")
	p2b, _ := s.bidder(t, "PM-2B")
	codes := map[*account]string{}
	for _, u := range []*account{ord, p1, p2a, p2b} {
		codes[u] = s.qualify(t, u, a.ID)
	}
	s.setClock(t, a.StartsAt)
	price := a.StartPrice + a.Increment
	wantStatus(t, s.bid(t, ord, a.ID, price), 201)
	r := s.bid(t, p2a, a.ID, price)
	wantStatus(t, r, 201)
	var res auction.BidResult
	r.decode(t, &res)
	if !res.Bid.Priority || *res.Auction.LeaderCode != codes[p2a] || *res.Auction.CurrentPrice != price {
		t.Fatalf("rank 2 matching an ordinary leader: %s", r)
	}
	st := refusalState(t, s.bid(t, p2b, a.ID, price), 422, "bid_too_low")
	if *st.LeaderCode != codes[p2a] {
		t.Fatalf("equal rank took the lead: %+v", st)
	}
	refusalState(t, s.bid(t, ord, a.ID, price), 422, "bid_too_low")
	wantStatus(t, s.bid(t, p1, a.ID, price), 201)
	refusalState(t, s.bid(t, p2a, a.ID, price), 422, "bid_too_low")
	s.setClock(t, a.EndsAt)
	v := s.view(t, a.ID)
	if v.Status != "sold" || *v.WinnerCode != codes[p1] || *v.HammerPrice != price {
		t.Fatalf("winner: %+v", v)
	}
	bids := s.bids(t, a.ID)
	if len(bids) != 3 || !bids[1].Priority || !bids[2].Priority || bids[0].Priority || bids[2].Amount != bids[0].Amount {
		t.Fatalf("bids: %+v", bids)
	}
}

// TestBidderBarredAPI: after a default (the test clock passes
// balance_due_days) the defaulter may not register for the next round.
func TestBidderBarredAPI(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := s.auction(t, lotSpec{})
	buyer, _ := s.bidder(t, "")
	other, _ := s.bidder(t, "")
	s.qualify(t, buyer, a.ID)
	s.setClock(t, a.StartsAt)
	wantStatus(t, s.bid(t, buyer, a.ID, a.StartPrice), 201)
	s.setClock(t, a.EndsAt)
	// Due at the end of the tenth calendar day after the close's day, which
	// is after ten 24-hour days (unless the close was at midnight).
	due := balanceDue(a.EndsAt, 10)
	if v := s.view(t, a.ID); v.BalanceDueAt == nil || !v.BalanceDueAt.Equal(due) {
		t.Fatalf("balance_due_at %v, want %s", v.BalanceDueAt, due)
	}
	s.setClock(t, due.Add(-time.Second))
	if v := s.view(t, a.ID); v.Status != "sold" {
		t.Fatalf("before the balance deadline: %s", v.Status)
	}
	s.setClock(t, due)
	if v := s.view(t, a.ID); v.Status != "defaulted" {
		t.Fatalf("after the balance deadline: %s", v.Status)
	}
	evs := s.events(t, a.ID)
	if last := evs[len(evs)-1]; last.Type != "defaulted" {
		t.Fatalf("last event %s", last.Type)
	}
	starts := s.now().Add(16 * oneDay)
	r := s.schedule(t, a.LotID, roundBody("second", a.StartPrice*8/10, a.Increment, a.StartPrice*8/100, starts, starts.Add(oneDay)))
	wantStatus(t, r, 201)
	second := r.object(t)["id"].(string)
	wantStatus(t, s.do(t, "POST", "/api/v1/auctions/"+second+"/publish", s.clerk, map[string]any{}), 200)
	wantError(t, s.do(t, "POST", "/api/v1/auctions/"+second+"/registrations", buyer, map[string]any{}), 403, "bidder_barred")
	wantStatus(t, s.do(t, "POST", "/api/v1/auctions/"+second+"/registrations", other, map[string]any{}), 201)
}

// TestPublicResponsesHaveNoPersonalData runs a sale with bidders, priority
// holders and applicants and scans every public answer for their names,
// emails, phones, ID numbers and user ids.
func TestPublicResponsesHaveNoPersonalData(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	holder, applicant := newPerson(), newPerson()
	a := s.auction(t, lotSpec{
		applicants: []auction.Party{{Name: applicant.name, IDNumber: applicant.idNumber, Claim: ptr[int64](1)}},
		holders:    []auction.NewPriorityHolder{{Name: holder.name, IDNumber: holder.idNumber, Rank: 1}}})
	var secrets []string
	var bidders []*account
	var buyerName string
	for _, id := range []string{"", holder.idNumber, applicant.idNumber} {
		u, p := s.bidder(t, id)
		bidders = append(bidders, u)
		secrets = append(secrets, p.name, p.email, p.phone, p.idNumber, u.ID)
		s.qualify(t, u, a.ID)
		buyerName = p.name // the last bidder wins below
	}
	secrets = append(secrets, holder.name, holder.idNumber, applicant.name, applicant.idNumber)
	var public []apiResponse
	scan := func(r apiResponse) { public = append(public, r) }

	scan(s.bid(t, bidders[0], a.ID, a.StartPrice)) // refusal: not open yet
	s.setClock(t, a.StartsAt)
	scan(s.bid(t, bidders[0], a.ID, a.StartPrice))
	scan(s.bid(t, bidders[1], a.ID, a.StartPrice))
	scan(s.bid(t, bidders[2], a.ID, a.StartPrice))
	scan(s.bid(t, bidders[2], a.ID, a.StartPrice+a.Increment))
	s.setClock(t, a.EndsAt)
	for _, path := range []string{"/auctions", "/auctions?q=住宅", "/auctions/" + a.ID, "/auctions/" + a.ID + "/bids",
		"/auctions/" + a.ID + "/events", "/auctions/" + a.ID + "/record", "/public/lots/" + a.LotID} {
		r := s.do(t, "GET", "/api/v1"+path, nil, nil)
		wantStatus(t, r, 200)
		scan(r)
	}
	for _, r := range public {
		for _, secret := range secrets {
			if strings.Contains(string(r.body), secret) {
				t.Errorf("a public answer contains personal data %q: %s", secret, r.body)
			}
		}
	}
	// The confirmation names the buyer (Art. 22), and nobody else.
	r := s.do(t, "GET", "/api/v1/auctions/"+a.ID+"/confirmation", nil, nil)
	wantStatus(t, r, 200)
	for _, secret := range secrets {
		if strings.Contains(string(r.body), secret) && secret != buyerName {
			t.Errorf("the confirmation contains %q: %s", secret, r.body)
		}
	}
	if !strings.Contains(string(r.body), buyerName) {
		t.Errorf("the confirmation lacks the buyer's name: %s", r.body)
	}
}
