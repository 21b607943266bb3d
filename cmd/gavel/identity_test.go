package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/migrations/dbtest"
)

// signup signs a bidder up through the API and returns the answer.
func (s *server) signup(t *testing.T, email, idNumber string, extra ...string) apiResponse {
	t.Helper()
	body := map[string]any{"email": email, "password": "correct horse battery", "real_name": "张三", "id_number": idNumber, "phone": "13800000000"}
	if len(extra) == 2 {
		body[extra[0]] = extra[1]
	}
	return s.do(t, "POST", "/api/v1/auth/signup", nil, body)
}

// TestIdentityNumbersAtSignup: the one validation answers sign-up (422
// naming id_number; the 15-digit message), a person signs up once however
// the number is typed (409 id_number_taken), /me tells verified.
func TestIdentityNumbersAtSignup(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, tc := range []struct{ number, says string }{
		{"110105194912310021", "check character"},
		{"110105491231002", "15-digit"},
		{"ABCDEFGHIJKLMNOPQR", "17 digits"},
		{"1101051949\x001231002X", "NUL"},
		{strings.Repeat("1", 12000), "longer than"},
	} {
		r := s.signup(t, "bad@example.test", tc.number)
		wantError(t, r, 422, "invalid_field")
		if !strings.Contains(string(r.body), "id_number") || !strings.Contains(string(r.body), tc.says) {
			t.Errorf("%q: %s", tc.number, r.body)
		}
	}
	r := s.signup(t, "first@example.test", "１１０１０５１９４９１２３１００２ｘ")
	wantStatus(t, r, 201)
	var out struct {
		Token string         `json:"token"`
		User  map[string]any `json:"user"`
	}
	r.decode(t, &out)
	if out.User["verified"] != false {
		t.Fatalf("sign-up answer: %s", r.body)
	}
	wantError(t, s.signup(t, "second@example.test", " 11010519491231002x\u200b"), 409, "id_number_taken")
	wantError(t, s.signup(t, "third@example.test", "11010519491231002X"), 409, "id_number_taken")
	me := s.do(t, "GET", "/api/v1/me", &account{token: out.Token}, nil)
	wantStatus(t, me, 200)
	if o := me.object(t); o["verified"] != false {
		t.Fatalf("/me: %s", me.body)
	}
	wantStatus(t, s.signup(t, "company@example.test", "91350100M000100Y43", "id_type", "company"), 201)
	wantError(t, s.signup(t, "permit@example.test", "H1234567", "id_type", "hk_macao_permit"), 422, "invalid_field")
	wantStatus(t, s.signup(t, "permit@example.test", "h12345678", "id_type", "hk_macao_permit"), 201)
}

