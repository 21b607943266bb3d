package page

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"gavel/web/page/i18n"
	"gavel/web/page/yuan"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/payments"
	"gavel/web/request"
)

// The pages are Go templates rendered on the server plus a little plain
// JavaScript for live prices and forms; everything is embedded in the binary
// and served locally, nothing comes from another origin.
var (
	//go:embed templates
	templateFS embed.FS
	//go:embed static
	staticFS embed.FS
)

// defaultZone is i18n.DefaultTimezone, from the embedded zone database.
var defaultZone = func() *time.Location {
	z, err := time.LoadLocation(i18n.DefaultTimezone)
	if err != nil {
		panic(err)
	}
	return z
}()

// DefaultZone is i18n.DefaultTimezone as a location, for the server to share
// with the API when no --timezone is given.
func DefaultZone() *time.Location { return defaultZone }

// CSP is the content security policy of pages: they load only from their
// own origin, run no inline script and may not be framed (clickjacking a bid
// button). A page that needs more sets its own, which replaces this one.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// sessionTTL is how long a browser stays signed in.
const sessionTTL = 7 * 24 * time.Hour

// preSessionCookie holds the CSRF token of the sign-in and sign-up forms,
// which are posted before any session exists (double-submit).
const preSessionCookie = "gavel_csrf"

// assetVersion maps each static file to a hash of its content, so asset URLs
// change when the file does and may be cached for long.
var assetVersion = func() map[string]string {
	out := map[string]string{}
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		sum := sha256.Sum256(b)
		out[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:5])
		return err
	})
	return out
}()

func asset(name string) string { return "/static/" + name + "?v=" + assetVersion[name] }

var templateFuncs = template.FuncMap{
	// idTypes are the identity documents forms offer.
	"idTypes": func() []string { return auction.IDTypes },
	"asset":   asset,
	"mask":    maskID,
	"deref": func(p any) any {
		switch v := p.(type) {
		case *string:
			if v != nil {
				return *v
			}
		case *int:
			if v != nil {
				return *v
			}
		case *int64:
			if v != nil {
				return *v
			}
		}
		return ""
	},
	"yuan": yuan.Field,
	// args bundles what the confirm-form partial needs: the form posts to
	// /api/v1/<resource>/<id>/<action>, resource being deposits unless given
	// (balance-payments for an excess to pay back).
	"args": func(p *page, id, action, label string, resource ...string) map[string]any {
		r := "deposits"
		if len(resource) > 0 {
			r = resource[0]
		}
		return map[string]any{"P": p, "ID": id, "Action": action, "Label": label, "Resource": r}
	},
	// lines bundles what the statement-lines partial needs.
	"lines": func(p *page, ls []payments.StatementLine, id string) map[string]any {
		return map[string]any{"P": p, "Lines": ls, "ID": id}
	},
	// payer bundles what the payer-cells and receipt-form partials need.
	"payer": func(p *page, payers map[string]payments.DepositPayer, d auction.Deposit) map[string]any {
		return map[string]any{"P": p, "D": d, "Payer": payers[d.ID]}
	},
	// note says a statement line's note in the page's language; a note
	// not from the catalogue (a refusal's own message) is shown as it is.
	"note": func(p *page, note string) string {
		key, args, ok := payments.ParseNote(note)
		if !ok || !i18n.Known("stmt.note."+key) {
			return note
		}
		for i, a := range args {
			if fen, isFen := a.(int64); isFen {
				args[i] = p.L.Money(fen)
			}
		}
		if key == payments.NoteDepositState {
			args[0] = p.L.T("dep." + args[0].(string))
		}
		return p.L.T("stmt.note."+key, args...)
	},
	// balance bundles what the balance-cells partial needs.
	"balance": func(p *page, t payments.AccountTotal) map[string]any {
		return map[string]any{"P": p, "T": t}
	},
	// field describes one input of the sign-up form with its error.
	"field": func(p *page, name, label, typ, auto, value string) map[string]string {
		f := map[string]string{"Name": name, "Label": p.L.T(label), "Type": typ, "Auto": auto, "Value": value}
		if a, ok := p.Data.(*authForm); ok {
			f["Error"] = a.Errors[name]
		}
		return f
	},
}

// templates holds one template set per page: the layout plus the page file.
var templates = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" || base == "partials.html" {
			continue
		}
		out[base] = template.Must(template.New(base).Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", n))
	}
	return out
}()

