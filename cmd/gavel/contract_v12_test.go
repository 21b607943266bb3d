package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/casereport"
)

// These tests read API.md v1.2 as a client does: everything goes through
// HTTP and the live socket of a running server with the test clock, and
// each check names the promise it holds the server to.

// numberEndingInX is a valid resident number whose check character is X,
// so that typing it with a lower-case x can be tried.
func numberEndingInX(t testing.TB, key string) string {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if n := auctiontest.ResidentID(fmt.Sprint(key, i)); strings.HasSuffix(n, "X") {
			return n
		}
	}
	t.Fatal("no number ending in X")
	return ""
}

// signedUp signs a bidder up through the API and returns the account.
func (s *server) signedUp(t *testing.T, idNumber string) *account {
	t.Helper()
	r := s.signup(t, fmt.Sprintf("v12.%d@example.test", next()), idNumber)
	wantStatus(t, r, 201)
	var out struct {
		Token string `json:"token"`
		User  struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	r.decode(t, &out)
	return &account{User: &auction.User{ID: out.User.ID}, token: out.Token}
}

// publishedRound schedules and publishes a first round of lotID through the
// API, bidding 31 days from the clock's now for 24 h.
func (s *server) publishedRound(t *testing.T, lotID string) auction.Auction {
	t.Helper()
	starts := s.now().Add(31 * 24 * time.Hour).Truncate(time.Second)
	r := s.schedule(t, lotID, roundBody("first", 70_000_000, 100_000, 7_000_000, starts, starts.Add(24*time.Hour)))
	wantStatus(t, r, 201)
	id := r.object(t)["id"].(string)
	wantStatus(t, s.do(t, "POST", "/api/v1/auctions/"+id+"/publish", s.clerk, map[string]any{}), 200)
	return s.view(t, id)
}

// register posts a registration and returns its body.
func (s *server) register(t *testing.T, who *account, auctionID string) map[string]any {
	t.Helper()
	r := s.do(t, "POST", "/api/v1/auctions/"+auctionID+"/registrations", who, map[string]any{})
	wantStatus(t, r, 201)
	return r.object(t)
}

// TestContractV12Identity: identity numbers are normalised wherever they
// enter (sign-up, applicants, priority holders, the restriction list, the
// clerk's search), a wrong check character is 422 naming id_number, one
// account per person (409 id_number_taken), and the privileges of who one
// is apply only once verified while the bars apply regardless.
func TestContractV12Identity(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	number := numberEndingInX(t, "v12 identity")
	typed := "  " + strings.ToLower(number) + "\t "

	// A wrong check character.
	wrong := number[:17] + "0"
	r := s.signup(t, "wrong.check@example.test", wrong)
	wantError(t, r, 422, "invalid_field")
	if !strings.Contains(r.object(t)["error"].(map[string]any)["message"].(string), "id_number") {
		t.Fatalf("the message does not name id_number: %s", r)
	}

	// Sign-up with a lower-case x and spaces; the same person again is 409.
	me := s.signedUp(t, typed)
	wantError(t, s.signup(t, "again.upper@example.test", number), 409, "id_number_taken")
	wantError(t, s.signup(t, "again.lower@example.test", strings.ToLower(number)), 409, "id_number_taken")
	mine := s.do(t, "GET", "/api/v1/me", me, nil)
	wantStatus(t, mine, 200)
	if o := mine.object(t); o["verified"] != false {
		t.Fatalf("GET /me of a fresh sign-up: %s", mine)
	}

	// Eight sign-ups of one person at once, typed three ways: one account.
	twin := numberEndingInX(t, "v12 twin")
	forms := []string{twin, strings.ToLower(twin), " " + twin + " "}
	answers := make([]apiResponse, 8)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = s.signup(t, fmt.Sprintf("v12.twin%d@example.test", i), forms[i%len(forms)])
		}()
	}
	wg.Wait()
	created := 0
	for _, a := range answers {
		if a.status == 201 {
			created++
		} else {
			wantError(t, a, 409, "id_number_taken")
		}
	}
	if created != 1 {
		t.Fatalf("%d accounts for one person", created)
	}

	// The clerk finds the account however the number is typed.
	found := s.do(t, "GET", "/api/v1/users?id_number="+strings.ReplaceAll(strings.ToLower(number), " ", ""), s.clerk, nil)
	wantStatus(t, found, 200)
	var list struct {
		Users []map[string]any `json:"users"`
	}
	found.decode(t, &list)
	if len(list.Users) != 1 {
		t.Fatalf("users by number: %s", found)
	}
	wantKeysAtLeast(t, list.Users[0], "id", "email", "real_name", "id_number", "verified")
	if u := list.Users[0]; u["id"] != me.ID || u["id_number"] != number || u["verified"] != false {
		t.Fatalf("users by number: %s", found)
	}

	// A case whose applicant is this person (claim over the deposit) and two
	// lots each with this person as first priority holder, all typed with a
	// lower-case x and spaces.
	r = s.do(t, "POST", "/api/v1/cases", s.clerk, map[string]any{"case_number": fmt.Sprintf("(2026)京01执%d号", next()), "court_name": "北京市第一中级人民法院",
		"applicants": []map[string]any{{"name": "申请人", "id_number": typed, "claim": 100_000_000}},
		"debtors":    []map[string]any{{"name": "被执行人", "id_number": idn(fmt.Sprint("v12 debtor", next()))}}})
	wantStatus(t, r, 201)
	caseID := r.object(t)["id"].(string)
	var rounds []auction.Auction
	for i := 0; i < 2; i++ {
		r = s.do(t, "POST", "/api/v1/cases/"+caseID+"/lots", s.clerk, map[string]any{"title": "住宅", "description": "一套住宅", "category": "real_estate", "appraisal_value": 100_000_000})
		wantStatus(t, r, 201)
		lotID := r.object(t)["id"].(string)
		wantStatus(t, s.do(t, "POST", "/api/v1/lots/"+lotID+"/priority-holders", s.clerk, map[string]any{"name": "承租人", "id_number": typed, "rank": 1}), 201)
		rounds = append(rounds, s.publishedRound(t, lotID))
	}

	// Unverified: the full deposit and no priority rank.
	reg := s.register(t, me, rounds[0].ID)
	if reg["status"] != "pending_deposit" || reg["priority_rank"] != nil || reg["deposit"].(map[string]any)["amount"] != num(rounds[0].Deposit) {
		t.Fatalf("an unverified applicant and holder registers: %v", reg)
	}
	if _, ok := reg["priority_rank"]; !ok {
		t.Fatalf("priority_rank is absent, not null: %v", reg)
	}

	// Verified (by an admin): the exemption (claim over deposit: nothing
	// owed, qualified at once) and rank 1.
	v := s.do(t, "POST", "/api/v1/users/"+me.ID+"/verify", s.admin, map[string]any{"method": "desk", "reference": "窗口-1"})
	wantStatus(t, v, 200)
	if o := v.object(t); o["verified"] != true || o["id"] != me.ID {
		t.Fatalf("verify: %s", v)
	}
	if o := s.do(t, "GET", "/api/v1/me", me, nil).object(t); o["verified"] != true {
		t.Fatalf("GET /me after verification: %v", o)
	}
	reg = s.register(t, me, rounds[1].ID)
	if reg["status"] != "qualified" || reg["priority_rank"] != num(1) || reg["deposit"].(map[string]any)["amount"] != num(0) || reg["bidder_code"] == nil {
		t.Fatalf("a verified applicant and holder registers: %v", reg)
	}
	for _, bad := range []map[string]any{{"method": "phone", "reference": "x"}, {"method": "desk"}} {
		wantError(t, s.do(t, "POST", "/api/v1/users/"+me.ID+"/verify", s.clerk, bad), 422, "invalid_field")
	}
	wantError(t, s.do(t, "POST", "/api/v1/users/"+me.ID+"/verify", s.finance, map[string]any{"method": "desk", "reference": "x"}), 403, "forbidden")
	wantError(t, s.do(t, "GET", "/api/v1/users?id_number="+number, me, nil), 403, "forbidden")

	// The answer to the verification is seen by the account's very next
	// request (its session was just used, so a process may remember it).
	for i := 0; i < 20; i++ {
		who := s.signedUp(t, idn(fmt.Sprint("v12 read your verification ", i)))
		wantStatus(t, s.do(t, "GET", "/api/v1/me", who, nil), 200)
		wantStatus(t, s.do(t, "POST", "/api/v1/users/"+who.ID+"/verify", s.clerk, map[string]any{"method": "desk", "reference": fmt.Sprint("窗口-", i)}), 200)
		if o := s.do(t, "GET", "/api/v1/me", who, nil).object(t); o["verified"] != true {
			t.Fatalf("GET /me right after the verification answered: %v", o)
		}
	}

	// A bar applies verified or not: the restriction list, typed lower-case.
	listed := numberEndingInX(t, "v12 listed")
	barred := s.signedUp(t, listed)
	r = s.do(t, "POST", "/api/v1/blacklist", s.clerk, map[string]any{"entries": []map[string]any{{"name": "失信人", "id_number": " " + strings.ToLower(listed) + " ", "case_number": "(2025)京01执1号"}}})
	wantStatus(t, r, 200)
	if r.object(t)["imported"] != num(1) {
		t.Fatalf("blacklist import: %s", r)
	}
	wantError(t, s.do(t, "POST", "/api/v1/auctions/"+rounds[0].ID+"/registrations", barred, map[string]any{}), 403, "bidder_restricted")
	// The same through the CSV form of the list.
	listedCSV := numberEndingInX(t, "v12 listed csv")
	barredCSV := s.signedUp(t, listedCSV)
	r = s.do(t, "POST", "/api/v1/blacklist", s.clerk, "name,id_number,case_number\n失信人乙, "+strings.ToLower(listedCSV)+" ,(2025)京01执2号\n",
		apiHeader{"Content-Type", "text/csv"})
	wantStatus(t, r, 200)
	wantError(t, s.do(t, "POST", "/api/v1/auctions/"+rounds[0].ID+"/registrations", barredCSV, map[string]any{}), 403, "bidder_restricted")

	// A wrong check character is refused wherever a number enters.
	r = s.do(t, "POST", "/api/v1/cases", s.clerk, map[string]any{"case_number": fmt.Sprintf("(2026)京01执%d号", next()), "court_name": "北京市第一中级人民法院",
		"applicants": []map[string]any{{"name": "申请人", "id_number": wrong, "claim": 1}}, "debtors": []map[string]any{}})
	wantError(t, r, 422, "invalid_field")
	if !contains(r, "id_number") {
		t.Fatalf("the refusal does not name id_number: %s", r)
	}
	r = s.do(t, "POST", "/api/v1/lots/"+rounds[0].LotID+"/priority-holders", s.clerk, map[string]any{"name": "承租人", "id_number": wrong, "rank": 2})
	wantError(t, r, 422, "invalid_field")
	if !contains(r, "id_number") {
		t.Fatalf("the refusal does not name id_number: %s", r)
	}

	// The conventions of before v1.2 still hold.
	wantError(t, s.do(t, "GET", "/api/v1/no/such/route", nil, nil), 404, "not_found")
	wantError(t, s.do(t, "POST", "/api/v1/auth/signup", nil, `{"email":`), 400, "invalid_request")
	wantError(t, s.do(t, "POST", "/api/v1/auth/signup", nil, map[string]any{"email": "x@example.test", "password": "correct horse battery",
		"real_name": "x", "id_number": idn("v12 unknown field"), "phone": "1", "nickname": "x"}), 400, "invalid_request")
	wantError(t, s.do(t, "POST", "/api/v1/auth/signup", nil, `{"email":"`+strings.Repeat("a", 1<<20+10)+`"}`), 413, "body_too_large")
	wantError(t, s.do(t, "GET", "/api/v1/test/clock", nil, nil), 401, "unauthenticated")
}

