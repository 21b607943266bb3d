package web_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"gavel/web/api"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/http/httpguts"

	"gavel/auction"
)

// The fuzz targets run their seeds in every `go test`, a few seconds of
// fuzzing each in `make test` and minutes in `make fuzz`. Each fuzzing worker
// builds its own world (a fresh database).

// fuzzPost sends body to path as token with the given headers.
func (w *secWorld) fuzzPost(path, token string, body []byte, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	w.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// fuzzAnswer checks what every answer must be: never a server failure, and
// every refusal in the error shape with a code. It returns the code.
func fuzzAnswer(t *testing.T, rec *httptest.ResponseRecorder, allowed ...int) string {
	t.Helper()
	if rec.Code >= 500 || !secContainsInt(allowed, rec.Code) {
		t.Fatalf("status %d not in %v: %s", rec.Code, allowed, rec.Body)
	}
	if rec.Code < 300 {
		return ""
	}
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("refusal %d is not {\"error\":{\"code\",\"message\"}}: %s", rec.Code, rec.Body)
	}
	return e.Error.Code
}

func secContainsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// isJSONObject reports whether b is exactly one JSON object (what bind accepts).
func secIsJSONObject(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	var m map[string]json.RawMessage
	if dec.Decode(&m) != nil || m == nil {
		return false
	}
	_, err := dec.Token()
	return err != nil && err.Error() == "EOF"
}

func FuzzRegistrationJSON(f *testing.F) {
	for _, seed := range []string{``, `{}`, `{"declared_not_staff":true}`, `{"declared_not_staff":false}`, `{"declared_not_staff":"yes"}`,
		`{"declared_not_staff":null}`, `{"x":1}`, `[]`, `{} {}`, `{"declared_not_staff":true,"declared_not_staff":false}`, `nul`, "{\"a\":\"\x00\"}"} {
		f.Add([]byte(seed))
	}
	w := newSecWorld(f, false)
	fuzzer := w.person("Fuzz Registrant", "FUZZ-REG-1", "13700000001")
	token := w.token(fuzzer)
	path := "/api/v1/auctions/" + w.a.ID + "/registrations"
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := w.fuzzPost(path, token, body)
		code := fuzzAnswer(t, rec, 201, 400, 403, 409, 413, 422)
		trimmed := bytes.TrimSpace(body)
		switch {
		case len(trimmed) > 0 && !secIsJSONObject(trimmed) && rec.Code != 400:
			t.Fatalf("body %q is not one JSON object but got %d %s", body, rec.Code, code)
		case rec.Code == 201:
			var reg auction.Registration
			if err := json.Unmarshal(rec.Body.Bytes(), &reg); err != nil || reg.AuctionID != w.a.ID || reg.Deposit == nil {
				t.Fatalf("201 without a registration: %s", rec.Body)
			}
		case rec.Code == 403 && code != auction.EStaffCannotBid:
			t.Fatalf("403 %s", code)
		}
	})
}

// secBidRefusals carry the auction state beside the error.
var secBidRefusals = map[string]bool{
	auction.ENotQualified: true, auction.EBidderRestricted: true, auction.EAlreadyLeading: true,
	auction.EAuctionNotOpen: true, auction.EBidTooLow: true, auction.EBidNotOnIncrement: true,
}

