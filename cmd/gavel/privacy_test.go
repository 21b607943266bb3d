package main

import (
	"strings"
	"testing"
	"time"
)

// TestLogsHoldNoPersonalData captures everything the server logs (all levels)
// during a whole sale through the API: sign-up, login (right and wrong), a
// case with applicants and debtors, a priority holder, the restriction list,
// registration, deposits, bids, the close, the confirmation and the balance.
// No name, email, phone, ID number, user id, password or token may appear.
func TestLogsHoldNoPersonalData(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	var secrets []string
	keep := func(p person) person {
		secrets = append(secrets, p.name, p.email, p.phone, p.idNumber)
		return p
	}
	const password = "secret password 42"
	secrets = append(secrets, password)

	// Two bidders sign up and log in through the API.
	var tokens []*account
	for range 2 {
		p := keep(newPerson())
		r := s.do(t, "POST", "/api/v1/auth/signup", nil, map[string]any{"email": p.email, "password": password, "real_name": p.name, "id_number": p.idNumber, "phone": p.phone})
		wantStatus(t, r, 201)
		r = s.do(t, "POST", "/api/v1/auth/login", nil, map[string]any{"email": p.email, "password": password})
		wantStatus(t, r, 200)
		var out struct {
			Token string `json:"token"`
			User  struct {
				ID string `json:"id"`
			} `json:"user"`
		}
		r.decode(t, &out)
		secrets = append(secrets, out.Token, out.User.ID)
		tokens = append(tokens, &account{token: out.Token})
		wantStatus(t, s.do(t, "GET", "/api/v1/me", tokens[len(tokens)-1], nil), 200)
		wantError(t, s.do(t, "POST", "/api/v1/auth/login", nil, map[string]any{"email": p.email, "password": "wrong password!"}), 401, "invalid_credentials")
		wantError(t, s.do(t, "POST", "/api/v1/auth/signup", nil, map[string]any{"email": p.email, "password": password, "real_name": p.name, "id_number": p.idNumber, "phone": p.phone}), 409, "email_taken")
	}
	ghost := keep(newPerson())
	wantError(t, s.do(t, "POST", "/api/v1/auth/login", nil, map[string]any{"email": ghost.email, "password": password}), 401, "invalid_credentials")
	wantError(t, s.do(t, "POST", "/api/v1/auth/signup", nil, map[string]any{"email": ghost.email, "password": "short", "real_name": ghost.name, "id_number": ghost.idNumber, "phone": ghost.phone}), 422, "weak_password")
	wantError(t, s.do(t, "POST", "/api/v1/auth/signup", nil, `{"email":"`+ghost.email+`","phone":"`+ghost.phone+`","nickname":"x"}`), 400, "invalid_request")
	wantError(t, s.do(t, "POST", "/api/v1/auth/signup", nil, `{"email":"`+ghost.email+`","phone":`+ghost.phone+`}`), 422, "invalid_field")
	wantError(t, s.do(t, "POST", "/api/v1/auth/signup", nil, `{"email":"`+ghost.email+`","phone":"`+ghost.phone), 400, "invalid_request")

	// The clerk's case, lot, priority holder and round, all through the API.
	applicant, debtor, holder, listed := keep(newPerson()), keep(newPerson()), keep(newPerson()), keep(newPerson())
	r := s.do(t, "POST", "/api/v1/cases", s.clerk, map[string]any{"case_number": "(2026)浙01执77号", "court_name": "杭州市中级人民法院",
		"applicants": []map[string]any{{"name": applicant.name, "id_number": applicant.idNumber, "claim": 100}},
		"debtors":    []map[string]any{{"name": debtor.name, "id_number": debtor.idNumber}}})
	wantStatus(t, r, 201)
	caseID := r.object(t)["id"].(string)
	r = s.do(t, "POST", "/api/v1/cases/"+caseID+"/lots", s.clerk, map[string]any{"title": "房产", "description": "住宅", "category": "real_estate", "appraisal_value": 100_000_000})
	wantStatus(t, r, 201)
	lotID := r.object(t)["id"].(string)
	wantStatus(t, s.do(t, "POST", "/api/v1/lots/"+lotID+"/priority-holders", s.clerk, map[string]any{"name": holder.name, "id_number": holder.idNumber, "rank": 1}), 201)
	wantStatus(t, s.do(t, "POST", "/api/v1/blacklist", s.clerk, map[string]any{"entries": []map[string]any{{"name": listed.name, "id_number": listed.idNumber, "case_number": "(2025)浙01执1号"}}}), 200)
	starts := s.now().Add(31 * oneDay)
	r = s.schedule(t, lotID, roundBody("first", 70_000_000, 100_000, 7_000_000, starts, starts.Add(oneDay)))
	wantStatus(t, r, 201)
	auctionID := r.object(t)["id"].(string)
	wantStatus(t, s.do(t, "POST", "/api/v1/auctions/"+auctionID+"/publish", s.clerk, map[string]any{}), 200)

	// Registration, deposits, bids, a refusal, the close and the money.
	for _, who := range tokens {
		r := s.do(t, "POST", "/api/v1/auctions/"+auctionID+"/registrations", who, map[string]any{})
		wantStatus(t, r, 201)
		depositID := r.object(t)["deposit"].(map[string]any)["id"].(string)
		wantStatus(t, s.do(t, "POST", "/api/v1/deposits/"+depositID+"/confirm", s.finance, map[string]any{"reference": "BANK-REF-" + depositID[:8]}), 200)
		wantStatus(t, s.do(t, "GET", "/api/v1/me/registrations", who, nil), 200)
	}
	s.setClock(t, starts)
	wantStatus(t, s.bid(t, tokens[0], auctionID, 70_000_000), 201)
	wantError(t, s.bid(t, tokens[0], auctionID, 70_100_000), 409, "already_leading")
	s.setClock(t, starts.Add(oneDay-time.Minute))
	wantStatus(t, s.bid(t, tokens[1], auctionID, 70_100_000), 201)
	s.setClock(t, starts.Add(oneDay+4*time.Minute))
	wantStatus(t, s.do(t, "GET", "/api/v1/auctions/"+auctionID+"/confirmation", nil, nil), 200)
	wantStatus(t, s.do(t, "GET", "/api/v1/auctions/"+auctionID+"/deposits", s.finance, nil), 200)
	wantStatus(t, s.do(t, "POST", "/api/v1/auctions/"+auctionID+"/balance-payments", s.finance, map[string]any{"amount": 70_100_000 - 7_000_000, "reference": "BALANCE"}), 201)
	wantStatus(t, s.do(t, "GET", "/api/v1/cases/"+caseID, s.clerk, nil), 200)
	wantStatus(t, s.do(t, "GET", "/api/v1/cases/"+caseID+"/proceeds", s.finance, nil), 200)
	wantStatus(t, s.do(t, "POST", "/api/v1/auth/logout", tokens[0], nil), 204)

	logs := s.logs.String()
	if strings.Count(logs, "\n") < 20 || !strings.Contains(logs, "request") {
		t.Fatalf("the server logged too little to judge:\n%s", logs)
	}
	for _, secret := range secrets {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs contain personal data or a secret %q", secret)
		}
	}
	if t.Failed() {
		t.Logf("logs:\n%s", logs)
	}
}
