package live_test

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"gavel/auction"
	"gavel/web/live"
)

// TestResultsBoardPrivacy: the public results carry the winner's bidder
// code and nothing that names them, and exactly the documented fields.
func TestResultsBoardPrivacy(t *testing.T) {
	t.Parallel()
	e := liveSetup(t, live.HubConfig{})
	a := e.Bidding("住宅")
	winner := e.bidder(a.ID)
	if st, _ := e.bidHTTP(t, winner, a.ID, a.StartPrice); st != http.StatusCreated {
		t.Fatalf("bid: %d", st)
	}
	e.Clock.Set(a.EndsAt)
	if _, err := e.Store.Tick(e.Ctx); err != nil {
		t.Fatal(err)
	}
	u, err := e.Store.User(e.Ctx, winner.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(e.srv.URL + "/api/v1/results?court=" + "第一中级" + "&from=2026-01-01&limit=10")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, raw)
	}
	for _, secret := range []string{u.ID, u.Email, u.RealName, u.IDNumber, u.Phone} {
		if secret != "" && strings.Contains(string(raw), secret) {
			t.Fatalf("the results board shows %q: %s", secret, raw)
		}
	}
	var body struct {
		Results []map[string]any `json:"results"`
		More    bool             `json:"more"`
	}
	if err := json.Unmarshal(raw, &body); err != nil || len(body.Results) != 1 {
		t.Fatalf("%s %v", raw, err)
	}
	r := body.Results[0]
	if r["winner_code"] != winner.code || r["outcome"] != "sold" || r["status"] != auction.StatusSold {
		t.Fatalf("result %v", r)
	}
	var keys []string
	for k := range r {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := "auction_id bid_count case_number category closed_at court_name hammer_price lot_id outcome round start_price status title winner_code"
	if got := strings.Join(keys, " "); got != want {
		t.Fatalf("fields %s, want %s", got, want)
	}
	// A NUL or invalid UTF-8 in a query meets the one text rule of every
	// request (web/request): 422 invalid_field naming it, never a 500.
	for _, q := range []string{"court=%00", "court=%FF%FE"} {
		res, err := http.Get(e.srv.URL + "/api/v1/results?" + q)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "court: ") {
			t.Fatalf("%s: %d %s", q, res.StatusCode, body)
		}
	}
	for _, q := range []string{"from=yesterday", "to=2026-13-01", "limit=0", "limit=501", "offset=-1", "from=%00"} {
		res, err := http.Get(e.srv.URL + "/api/v1/results?" + q)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d", q, res.StatusCode)
		}
	}
}

// TestCaseListOverHTTP: the clerks' case list pages through every case and
// refuses a bad page.
func TestCaseListOverHTTP(t *testing.T) {
	t.Parallel()
	e := liveSetup(t, live.HubConfig{})
	for range 3 {
		e.Drafted("住宅")
	}
	token := e.Token(e.Clerk, "api", time.Hour)
	get := func(q string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/cases?"+q, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}
	st, m := get("limit=2&court=第一中级")
	if st != 200 || len(m["cases"].([]any)) != 2 || m["more"] != true {
		t.Fatalf("first page: %d %v", st, m)
	}
	st, m = get("limit=2&offset=2&court=第一中级")
	if st != 200 || len(m["cases"].([]any)) != 1 || m["more"] != false {
		t.Fatalf("second page: %d %v", st, m)
	}
	for _, q := range []string{"limit=0", "limit=501", "offset=-1", "limit=x"} {
		if st, _ := get(q); st != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d", q, st)
		}
	}
}
