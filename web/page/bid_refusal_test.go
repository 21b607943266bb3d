package page_test

import (
	"encoding/json"
	"gavel/auction"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestBidRefusalsBeforeTheStoreCarryTheState: a bid refused for its key or
// its body, before the bid core sees it, carries the auction's state like
// every other bid refusal (API.md), and a missing key is refused first.
func TestBidRefusalsBeforeTheStoreCarryTheState(t *testing.T) {
	t.Parallel()
	w := pageSetup(t, "住宅")
	token, _, err := w.Store.CreateToken(w.Ctx, w.bidder.ID, auction.TokenAPI, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, key, body string
		status          int
		code            string
	}{
		{"no key and no body", "", "", http.StatusBadRequest, "idempotency_key_required"},
		{"no key, a bad body", "", "{", http.StatusBadRequest, "idempotency_key_required"},
		{"key over 100 characters", strings.Repeat("k", 101), `{"amount":70000000}`, http.StatusBadRequest, "idempotency_key_required"},
		{"malformed JSON", "k1", "{", http.StatusBadRequest, "invalid_request"},
		{"unknown field", "k2", `{"amount":70000000,"x":1}`, http.StatusBadRequest, "invalid_request"},
		{"no amount", "k3", `{}`, http.StatusUnprocessableEntity, "invalid_field"},
		{"amount as a string", "k4", `{"amount":"70000000"}`, http.StatusUnprocessableEntity, "invalid_field"},
	} {
		req, _ := http.NewRequest(http.MethodPost, w.srv.URL+"/api/v1/auctions/"+w.a.ID+"/bids", strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		if tc.key != "" {
			req.Header.Set("Idempotency-Key", tc.key)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error   struct{ Code string } `json:"error"`
			Auction *struct {
				Status string `json:"status"`
				Seq    *int64 `json:"seq"`
				EndsAt string `json:"ends_at"`
			} `json:"auction"`
		}
		err = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if err != nil || res.StatusCode != tc.status || body.Error.Code != tc.code {
			t.Errorf("%s: %d %+v (%v), want %d %s", tc.name, res.StatusCode, body, err, tc.status, tc.code)
			continue
		}
		if a := body.Auction; a == nil || a.Status != "announced" || a.Seq == nil || a.EndsAt == "" {
			t.Errorf("%s: refusal without the auction's state: %+v", tc.name, body.Auction)
		}
	}
}
