package web

import (
	"context"
	"fmt"
	noticepg "gavel/auction/notice/postgres"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"go.yaml.in/yaml/v3"

	"gavel/auction"
	"gavel/auction/casereport"
	"gavel/auction/postgres"
	"gavel/migrations/dbtest"
	"gavel/payments"
	"gavel/web/api"
	"gavel/web/live"
	"gavel/web/request"
)

// The OpenAPI document is the machine-readable form of the API contract; these
// tests keep it honest against the router and the Go types, so a route or a
// field added without documenting it fails the build rather than surprising a
// client.

// openapiDoc is the parsed document with a resolver for local $refs.
type openapiDoc struct {
	raw  []byte
	root map[string]any
}

func loadOpenAPI(t *testing.T) *openapiDoc {
	t.Helper()
	raw, err := openapi.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatalf("read embedded openapi.yaml: %v", err)
	}
	var root map[string]any
	if err := yaml.Unmarshal(raw, &root); err != nil {
		t.Fatalf("openapi.yaml is not valid YAML: %v", err)
	}
	if root == nil {
		t.Fatal("openapi.yaml is empty")
	}
	return &openapiDoc{raw: raw, root: root}
}

// resolve follows a local JSON pointer such as "#/components/schemas/Auction".
func (d *openapiDoc) resolve(ref string) (any, error) {
	ptr, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("only local references are used, got %q", ref)
	}
	var cur any = d.root
	for _, tok := range strings.Split(ptr, "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: %q is not inside an object", ref, tok)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("%s: no %q", ref, tok)
		}
	}
	return cur, nil
}

