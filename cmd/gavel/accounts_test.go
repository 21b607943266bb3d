package main

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
)

func TestSignupAndLogin(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	p := newPerson()
	signup := map[string]any{"email": p.email, "password": "correct horse battery", "real_name": p.name, "id_number": p.idNumber, "phone": p.phone}
	r := s.do(t, "POST", "/api/v1/auth/signup", nil, signup)
	wantStatus(t, r, 201)
	var out struct {
		User  map[string]any `json:"user"`
		Token string         `json:"token"`
	}
	r.decode(t, &out)
	if out.Token == "" || out.User["id"] == "" || out.User["email"] != p.email || out.User["role"] != "bidder" {
		t.Fatalf("signup answer: %s", r.body)
	}
	for _, secret := range []string{p.name, p.idNumber, p.phone, "correct horse"} {
		if bytes.Contains(r.body, []byte(secret)) {
			t.Fatalf("signup answer echoes %q: %s", secret, r.body)
		}
	}
	me := s.do(t, "GET", "/api/v1/me", &account{token: out.Token}, nil)
	wantStatus(t, me, 200)
	if !bytes.Contains(me.body, []byte(out.User["id"].(string))) {
		t.Fatalf("/me with the signup token: %s", me)
	}

	// Duplicate email, in any letter case.
	signup["email"] = strings.ToUpper(p.email)
	wantError(t, s.do(t, "POST", "/api/v1/auth/signup", nil, signup), 409, "email_taken")
	weak := map[string]any{"email": "weak@example.test", "password": "123456789", "real_name": "x", "id_number": idn("weak"), "phone": "x"}
	wantError(t, s.do(t, "POST", "/api/v1/auth/signup", nil, weak), 422, "weak_password")
	for _, field := range []string{"real_name", "id_number", "phone", "email"} {
		body := map[string]any{"email": "f@example.test", "password": "correct horse battery", "real_name": "x", "id_number": "x", "phone": "x"}
		delete(body, field)
		r := s.do(t, "POST", "/api/v1/auth/signup", nil, body)
		wantError(t, r, 422, "invalid_field")
		if !strings.Contains(string(r.body), field) {
			t.Errorf("invalid_field message does not name %s: %s", field, r.body)
		}
	}

	r = s.do(t, "POST", "/api/v1/auth/login", nil, map[string]any{"email": p.email, "password": "correct horse battery"})
	wantStatus(t, r, 200)
	var login struct {
		Token string         `json:"token"`
		User  map[string]any `json:"user"`
	}
	r.decode(t, &login)
	if login.Token == "" || login.Token == out.Token || login.User["id"] != out.User["id"] || login.User["role"] != "bidder" {
		t.Fatalf("login answer: %s", r.body)
	}
	// The same answer whether the email exists or not.
	known := s.do(t, "POST", "/api/v1/auth/login", nil, map[string]any{"email": p.email, "password": "correct horse batterY"})
	unknown := s.do(t, "POST", "/api/v1/auth/login", nil, map[string]any{"email": "nobody@example.test", "password": "correct horse battery"})
	wantError(t, known, 401, "invalid_credentials")
	wantError(t, unknown, 401, "invalid_credentials")
	if !bytes.Equal(known.body, unknown.body) {
		t.Fatalf("known and unknown emails answer differently:\n%s\n%s", known.body, unknown.body)
	}
}