func FuzzBidJSON(f *testing.F) {
	f.Add([]byte(`{"amount":70100000}`), "k1", false)
	f.Add([]byte(`{"amount":70200000}`), "k2", true)
	f.Add([]byte(`{"amount":70200000}`), "k2", true)
	f.Add([]byte(`{"amount":70250000}`), "k3", false)
	f.Add([]byte(`{"amount":-1}`), "k4", false)
	f.Add([]byte(`{"amount":9223372036854775807}`), "k5", false)
	f.Add([]byte(`{"amount":9223372036854775808}`), "k6", false)
	f.Add([]byte(`{"amount":1e3}`), "k7", false)
	f.Add([]byte(`{"amount":"70300000"}`), "k8", false)
	f.Add([]byte(`{"amount":null}`), "k9", false)
	f.Add([]byte(`{}`), "k10", false)
	f.Add([]byte(`{"amount":70300000,"amount":1}`), "k11", false)
	f.Add([]byte(`{"amount":70300000}`), "", false)
	f.Add([]byte(`{"amount":70300000}`), strings.Repeat("k", 101), false)
	f.Add([]byte(`{"amount":70300000}`), "\xff\xfe", false)
	f.Add([]byte(`{"amount":70300000}x`), "k12", false)
	f.Add([]byte(`{"amount":70300000,"extra":true}`), "k13", false)
	w := newSecWorld(f, false)
	tokens := []string{w.tokens[roleBidder], w.token(w.secrets[1])}
	path := "/api/v1/auctions/" + w.a.ID + "/bids"
	f.Fuzz(func(t *testing.T, body []byte, key string, other bool) {
		if !httpguts.ValidHeaderFieldValue(key) || strings.TrimSpace(key) != key {
			t.Skip("no HTTP client can send this header value")
		}
		token := tokens[0]
		if other {
			token = tokens[1]
		}
		rec := w.fuzzPost(path, token, body, "Idempotency-Key", key)
		code := fuzzAnswer(t, rec, 201, 400, 403, 409, 413, 422)
		object := secIsJSONObject(bytes.TrimSpace(body))
		if key == "" || utf8.RuneCountInString(key) > 100 {
			// Never placed. A well-formed bid is refused for its key; when the
			// body is wrong too, either refusal may come first.
			// Well formed: one object whose only key is exactly "amount"
			// (keys are case-sensitive), an int64.
			var keys map[string]json.RawMessage
			var amount *int64
			wellFormed := object && json.Unmarshal(body, &keys) == nil && len(keys) == 1 && keys["amount"] != nil &&
				json.Unmarshal(keys["amount"], &amount) == nil && amount != nil
			if rec.Code == 201 || (wellFormed && code != auction.EIdempotencyRequired) {
				t.Fatalf("key %q, body %q: %d %s, want idempotency_key_required", key, body, rec.Code, code)
			}
			return
		}
		if !object && rec.Code != 400 {
			t.Fatalf("body %q is not one JSON object but got %d %s", body, rec.Code, code)
		}
		var answer struct {
			Bid     *auction.Bid   `json:"bid"`
			Auction *auction.State `json:"auction"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
			t.Fatalf("answer is not JSON: %s", rec.Body)
		}
		if secBidRefusals[code] && answer.Auction == nil {
			t.Fatalf("refusal %s without the auction state: %s", code, rec.Body)
		}
		if rec.Code == 201 {
			if answer.Bid == nil || answer.Auction == nil || answer.Bid.Amount < w.a.StartPrice || (answer.Bid.Amount-w.a.StartPrice)%w.a.Increment != 0 {
				t.Fatalf("accepted a bid off the rules: %s", rec.Body)
			}
			var req struct{ Amount int64 }
			if json.Unmarshal(body, &req) == nil && req.Amount != answer.Bid.Amount {
				// A replay of an earlier key answers the first bid, which
				// had the same body; anything else is a mismatch.
				t.Fatalf("sent %d, placed %d", req.Amount, answer.Bid.Amount)
			}
		}
	})
}

func FuzzBlacklistCSV(f *testing.F) {
	for _, seed := range []string{
		"name,id_number,case_number\n张三,110101199001011234,(2024)京0101执123号\n",
		"id_number,case_number,name\r\nA1,C1,Li Si\r\n",
		"name,id_number,case_number\n\"Wang, Wu\",\"ID\"\"1\",C\n",
		"name,id_number\nx,y\n",
		"name,id_number,case_number\nx,y\n",
		"",
		"\ufeffname,id_number,case_number\nx,y,z\n",
		"name,id_number,case_number\n\"unterminated\n",
		"name,id_number,case_number,extra\na,b,c,d\n",
		"name,id_number,case_number\na\x00,b,c\n",
		"name,id_number,case_number\n\xff,b,c\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := api.ParseBlacklistCSV(bytes.NewReader(data))
		if err != nil {
			var de *auction.Error
			if !errors.As(err, &de) || de.Code != auction.EInvalidRequest {
				t.Fatalf("parse error is not invalid_request: %v", err)
			}
			return
		}
		if n := bytes.Count(data, []byte("\n")) + 1; len(entries) > n {
			t.Fatalf("%d entries from %d lines", len(entries), n)
		}
		// What was parsed survives a round trip through a CSV writer.
		var buf bytes.Buffer
		cw := csv.NewWriter(&buf)
		_ = cw.Write([]string{"name", "id_number", "case_number"})
		for _, e := range entries {
			_ = cw.Write([]string{e.Name, e.IDNumber, e.CaseNumber})
		}
		cw.Flush()
		again, err := api.ParseBlacklistCSV(&buf)
		if err != nil {
			t.Fatalf("re-encoded list does not parse: %v", err)
		}
		if len(again) == 0 && len(entries) == 0 {
			return
		}
		if !reflect.DeepEqual(secNormalize(again), secNormalize(entries)) {
			t.Fatalf("round trip changed the list:\n%q\n%q", entries, again)
		}
	})
}

// normalize maps line endings the way encoding/csv does inside quoted fields.
func secNormalize(es []auction.BlacklistEntry) []auction.BlacklistEntry {
	out := make([]auction.BlacklistEntry, len(es))
	fix := strings.NewReplacer("\r\n", "\n", "\r", "\n")
	for i, e := range es {
		out[i] = auction.BlacklistEntry{Name: fix.Replace(e.Name), IDNumber: fix.Replace(e.IDNumber), CaseNumber: fix.Replace(e.CaseNumber)}
	}
	return out
}

// FuzzBlacklistImport sends CSV through the route into the database: whatever
// a clerk uploads is imported or refused, never a server failure.
func FuzzBlacklistImport(f *testing.F) {
	for _, seed := range []string{
		"name,id_number,case_number\n张三,110101199001011234,(2024)京0101执123号\n",
		"name,id_number,case_number\na\x00,b,c\n",
		"name,id_number,case_number\n\xff,b,c\n",
		"name,id_number,case_number\n,b,c\n",
		"name,id_number,case_number\n" + strings.Repeat("x", 5000) + ",b,c\n",
	} {
		f.Add([]byte(seed))
	}
	w := newSecWorld(f, false)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/blacklist", bytes.NewReader(data))
		req.Header.Set("Content-Type", "text/csv")
		req.Header.Set("Authorization", "Bearer "+w.tokens[roleClerk])
		rec := httptest.NewRecorder()
		w.srv.Handler().ServeHTTP(rec, req)
		fuzzAnswer(t, rec, 200, 400, 413, 422)
	})
}
