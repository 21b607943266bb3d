package api_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"gavel/auction"
)

// A form failing several checks keeps API.md's error body exactly (code
// and message of the first problem) and lists every problem beside it in
// fields, for the round and the lot forms.
func TestErrorBodyListsEveryField(t *testing.T) {
	t.Parallel()
	e := newMoneyEnv(t, false)
	c := e.Case(1_000_000)
	lot := e.Car(c.ID, "车辆")
	for _, tc := range []struct {
		name, method, path, body string
		code, message            string
		fields                   []string
	}{
		{"round", "POST", "/api/v1/lots/" + lot.ID + "/auctions",
			`{"round":"first","start_price":1000,"increment":0,"deposit":1,"starts_at":"2027-01-01T00:00:00Z","ends_at":"2027-01-01T01:00:00Z"}`,
			auction.EInvalidField, "increment: must be a positive amount in fen", []string{"increment", "start_price", "deposit", "ends_at"}},
		{"lot", "POST", "/api/v1/cases/" + c.ID + "/lots", `{"title":" ","description":"x","category":"boat","appraisal_value":0}`,
			auction.EInvalidField, "title: is required", []string{"title", "category", "appraisal_value"}},
		{"lot edit", "PATCH", "/api/v1/lots/" + lot.ID, `{"title":" ","category":"boat","appraisal_value":-5}`,
			auction.EInvalidField, "title: must not be blank", []string{"title", "category", "appraisal_value"}},
	} {
		r := e.do(t, tc.method, tc.path, auction.RoleClerk, tc.body)
		var got struct {
			Error  map[string]any `json:"error"`
			Fields []struct{ Code, Field, Message string }
		}
		if err := json.Unmarshal(r.body, &got); err != nil || r.status != 422 {
			t.Fatalf("%s: %d %s", tc.name, r.status, r.body)
		}
		if len(got.Error) != 2 || got.Error["code"] != tc.code || got.Error["message"] != tc.message {
			t.Errorf("%s: error %v, want exactly code %s and message %q", tc.name, got.Error, tc.code, tc.message)
		}
		var fields []string
		for _, f := range got.Fields {
			fields = append(fields, f.Field)
			if f.Code == "" || f.Message == "" {
				t.Errorf("%s: field problem %+v", tc.name, f)
			}
		}
		if fmt.Sprint(fields) != fmt.Sprint(tc.fields) {
			t.Errorf("%s: fields %v, want %v (%s)", tc.name, fields, tc.fields, r.body)
		}
	}
}
