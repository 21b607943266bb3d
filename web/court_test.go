package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/postgres"
	"gavel/web"
)

// courtPost sends a court action with token and returns the status and the
// error code (empty on success) and the decoded body.
func (e *liveEnv) courtPost(t *testing.T, token, path, body string) (int, string, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	code := ""
	if e, ok := m["error"].(map[string]any); ok {
		code, _ = e["code"].(string)
	}
	return res.StatusCode, code, m
}

// TestCourtActionsOverHTTP: the court actions answer as API.md v1.2 says,
// their refusals included, and a watcher sees each event on the live feed.
func TestCourtActionsOverHTTP(t *testing.T) {
	t.Parallel()
	e := liveSetup(t, web.HubConfig{})
	clerk := e.token(t, e.clerk, postgres.TokenAPI)
	admin := e.token(t, e.user(t, auction.RoleAdmin), postgres.TokenAPI)
	finance := e.token(t, e.user(t, auction.RoleFinance), postgres.TokenAPI)
	a := e.bidding(t)
	b1 := e.bidder(t, a.ID)
	if st, _ := e.bidHTTP(t, b1, a.ID, a.StartPrice); st != http.StatusCreated {
		t.Fatalf("bid: %d", st)
	}
	watcher := liveDial(t, e.srv.URL, a.ID, e.seqOf(t, a.ID), nil)
	draft := e.draft(t)

	for _, tc := range []struct {
		name, token, path, body string
		status                  int
		code                    string
	}{
		{"a bidder may not suspend", b1.token, "auctions/" + a.ID + "/suspend", `{"reason":"x"}`, 403, "forbidden"},
		{"finance may not cancel", finance, "auctions/" + a.ID + "/cancel", `{"reason":"x"}`, 403, "forbidden"},
		{"no reason", clerk, "auctions/" + a.ID + "/suspend", `{}`, 422, "invalid_field"},
		{"no body", clerk, "auctions/" + a.ID + "/suspend", ``, 422, "invalid_field"},
		{"a blank reason", clerk, "auctions/" + a.ID + "/cancel", `{"reason":"   "}`, 422, "invalid_field"},
		{"a NUL in the reason", clerk, "auctions/" + a.ID + "/cancel", `{"reason":"a\u0000b"}`, 422, "invalid_field"},
		{"a reason that is not text", clerk, "auctions/" + a.ID + "/cancel", `{"reason":12}`, 422, "invalid_field"},
		{"an unknown field", clerk, "auctions/" + a.ID + "/cancel", `{"reason":"x","why":"y"}`, 400, "invalid_request"},
		{"12,000 characters", clerk, "auctions/" + a.ID + "/annul", `{"reason":"` + strings.Repeat("异", 12000) + `"}`, 422, "invalid_field"},
		{"annul while bidding", clerk, "auctions/" + a.ID + "/annul", `{"reason":"x"}`, 409, "invalid_state"},
		{"resume while bidding", clerk, "auctions/" + a.ID + "/resume", `{"ends_at":"2027-01-01T00:00:00Z"}`, 409, "invalid_state"},
		{"suspend a draft", clerk, "auctions/" + draft.ID + "/suspend", `{"reason":"x"}`, 409, "invalid_state"},
		{"an unknown auction", clerk, "auctions/00000000-0000-0000-0000-000000000000/cancel", `{"reason":"x"}`, 404, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, code, _ := e.courtPost(t, tc.token, tc.path, tc.body)
			if st != tc.status || code != tc.code {
				t.Fatalf("got %d %s, want %d %s", st, code, tc.status, tc.code)
			}
		})
	}
	watcher.quiet(100 * time.Millisecond)

	st, code, body := e.courtPost(t, clerk, "auctions/"+a.ID+"/suspend", `{"reason":"案外人异议"}`)
	if st != 200 || body["status"] != auction.StatusSuspended {
		t.Fatalf("suspend: %d %s %v", st, code, body)
	}
	if f := watcher.next(5 * time.Second); f.Type != auction.EventSuspended || frameData(t, f)["reason"] != "案外人异议" {
		t.Fatalf("the watcher got %+v", f)
	}
	st, bid := e.bidHTTP(t, b1, a.ID, a.StartPrice+a.Increment)
	if st != 409 || bid["error"].(map[string]any)["code"] != auction.EAuctionNotOpen || bid["auction"].(map[string]any)["status"] != auction.StatusSuspended {
		t.Fatalf("bid while suspended: %d %v", st, bid)
	}
	endsAt := e.clock.Now().Add(48 * time.Hour).Format(time.RFC3339)
	if st, code, body = e.courtPost(t, admin, "auctions/"+a.ID+"/resume", `{"ends_at":"`+endsAt+`"}`); st != 200 || body["status"] != auction.StatusBidding {
		t.Fatalf("resume: %d %s %v", st, code, body)
	}
	if f := watcher.next(5 * time.Second); f.Type != auction.EventResumed {
		t.Fatalf("the watcher got %+v", f)
	}
	if st, code, body = e.courtPost(t, clerk, "auctions/"+a.ID+"/cancel", `{"reason":"被执行人已履行"}`); st != 200 || body["status"] != auction.StatusCancelled {
		t.Fatalf("cancel: %d %s %v", st, code, body)
	}
	if f := watcher.next(5 * time.Second); f.Type != auction.EventCancelled || frameData(t, f)["reason"] != "被执行人已履行" {
		t.Fatalf("the watcher got %+v", f)
	}
	if st, code, _ = e.courtPost(t, clerk, "auctions/"+a.ID+"/suspend", `{"reason":"x"}`); st != 409 || code != auction.EInvalidState {
		t.Fatalf("suspend a cancelled auction: %d %s", st, code)
	}
}

// frameData decodes an event frame's data.
func frameData(t *testing.T, f liveFrame) map[string]any {
	t.Helper()
	var v struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(f.Raw, &v); err != nil {
		t.Fatal(err)
	}
	return v.Data
}
