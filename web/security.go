package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/auction/postgres"
)

// Content security policies. API answers are data, never documents, so they
// may load nothing at all; pages load only from their own origin. Both forbid
// framing (clickjacking a bid button). A page handler that needs more (e.g.
// Stripe.js) sets its own Content-Security-Policy, which replaces the default.
const (
	APICSP  = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
	PageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
	// hsts is sent only over HTTPS: over plain HTTP a browser ignores it, and
	// sending it from a loopback development server would be a lie.
	hsts = "max-age=63072000; includeSubDomains"
)

// DeviceCookie marks a browser with a random id. Gavel stores only its hash
// per registration and bid, to tell the court after the close which bidders
// shared a device (a collusion signal). It grants nothing.
const DeviceCookie = "gavel_device"

const deviceCookieAge = 2 * 365 * 24 * time.Hour

// installSecurity adds the headers, the origin of each request, the rate
// limits and the audit trail to the server's middleware. New calls it once.
func (s *Server) installSecurity() {
	e := s.echo
	// Behind a load balancer the client is in X-Forwarded-For; only hops on
	// loopback or private networks are trusted to have written it, so a client
	// on the internet cannot choose its own address (and so its rate limits).
	e.IPExtractor = echo.ExtractIPFromXFFHeader()
	s.limits = newLimits(s.cfg.NoLimits)
	e.Pre(securityHeaders)
	e.Use(s.origin, s.rateLimit, s.auditTrail)
}

// overTLS reports whether the client reached us over HTTPS, directly or
// through a proxy that terminated TLS.
func overTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get(echo.HeaderXForwardedProto), "https")
}

// securityHeaders sets the defaults before the handler runs, so every answer
// has them (errors and unknown routes included) and a handler may replace one.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r, h := c.Request(), c.Response().Header()
		h.Set(echo.HeaderXContentTypeOptions, "nosniff")
		h.Set(echo.HeaderXFrameOptions, "DENY")
		h.Set(echo.HeaderReferrerPolicy, "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(self)")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set(echo.HeaderContentSecurityPolicy, APICSP)
			// Answers to signed-in requests may carry personal data: no cache
			// on the way may keep them.
			if r.Header.Get(echo.HeaderAuthorization) != "" || hasCookie(r, SessionCookie) {
				h.Set(echo.HeaderCacheControl, "no-store")
			}
		} else {
			h.Set(echo.HeaderContentSecurityPolicy, PageCSP)
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
		}
		if overTLS(r) {
			h.Set(echo.HeaderStrictTransportSecurity, hsts)
		}
		return next(c)
	}
}

func hasCookie(r *http.Request, name string) bool {
	ck, err := r.Cookie(name)
	return err == nil && ck.Value != ""
}

// origin puts the client's address and device into the request context for
// the store (registrations, bids, interceptions and the audit log record
// them). Browsers get a device cookie on pages and at sign-in; API clients
// without cookies simply have no device.
func (s *Server) origin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		device := ""
		if ck, err := r.Cookie(DeviceCookie); err == nil && validDeviceID(ck.Value) {
			device = ck.Value
		} else if wantsDeviceCookie(c) {
			device = newDeviceID()
			c.SetCookie(&http.Cookie{Name: DeviceCookie, Value: device, Path: "/", MaxAge: int(deviceCookieAge / time.Second),
				HttpOnly: true, Secure: overTLS(r), SameSite: http.SameSiteLaxMode})
		}
		o := postgres.Origin{IP: c.RealIP(), Device: postgres.DeviceHash(device)}
		c.SetRequest(r.WithContext(postgres.WithOrigin(r.Context(), o)))
		return next(c)
	}
}

// wantsDeviceCookie: page loads and sign-in/sign-up, the moments a browser
// shows itself. Never the hot bid path (a cookie on every answer to API
// clients that ignore it) and never static files, which caches may share
// between visitors.
func wantsDeviceCookie(c echo.Context) bool {
	r := c.Request()
	switch r.URL.Path {
	case "/api/v1/auth/login", "/api/v1/auth/signup", "/login", "/signup":
		return true
	}
	return r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/api/") && !strings.HasPrefix(r.URL.Path, "/static/") &&
		strings.Contains(r.Header.Get(echo.HeaderAccept), "text/html")
}

func newDeviceID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// validDeviceID accepts only ids Gavel could have issued, so a forged cookie
// cannot smuggle anything into the database.
func validDeviceID(v string) bool {
	if len(v) != 32 {
		return false
	}
	_, err := hex.DecodeString(v)
	return err == nil
}

// Text fields of a request are judged in one place, here, for every route:
// valid UTF-8, no NUL or other control characters (line breaks and tabs only
// in the multi-line fields), and at most so many characters. A refusal is
// 422 invalid_field naming the field, never a failure in the database (a
// NUL, which JSON may carry as \u0000, or a key too long for an index).
// Comparisons that need one form (identity numbers, e-mail addresses) are
// normalised (NFKC) by the domain's own rules after this.

// maxText bounds a single-line text field; every indexed text column holds it.
const maxText = 500

// maxLongText bounds the multi-line fields.
const maxLongText = 20000

// multilineFields are the request fields (by JSON name) that are prose.
var multilineFields = map[string]bool{
	"description": true, "reason": true, "appraisal_report": true, "encumbrances": true,
	"occupancy": true, "tax_terms": true, "viewing": true, "note": true,
}

// textLimits are fields (by JSON name) bounded below maxText.
var textLimits = map[string]int{
	"case_number": 100, "court_name": 200, "name": 200, "real_name": 100, "phone": 40,
	"reference": 200, "id_type": 40, "method": 40, "category": 40, "round": 40,
}

// textField returns invalid_field for the first string in v (a decoded
// request) that breaks the text rule. rawValid tells whether the body was
// valid UTF-8: the decoder turns invalid bytes into U+FFFD, which is then
// refused as not UTF-8.
func textField(v reflect.Value, path string, rawValid bool) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return textField(v.Elem(), path, rawValid)
		}
	case reflect.String:
		return checkText(path, v.String(), rawValid)
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if f.Anonymous && name == "" {
				if err := textField(v.Field(i), path, rawValid); err != nil {
					return err
				}
				continue
			}
			if name == "" {
				name = f.Name
			}
			if err := textField(v.Field(i), joinField(path, name), rawValid); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if err := textField(v.Index(i), fmt.Sprintf("%s[%d]", path, i), rawValid); err != nil {
				return err
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := fmt.Sprint(iter.Key().Interface())
			if err := checkText(path, k, rawValid); err != nil {
				return err
			}
			if err := textField(iter.Value(), joinField(path, k), rawValid); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkText applies the text rule to one field, named by its path; its
// bounds come from the field's own name (the last part of the path).
func checkText(path, s string, rawValid bool) error {
	leaf := path
	if i := strings.LastIndexAny(leaf, ".]"); i >= 0 {
		leaf = leaf[i+1:]
	}
	max, multiline := maxText, multilineFields[leaf]
	if multiline {
		max = maxLongText
	} else if n, ok := textLimits[leaf]; ok {
		max = n
	}
	if !rawValid && strings.ContainsRune(s, utf8.RuneError) {
		return auction.FieldError(path, "must be UTF-8 text")
	}
	return auction.CheckText(path, s, max, multiline)
}

func joinField(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
