package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/web/request"
)

// authenticate resolves a bearer token or a session cookie into the request's
// session. It never refuses by itself: routes that need a user say so with
// requireRole. A token that is unknown, expired or revoked, or an
// Authorization header that is not a bearer token, leaves the request signed
// out and is remembered (authFailure) so that requireRole can say why; only a
// lookup that fails (the database does not answer) fails the request. A
// cookie session that changes state must present its CSRF token.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if h := r.Header.Get("Authorization"); h != "" {
			token, ok := bearerToken(h)
			if !ok {
				request.SetAuthFailure(c, auction.Errorf(auction.EUnauthenticated, "use Authorization: Bearer <token>"))
				return next(c)
			}
			sess, err := s.hub.Session(r.Context(), token)
			if auction.ErrorCode(err) == auction.EUnauthenticated {
				request.SetAuthFailure(c, err)
				return next(c)
			}
			if err != nil {
				return err
			}
			request.SetSession(c, sess, token)
			return next(c)
		}
		if ck, err := r.Cookie(request.SessionCookie); err == nil && ck.Value != "" {
			sess, err := s.store.Authenticate(r.Context(), ck.Value)
			if err == nil && sess.Kind == auction.TokenSession {
				if unsafeMethod(r.Method) && !validCSRF(c, sess.CSRF) {
					return auction.Errorf(auction.EForbidden, "missing or wrong CSRF token")
				}
				request.SetSession(c, sess, ck.Value)
			}
		}
		return next(c)
	}
}

// bearerToken takes the token out of an Authorization header value. The
// scheme is matched without regard to case and may be followed by more than
// one space (RFC 7235).
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	token = strings.TrimLeft(token, " ")
	return token, ok && token != "" && strings.EqualFold(scheme, "Bearer")
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

func validCSRF(c echo.Context, want string) bool {
	got := c.Request().Header.Get("X-CSRF-Token")
	if got == "" && strings.HasPrefix(c.Request().Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		got = c.FormValue("csrf")
	}
	return want != "" && got == want
}

// requireRole admits a signed-in user with one of roles (any role when none
// is given): 401 unauthenticated without a user, 403 forbidden for another role.
func requireRole(roles ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			sess := request.Session(c)
			if sess == nil {
				if err := request.AuthFailure(c); err != nil {
					return err
				}
				return auction.Errorf(auction.EUnauthenticated, "sign in first: send Authorization: Bearer <token>")
			}
			if len(roles) == 0 {
				return next(c)
			}
			for _, r := range roles {
				if sess.User.Role == r {
					return next(c)
				}
			}
			return auction.Errorf(auction.EForbidden, "this needs the role %s", strings.Join(roles, " or "))
		}
	}
}