// noticeItem is one of GET /me/notifications.
type noticeItem struct {
	ID        string     `json:"id"`
	Seq       int64      `json:"seq"`
	Type      string     `json:"type"`
	AuctionID string     `json:"auction_id"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at"`
}

// notices reads who's notifications since 0 and checks the promises on the
// list: seq from 1 and increasing, every key present, and a
// notice of an event that happens once per auction (won, lost, cancelled,
// defaulted, deposit held) at most once per auction.
func (s *server) notices(t *testing.T, who *account) []noticeItem {
	t.Helper()
	r := s.do(t, "GET", "/api/v1/me/notifications?since=0", who, nil)
	wantStatus(t, r, 200)
	var raw struct {
		Notifications []map[string]any `json:"notifications"`
	}
	r.decode(t, &raw)
	for _, o := range raw.Notifications {
		wantKeysAtLeast(t, o, "id", "seq", "type", "auction_id", "created_at", "read_at")
	}
	var out struct {
		Notifications []noticeItem `json:"notifications"`
	}
	r.decode(t, &out)
	seen := map[string]bool{}
	for i, n := range out.Notifications {
		// From 1 and increasing; a notice that gathers a second outbid
		// moves to a new seq, so seq may skip.
		if (i == 0 && n.Seq != 1) || (i > 0 && n.Seq <= out.Notifications[i-1].Seq) {
			t.Fatalf("notification %d has seq %d: %s", i+1, n.Seq, r)
		}
		switch n.Type {
		case "won", "lost", "cancelled", "defaulted", "deposit_held":
			k := n.Type + " " + n.AuctionID
			if seen[k] {
				t.Fatalf("%s twice: %s", k, r)
			}
			seen[k] = true
		}
	}
	return out.Notifications
}