// page is what every template receives.
type page struct {
	Title string
	L     i18n.Locale
	User  *auction.User
	CSRF  string
	// Path is the current path and query, for the language switch to return to.
	Path string
	// Nav names the active navigation entry.
	Nav     string
	Scripts []string
	Data    any
	// Notices is the notification settings form, on pages that show it.
	Notices any
	// DevMailbox links the development mailbox from every page (the demo).
	DevMailbox bool
	// JS is handed to the page scripts as JSON (never as inline script).
	JS map[string]any
}

// Static serves the embedded scripts, styles and images.
func (h *Handler) Static(c echo.Context) error {
	name := strings.TrimPrefix(path.Clean("/"+c.Param("*")), "/")
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil || name == "" {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	hd := c.Response().Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	if v := c.QueryParam("v"); v != "" && v == assetVersion[name] {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "public, max-age=300")
	}
	ct := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
		".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon"}[path.Ext(name)]
	if ct == "" {
		ct = http.DetectContentType(b)
	}
	return c.Blob(http.StatusOK, ct, b)
}

// Headers sets the security headers of every page and turns errors into
// HTML error pages (the API keeps its JSON errors).
func (h *Handler) Headers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		hd := c.Response().Header()
		// The strict page policy (security.go): this origin only, no inline
		// script or style, no framing. Set here too so a page never goes out
		// without it.
		hd.Set(echo.HeaderContentSecurityPolicy, CSP)
		hd.Set(echo.HeaderXContentTypeOptions, "nosniff")
		// Pages carry CSRF tokens and personal state: never cache them.
		hd.Set(echo.HeaderCacheControl, "no-store")
		if err := next(c); err != nil {
			return h.pageError(c, err)
		}
		return nil
	}
}

// Role admits signed-in users with one of roles (any when none): others
// are sent to sign in, or shown 403 for the wrong role.
func (h *Handler) Role(roles ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			sess := request.Session(c)
			if sess == nil {
				return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
			}
			if len(roles) == 0 {
				return next(c)
			}
			for _, r := range roles {
				if sess.User.Role == r {
					return next(c)
				}
			}
			return auction.Errorf(auction.EForbidden, "this page needs the role %s", strings.Join(roles, " or "))
		}
	}
}

// pageError renders an error as a page with the status of the one table.
func (h *Handler) pageError(c echo.Context, err error) error {
	if c.Response().Committed {
		return nil
	}
	code, st, known := request.PageStatus(err)
	switch {
	case code == auction.EUnauthenticated && c.Request().Method == http.MethodGet:
		return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
	case !known && h.store.Unavailable(err):
		code, st = auction.EUnavailable, http.StatusServiceUnavailable
		h.log.Warn("database unavailable", "request_id", request.ID(c), "err", err)
	case !known || code == auction.EInternal:
		code, st = auction.EInternal, http.StatusInternalServerError
		h.log.Error("internal error", "request_id", request.ID(c), "method", c.Request().Method, "route", c.Path(), "err", err)
	}
	p := h.newPage(c, "")
	p.Title = p.L.T("err.title")
	p.Data = map[string]any{"Code": code, "Message": p.L.T("err." + code), "Status": st}
	return h.render(c, st, "error.html", p)
}

// locale is the request's language (cookie, default Chinese) and the court's zone.
func (h *Handler) locale(c echo.Context) i18n.Locale {
	l := i18n.Locale{Lang: i18n.LangZH, Zone: h.zone}
	if l.Zone == nil {
		l.Zone = defaultZone
	}
	if ck, err := c.Cookie(i18n.LangCookie); err == nil && ck.Value == i18n.LangEN {
		l.Lang = i18n.LangEN
	}
	return l
}

// newPage starts a page for the current request and user.
func (h *Handler) newPage(c echo.Context, titleKey string) *page {
	l := h.locale(c)
	p := &page{L: l, Path: c.Request().URL.RequestURI(), JS: map[string]any{}, DevMailbox: h.mailbox != nil}
	if titleKey != "" {
		p.Title = l.T(titleKey)
	}
	if sess := request.Session(c); sess != nil {
		p.User, p.CSRF = sess.User, sess.CSRF
	}
	return p
}

