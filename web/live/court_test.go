package live_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"gavel/auction"
	"gavel/web/live"
)

// courtPost sends a court action with token and returns the status and the
// error code (empty on success) and the decoded body.
func (e *liveEnv) courtPost(t *testing.T, token, path, body string) (int, string, map[string]any) {
	t.Helper()
	return e.courtCall(t, http.MethodPost, token, path, body)
}

// courtCall sends any method; a 204 answers an empty map.
func (e *liveEnv) courtCall(t *testing.T, method, token, path, body string) (int, string, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+"/api/v1/"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	m := map[string]any{}
	if res.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
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
	e := liveSetup(t, live.HubConfig{})
	clerk := e.Token(e.Clerk, auction.TokenAPI, time.Hour)
	admin := e.Token(e.User(auction.RoleAdmin, ""), auction.TokenAPI, time.Hour)
	finance := e.Token(e.User(auction.RoleFinance, ""), auction.TokenAPI, time.Hour)
	a := e.Bidding("住宅")
	b1 := e.bidder(a.ID)
	if st, _ := e.bidHTTP(t, b1, a.ID, a.StartPrice); st != http.StatusCreated {
		t.Fatalf("bid: %d", st)
	}
	watcher := liveDial(t, e.srv.URL, a.ID, e.seqOf(t, a.ID), nil)
	draft := e.Drafted("住宅")

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
	endsAt := e.Clock.Now().Add(48 * time.Hour).Format(time.RFC3339)
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

// TestCorrectionsOverHTTP: drafts and unpublished lots are edited and
// deleted; a published lot is corrected in public, watchers see it, and
// its price cannot be corrected.
func TestCorrectionsOverHTTP(t *testing.T) {
	t.Parallel()
	e := liveSetup(t, live.HubConfig{})
	clerk := e.Token(e.Clerk, auction.TokenAPI, time.Hour)
	bidder := e.Token(e.User(auction.RoleBidder, ""), auction.TokenAPI, time.Hour)
	draft := e.Drafted("住宅")
	body := `{"round":"first","start_price":80000000,"increment":100000,"deposit":8000000,"starts_at":"` +
		draft.StartsAt.Format(time.RFC3339) + `","ends_at":"` + draft.EndsAt.Format(time.RFC3339) + `"}`
	if st, code, m := e.courtCall(t, http.MethodPut, bidder, "auctions/"+draft.ID, body); st != 403 {
		t.Fatalf("a bidder edits a draft: %d %s %v", st, code, m)
	}
	if st, code, m := e.courtCall(t, http.MethodPut, clerk, "auctions/"+draft.ID, body); st != 200 || m["start_price"] != float64(80000000) {
		t.Fatalf("edit a draft: %d %s %v", st, code, m)
	}
	if st, code, m := e.courtCall(t, http.MethodPatch, clerk, "lots/"+draft.LotID, `{"title":"住宅（更正前）"}`); st != 200 || m["title"] != "住宅（更正前）" {
		t.Fatalf("edit a lot: %d %s %v", st, code, m)
	}
	if st, code, _ := e.courtPost(t, clerk, "lots/"+draft.LotID+"/corrections", `{"reason":"x","title":"y"}`); st != 409 || code != "invalid_state" {
		t.Fatalf("correct an unpublished lot: %d %s", st, code)
	}
	e.Publish(draft)
	watcher := liveDial(t, e.srv.URL, draft.ID, 0, nil)
	for _, tc := range []struct{ method, path, body, code string }{
		{http.MethodPut, "auctions/" + draft.ID, body, "invalid_state"},
		{http.MethodDelete, "auctions/" + draft.ID, "", "invalid_state"},
		{http.MethodPatch, "lots/" + draft.LotID, `{"title":"z"}`, "invalid_state"},
		{http.MethodDelete, "lots/" + draft.LotID, "", "invalid_state"},
		{http.MethodPost, "lots/" + draft.LotID + "/corrections", `{"reason":"price","start_price":1}`, "invalid_request"},
		{http.MethodPost, "lots/" + draft.LotID + "/corrections", `{"title":"no reason"}`, "invalid_field"},
	} {
		if _, code, _ := e.courtCall(t, tc.method, clerk, tc.path, tc.body); code != tc.code {
			t.Fatalf("%s %s after publication: %s, want %s", tc.method, tc.path, code, tc.code)
		}
	}
	st, code, m := e.courtPost(t, clerk, "lots/"+draft.LotID+"/corrections", `{"reason":"标题笔误","title":"住宅"}`)
	if st != 201 || m["version"] != float64(1) {
		t.Fatalf("correct: %d %s %v", st, code, m)
	}
	if f := watcher.next(5 * time.Second); f.Type != auction.EventCorrected || frameData(t, f)["reason"] != "标题笔误" {
		t.Fatalf("the watcher got %+v", f)
	}
	res, err := http.Get(e.srv.URL + "/api/v1/lots/" + draft.LotID + "/corrections")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var list struct {
		Corrections []auction.Correction `json:"corrections"`
	}
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil || len(list.Corrections) != 1 || list.Corrections[0].Changes[0].Old != "住宅（更正前）" {
		t.Fatalf("public corrections: %+v %v", list, err)
	}
	// A lot never published is deleted with its draft.
	other := e.Drafted("住宅")
	if st, code, _ := e.courtCall(t, http.MethodDelete, clerk, "lots/"+other.LotID, ""); st != 204 {
		t.Fatalf("delete a lot: %d %s", st, code)
	}
	if st, code, _ := e.courtCall(t, http.MethodDelete, clerk, "auctions/"+other.ID, ""); st != 404 {
		t.Fatalf("delete a deleted draft: %d %s", st, code)
	}
}

// TestLotImportOverHTTP: a good file imports every lot; a file with
// problems in several rows imports none and lists them all.
func TestLotImportOverHTTP(t *testing.T) {
	t.Parallel()
	e := liveSetup(t, live.HubConfig{})
	clerk := e.Token(e.Clerk, auction.TokenAPI, time.Hour)
	draft := e.Drafted("住宅")
	post := func(file, contentType string) (int, map[string]any) {
		body, err := os.ReadFile("../api/testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/cases/"+draft.CaseID+"/lots/import", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+clerk)
		req.Header.Set("Content-Type", contentType)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		m := map[string]any{}
		_ = json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}
	lots := func() int {
		c, err := e.Store.Case(e.Ctx, draft.CaseID)
		if err != nil {
			t.Fatal(err)
		}
		return len(c.Lots)
	}
	if st, m := post("lots_good.csv", "application/json"); st != 400 {
		t.Fatalf("JSON: %d %v", st, m)
	}
	st, m := post("lots_bad.csv", "text/csv; charset=utf-8")
	if st != 422 || len(m["problems"].([]any)) != 6 || m["error"].(map[string]any)["code"] != "invalid_field" || lots() != 1 {
		t.Fatalf("bad file: %d %v, %d lots", st, m, lots())
	}
	st, m = post("lots_good.csv", "text/csv")
	if st != 201 || m["imported"] != float64(3) || lots() != 4 {
		t.Fatalf("good file: %d %v, %d lots", st, m, lots())
	}
	if first := m["lots"].([]any)[0].(map[string]any); first["category"] != "real_estate" || first["appraisal_value"] != float64(500_000_000) {
		t.Fatalf("first lot %v", first)
	}
}