func noticeTypes(ns []noticeItem, auctionID string) []string {
	var out []string
	for _, n := range ns {
		if n.AuctionID == auctionID {
			out = append(out, n.Type)
		}
	}
	return out
}

func hasType(types []string, want string) bool {
	for _, t := range types {
		if t == want {
			return true
		}
	}
	return false
}

// lastEvent is the auction's last event from GET /events; it checks that
// the public view's seq is that event's.
func (s *server) lastEvent(t *testing.T, id string) auction.Event {
	t.Helper()
	evs := s.events(t, id)
	wantGapless(t, evs)
	if len(evs) == 0 {
		t.Fatal("no events")
	}
	last := evs[len(evs)-1]
	if v := s.view(t, id); v.Seq != last.Seq {
		t.Fatalf("view seq %d, last event %d", v.Seq, last.Seq)
	}
	return last
}

// TestContractV12SuspendResumeCancel: the court's suspend, resume and
// cancel over HTTP, their events on /events and on the live socket, bids
// refused while suspended with the auction's state, the refusals, deposits
// freed by the cancel, a new round after it, and the bidders' notices.
func TestContractV12SuspendResumeCancel(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, lotID := s.createLot(t, "real_estate", 100_000_000)
	a := s.publishedRound(t, lotID)
	alice, alicePerson := s.bidder(t, "")
	bob, bobPerson := s.bidder(t, "")
	s.qualify(t, alice, a.ID)
	s.qualify(t, bob, a.ID)
	feed := liveConnect(t, s.url, a.ID, 0, nil)

	// Suspended while announced, resumed with the same end.
	r := s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/suspend", s.clerk, map[string]any{"reason": "案外人异议"})
	wantStatus(t, r, 200)
	if r.object(t)["status"] != "suspended" {
		t.Fatalf("suspend: %s", r)
	}
	if e := s.lastEvent(t, a.ID); e.Type != "suspended" || e.Data["reason"] != "案外人异议" {
		t.Fatalf("suspend event: %+v", e)
	}
	wantError(t, s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/suspend", s.clerk, map[string]any{"reason": "again"}), 409, "invalid_state")
	r = s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/resume", s.clerk, map[string]any{"ends_at": a.EndsAt.Format(time.RFC3339)})
	wantStatus(t, r, 200)
	if r.object(t)["status"] != "announced" {
		t.Fatalf("resume before starts_at: %s", r)
	}
	if e := s.lastEvent(t, a.ID); e.Type != "resumed" {
		t.Fatalf("resume event: %+v", e)
	}
	wantError(t, s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/resume", s.clerk, map[string]any{"ends_at": a.EndsAt.Format(time.RFC3339)}), 409, "invalid_state")

	// Bidding: a bid, then suspended by an admin.
	s.setClock(t, a.StartsAt)
	wantStatus(t, s.bid(t, alice, a.ID, a.StartPrice), 201)
	for _, body := range []any{map[string]any{}, map[string]any{"reason": " \t\n "}, map[string]any{"reason": ""}} {
		wantError(t, s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/suspend", s.clerk, body), 422, "invalid_field")
	}
	wantError(t, s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/suspend", alice, map[string]any{"reason": "x"}), 403, "forbidden")
	wantError(t, s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/suspend", s.finance, map[string]any{"reason": "x"}), 403, "forbidden")
	wantError(t, s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/suspend", nil, map[string]any{"reason": "x"}), 401, "unauthenticated")
	wantError(t, s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/annul", s.clerk, map[string]any{"reason": "x"}), 409, "invalid_state")
	wantStatus(t, s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/suspend", s.admin, map[string]any{"reason": "执行异议"}), 200)
	st := refusalState(t, s.bid(t, bob, a.ID, a.StartPrice+a.Increment), 409, "auction_not_open")
	if st.Status != "suspended" || st.CurrentPrice == nil || *st.CurrentPrice != a.StartPrice {
		t.Fatalf("a bid while suspended carries %+v", st)
	}
	if v := s.view(t, a.ID); v.Status != "suspended" || v.BidCount != 1 {
		t.Fatalf("view while suspended: %+v", v)
	}

	// Resumed: price and bids kept, bidding goes on.
	newEnd := s.now().Add(48 * time.Hour).Truncate(time.Second)
	r = s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/resume", s.clerk, map[string]any{"ends_at": newEnd.Format(time.RFC3339)})
	wantStatus(t, r, 200)
	if v := s.view(t, a.ID); v.Status != "bidding" || !v.EndsAt.Equal(newEnd) || v.CurrentPrice == nil || *v.CurrentPrice != a.StartPrice || v.BidCount != 1 {
		t.Fatalf("view after resume: %+v", v)
	}
	if r = s.do(t, "GET", "/api/v1/auctions/"+a.ID+"/deposits", s.finance, nil); strings.Count(string(r.body), `"status":"held"`) != 2 {
		t.Fatalf("deposits after resume: %s", r)
	}
	wantStatus(t, s.bid(t, bob, a.ID, a.StartPrice+a.Increment), 201)

	// Cancelled while bidding: every deposit stops being held.
	wantError(t, s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/cancel", s.clerk, map[string]any{"reason": "  "}), 422, "invalid_field")
	r = s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/cancel", s.clerk, map[string]any{"reason": "被执行人已履行"})
	wantStatus(t, r, 200)
	if r.object(t)["status"] != "cancelled" {
		t.Fatalf("cancel: %s", r)
	}
	last := s.lastEvent(t, a.ID)
	if last.Type != "cancelled" || last.Data["reason"] != "被执行人已履行" {
		t.Fatalf("cancel event: %+v", last)
	}
	refusalState(t, s.bid(t, alice, a.ID, a.StartPrice+2*a.Increment), 409, "auction_not_open")
	for _, act := range []string{"suspend", "cancel", "annul"} {
		wantError(t, s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/"+act, s.clerk, map[string]any{"reason": "x"}), 409, "invalid_state")
	}
	wantError(t, s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/resume", s.clerk, map[string]any{"ends_at": newEnd.Format(time.RFC3339)}), 409, "invalid_state")
	r = s.do(t, "GET", "/api/v1/auctions/"+a.ID+"/deposits", s.finance, nil)
	wantStatus(t, r, 200)
	var deps struct {
		Deposits []struct {
			ID, Status string
		} `json:"deposits"`
	}
	r.decode(t, &deps)
	if len(deps.Deposits) != 2 {
		t.Fatalf("deposits: %s", r)
	}
	for _, d := range deps.Deposits {
		if d.Status != "refund_pending" {
			t.Fatalf("a deposit after the cancel: %s", r)
		}
	}
	// Refunds are booked once per reference.
	wantStatus(t, s.do(t, "POST", "/api/v1/deposits/"+deps.Deposits[0].ID+"/refunded", s.finance, map[string]any{"reference": "V12-REFUND"}), 200)
	wantError(t, s.do(t, "POST", "/api/v1/deposits/"+deps.Deposits[1].ID+"/refunded", s.finance, map[string]any{"reference": "V12-REFUND"}), 409, "duplicate_reference")

	// The live socket saw every event, in order, as /events lists them.
	types, _ := feed.upTo(0, last.Seq)
	evs := s.events(t, a.ID)
	for i, e := range evs {
		if types[i] != e.Type {
			t.Fatalf("socket %v, events %+v", types, evs)
		}
	}
	for _, want := range []string{"suspended", "resumed", "opened", "bid", "cancelled"} {
		if !hasType(types, want) {
			t.Fatalf("no %s on the socket: %v", want, types)
		}
	}

	// Public answers and events name nobody: not the bidders, not the clerk.
	for _, path := range []string{"", "/events", "/bids"} {
		r = s.do(t, "GET", "/api/v1/auctions/"+a.ID+path, nil, nil)
		for _, secret := range []string{alice.ID, bob.ID, s.clerk.ID, s.admin.ID, alicePerson.email, alicePerson.name, alicePerson.idNumber,
			alicePerson.phone, bobPerson.email, bobPerson.name, bobPerson.idNumber, s.clerk.Email, s.clerk.RealName} {
			if strings.Contains(string(r.body), secret) {
				t.Fatalf("GET /auctions/{id}%s reveals %q: %s", path, secret, r)
			}
		}
	}

	// A new round of the same kind may be scheduled for the lot.
	starts := s.now().Add(31 * 24 * time.Hour).Truncate(time.Second)
	wantStatus(t, s.schedule(t, lotID, roundBody("first", 70_000_000, 100_000, 7_000_000, starts, starts.Add(24*time.Hour))), 201)

	// A draft may be cancelled too.
	_, lot2 := s.createLot(t, "vehicle", 1_000_000)
	r = s.schedule(t, lot2, roundBody("first", 700_000, 10_000, 70_000, starts, starts.Add(24*time.Hour)))
	wantStatus(t, r, 201)
	draft := r.object(t)["id"].(string)
	wantError(t, s.do(t, "POST", "/api/v1/auctions/"+draft+"/suspend", s.clerk, map[string]any{"reason": "x"}), 409, "invalid_state")
	wantStatus(t, s.do(t, "POST", "/api/v1/auctions/"+draft+"/cancel", s.clerk, map[string]any{"reason": "撤回"}), 200)

	// Bob marks his first two notices read without having listed them
	// since they came: up_to_seq means the numbers a list then shows.
	wantStatus(t, s.do(t, "POST", "/api/v1/me/notifications/read", bob, map[string]any{"up_to_seq": 2}), 204)
	if ns := s.notices(t, bob); len(ns) < 3 || ns[0].ReadAt == nil || ns[1].ReadAt == nil || ns[2].ReadAt != nil {
		t.Fatalf("bob's notices after reading up to 2: %+v", ns)
	}

	// The bidders were told, each once.
	for _, who := range []*account{alice, bob} {
		types := noticeTypes(s.notices(t, who), a.ID)
		for _, want := range []string{"deposit_held", "suspended", "cancelled"} {
			if !hasType(types, want) {
				t.Fatalf("no %s notice: %v", want, types)
			}
		}
	}
	if types := noticeTypes(s.notices(t, alice), a.ID); !hasType(types, "outbid") {
		t.Fatalf("alice was not told she was outbid: %v", types)
	}
}

// TestContractV12AnnulAndDefault: a sale annulled (confirmation 404 again,
// deposit and balance payments leave the proceeds, the case system hears
// auction.annulled, a new round may follow), a defaulter's balance payments
// owed back (they leave balance_received and total_received), and
// duplicate_reference for each kind of money entry.
func TestContractV12AnnulAndDefault(t *testing.T) {
	t.Parallel()
	cs := &caseSystem{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		cs.mu.Lock()
		cs.bodies = append(cs.bodies, b)
		cs.mu.Unlock()
	}))
	defer recv.Close()
	s := newServer(t, func(m *Main) {
		m.Config.CaseWebhookURL = recv.URL
		m.Config.CaseWebhookSecret = "v12-secret"
	})
	caseA, lotA := s.createLot(t, "real_estate", 100_000_000)
	caseD, lotD := s.createLot(t, "real_estate", 100_000_000)
	annulled, defaulted := s.publishedRound(t, lotA), s.publishedRound(t, lotD)
	buyer, _ := s.bidder(t, "")
	loser, _ := s.bidder(t, "")
	defaulter, _ := s.bidder(t, "")
	// Two more sales, paid over the price, for the refunds of the excess.
	overpaid := s.auctions(t, 2, lotSpec{})
	var overpayers []*account
	for _, o := range overpaid {
		who, _ := s.bidder(t, "")
		s.qualifyFast(t, who, o.ID)
		overpayers = append(overpayers, who)
	}

	// Deposit confirmations are booked once per reference.
	regs := []map[string]any{s.register(t, buyer, annulled.ID), s.register(t, loser, annulled.ID), s.register(t, defaulter, defaulted.ID)}
	depID := func(i int) string { return regs[i]["deposit"].(map[string]any)["id"].(string) }
	wantStatus(t, s.do(t, "POST", "/api/v1/deposits/"+depID(0)+"/confirm", s.finance, map[string]any{"reference": "V12-DEP"}), 200)
	wantError(t, s.do(t, "POST", "/api/v1/deposits/"+depID(1)+"/confirm", s.finance, map[string]any{"reference": "V12-DEP"}), 409, "duplicate_reference")
	if reg := s.do(t, "GET", "/api/v1/me/registrations", loser, nil); !contains(reg, `"pending_deposit"`) {
		t.Fatalf("a refused confirmation qualified the bidder: %s", reg)
	}
	wantStatus(t, s.do(t, "POST", "/api/v1/deposits/"+depID(1)+"/confirm", s.finance, map[string]any{"reference": "V12-DEP-2"}), 200)
	wantStatus(t, s.do(t, "POST", "/api/v1/deposits/"+depID(2)+"/confirm", s.finance, map[string]any{"reference": "V12-DEP-3"}), 200)

	// Both sell at the start price.
	s.setClock(t, annulled.StartsAt)
	wantStatus(t, s.bid(t, loser, annulled.ID, annulled.StartPrice), 201)
	wantStatus(t, s.bid(t, buyer, annulled.ID, annulled.StartPrice+annulled.Increment), 201)
	r := s.bid(t, defaulter, defaulted.ID, defaulted.StartPrice)
	wantStatus(t, r, 201)
	// The test clock stands still: the moment of receipt is its now.
	var placed struct {
		Bid struct {
			PlacedAt time.Time `json:"placed_at"`
		} `json:"bid"`
	}
	r.decode(t, &placed)
	if !placed.Bid.PlacedAt.Equal(annulled.StartsAt) {
		t.Fatalf("placed_at %s, received at %s", placed.Bid.PlacedAt, annulled.StartsAt)
	}
	for i, o := range overpaid {
		wantStatus(t, s.bid(t, overpayers[i], o.ID, o.StartPrice), 201)
	}
	s.setClock(t, annulled.EndsAt)
	for _, id := range []string{annulled.ID, defaulted.ID} {
		if v := s.view(t, id); v.Status != "sold" {
			t.Fatalf("after the clock passed ends_at: %+v", v)
		}
	}
	if e := s.lastEvent(t, annulled.ID); e.Type != "closed" || e.Data["outcome"] != "sold" {
		t.Fatalf("close event: %+v", e)
	}
	wantStatus(t, s.do(t, "GET", "/api/v1/auctions/"+annulled.ID+"/confirmation", nil, nil), 200)
	// When the clock answered, the close had released the loser's deposit
	// and applied the buyer's.
	r = s.do(t, "GET", "/api/v1/auctions/"+annulled.ID+"/deposits", s.finance, nil)
	if !contains(r, `"status":"applied"`) || !contains(r, `"status":"refund_pending"`) || contains(r, `"status":"held"`) {
		t.Fatalf("deposits right after the close: %s", r)
	}
	if types := noticeTypes(s.notices(t, buyer), annulled.ID); !hasType(types, "won") {
		t.Fatalf("the buyer's notices: %v", types)
	}
	if types := noticeTypes(s.notices(t, loser), annulled.ID); !hasType(types, "lost") || !hasType(types, "outbid") {
		t.Fatalf("the loser's notices: %v", types)
	}

	// The two others are paid in full and 500 fen over.
	var excess []string
	for i, o := range overpaid {
		r = s.do(t, "POST", "/api/v1/auctions/"+o.ID+"/balance-payments", s.finance, map[string]any{"amount": o.StartPrice - o.Deposit + 500, "reference": fmt.Sprint("V12-OVER-", i)})
		wantStatus(t, r, 201)
		excess = append(excess, r.object(t)["id"].(string))
	}

	// Balance payments: booked once per reference.
	hammer := annulled.StartPrice + annulled.Increment
	wantStatus(t, s.do(t, "POST", "/api/v1/auctions/"+annulled.ID+"/balance-payments", s.finance, map[string]any{"amount": 1_000_000, "reference": "V12-BAL"}), 201)
	wantError(t, s.do(t, "POST", "/api/v1/auctions/"+defaulted.ID+"/balance-payments", s.finance, map[string]any{"amount": 1_000_000, "reference": "V12-BAL"}), 409, "duplicate_reference")
	wantStatus(t, s.do(t, "POST", "/api/v1/auctions/"+defaulted.ID+"/balance-payments", s.finance, map[string]any{"amount": 1_000_000, "reference": "V12-BAL-D1"}), 201)
	wantStatus(t, s.do(t, "POST", "/api/v1/auctions/"+defaulted.ID+"/balance-payments", s.finance, map[string]any{"amount": 2_000_000, "reference": "V12-BAL-D2"}), 201)
	item := s.proceedsItem(t, caseA, annulled.ID)
	if item["deposit_applied"] != num(annulled.Deposit) || item["balance_received"] != num(1_000_000) || item["hammer_price"] != num(hammer) {
		t.Fatalf("proceeds before the annulment: %v", item)
	}

	// Annulled: confirmation 404, the money leaves the proceeds.
	wantError(t, s.do(t, "POST", "/api/v1/auctions/"+annulled.ID+"/annul", s.clerk, map[string]any{"reason": ""}), 422, "invalid_field")
	before := s.view(t, annulled.ID).Seq
	feed := liveConnect(t, s.url, annulled.ID, before, nil)
	r = s.do(t, "POST", "/api/v1/auctions/"+annulled.ID+"/annul", s.clerk, map[string]any{"reason": "拍卖程序违法"})
	wantStatus(t, r, 200)
	if r.object(t)["status"] != "annulled" {
		t.Fatalf("annul: %s", r)
	}
	if types, _ := feed.upTo(before, before+1); types[0] != "annulled" {
		t.Fatalf("the live feed after the annulment: %v", types)
	}
	if e := s.lastEvent(t, annulled.ID); e.Type != "annulled" || e.Data["reason"] != "拍卖程序违法" {
		t.Fatalf("annul event: %+v", e)
	}
	if v := s.view(t, annulled.ID); v.Status != "annulled" {
		t.Fatalf("view after annulment: %+v", v)
	}
	wantError(t, s.do(t, "GET", "/api/v1/auctions/"+annulled.ID+"/confirmation", nil, nil), 404, "not_found")
	for _, act := range []string{"annul", "suspend", "cancel"} {
		wantError(t, s.do(t, "POST", "/api/v1/auctions/"+annulled.ID+"/"+act, s.clerk, map[string]any{"reason": "x"}), 409, "invalid_state")
	}
	r = s.do(t, "GET", "/api/v1/cases/"+caseA+"/proceeds", s.finance, nil)
	wantStatus(t, r, 200)
	if r.object(t)["total_received"] != num(0) {
		t.Fatalf("proceeds of an annulled sale: %s", r)
	}
	item = s.proceedsItem(t, caseA, annulled.ID)
	if item["status"] != "annulled" || item["deposit_applied"] != num(0) || item["balance_received"] != num(0) || item["forfeited_deposit"] != num(0) {
		t.Fatalf("proceeds item of an annulled sale: %v", item)
	}
	r = s.do(t, "GET", "/api/v1/auctions/"+annulled.ID+"/deposits", s.finance, nil)
	wantStatus(t, r, 200)
	if contains(r, `"held"`) || contains(r, `"applied"`) {
		t.Fatalf("deposits of an annulled sale: %s", r)
	}
	got := cs.waitFor(t, "auction.annulled", 1)[0]
	wantKeysAtLeast(t, got, "id", "type", "created_at", "case_number", "auction_id", "data")
	if got["auction_id"] != annulled.ID {
		t.Fatalf("auction.annulled: %v", got)
	}
	starts := s.now().Add(31 * 24 * time.Hour).Truncate(time.Second)
	wantStatus(t, s.schedule(t, lotA, roundBody("first", 70_000_000, 100_000, 7_000_000, starts, starts.Add(24*time.Hour))), 201)

	// The defaulter misses the deadline.
	sold := s.view(t, defaulted.ID)
	if sold.BalanceDueAt == nil {
		t.Fatalf("a sale without a balance deadline: %+v", sold)
	}
	// A reminder comes before the deadline.
	s.setClock(t, sold.BalanceDueAt.Add(-47*time.Hour))
	if types := noticeTypes(s.notices(t, defaulter), defaulted.ID); !hasType(types, "balance_due") {
		t.Fatalf("no balance_due reminder two days before the deadline: %v", types)
	}
	s.setClock(t, sold.BalanceDueAt.Add(time.Second))
	if v := s.view(t, defaulted.ID); v.Status != "defaulted" {
		t.Fatalf("after the balance deadline: %+v", v)
	}
	if e := s.lastEvent(t, defaulted.ID); e.Type != "defaulted" {
		t.Fatalf("default event: %+v", e)
	}
	r = s.do(t, "GET", "/api/v1/auctions/"+defaulted.ID+"/deposits", s.finance, nil)
	if !contains(r, `"forfeited"`) {
		t.Fatalf("the defaulter's deposit: %s", r)
	}
	r = s.do(t, "GET", "/api/v1/cases/"+caseD+"/proceeds", s.finance, nil)
	wantStatus(t, r, 200)
	if r.object(t)["total_received"] != num(defaulted.Deposit) {
		t.Fatalf("proceeds after the default keep only the forfeited deposit: %s", r)
	}
	item = s.proceedsItem(t, caseD, defaulted.ID)
	if item["status"] != "defaulted" || item["balance_received"] != num(0) || item["deposit_applied"] != num(0) || item["forfeited_deposit"] != num(defaulted.Deposit) {
		t.Fatalf("proceeds item after the default: %v", item)
	}
	cs.waitFor(t, casereport.NotifyAuctionDefaulted, 1)
	cs.waitFor(t, casereport.NotifyDepositForfeited, 1)
	if types := noticeTypes(s.notices(t, defaulter), defaulted.ID); !hasType(types, "defaulted") || !hasType(types, "won") {
		t.Fatalf("the defaulter's notices: %v", types)
	}

	// The defaulter's payments are listed for finance to pay back, each
	// return booked once per reference.
	r = s.do(t, "GET", "/api/v1/balance-returns", s.finance, nil)
	wantStatus(t, r, 200)
	var returns struct {
		Due []map[string]any `json:"balance_returns"`
	}
	r.decode(t, &returns)
	var owed []string
	for _, d := range returns.Due {
		if d["auction_id"] == defaulted.ID {
			owed = append(owed, d["payment_id"].(string))
		}
	}
	if len(owed) != 2 {
		t.Fatalf("the defaulter's payments owed back: %s", r)
	}
	wantStatus(t, s.do(t, "POST", "/api/v1/balance-payments/"+owed[0]+"/returned", s.finance, map[string]any{"reference": "V12-RET"}), 200)
	wantError(t, s.do(t, "POST", "/api/v1/balance-payments/"+owed[1]+"/returned", s.finance, map[string]any{"reference": "V12-RET"}), 409, "duplicate_reference")

	// A defaulted sale annulled: the forfeited deposit is owed back too.
	wantStatus(t, s.do(t, "POST", "/api/v1/auctions/"+defaulted.ID+"/annul", s.clerk, map[string]any{"reason": "拍卖程序违法"}), 200)
	item = s.proceedsItem(t, caseD, defaulted.ID)
	if item["status"] != "annulled" || item["balance_received"] != num(0) || item["deposit_applied"] != num(0) || item["forfeited_deposit"] != num(0) {
		t.Fatalf("proceeds item of an annulled default: %v", item)
	}
	if r = s.do(t, "GET", "/api/v1/cases/"+caseD+"/proceeds", s.finance, nil); r.object(t)["total_received"] != num(0) {
		t.Fatalf("proceeds of an annulled default: %s", r)
	}
	wantStatus(t, s.schedule(t, lotD, roundBody("first", 70_000_000, 100_000, 7_000_000, starts, starts.Add(24*time.Hour))), 201)

	// Refunds of an excess paid over the price are booked once per
	// reference, and so are remittances.
	wantStatus(t, s.do(t, "POST", "/api/v1/balance-payments/"+excess[0]+"/refunded", s.finance, map[string]any{"reference": "V12-EXCESS"}), 200)
	wantError(t, s.do(t, "POST", "/api/v1/balance-payments/"+excess[1]+"/refunded", s.finance, map[string]any{"reference": "V12-EXCESS"}), 409, "duplicate_reference")
	for _, o := range overpaid {
		r = s.do(t, "POST", "/api/v1/cases/"+o.CaseID+"/remittances", s.finance, map[string]any{"amount": 1_000, "reference": "V12-REM"})
		if o == overpaid[0] {
			wantStatus(t, r, 201)
		} else {
			wantError(t, r, 409, "duplicate_reference")
		}
	}
}

// proceedsItem is the item of auctionID in GET /cases/{id}/proceeds, with
// the promised keys.
func (s *server) proceedsItem(t *testing.T, caseID, auctionID string) map[string]any {
	t.Helper()
	r := s.do(t, "GET", "/api/v1/cases/"+caseID+"/proceeds", s.finance, nil)
	wantStatus(t, r, 200)
	d := r.object(t)
	wantKeysAtLeast(t, d, "case_number", "currency", "total_received", "items")
	// total_received is the sum of the last three over all items.
	var sum int64
	for _, raw := range d["items"].([]any) {
		for _, k := range []string{"deposit_applied", "balance_received", "forfeited_deposit"} {
			n, err := raw.(map[string]any)[k].(json.Number).Int64()
			if err != nil {
				t.Fatalf("%s: %v: %s", k, err, r)
			}
			sum += n
		}
	}
	if d["total_received"] != num(sum) {
		t.Fatalf("total_received is not the sum of the items' money (%d): %s", sum, r)
	}
	for _, raw := range d["items"].([]any) {
		it := raw.(map[string]any)
		if it["auction_id"] == auctionID {
			wantKeysAtLeast(t, it, "auction_id", "lot_id", "round", "status", "hammer_price", "deposit_applied", "balance_received", "forfeited_deposit")
			return it
		}
	}
	t.Fatalf("no proceeds item for %s: %s", auctionID, r)
	return nil
}

// TestContractV12VerifiedAcrossInstances: two instances on one database; a
// bidder verified through one registers through the other at once, where
// the bidder's session was just used, and has the verified privileges.
func TestContractV12VerifiedAcrossInstances(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	other := newServerOn(t, s.dbURL)
	const n = 10
	numbers := make([]string, n)
	applicants := make([]map[string]any, n)
	for i := range numbers {
		numbers[i] = idn(fmt.Sprint("v12 across instances ", i))
		applicants[i] = map[string]any{"name": fmt.Sprint("申请人", i), "id_number": numbers[i], "claim": 100_000_000}
	}
	r := s.do(t, "POST", "/api/v1/cases", s.clerk, map[string]any{"case_number": fmt.Sprintf("(2026)京01执%d号", next()), "court_name": "北京市第一中级人民法院",
		"applicants": applicants, "debtors": []map[string]any{}})
	wantStatus(t, r, 201)
	r = s.do(t, "POST", "/api/v1/cases/"+r.object(t)["id"].(string)+"/lots", s.clerk, map[string]any{"title": "股权", "description": "股权", "category": "equity", "appraisal_value": 100_000_000})
	wantStatus(t, r, 201)
	a := s.publishedRound(t, r.object(t)["id"].(string))
	for i, number := range numbers {
		who := s.signedUp(t, number)
		wantStatus(t, other.do(t, "GET", "/api/v1/me", who, nil), 200)
		wantStatus(t, s.do(t, "POST", "/api/v1/users/"+who.ID+"/verify", s.clerk, map[string]any{"method": "desk", "reference": fmt.Sprint("窗口-", i)}), 200)
		r = other.do(t, "POST", "/api/v1/auctions/"+a.ID+"/registrations", who, map[string]any{})
		wantStatus(t, r, 201)
		if o := r.object(t); o["status"] != "qualified" || o["deposit"].(map[string]any)["amount"] != num(0) {
			t.Fatalf("a verified applicant registering through another instance: %s", r)
		}
	}
}