// render executes a page template into the response.
func (h *Handler) render(c echo.Context, code int, name string, p *page) error {
	t, ok := templates[name]
	if !ok {
		return errors.New("no page template " + name)
	}
	p.JS["lang"], p.JS["tz"], p.JS["csrf"], p.JS["messages"] = p.L.Lang, p.L.Zone.String(), p.CSRF, p.L.Messages()
	p.JS["fields"] = errorFields
	if p.User != nil {
		p.JS["role"] = p.User.Role
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return err
	}
	return c.HTMLBlob(code, buf.Bytes())
}

// Lang is GET /lang/{zh-CN|en}?next=/path: remembers the language.
func (h *Handler) Lang(c echo.Context) error {
	lang := i18n.LangZH
	if c.Param("lang") == i18n.LangEN {
		lang = i18n.LangEN
	}
	c.SetCookie(&http.Cookie{Name: i18n.LangCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https"})
	return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next"), "/"))
}

// safeNext accepts only a path on this site as a redirect target, never
// another host (open redirect).
func safeNext(next, fallback string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return fallback
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return fallback
	}
	return next
}

// homeFor is where a user lands after signing in.
func homeFor(u *auction.User) string {
	switch u.Role {
	case auction.RoleClerk, auction.RoleAdmin:
		return "/clerk"
	case auction.RoleFinance, auction.RoleAuditor:
		return "/finance"
	}
	return "/"
}

// preSessionToken returns the CSRF token for forms posted before signing in,
// setting its cookie when missing.
func preSessionToken(c echo.Context) string {
	if ck, err := c.Cookie(preSessionCookie); err == nil && len(ck.Value) >= 32 {
		return ck.Value
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	c.SetCookie(&http.Cookie{Name: preSessionCookie, Value: v, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: c.Scheme() == "https"})
	return v
}

// formCSRF checks a form posted by a page: with a session, authenticate has
// already compared the csrf field with the session's token; without one, the
// field must match the pre-session cookie. A foreign Origin is refused either way.
func formCSRF(c echo.Context) bool {
	r := c.Request()
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	if request.Session(c) != nil {
		return true
	}
	ck, err := c.Cookie(preSessionCookie)
	got := c.FormValue("csrf")
	return err == nil && ck.Value != "" && subtle.ConstantTimeCompare([]byte(ck.Value), []byte(got)) == 1
}

// startSession signs the browser in: a session token in an HttpOnly cookie;
// its CSRF token is put into every page.
func (h *Handler) startSession(c echo.Context, u *auction.User) error {
	ctx := c.Request().Context()
	// A browser signing in again ends its previous session; a bearer token
	// that happens to accompany the form is left alone.
	if sess := request.Session(c); sess != nil && sess.Kind == auction.TokenSession {
		if old := request.Token(c); old != "" {
			if err := h.sessions.Revoke(ctx, old); err != nil {
				return err
			}
		}
	}
	token, sess, err := h.store.CreateToken(ctx, u.ID, auction.TokenSession, sessionTTL)
	if err != nil {
		return err
	}
	secure := c.Scheme() == "https"
	c.SetCookie(&http.Cookie{Name: request.SessionCookie, Value: token, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure})
	c.SetCookie(&http.Cookie{Name: preSessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure})
	return nil
}

// formField names the form field an error belongs to: the rulebook's codes
// map to the field that breaks the rule, invalid_field names its field first.
func formField(code, message string) string {
	if f, ok := errorFields[code]; ok {
		return f
	}
	if code == auction.EInvalidField {
		if f, _, ok := strings.Cut(message, ":"); ok && !strings.ContainsAny(f, " \t") {
			return f
		}
	}
	return ""
}

// errorFields is shared with the page scripts (see app.js) so that server-
// and script-rendered forms show each error at the same field.
var errorFields = map[string]string{
	auction.EEmailTaken:                 "email",
	auction.EWeakPassword:               "password",
	auction.EInvalidCredentials:         "password",
	auction.ECaseExists:                 "case_number",
	auction.EStartPriceTooLow:           "start_price",
	auction.EPriceCutTooLarge:           "start_price",
	auction.ERoundNotAllowed:            "round",
	auction.EDepositOutOfRange:          "deposit",
	auction.EBiddingPeriodTooShort:      "ends_at",
	auction.EAnnouncementPeriodTooShort: "starts_at",
	auction.EDuplicateReference:         "reference",
	auction.EOverpayment:                "amount",
}

// maskID shows an identity number to staff without exposing all of it on a
// screen: the first four and last four characters.
func maskID(id string) string {
	r := []rune(id)
	if len(r) <= 8 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:4]) + strings.Repeat("*", len(r)-8) + string(r[len(r)-4:])
}