// TestVerifiedIdentityAPI: an unverified account squatting a creditor's
// number owes the full deposit; the clerk finds both claims by number,
// verifies the real person (audited), and the squatter loses the claim and
// is told; the verified creditor then registers without a deposit. Staff
// carry numbers too, and that person may not bid.
func TestVerifiedIdentityAPI(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	creditor := idn("API creditor")
	a := s.auction(t, lotSpec{category: auction.CategoryEquity,
		applicants: []auction.Party{{Name: "债权人", IDNumber: creditor, Claim: ptr[int64](1 << 40)}}})
	r := s.signup(t, "squatter@example.test", strings.ToLower(creditor))
	wantStatus(t, r, 201)
	var sq struct {
		Token string `json:"token"`
		User  struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	r.decode(t, &sq)
	squatter := &account{token: sq.Token}
	reg := s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/registrations", squatter, map[string]any{})
	wantStatus(t, reg, 201)
	if o := reg.object(t); o["status"] != "pending_deposit" || o["deposit"].(map[string]any)["amount"].(interface{ String() string }).String() != itoa(a.Deposit) {
		t.Fatalf("unverified squatter's registration: %s", reg.body)
	}

	// The real creditor's account was kept by an older database (flagged).
	hash, err := auction.HashPassword(auctiontest.Password)
	if err != nil {
		t.Fatal(err)
	}
	var realID string
	if err := s.pool.QueryRow(s.ctx, `INSERT INTO users (email, password_hash, role, real_name, id_number, phone, created_at, id_issue)
		VALUES ('creditor@example.test', $1, 'bidder', '债权人', $2, '1', now(), 'duplicate') RETURNING id`, hash, creditor).Scan(&realID); err != nil {
		t.Fatal(err)
	}
	issues := s.do(t, "GET", "/api/v1/admin/identity-issues", s.admin, nil)
	wantStatus(t, issues, 200)
	if !strings.Contains(string(issues.body), realID) || !strings.Contains(string(issues.body), sq.User.ID) {
		t.Fatalf("identity issues: %s", issues.body)
	}
	wantError(t, s.do(t, "GET", "/api/v1/admin/identity-issues", s.clerk, nil), 403, "forbidden")

	found := s.do(t, "GET", "/api/v1/users?id_number="+strings.ToLower(creditor)+"%E2%80%8B", s.clerk, nil)
	wantStatus(t, found, 200)
	var list struct {
		Users []map[string]any `json:"users"`
	}
	found.decode(t, &list)
	if len(list.Users) != 2 || list.Users[0]["id_number"] != creditor || list.Users[0]["verified"] != false || list.Users[0]["real_name"] == nil {
		t.Fatalf("users by number: %s", found.body)
	}
	wantError(t, s.do(t, "GET", "/api/v1/users?id_number=", s.clerk, nil), 422, "invalid_field")
	wantError(t, s.do(t, "GET", "/api/v1/users?id_number="+creditor, s.finance, nil), 403, "forbidden")

	v := s.do(t, "POST", "/api/v1/users/"+realID+"/verify", s.clerk, map[string]any{"method": "desk", "reference": "窗口 2026-17"})
	wantStatus(t, v, 200)
	if o := v.object(t); o["verified"] != true || o["id"] != realID {
		t.Fatalf("verify: %s", v.body)
	}
	wantError(t, s.do(t, "POST", "/api/v1/users/"+realID+"/verify", s.clerk, map[string]any{"method": "phone", "reference": "x"}), 422, "invalid_field")
	wantError(t, s.do(t, "POST", "/api/v1/users/"+realID+"/verify", squatter, map[string]any{"method": "desk", "reference": "x"}), 403, "forbidden")
	me := s.do(t, "GET", "/api/v1/me", squatter, nil)
	if o := me.object(t)["user"].(map[string]any); o["id_claim_released_at"] == nil {
		t.Fatalf("the squatter is not told: %s", me.body)
	}
	var audited int
	if err := s.pool.QueryRow(s.ctx, `SELECT count(*) FROM audit_log WHERE (action = 'identity claim released' AND target = $1)
		OR (action = 'identity verified' AND target = $2)`, sq.User.ID, realID).Scan(&audited); err != nil || audited != 2 {
		t.Fatalf("audit: %d %v", audited, err)
	}
	creditorAcct := s.token(t, &auction.User{ID: realID})
	reg = s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/registrations", creditorAcct, map[string]any{})
	wantStatus(t, reg, 201)
	if o := reg.object(t); o["status"] != "qualified" {
		t.Fatalf("verified creditor: %s", reg.body)
	}

	// A person on the staff may not bid under a bidder account either.
	staffNumber := idn("staff person")
	if _, err := s.store.CreateUser(s.ctx, auction.NewUser{Email: "staff.bidder@court.test", Password: "a long staff password",
		Role: auction.RoleFinance, RealName: "x", IDNumber: strings.ToLower(staffNumber)}); err != nil {
		t.Fatal(err)
	}
	r = s.signup(t, "staff.bidder@example.test", staffNumber)
	wantStatus(t, r, 201)
	r.decode(t, &sq)
	wantError(t, s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/registrations", &account{token: sq.Token}, map[string]any{}), 403, "staff_cannot_bid")
}

// TestVerifyThroughProvider: a bidder verifies through the court's real-name
// provider (a local server speaking the realname protocol); a mismatch is
// 422; without a provider the answer is 409 invalid_state.
func TestVerifyThroughProvider(t *testing.T) {
	t.Parallel()
	number := idn("provider person")
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Name     string `json:"name"`
			IDType   string `json:"id_type"`
			IDNumber string `json:"id_number"`
		}
		if r.URL.Path != "/v1/identity/verify" || r.Header.Get("Authorization") != "Bearer court-key" || jsonDecode(r, &req) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if req.Name == "张三" && req.IDNumber == number && req.IDType == "resident_id" {
			_, _ = w.Write([]byte(`{"result":"match","reference":"RN-77"}`))
			return
		}
		_, _ = w.Write([]byte(`{"result":"mismatch","reference":"RN-78"}`))
	}))
	defer provider.Close()
	s := newServer(t, func(m *Main) { m.Config.RealNameURL, m.Config.RealNameKey = provider.URL, "court-key" })
	r := s.signup(t, "self@example.test", number)
	wantStatus(t, r, 201)
	var out struct {
		Token string `json:"token"`
	}
	r.decode(t, &out)
	me := &account{token: out.Token}
	v := s.do(t, "POST", "/api/v1/me/verify", me, nil)
	wantStatus(t, v, 200)
	if o := v.object(t); o["verified"] != true {
		t.Fatalf("provider verification: %s", v.body)
	}
	var method, ref string
	if err := s.pool.QueryRow(s.ctx, `SELECT verified_method, verified_reference FROM users WHERE email = 'self@example.test'`).Scan(&method, &ref); err != nil || method != "provider" || ref != "RN-77" {
		t.Fatalf("stored verification: %s %s %v", method, ref, err)
	}
	r = s.signup(t, "other@example.test", idn("someone else"))
	r.decode(t, &out)
	wantError(t, s.do(t, "POST", "/api/v1/me/verify", &account{token: out.Token}, nil), 422, "invalid_field")

	plain := newServerOn(t, dbtest.URL(t))
	r = plain.signup(t, "desk@example.test", number)
	r.decode(t, &out)
	wantError(t, plain.do(t, "POST", "/api/v1/me/verify", &account{token: out.Token}, nil), 409, "invalid_state")
}

func jsonDecode(r *http.Request, v any) error {
	d := json.NewDecoder(r.Body)
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// TestBidTooHighAPI: the issue's bid of 9,223,372,036,854,720,000 fen on a
// lot appraised at 1,000,000 yuan is refused 422 bid_too_high with the
// auction's state, like every bid refusal; ten times the appraisal is
// still a bid.
func TestBidTooHighAPI(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := s.auction(t, lotSpec{})
	who, _ := s.bidder(t, "")
	s.qualifyFast(t, who, a.ID)
	s.setClock(t, a.StartsAt)
	r := s.bid(t, who, a.ID, 9_223_372_036_854_720_000)
	wantError(t, r, 422, "bid_too_high")
	st, ok := r.object(t)["auction"].(map[string]any)
	if !ok || st["status"] != "bidding" || st["current_price"] != nil {
		t.Fatalf("refusal without the auction's state: %s", r.body)
	}
	// Appraisal 100,000,000 fen: the cap is 1,000,000,000, on the grid.
	wantStatus(t, s.bid(t, who, a.ID, 1_000_000_000), 201)
	other, _ := s.bidder(t, "")
	s.qualifyFast(t, other, a.ID)
	wantError(t, s.bid(t, other, a.ID, 1_000_100_000), 422, "bid_too_high")
}
