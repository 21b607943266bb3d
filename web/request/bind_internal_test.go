package request

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
)

// bindBody runs bind on body as a request would.
func bindBody(body string, v any, optional ...bool) error {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	rec := httptest.NewRecorder()
	req.Body = http.MaxBytesReader(rec, req.Body, MaxBody)
	return Bind(echo.New().NewContext(req, rec), v, optional...)
}

// BenchmarkBindBid is bind on the hot path: every bid decodes this body.
func BenchmarkBindBid(b *testing.B) {
	body := strings.NewReader("")
	req := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(body))
	c := echo.New().NewContext(req, nil)
	b.ReportAllocs()
	for b.Loop() {
		body.Reset(`{"amount":70100000}`)
		var v struct {
			Amount *int64 `json:"amount"`
		}
		if err := Bind(c, &v); err != nil || v.Amount == nil {
			b.Fatal(err)
		}
	}
}

type bindBase struct {
	ID string `json:"id"`
}

type bindItem struct {
	At   time.Time `json:"at"`
	Name string    `json:"name"`
}

type bindNode struct {
	Name string     `json:"name"`
	Kids []bindNode `json:"kids"`
}

// bindDest has every kind of field bind must follow: promoted, nested in
// slices, maps and pointers, recursive, and fields that take any keys.
type bindDest struct {
	bindBase
	Items  []bindItem          `json:"items"`
	ByKey  map[string]bindItem `json:"by_key"`
	Ptr    *bindItem           `json:"ptr"`
	When   *time.Time          `json:"when"`
	Tree   *bindNode           `json:"tree"`
	Free   map[string]any      `json:"free"`
	Raw    json.RawMessage     `json:"raw"`
	Any    any                 `json:"any"`
	NoTag  string
	Skip   string `json:"-"`
	Dash   string `json:"-,"`
	hidden string
}