// deref returns v, or what it refers to when it is a {$ref} object.
func (d *openapiDoc) deref(t *testing.T, v any) map[string]any {
	t.Helper()
	for range 10 {
		m, _ := v.(map[string]any)
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		var err error
		if v, err = d.resolve(ref); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("$ref chain too long")
	return nil
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// operation is one documented method of one path.
type operation struct {
	path, method string
	item         map[string]any
	op           map[string]any
}

func (o operation) String() string { return strings.ToUpper(o.method) + " " + o.path }

func (d *openapiDoc) operations(t *testing.T) []operation {
	t.Helper()
	paths, ok := d.root["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		t.Fatal("openapi.yaml has no paths")
	}
	var ops []operation
	for p, item := range paths {
		pm, ok := item.(map[string]any)
		if !ok {
			t.Fatalf("path %s is not an object", p)
		}
		for _, m := range httpMethods {
			if op, ok := pm[m].(map[string]any); ok {
				ops = append(ops, operation{path: p, method: m, item: pm, op: op})
			}
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].String() < ops[j].String() })
	return ops
}

// newRouter builds the server the way `gavel serve --test-clock` does, so that
// every route, the test clock's included, is registered.
func newRouter(t *testing.T) *echo.Echo {
	t.Helper()
	ctx := context.Background()
	pool, _ := dbtest.Pool(t)
	clock, err := postgres.NewTestClock(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	store := postgres.New(postgres.Config{Pool: pool, Clock: clock, Rulebook: auction.SPC2016})
	srv := New(Config{Store: store, Log: slog.New(slog.DiscardHandler), TestClock: clock, Notices: noticepg.New(pool, clock)})
	return srv.Echo()
}

var echoParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// apiRoutes lists "METHOD /path" for every route under /api/v1, in OpenAPI's
// spelling ({id} for :id) and relative to the document's server URL.
func apiRoutes(e *echo.Echo) map[string]bool {
	out := map[string]bool{}
	for _, r := range e.Routes() {
		if r.Method == echo.RouteNotFound {
			continue // group catch-alls that only exist to run middleware on 404s
		}
		p, ok := strings.CutPrefix(r.Path, "/api/v1")
		if !ok || !strings.HasPrefix(p, "/") {
			continue
		}
		out[r.Method+" "+echoParam.ReplaceAllString(p, "{$1}")] = true
	}
	return out
}

func TestOpenAPI(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	ops := doc.operations(t)

	t.Run("is OpenAPI 3.1", func(t *testing.T) {
		v, _ := doc.root["openapi"].(string)
		if !strings.HasPrefix(v, "3.1.") {
			t.Errorf("openapi = %q, want 3.1.x", v)
		}
		info, _ := doc.root["info"].(map[string]any)
		if info["title"] == nil || info["version"] == nil {
			t.Error("info needs a title and a version")
		}
		servers, _ := doc.root["servers"].([]any)
		if len(servers) != 1 || doc.deref(t, servers[0])["url"] != "/api/v1" {
			t.Errorf("servers = %v, want the one server /api/v1 (paths are relative to it)", servers)
		}
	})

	t.Run("router and document agree", func(t *testing.T) {
		t.Parallel()
		routes := apiRoutes(newRouter(t))
		documented := map[string]bool{}
		for _, o := range ops {
			documented[o.String()] = true
		}
		var missing, stale []string
		for r := range routes {
			if !documented[r] {
				missing = append(missing, r)
			}
		}
		for d := range documented {
			if !routes[d] {
				stale = append(stale, d)
			}
		}
		sort.Strings(missing)
		sort.Strings(stale)
		if len(missing) > 0 {
			t.Errorf("routes registered under /api/v1 but not in web/openapi.yaml (add them, path relative to /api/v1):\n  %s",
				strings.Join(missing, "\n  "))
		}
		if len(stale) > 0 {
			t.Errorf("operations in web/openapi.yaml that no route serves (remove or fix them):\n  %s",
				strings.Join(stale, "\n  "))
		}
	})

	t.Run("references resolve", func(t *testing.T) {
		var walk func(where string, v any)
		walk = func(where string, v any) {
			switch v := v.(type) {
			case map[string]any:
				if ref, ok := v["$ref"].(string); ok {
					if _, err := doc.resolve(ref); err != nil {
						t.Errorf("%s: %v", where, err)
					}
				}
				for k, c := range v {
					walk(where+"/"+k, c)
				}
			case []any:
				for i, c := range v {
					walk(where+"/"+strconv.Itoa(i), c)
				}
			}
		}
		walk("#", doc.root)
	})

	t.Run("operations are complete", func(t *testing.T) {
		ids := map[string]string{}
		template := regexp.MustCompile(`\{([^}]+)\}`)
		for _, o := range ops {
			id, _ := o.op["operationId"].(string)
			if id == "" {
				t.Errorf("%s: no operationId", o)
			} else if prev, dup := ids[id]; dup {
				t.Errorf("%s: operationId %s is also used by %s", o, id, prev)
			}
			ids[id] = o.String()
			if s, _ := o.op["summary"].(string); s == "" {
				t.Errorf("%s: no summary", o)
			}
			responses, _ := o.op["responses"].(map[string]any)
			success := false
			for code := range responses {
				success = success || strings.HasPrefix(code, "2") || code == "101"
			}
			if !success {
				t.Errorf("%s: no success response", o)
			}
			declared := map[string]bool{}
			for _, list := range []any{o.item["parameters"], o.op["parameters"]} {
				params, _ := list.([]any)
				for _, p := range params {
					pm := doc.deref(t, p)
					if pm["in"] == "path" {
						declared[pm["name"].(string)] = true
					}
				}
			}
			for _, m := range template.FindAllStringSubmatch(o.path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s: path parameter %s is not declared", o, m[1])
				}
			}
		}
	})

	t.Run("CSRF only on state changes", func(t *testing.T) {
		// authenticate asks a cookie session for its CSRF token on every
		// method but GET, HEAD and OPTIONS, and never on those.
		for _, o := range ops {
			reqs, ok := o.op["security"].([]any)
			if !ok {
				reqs, _ = doc.root["security"].([]any)
			}
			safe := o.method == "get" || o.method == "head" || o.method == "options"
			for _, r := range reqs {
				req, _ := r.(map[string]any)
				_, cookie := req["sessionCookie"]
				_, csrf := req["csrfToken"]
				switch {
				case safe && csrf:
					t.Errorf("%s: a safe method never needs csrfToken (give it its own security)", o)
				case !safe && cookie && !csrf:
					t.Errorf("%s: a cookie session needs csrfToken on this method", o)
				}
			}
		}
	})

	t.Run("error codes match the status table", func(t *testing.T) {
		statusOf := func(code string) (int, bool) {
			if st, ok := request.Status[code]; ok {
				return st, true
			}
			for st, c := range request.EchoCodes {
				if c == code {
					return st, true
				}
			}
			return 0, false
		}
		for _, o := range ops {
			responses, _ := o.op["responses"].(map[string]any)
			for codeStr, r := range responses {
				st, err := strconv.Atoi(codeStr)
				if err != nil || st < 400 {
					continue
				}
				resp := doc.deref(t, r)
				content, _ := resp["content"].(map[string]any)
				media := doc.deref(t, content["application/json"])
				examples, _ := media["examples"].(map[string]any)
				if len(examples) == 0 {
					t.Errorf("%s %d: name its error codes as examples", o, st)
				}
				for name, ex := range examples {
					value, _ := doc.deref(t, ex)["value"].(map[string]any)
					e, _ := value["error"].(map[string]any)
					code, _ := e["code"].(string)
					want, known := statusOf(code)
					switch {
					case !known:
						t.Errorf("%s %d: example %s has code %q, which the server never answers", o, st, name, code)
					case want != st:
						t.Errorf("%s %d: example %s has code %s, which the server answers with %d", o, st, name, code, want)
					}
				}
			}
		}
		// A code the server can answer must be named somewhere in the document.
		for code := range request.Status {
			if !strings.Contains(string(doc.raw), "`"+code+"`") && !strings.Contains(string(doc.raw), "code: "+code+"\n") {
				t.Errorf("error code %s is not documented", code)
			}
		}
	})

	t.Run("schemas match the Go types", func(t *testing.T) {
		// Each schema and the type whose JSON it describes. Responses must
		// list exactly the fields the type encodes, and require those it
		// always sends; requests must list exactly the fields it decodes
		// (bind refuses any other).
		responses := map[string]any{
			"Error": request.ErrorBody{}, "User": auction.User{}, "AuthResponse": api.AuthResponse{},
			"Party": auction.Party{}, "Case": auction.Case{}, "CaseSummary": auction.CaseSummary{},
			"Disclosures": auction.Disclosures{}, "Lot": auction.Lot{}, "PriorityHolder": auction.PriorityHolder{},
			"Document": auction.Document{}, "Auction": auction.Auction{}, "Listing": auction.Listing{},
			"AuctionState": auction.State{}, "Bid": auction.Bid{}, "BidResult": auction.BidResult{},
			"Event": auction.Event{}, "Confirmation": auction.Confirmation{}, "Registration": auction.Registration{},
			"Deposit": auction.Deposit{}, "BalancePayment": payments.BalancePayment{}, "Proceeds": payments.Proceeds{},
			"ProceedsItem": payments.ProceedsItem{}, "AuctionSnapshot": live.Snapshot{},
			"AuditPage": auction.AuditPage{}, "AuditEntry": auction.AuditEntry{}, "Interception": auction.Interception{},
			"DepositPayer": auction.DepositPayer{}, "Signal": auction.Signal{},
			"LiveHello": live.HelloFrame{}, "LiveBidResult": live.BidReply{}, "LiveError": live.ErrorFrame{},
			"LedgerEntry": payments.Entry{}, "LedgerTransaction": payments.LedgerTransaction{}, "DepositTally": payments.DepositTally{},
			"AuctionMoney": payments.AuctionMoney{}, "RefundDue": payments.RefundDue{}, "RefundTotal": payments.RefundTotal{},
			"AccountTotal": payments.AccountTotal{}, "ReconciliationLine": payments.Line{}, "LineTotal": payments.LineTotal{},
			"EscrowTotal": payments.EscrowTotal{}, "Reconciliation": payments.Reconciliation{}, "Remittance": payments.Remittance{},
			"DeliveryAttempt": casereport.DeliveryAttempt{}, "CaseNotification": casereport.CaseNotification{},
			"BalanceReturn": payments.BalanceReturn{}, "Result": auction.Result{},
			"Correction": auction.Correction{}, "FieldChange": auction.FieldChange{},
			"AuctionDocument": auction.AuctionDocument{}, "RowProblem": api.RowProblem{},
		}
		requests := map[string]any{
			"SignupRequest": api.SignupRequest{}, "NewCase": auction.NewCase{}, "NewLot": auction.NewLot{},
			"ScheduleRequest": auction.ScheduleParams{}, "BlacklistEntry": auction.BlacklistEntry{},
			"ReferenceRequest": api.ReferenceRequest{}, "LiveBidCommand": live.BidCommand{},
			"CourtActionRequest": api.CourtRequest{}, "LotEdit": auction.LotEdit{}, "CorrectionRequest": api.CorrectionRequest{},
			"DocumentEdit": api.DocumentEdit{},
		}
		check := func(name string, v any, response bool) {
			schema, err := doc.resolve("#/components/schemas/" + name)
			if err != nil {
				t.Error(err)
				return
			}
			props, required := doc.objectFields(t, schema)
			fields := jsonFields(reflect.TypeOf(v))
			var missing, extra, notRequired, wronglyRequired []string
			for f, omitempty := range fields {
				if _, ok := props[f]; !ok {
					missing = append(missing, f)
				} else if response && !omitempty && !required[f] {
					notRequired = append(notRequired, f)
				} else if response && omitempty && required[f] {
					wronglyRequired = append(wronglyRequired, f)
				}
			}
			for p := range props {
				if _, ok := fields[p]; !ok {
					extra = append(extra, p)
				}
			}
			for _, l := range []struct {
				what string
				list []string
			}{
				{"lacks the fields", missing}, {"has fields the type does not", extra},
				{"should require the always-sent fields", notRequired}, {"requires omitempty fields", wronglyRequired},
			} {
				if len(l.list) > 0 {
					sort.Strings(l.list)
					t.Errorf("schema %s (%T) %s: %s", name, v, l.what, strings.Join(l.list, ", "))
				}
			}
		}
		for name, v := range responses {
			check(name, v, true)
		}
		for name, v := range requests {
			check(name, v, false)
		}
	})
}

// objectFields collects the properties and required names of an object
// schema, through $ref and allOf.
func (d *openapiDoc) objectFields(t *testing.T, schema any) (map[string]any, map[string]bool) {
	t.Helper()
	props, required := map[string]any{}, map[string]bool{}
	s := d.deref(t, schema)
	allOf, _ := s["allOf"].([]any)
	for _, part := range allOf {
		p, r := d.objectFields(t, part)
		for k, v := range p {
			props[k] = v
		}
		for k := range r {
			required[k] = true
		}
	}
	if p, ok := s["properties"].(map[string]any); ok {
		for k, v := range p {
			props[k] = v
		}
	}
	if r, ok := s["required"].([]any); ok {
		for _, k := range r {
			required[k.(string)] = true
		}
	}
	return props, required
}

// jsonFields maps the JSON names encoding/json uses for struct type typ to
// whether they are omitempty, following embedded structs.
func jsonFields(typ reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					if _, shadowed := out[k]; !shadowed {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = slices.Contains(strings.Split(opts, ","), "omitempty")
	}
	return out
}

// TestOpenAPIServed checks the document is what GET /api/v1/openapi.yaml
// answers, with a YAML media type.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	e := newRouter(t)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/openapi.yaml", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/yaml") {
		t.Errorf("Content-Type = %q", ct)
	}
	body, _ := io.ReadAll(rec.Body)
	want, _ := openapi.ReadFile("openapi.yaml")
	if string(body) != string(want) {
		t.Error("the served document differs from web/openapi.yaml")
	}
}
