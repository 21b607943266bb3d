package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/auction/postgres"
)

// SessionCookie carries a browser session; pages send its CSRF token back in
// the X-CSRF-Token header (or a csrf form field) on every state change.
const SessionCookie = "gavel_session"

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

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
				c.Set(authFailureKey, auction.Errorf(auction.EUnauthenticated, "use Authorization: Bearer <token>"))
				return next(c)
			}
			sess, err := s.tokenSession(r.Context(), token)
			if auction.ErrorCode(err) == auction.EUnauthenticated {
				c.Set(authFailureKey, err)
				return next(c)
			}
			if err != nil {
				return err
			}
			c.Set("session", sess)
			c.Set("token", token)
			return next(c)
		}
		if ck, err := r.Cookie(SessionCookie); err == nil && ck.Value != "" {
			sess, err := s.store.Authenticate(r.Context(), ck.Value)
			if err == nil && sess.Kind == postgres.TokenSession {
				if unsafeMethod(r.Method) && !validCSRF(c, sess.CSRF) {
					return auction.Errorf(auction.EForbidden, "missing or wrong CSRF token")
				}
				c.Set("session", sess)
				c.Set("token", ck.Value)
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

// authFailureKey holds why the request's bearer credentials were not accepted.
const authFailureKey = "auth_failure"

// authFailure is why the request's bearer credentials were not accepted
// (401 unauthenticated), or nil when it sent none or they were accepted.
func authFailure(c echo.Context) error {
	err, _ := c.Get(authFailureKey).(error)
	return err
}

// tokenSession authenticates a token (a bearer token, or the token a
// WebSocket was opened with), through the hub's token cache when it has one;
// only API tokens are cached.
func (s *Server) tokenSession(ctx context.Context, token string) (*postgres.Session, error) {
	tc := s.hub.tokens()
	if tc == nil {
		return s.store.Authenticate(ctx, token)
	}
	h := postgres.TokenHash(token)
	if sess, ok := tc.get(h); ok && s.store.Unexpired(sess) {
		return sess, nil
	}
	gen, cacheable := tc.begin()
	sess, err := s.store.Authenticate(ctx, token)
	if err == nil && cacheable && sess.Kind == postgres.TokenAPI {
		tc.put(h, sess, gen)
	}
	return sess, err
}

// revokeToken ends a token everywhere: in the database, which announces it
// to every process, and in this process's cache before the caller hears of
// success, so that no request here is let in with it afterwards.
func (s *Server) revokeToken(ctx context.Context, token string) error {
	if err := s.store.RevokeToken(ctx, token); err != nil {
		return err
	}
	if tc := s.hub.tokens(); tc != nil {
		tc.drop(postgres.TokenHash(token))
	}
	return nil
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

func session(c echo.Context) *postgres.Session {
	s, _ := c.Get("session").(*postgres.Session)
	return s
}

func user(c echo.Context) *auction.User { return session(c).User }

// requireRole admits a signed-in user with one of roles (any role when none
// is given): 401 unauthenticated without a user, 403 forbidden for another role.
func requireRole(roles ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			sess := session(c)
			if sess == nil {
				if err := authFailure(c); err != nil {
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

type signupRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	RealName string `json:"real_name"`
	IDNumber string `json:"id_number"`
	// IDType is optional: resident_id unless the bidder is a company or
	// holds a passport or a residents' travel permit.
	IDType string `json:"id_type"`
	Phone  string `json:"phone"`
}

type authResponse struct {
	User  *auction.User `json:"user"`
	Token string        `json:"token"`
	// ExpiresAt tells clients when to sign in again.
	ExpiresAt time.Time `json:"expires_at"`
}

// handleSignup is POST /api/v1/auth/signup: bidders register themselves.
func (s *Server) handleSignup(c echo.Context) error {
	var req signupRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	u, err := s.signup(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return s.issue(c, http.StatusCreated, u)
}

// signup creates a bidder account; the API and the sign-up page share it.
func (s *Server) signup(ctx context.Context, req signupRequest) (*auction.User, error) {
	switch {
	case strings.TrimSpace(req.RealName) == "":
		return nil, auction.FieldError("real_name", "is required")
	case strings.TrimSpace(req.Phone) == "":
		return nil, auction.FieldError("phone", "is required")
	}
	// The identity number is normalised and validated by the store's one
	// rule (auction.ParseIdentity).
	return s.store.CreateUser(ctx, postgres.NewUser{Email: req.Email, Password: req.Password, Role: auction.RoleBidder,
		RealName: strings.TrimSpace(req.RealName), IDType: req.IDType, IDNumber: req.IDNumber, Phone: strings.TrimSpace(req.Phone)})
}

func (s *Server) issue(c echo.Context, code int, u *auction.User) error {
	token, sess, err := s.store.CreateToken(c.Request().Context(), u.ID, postgres.TokenAPI, postgres.TokenTTL)
	if err != nil {
		return err
	}
	return c.JSON(code, authResponse{User: u, Token: token, ExpiresAt: sess.ExpiresAt})
}

// handleLogin is POST /api/v1/auth/login.
func (s *Server) handleLogin(c echo.Context) error {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	u, err := s.store.Login(c.Request().Context(), req.Email, req.Password)
	if err != nil {
		return err
	}
	return s.issue(c, http.StatusOK, u)
}

// handleLogout is POST /api/v1/auth/logout: the token stops working at once.
func (s *Server) handleLogout(c echo.Context) error {
	token, _ := c.Get("token").(string)
	if err := s.revokeToken(c.Request().Context(), token); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// handleMe is GET /api/v1/me: the signed-in account.
func (s *Server) handleMe(c echo.Context) error {
	// verified is also at the top level, where API.md v1.2 names it.
	return c.JSON(http.StatusOK, map[string]any{"user": user(c), "verified": user(c).Verified})
}
