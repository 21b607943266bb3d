package realname_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gavel/auction"
	"gavel/auction/realname"
)

// fakeProvider speaks the protocol of the package doc: it knows one person,
// checks the key, and answers broken for a name that asks it to.
func fakeProvider(t *testing.T) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/identity/verify" || r.URL.RawQuery != "" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer k-123" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var req struct {
			Name     string `json:"name"`
			IDType   string `json:"id_type"`
			IDNumber string `json:"id_number"`
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var body string
		switch {
		case req.Name == "broken":
			body = `{"result": "maybe"}`
		case req.Name == "slow down":
			w.WriteHeader(http.StatusTooManyRequests)
			return
		case req.IDNumber == "11010519491231002X" && req.IDType == "resident_id" && req.Name == "张三":
			body = `{"result": "match", "reference": "RN-0001"}`
		case req.IDNumber == "11010519491231002X":
			body = `{"result": "mismatch", "reference": "RN-0002"}`
		default:
			body = `{"result": "not_found", "reference": "RN-0003"}`
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
}

func TestProvider(t *testing.T) {
	t.Parallel()
	srv := fakeProvider(t)
	defer srv.Close()
	p := realname.New(realname.Config{BaseURL: srv.URL + "/", Key: "k-123"})
	ctx := context.Background()
	person := auction.Identity{Type: auction.IDResident, Number: "11010519491231002X"}
	ref, err := p.Verify(ctx, "张三", person)
	if err != nil || ref != "RN-0001" {
		t.Fatalf("match: %q %v", ref, err)
	}
	for name, id := range map[string]auction.Identity{"李四": person, "张三": {Type: auction.IDResident, Number: "110105198001010091"}} {
		_, err := p.Verify(ctx, name, id)
		if auction.ErrorCode(err) != auction.EInvalidField || !strings.Contains(err.Error(), "id_number") {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for _, name := range []string{"broken", "slow down"} {
		_, err := p.Verify(ctx, name, person)
		if err == nil || auction.ErrorCode(err) != auction.EInternal {
			t.Fatalf("%s: %v", name, err)
		}
	}
	wrongKey := realname.New(realname.Config{BaseURL: srv.URL, Key: "other"})
	if _, err := wrongKey.Verify(ctx, "张三", person); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong key: %v", err)
	}
}