// bind matches keys exactly, at every depth, and leaves alone the values
// that take any keys.
func TestBindExactKeys(t *testing.T) {
	t.Parallel()
	var ok bindDest
	err := bindBody(`{"id":"x","items":[{"at":"2026-03-01T02:00:00Z","name":"a"}],"by_key":{"Any Key":{"name":"b"}},"ptr":{"name":"c"},
		"when":null,"tree":{"kids":[{"name":"d","kids":[]}]},"free":{"WHATEVER":{"Deep":[1,{"X":2}]}},"raw":{"Foo":1},"any":{"Bar":[{"Baz":true}]},
		"NoTag":"n","-":"dash","\u006eame":null}`, &ok)
	if err == nil {
		t.Fatal(`"name" is not a field of the body itself, even escaped`)
	}
	err = bindBody(`{"\u0069d":"x","items":[{"at":"2026-03-01T02:00:00Z","name":"a"}],"by_key":{"Any Key":{"name":"b"}},"ptr":{"name":"c"},
		"when":null,"tree":{"kids":[{"name":"d","kids":[]}]},"free":{"WHATEVER":{"Deep":[1,{"X":2}]}},"raw":{"Foo":1},"any":{"Bar":[{"Baz":true}]},
		"NoTag":"n","-":"dash"}`, &ok)
	if err != nil || ok.ID != "x" || ok.Items[0].Name != "a" || ok.ByKey["Any Key"].Name != "b" || ok.Ptr.Name != "c" || ok.Tree.Kids[0].Name != "d" ||
		ok.NoTag != "n" || ok.Dash != "dash" || string(ok.Raw) != `{"Foo":1}` {
		t.Fatalf("exact keys: %v %+v", err, ok)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"ID":"x"}`, `unknown field "ID" (keys are case-sensitive: "id")`},
		{`{"items":[{"name":"a"},{"Name":"b"}]}`, `unknown field "Name" in items[1] (keys are case-sensitive: "name")`},
		{`{"by_key":{"k":{"NAME":"b"}}}`, `unknown field "NAME" in by_key.k`},
		{`{"ptr":{"At":"2026-03-01T02:00:00Z"}}`, `unknown field "At" in ptr`},
		{`{"tree":{"kids":[{"kids":[{"Name":"x"}]}]}}`, `unknown field "Name" in tree.kids[0].kids[0]`},
		{`{"notag":"n"}`, `unknown field "notag" (keys are case-sensitive: "NoTag")`},
		{`{"Skip":"x"}`, `unknown field "Skip"`},
		{`{"hidden":"x"}`, `unknown field "hidden"`},
		{`{"bindBase":{"id":"x"}}`, `unknown field "bindBase"`},
	} {
		var v bindDest
		err := bindBody(tc.body, &v)
		if auction.ErrorCode(err) != auction.EInvalidRequest || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want invalid_request %s", tc.body, err, tc.want)
		}
	}
}

// A time that does not parse is a field error naming the field, wherever it is.
func TestBindTimeField(t *testing.T) {
	t.Parallel()
	const rfc = ": must be an RFC 3339 time such as 2026-03-01T02:00:00Z"
	for _, tc := range []struct{ body, field string }{
		{`{"when":"tomorrow"}`, "when"},
		{`{"when":12345}`, "when"},
		{`{"when":"2026-03-01"}`, "when"},
		{`{"items":[{"at":"2026-03-01T02:00:00Z"},{"at":"nope"}]}`, "items[1].at"},
		{`{"by_key":{"k":{"at":[]}}}`, "by_key.k.at"},
		{`{"ptr":{"name":"a","at":false}}`, "ptr.at"},
	} {
		var v bindDest
		err := bindBody(tc.body, &v)
		if auction.ErrorCode(err) != auction.EInvalidField || !strings.Contains(err.Error(), tc.field+rfc) {
			t.Errorf("%s: %v, want invalid_field %s%s", tc.body, err, tc.field, rfc)
		}
	}
	var v bindDest
	if err := bindBody(`{"when":"2026-03-01T10:00:00+08:00","items":[{"at":null}]}`, &v); err != nil || !v.When.Equal(time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)) {
		t.Fatalf("good times: %v %v", err, v.When)
	}
}

// What bind refused before it still refuses, the same way.
func TestBindRefusals(t *testing.T) {
	t.Parallel()
	var opt struct {
		Flag *bool `json:"flag"`
	}
	if err := bindBody(" \n", &opt, true); err != nil {
		t.Fatalf("empty optional body: %v", err)
	}
	deep := `{"any":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`
	for _, tc := range []struct {
		body string
		code string
	}{
		{``, auction.EInvalidRequest},
		{`[]`, auction.EInvalidRequest},
		{`nul`, auction.EInvalidRequest},
		{`{"NoTag":"a"} {}`, auction.EInvalidRequest},
		{`{"NoTag":"a"}x`, auction.EInvalidRequest},
		{`{"NoTag":"a",}`, auction.EInvalidRequest},
		{`{"NoTag":"a"`, auction.EInvalidRequest},
		{`{"extra":1}`, auction.EInvalidRequest},
		{deep, auction.EInvalidRequest},
		{`{"NoTag":5}`, auction.EInvalidField},
		{`{"NoTag":"a\u0000"}`, auction.EInvalidField},
	} {
		var v bindDest
		if err := bindBody(tc.body, &v); auction.ErrorCode(err) != tc.code {
			t.Errorf("%.40s: %v, want %s", tc.body, err, tc.code)
		}
	}
	var v bindDest
	err := bindBody(`{"NoTag":"`+strings.Repeat("x", MaxBody)+`"}`, &v)
	var he *echo.HTTPError
	if !errors.As(err, &he) || he.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("body over 1 MiB: %v", err)
	}
}

// refKeys is checkKeys' answer worked out the slow way, from the decoded
// tree: whether some key is not exactly a field's, and whether some time does
// not parse.
func refKeys(v any, sh *shape) (unknown, badTime bool) {
	switch sh.kind {
	case shapeTime:
		b, _ := json.Marshal(v)
		var t time.Time
		return false, t.UnmarshalJSON(b) != nil
	case shapeStruct, shapeMap:
		m, ok := v.(map[string]any)
		if !ok {
			return false, false
		}
		for k, x := range m {
			next := sh.elem
			if sh.kind == shapeStruct {
				f, ok := sh.fields[k]
				if !ok {
					unknown = true
					continue
				}
				next = f.shape
			}
			u, b := refKeys(x, next)
			unknown, badTime = unknown || u, badTime || b
		}
	case shapeList:
		l, _ := v.([]any)
		for _, x := range l {
			u, b := refKeys(x, sh.elem)
			unknown, badTime = unknown || u, badTime || b
		}
	}
	return unknown, badTime
}

// The key scanner agrees with decoding on every well-formed body, and never
// fails on any other.
func FuzzCheckKeys(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"":""}`, `{"id":"x"}`, `{"ID":"x"}`, `{"\u0069d":"x"}`, `{"i\"d":1}`, `{"items":[{"at":"2026-03-01T02:00:00Z"},{"at":"x"}]}`,
		`{"by_key":{"a":{"name":"b","at":null}},"free":{"X":[{"Y":"}"}]}}`, `{"tree":{"kids":[{"kids":[{"Name":1}]}]}}`,
		`{"when":"2026-03-01T02:00:00Z","any":[1,-2.5e3,true,false,null,"a\\b\"c"]}`, `{"raw":{"Q":[]},"NoTag":"\u00e9"}`,
		`{"id":`, `{"id" "x"}`, `{,}`, `{"items":[,]}`, `{"items":[{"name":"a"}}`, `]`, `{"a":1}}`, `{"when":"2026`, `{"NoTag":"x"` + "\xff" + `"}`,
	} {
		f.Add([]byte(seed))
	}
	sh := shapeOf(reflect.TypeFor[bindDest]())
	f.Fuzz(func(t *testing.T, data []byte) {
		p := checkKeys(data, sh)
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var tree any
		if dec.Decode(&tree) != nil {
			return
		}
		if _, ok := tree.(map[string]any); !ok {
			return
		}
		unknown, badTime := refKeys(tree, sh)
		if p.unknown != unknown {
			t.Fatalf("%q: unknown key %v %q, the decoded tree says %v", data, p.unknown, p.key, unknown)
		}
		if !unknown && (p.badTime != "") != badTime {
			t.Fatalf("%q: bad time %q, the decoded tree says %v", data, p.badTime, badTime)
		}
	})
}
