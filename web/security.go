package web

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/web/page"
	"gavel/web/request"
)

// Content security policies. API answers are data, never documents, so they
// may load nothing at all; pages load only from their own origin. Both forbid
// framing (clickjacking a bid button). A page handler that needs more (e.g.
// Stripe.js) sets its own Content-Security-Policy, which replaces the default.
const (
	APICSP  = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
	PageCSP = page.CSP
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
			if r.Header.Get(echo.HeaderAuthorization) != "" || hasCookie(r, request.SessionCookie) {
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
		o := auction.Origin{IP: c.RealIP(), Device: auction.DeviceHash(device)}
		c.SetRequest(r.WithContext(auction.WithOrigin(r.Context(), o)))
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