// TestTokenExpiryAndRevocation: a token past its expiry and a revoked token
// are both 401 unauthenticated on a protected route.
func TestTokenExpiryAndRevocation(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	u, _ := s.bidder(t, "")
	// Tokens issued an hour and a half ago (by a store whose wall clock says
	// so) with short TTLs: one hour (expired by now), two hours (valid). The
	// server decides with its own wall clock, which the test clock never moves.
	past := postgres.New(postgres.Config{Pool: s.pool, Clock: auction.SystemClock{}, Wall: auctiontest.NewClock(time.Now().Add(-90 * time.Minute)), Rulebook: auction.SPC2016})
	expired, _, err := past.CreateToken(s.ctx, u.ID, auction.TokenAPI, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	valid, _, err := past.CreateToken(s.ctx, u.ID, auction.TokenAPI, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, s.do(t, "GET", "/api/v1/me/registrations", &account{token: expired}, nil), 401, "unauthenticated")
	wantStatus(t, s.do(t, "GET", "/api/v1/me/registrations", &account{token: valid}, nil), 200)
	// Logout revokes at once; other tokens of the user keep working.
	r := s.do(t, "POST", "/api/v1/auth/logout", u, nil)
	if r.status != 204 && r.status != 200 {
		t.Fatalf("logout: %s", r)
	}
	wantError(t, s.do(t, "GET", "/api/v1/me/registrations", u, nil), 401, "unauthenticated")
	wantError(t, s.do(t, "POST", "/api/v1/auth/logout", u, nil), 401, "unauthenticated")
	wantStatus(t, s.do(t, "GET", "/api/v1/me/registrations", &account{token: valid}, nil), 200)
}

// TestRoles: without a (valid) token 401 unauthenticated; with the wrong
// role 403 forbidden.
func TestRoles(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	bidder, _ := s.bidder(t, "")
	bogus := &account{token: "not-a-token"}
	const zero = "00000000-0000-0000-0000-000000000000"
	for _, tc := range []struct {
		method, path string
		allowed      []*account
		denied       []*account
	}{
		{"POST", "/api/v1/cases", []*account{s.clerk, s.admin}, []*account{bidder, s.finance, s.auditor}},
		{"GET", "/api/v1/cases/" + zero, []*account{s.clerk, s.finance, s.auditor, s.admin}, []*account{bidder}},
		{"POST", "/api/v1/lots/" + zero + "/auctions", []*account{s.clerk}, []*account{bidder, s.finance, s.auditor}},
		{"POST", "/api/v1/auctions/" + zero + "/publish", []*account{s.clerk}, []*account{bidder, s.finance, s.auditor}},
		{"POST", "/api/v1/deposits/" + zero + "/confirm", []*account{s.finance, s.admin}, []*account{bidder, s.clerk, s.auditor}},
		{"GET", "/api/v1/auctions/" + zero + "/deposits", []*account{s.finance, s.auditor}, []*account{bidder, s.clerk}},
		{"POST", "/api/v1/auctions/" + zero + "/balance-payments", []*account{s.finance}, []*account{bidder, s.clerk, s.auditor}},
		{"POST", "/api/v1/blacklist", []*account{s.clerk, s.admin}, []*account{bidder, s.finance, s.auditor}},
		{"GET", "/api/v1/me/registrations", []*account{bidder}, nil},
		{"POST", "/api/v1/auctions/" + zero + "/registrations", []*account{bidder}, nil},
		{"GET", "/api/v1/test/clock", []*account{s.clerk, s.finance, s.auditor, s.admin}, []*account{bidder}},
	} {
		wantError(t, s.do(t, tc.method, tc.path, nil, map[string]any{}), 401, "unauthenticated")
		wantError(t, s.do(t, tc.method, tc.path, bogus, map[string]any{}), 401, "unauthenticated")
		for _, who := range tc.denied {
			r := s.do(t, tc.method, tc.path, who, map[string]any{})
			if r.status != 403 {
				t.Errorf("%s %s as %s: %s, want 403 forbidden", tc.method, tc.path, who.Role, r)
			}
			wantError(t, r, 403, "forbidden")
		}
		for _, who := range tc.allowed {
			if r := s.do(t, tc.method, tc.path, who, map[string]any{}); r.status == 401 || r.status == 403 {
				t.Errorf("%s %s as %s: %s", tc.method, tc.path, who.Role, r)
			}
		}
	}
	// Not a bearer scheme.
	req, _ := http.NewRequest("GET", s.url+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	wantError(t, apiResponse{status: res.StatusCode, header: res.Header, body: b}, 401, "unauthenticated")
}

// TestRequestErrors: the error vocabulary for bodies and routes.
func TestRequestErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	login := "/api/v1/auth/login"
	wantError(t, s.do(t, "POST", login, nil, `{"email": "a@b.test", "password": `), 400, "invalid_request")
	wantError(t, s.do(t, "POST", login, nil, `not json`), 400, "invalid_request")
	wantError(t, s.do(t, "POST", login, nil, `[]`), 400, "invalid_request")
	wantError(t, s.do(t, "POST", login, nil, ``), 400, "invalid_request")
	wantError(t, s.do(t, "POST", login, nil, `{"email":"a@b.test","password":"x"} {"again":1}`), 400, "invalid_request")
	r := s.do(t, "POST", login, nil, `{"email":"a@b.test","password":"0123456789","remember_me":true}`)
	wantError(t, r, 400, "invalid_request")
	if !strings.Contains(string(r.body), "remember_me") {
		t.Errorf("unknown field not named: %s", r.body)
	}
	wantError(t, s.do(t, "POST", "/api/v1/cases", s.clerk, `{"case_number":"x","court_name":"y","extra":1}`), 400, "invalid_request")
	r = s.do(t, "POST", "/api/v1/cases", s.clerk, `{"case_number":42,"court_name":"y"}`)
	wantError(t, r, 422, "invalid_field")
	if !strings.Contains(string(r.body), "case_number") {
		t.Errorf("wrong-type field not named: %s", r.body)
	}

	// Over 1 MiB: with a Content-Length and streamed without one.
	big := `{"email":"` + strings.Repeat("a", 1<<20) + `","password":"0123456789"}`
	wantError(t, s.do(t, "POST", login, nil, big), 413, "body_too_large")
	wantError(t, s.do(t, "POST", "/api/v1/auth/signup", nil, io.MultiReader(strings.NewReader(big))), 413, "body_too_large")
	wantError(t, s.do(t, "POST", "/api/v1/cases", s.clerk, io.MultiReader(strings.NewReader(`{"case_number":"`+strings.Repeat("x", 1<<20+10)+`"}`))), 413, "body_too_large")
	// Just under the limit is decoded (and refused for its content, not its
	// size: no text field is that long).
	under := `{"email":"` + strings.Repeat("a", 1<<20-64) + `","password":"0123456789"}`
	r = s.do(t, "POST", login, nil, under)
	wantError(t, r, 422, "invalid_field")
	if !strings.Contains(string(r.body), "email: ") {
		t.Errorf("the long field is not named: %s", r.body)
	}

	wantError(t, s.do(t, "GET", "/api/v1/no/such/route", nil, nil), 404, "not_found")
	wantError(t, s.do(t, "GET", "/nothing-here", nil, nil), 404, "not_found")
	wantError(t, s.do(t, "GET", "/api/v1/auctions/00000000-0000-0000-0000-000000000000", nil, nil), 404, "not_found")
	wantError(t, s.do(t, "GET", "/api/v1/auctions/not-a-uuid", nil, nil), 404, "not_found")
	r = s.do(t, "DELETE", "/api/v1/auth/login", nil, nil)
	if r.status != 405 {
		t.Fatalf("DELETE on a POST route: %s", r)
	}
	r = s.do(t, "PUT", "/api/v1/auctions/00000000-0000-0000-0000-000000000000/events", nil, "{}")
	if r.status != 405 {
		t.Fatalf("PUT on a GET route: %s", r)
	}
	wantStatus(t, s.do(t, "GET", "/healthz", nil, nil), 200)
	wantStatus(t, s.do(t, "GET", "/readyz", nil, nil), 200)
}
