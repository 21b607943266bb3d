package page

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/web/limit"
	"gavel/web/request"
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

// Login is GET /login.
func (h *Handler) Login(c echo.Context) error {
	if sess := request.Session(c); sess != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next"), homeFor(sess.User)))
	}
	p := h.newPage(c, "login.title")
	p.Nav, p.CSRF = "login", preSessionToken(c)
	p.Data = &authForm{Next: safeNext(c.QueryParam("next"), ""), Errors: map[string]string{}}
	return h.render(c, http.StatusOK, "login.html", p)
}

// LoginSubmit is POST /login (form): signs the browser in with a session cookie.
func (h *Handler) LoginSubmit(c echo.Context) error {
	f := &authForm{Email: c.FormValue("email"), Next: safeNext(c.FormValue("next"), ""), Errors: map[string]string{}}
	if !formCSRF(c) {
		return h.authFormError(c, "login.html", f, http.StatusBadRequest, "csrf", "")
	}
	// The same limits as POST /api/v1/auth/login: per address, and a
	// backoff per address and email after repeated failures (limit.LoginGuard).
	if ok, retry := h.limits.Login.Allow(c.RealIP()); !ok {
		return h.authFormError(c, "login.html", f, http.StatusTooManyRequests, auction.ERateLimited, limit.RateLimited(c, retry, "sign-ins").Error())
	}
	ip, hasEmail := c.RealIP(), strings.TrimSpace(f.Email) != ""
	backoff := h.limits.LoginFailures
	if backoff != nil && hasEmail {
		if wait := backoff.Wait(ip, f.Email); wait > 0 {
			return h.authFormError(c, "login.html", f, http.StatusTooManyRequests, auction.ERateLimited, limit.RateLimited(c, wait, "failed sign-ins").Error())
		}
	}
	u, err := h.store.Login(c.Request().Context(), f.Email, c.FormValue("password"))
	if backoff != nil && hasEmail {
		switch {
		case auction.ErrorCode(err) == auction.EInvalidCredentials:
			backoff.Fail(ip, f.Email)
		case err == nil:
			backoff.Succeed(ip, f.Email)
		}
	}
	if err != nil {
		return h.authFormError(c, "login.html", f, 0, auction.ErrorCode(err), errMessage(err))
	}
	if err := h.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, safeNext(f.Next, homeFor(u)))
}

// Signup is GET /signup.
func (h *Handler) Signup(c echo.Context) error {
	if sess := request.Session(c); sess != nil {
		return c.Redirect(http.StatusSeeOther, homeFor(sess.User))
	}
	p := h.newPage(c, "signup.title")
	p.Nav, p.CSRF = "signup", preSessionToken(c)
	p.Data = &authForm{Next: safeNext(c.QueryParam("next"), ""), Errors: map[string]string{}}
	return h.render(c, http.StatusOK, "signup.html", p)
}

// SignupSubmit is POST /signup (form): creates a bidder and signs them in.
func (h *Handler) SignupSubmit(c echo.Context) error {
	f := &authForm{Email: c.FormValue("email"), RealName: c.FormValue("real_name"), IDNumber: c.FormValue("id_number"), IDType: c.FormValue("id_type"),
		Phone: c.FormValue("phone"), Next: safeNext(c.FormValue("next"), ""), Errors: map[string]string{}}
	if !formCSRF(c) {
		return h.authFormError(c, "signup.html", f, http.StatusBadRequest, "csrf", "")
	}
	if ok, retry := h.limits.Signup.Allow(c.RealIP()); !ok {
		return h.authFormError(c, "signup.html", f, http.StatusTooManyRequests, auction.ERateLimited, limit.RateLimited(c, retry, "sign-ups").Error())
	}
	u, err := h.store.SignUp(c.Request().Context(), auction.NewUser{Email: f.Email, Password: c.FormValue("password"),
		RealName: f.RealName, IDType: f.IDType, IDNumber: f.IDNumber, Phone: f.Phone})
	if err != nil {
		return h.authFormError(c, "signup.html", f, 0, auction.ErrorCode(err), errMessage(err))
	}
	if err := h.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, safeNext(f.Next, "/"))
}

// authFormError shows the form again with the error at its field. Codes
// outside the one table (database failures) go to the error page.
func (h *Handler) authFormError(c echo.Context, name string, f *authForm, st int, code, message string) error {
	if st == 0 {
		if _, ok := request.Status[code]; !ok || code == auction.EInternal || code == auction.EUnavailable {
			return auction.Errorf(code, "%s", message)
		}
		// The form is shown again to be corrected, whatever the API status
		// of the refusal would be.
		st = http.StatusUnprocessableEntity
	}
	p := h.newPage(c, "")
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
	return h.render(c, st, name, p)
}

func errMessage(err error) string {
	var e *auction.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// Logout is POST /logout (form with the session's csrf field, checked by
// authenticate): ends the session everywhere at once.
func (h *Handler) Logout(c echo.Context) error {
	if token := request.Token(c); token != "" {
		if err := h.sessions.Revoke(c.Request().Context(), token); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: request.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: c.Scheme() == "https"})
	return c.Redirect(http.StatusSeeOther, "/")
}
