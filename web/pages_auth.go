package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"gavel/auction"
)

// authForm is the sign-in or sign-up form as typed, with its errors by field.
type authForm struct {
	Email, RealName, IDNumber, Phone string
	IDType                           string
	Next                             string
	Errors                           map[string]string
	// Error is a message that belongs to no single field.
	Error string
}

// pageLogin is GET /login.
func (s *Server) pageLogin(c echo.Context) error {
	if sess := session(c); sess != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next"), homeFor(sess.User)))
	}
	p := s.newPage(c, "login.title")
	p.Nav, p.CSRF = "login", preSessionToken(c)
	p.Data = &authForm{Next: safeNext(c.QueryParam("next"), ""), Errors: map[string]string{}}
	return s.render(c, http.StatusOK, "login.html", p)
}

// pageLoginSubmit is POST /login (form): signs the browser in with a session cookie.
func (s *Server) pageLoginSubmit(c echo.Context) error {
	f := &authForm{Email: c.FormValue("email"), Next: safeNext(c.FormValue("next"), ""), Errors: map[string]string{}}
	if !formCSRF(c) {
		return s.authFormError(c, "login.html", f, http.StatusBadRequest, "csrf", "")
	}
	// The same limits as POST /api/v1/auth/login: per address, and a
	// backoff per email after repeated failures.
	if ok, retry := s.limits.Login.Allow(c.RealIP()); !ok {
		return s.authFormError(c, "login.html", f, http.StatusTooManyRequests, auction.ERateLimited, RateLimited(c, retry, "sign-ins").Error())
	}
	key := strings.ToLower(strings.TrimSpace(f.Email))
	backoff := s.limits.LoginFailures
	if backoff != nil && key != "" {
		if wait := backoff.Wait(key); wait > 0 {
			return s.authFormError(c, "login.html", f, http.StatusTooManyRequests, auction.ERateLimited, RateLimited(c, wait, "failed sign-ins").Error())
		}
	}
	u, err := s.store.Login(c.Request().Context(), f.Email, c.FormValue("password"))
	if backoff != nil && key != "" {
		switch {
		case auction.ErrorCode(err) == auction.EInvalidCredentials:
			backoff.Fail(key)
		case err == nil:
			backoff.Succeed(key)
		}
	}
	if err != nil {
		return s.authFormError(c, "login.html", f, 0, auction.ErrorCode(err), errMessage(err))
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, safeNext(f.Next, homeFor(u)))
}

// pageSignup is GET /signup.
func (s *Server) pageSignup(c echo.Context) error {
	if sess := session(c); sess != nil {
		return c.Redirect(http.StatusSeeOther, homeFor(sess.User))
	}
	p := s.newPage(c, "signup.title")
	p.Nav, p.CSRF = "signup", preSessionToken(c)
	p.Data = &authForm{Next: safeNext(c.QueryParam("next"), ""), Errors: map[string]string{}}
	return s.render(c, http.StatusOK, "signup.html", p)
}

// pageSignupSubmit is POST /signup (form): creates a bidder and signs them in.
func (s *Server) pageSignupSubmit(c echo.Context) error {
	f := &authForm{Email: c.FormValue("email"), RealName: c.FormValue("real_name"), IDNumber: c.FormValue("id_number"),
		IDType: c.FormValue("id_type"), Phone: c.FormValue("phone"), Next: safeNext(c.FormValue("next"), ""), Errors: map[string]string{}}
	if !formCSRF(c) {
		return s.authFormError(c, "signup.html", f, http.StatusBadRequest, "csrf", "")
	}
	if ok, retry := s.limits.Signup.Allow(c.RealIP()); !ok {
		return s.authFormError(c, "signup.html", f, http.StatusTooManyRequests, auction.ERateLimited, RateLimited(c, retry, "sign-ups").Error())
	}
	u, err := s.signup(c.Request().Context(), signupRequest{Email: f.Email, Password: c.FormValue("password"),
		RealName: f.RealName, IDType: f.IDType, IDNumber: f.IDNumber, Phone: f.Phone})
	if err != nil {
		return s.authFormError(c, "signup.html", f, 0, auction.ErrorCode(err), errMessage(err))
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, safeNext(f.Next, "/"))
}

// authFormError shows the form again with the error at its field. Codes
// outside the one table (database failures) go to the error page.
func (s *Server) authFormError(c echo.Context, name string, f *authForm, st int, code, message string) error {
	if st == 0 {
		if _, ok := status[code]; !ok || code == auction.EInternal || code == auction.EUnavailable {
			return auction.Errorf(code, "%s", message)
		}
		// The form is shown again to be corrected, whatever the API status
		// of the refusal would be.
		st = http.StatusUnprocessableEntity
	}
	p := s.newPage(c, "")
	p.CSRF = preSessionToken(c)
	if name == "login.html" {
		p.Title, p.Nav = p.L.T("login.title"), "login"
	} else {
		p.Title, p.Nav = p.L.T("signup.title"), "signup"
	}
	text := p.L.T("err." + code)
	field := formField(code, message)
	switch {
	case code == auction.EInvalidField && strings.Contains(message, "is required"):
		text = p.L.T("err.required")
	case code == auction.EInvalidField && field == "email":
		text = p.L.T("err.email")
	}
	if field != "" {
		f.Errors[field] = text
	} else {
		f.Error = text
	}
	p.Data = f
	return s.render(c, st, name, p)
}

func errMessage(err error) string {
	var e *auction.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// pageLogout is POST /logout (form with the session's csrf field, checked by
// authenticate): ends the session everywhere at once.
func (s *Server) pageLogout(c echo.Context) error {
	if token, ok := c.Get("token").(string); ok && token != "" {
		if err := s.revokeToken(c.Request().Context(), token); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: c.Scheme() == "https"})
	return c.Redirect(http.StatusSeeOther, "/")
}
