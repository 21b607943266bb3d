package web

import (
	"bytes"
	"encoding/json"
	"gavel/auction"
	"gavel/web/limit"
	"gavel/web/request"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// rateLimit applies the limits by route: sign-up and sign-in per IP address
// (plus the per-email backoff on sign-in), bids and other signed-in requests
// per account. Public reads and anonymous requests are never limited.
func (s *Server) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		l := s.limits
		method, route := c.Request().Method, c.Path()
		switch {
		case method == http.MethodPost && route == "/api/v1/auth/signup":
			if ok, retry := l.Signup.Allow(c.RealIP()); !ok {
				return limit.RateLimited(c, retry, "sign-ups from this address")
			}
			return next(c)
		case method == http.MethodPost && route == "/api/v1/auth/login":
			if ok, retry := l.Login.Allow(c.RealIP()); !ok {
				return limit.RateLimited(c, retry, "sign-ins from this address")
			}
			return s.loginBackoff(c, next)
		}
		sess := request.Session(c)
		if sess == nil {
			return next(c)
		}
		lim, what := l.Account, "requests"
		if method == http.MethodPost && route == "/api/v1/auctions/:id/bids" {
			lim, what = l.Bids, "bids"
		}
		if ok, retry := lim.Allow(sess.User.ID); !ok {
			return limit.RateLimited(c, retry, what)
		}
		return next(c)
	}
}

// loginBackoff refuses sign-ins to an email that failed too often lately
// from this address (or, from an address the account does not know, from
// everywhere: limit.LoginGuard), and counts this attempt's outcome. The email is read from a copy of the
// body; the handler still gets the whole body.
func (s *Server) loginBackoff(c echo.Context, next echo.HandlerFunc) error {
	b := s.limits.LoginFailures
	if b == nil {
		return next(c)
	}
	r := c.Request()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		// Too large or broken: the handler gives the proper answer.
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		return next(c)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req struct {
		Email string `json:"email"`
	}
	_ = json.Unmarshal(body, &req)
	if strings.TrimSpace(req.Email) == "" {
		return next(c)
	}
	ip := c.RealIP()
	if wait := b.Wait(ip, req.Email); wait > 0 {
		return limit.RateLimited(c, wait, "failed sign-ins for this account")
	}
	err = next(c)
	switch {
	case auction.ErrorCode(err) == auction.EInvalidCredentials:
		b.Fail(ip, req.Email)
	case err == nil && c.Response().Status < 300:
		b.Succeed(ip, req.Email)
	}
	return err
}
