// Package request is what every HTTP handler of Gavel reads from a request
// and how it answers a failure: the signed-in session, the strict JSON body,
// query numbers, and the one table from error code to HTTP status. The API,
// the pages and the live feed all build on it, so a refusal reads the same
// whichever door a client came through.
package request

import (
	"context"
	"strconv"

	"github.com/labstack/echo/v4"

	"gavel/auction"
)

// SessionCookie carries a browser session; pages send its CSRF token back in
// the X-CSRF-Token header (or a csrf form field) on every state change.
const SessionCookie = "gavel_session"

// Context keys the server's authentication sets and handlers read.
const (
	sessionKey     = "session"
	tokenKey       = "token"
	authFailureKey = "auth_failure"
	requestIDKey   = "request_id"
)

// Sessions authenticates tokens and ends them. The live feed's hub is the
// one implementation: it keeps the token cache that its LISTEN connection
// keeps honest.
type Sessions interface {
	// Session is the session of a token. Returns unauthenticated for a
	// token that is unknown, expired or revoked.
	Session(ctx context.Context, token string) (*auction.Session, error)
	// Revoke ends a token everywhere before it returns.
	Revoke(ctx context.Context, token string) error
	// AccountsChanged forgets, before it returns, whatever this process
	// remembers of what tokens authenticate as: call it after a change to
	// accounts (a verification and the claims it releases) so that the
	// caller's next request sees the change.
	AccountsChanged()
}

// SetSession records the request's session and the token it came with.
func SetSession(c echo.Context, sess *auction.Session, token string) {
	c.Set(sessionKey, sess)
	c.Set(tokenKey, token)
}

// Session is the request's session, nil when signed out.
func Session(c echo.Context) *auction.Session {
	s, _ := c.Get(sessionKey).(*auction.Session)
	return s
}

// User is the signed-in user; only for routes that require one.
func User(c echo.Context) *auction.User { return Session(c).User }

// Token is the token the request was authenticated with, "" when none.
func Token(c echo.Context) string {
	t, _ := c.Get(tokenKey).(string)
	return t
}

// IsStaff reports whether a staff account sent the request.
func IsStaff(c echo.Context) bool {
	sess := Session(c)
	return sess != nil && auction.IsStaffRole(sess.User.Role)
}

// SetAuthFailure remembers why the request's bearer credentials were not
// accepted, for the role check to answer with.
func SetAuthFailure(c echo.Context, err error) { c.Set(authFailureKey, err) }

// AuthFailure is why the request's bearer credentials were not accepted
// (401 unauthenticated), or nil when it sent none or they were accepted.
func AuthFailure(c echo.Context) error {
	err, _ := c.Get(authFailureKey).(error)
	return err
}

// SetID records the request's id for the log lines about it.
func SetID(c echo.Context, id string) { c.Set(requestIDKey, id) }

// ID is the request's id.
func ID(c echo.Context) string {
	id, _ := c.Get(requestIDKey).(string)
	return id
}

// QueryInt reads a non-negative integer from the query, def when absent.
// Returns invalid_field naming the parameter.
func QueryInt(c echo.Context, name string, def int64) (int64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, auction.FieldError(name, "must be a non-negative integer")
	}
	return n, nil
}

// QueryPage reads a list's page from the query: limit (1 to 500, default
// 100) and offset (one deeper than anything is answered as the deepest,
// never with an error). Returns invalid_field naming the parameter.
func QueryPage(c echo.Context) (limit, offset int, err error) {
	l, err := QueryInt(c, "limit", 100)
	if err != nil {
		return 0, 0, err
	}
	if l < 1 || l > 500 {
		return 0, 0, auction.FieldError("limit", "must be between 1 and 500")
	}
	o, err := QueryInt(c, "offset", 0)
	if err != nil {
		return 0, 0, err
	}
	return int(l), int(min(o, auction.MaxOffset)), nil
}
