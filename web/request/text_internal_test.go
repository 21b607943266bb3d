package request

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"gavel/auction"
)

// textDest has the kinds of text field a request holds: single-line with a
// name of its own bound, prose, nested in lists and maps.
type textDest struct {
	CaseNumber  string            `json:"case_number"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Parties     []textParty       `json:"parties"`
	Extra       map[string]string `json:"extra"`
	IDNumber    string            `json:"id_number"`
}

type textParty struct {
	Name string `json:"name"`
}

// TestBindTextRule: every text field of every request is valid UTF-8,
// without NUL or control characters (line breaks only in prose), and
// bounded; each refusal is invalid_field naming the field, by its path.
func TestBindTextRule(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, field string
	}{
		{"plain", `{"case_number":"(2026)沪01执1号","title":"住宅 ＡＢＣ","description":"第一行\n第二行\t完"}`, ""},
		{"NUL", `{"title":"a\u0000b"}`, "title"},
		{"escape", `{"title":"a\u001b[31mred"}`, "title"},
		{"DEL", `{"title":"a\u007fb"}`, "title"},
		{"C1 control", `{"title":"a\u0085b"}`, "title"},
		{"line break in a single-line field", `{"title":"a\nb"}`, "title"},
		{"invalid UTF-8", "{\"title\":\"a\xffb\"}", "title"},
		{"a lone surrogate", `{"title":"a\ud800b"}`, "title"},
		{"12,000-character case number", `{"case_number":"` + strings.Repeat("9", 12000) + `"}`, "case_number"},
		{"case number at its bound", `{"case_number":"` + strings.Repeat("号", 100) + `"}`, ""},
		{"case number past its bound", `{"case_number":"` + strings.Repeat("号", 101) + `"}`, "case_number"},
		{"title past the single-line bound", `{"title":"` + strings.Repeat("x", 501) + `"}`, "title"},
		{"prose past its bound", `{"description":"` + strings.Repeat("x", 20001) + `"}`, "description"},
		{"nested", `{"parties":[{"name":"ok"},{"name":"a\u0000"}]}`, "parties[1].name"},
		{"map value", `{"extra":{"k":"a\u0001"}}`, "extra.k"},
		{"map key", `{"extra":{"k\u0000":"v"}}`, "extra"},
		{"an id_number among pasted white space", `{"id_number":"\t11010519491231002x\r\n"}`, ""},
		{"a line break inside an id_number", `{"id_number":"1101051949\n1231002X"}`, "id_number"},
		{"a NUL after an id_number", `{"id_number":"11010519491231002X\u0000"}`, "id_number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v textDest
			err := bindBody(tc.body, &v)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if auction.ErrorCode(err) != auction.EInvalidField || !strings.HasPrefix(err.(*auction.Error).Message, tc.field+": ") {
				t.Fatalf("err %v, want invalid_field naming %s", err, tc.field)
			}
		})
	}
}

// TestCheckParams: query and path parameters meet the same rule before any
// handler: a NUL in ?q= is invalid_field naming it, a path id that cannot
// be one is not_found.
func TestCheckParams(t *testing.T) {
	t.Parallel()
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		code := http.StatusInternalServerError
		switch auction.ErrorCode(err) {
		case auction.EInvalidField:
			code = http.StatusUnprocessableEntity
		case auction.ENotFound:
			code = http.StatusNotFound
		}
		_ = c.String(code, err.Error())
	}
	e.Use(CheckParams)
	e.GET("/things/:id", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	for _, tc := range []struct {
		target string
		status int
		says   string
	}{
		{"/things/abc?q=%E4%BD%8F%E5%AE%85", 200, ""},
		{"/things/abc?q=a%00b", 422, "q: "},
		{"/things/abc?q=a%FFb", 422, "q: "},
		{"/things/abc?q=" + strings.Repeat("x", 501), 422, "q: "},
		{"/things/abc?a%00=1", 422, "query: "},
		{"/things/a%00b", 404, "not_found"},
		{"/things/a%FFb", 404, "not_found"},
		{"/things/" + strings.Repeat("x", 501), 404, "not_found"},
	} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.target, nil))
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.says) {
			t.Errorf("%.60s: %d %s", tc.target, rec.Code, rec.Body)
		}
	}
}
