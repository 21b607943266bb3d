package api

import (
	"gavel/auction"
	"gavel/web/request"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// SignupRequest is the body of POST /api/v1/auth/signup.
type SignupRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	RealName string `json:"real_name"`
	IDNumber string `json:"id_number"`
	// IDType is optional: resident_id unless the bidder is a company or
	// holds a passport or a residents' travel permit.
	IDType string `json:"id_type"`
	Phone  string `json:"phone"`
}

// AuthResponse answers a sign-up or sign-in: the account and its token.
type AuthResponse struct {
	User  *auction.User `json:"user"`
	Token string        `json:"token"`
	// ExpiresAt tells clients when to sign in again.
	ExpiresAt time.Time `json:"expires_at"`
}

// Signup is POST /api/v1/auth/signup: bidders register themselves.
func (h *Handler) Signup(c echo.Context) error {
	var req SignupRequest
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	u, err := h.store.SignUp(c.Request().Context(), auction.NewUser{Email: req.Email, Password: req.Password,
		RealName: req.RealName, IDType: req.IDType, IDNumber: req.IDNumber, Phone: req.Phone})
	if err != nil {
		return err
	}
	return h.issue(c, http.StatusCreated, u)
}

// issue answers a sign-in with a new API token.
func (h *Handler) issue(c echo.Context, code int, u *auction.User) error {
	token, sess, err := h.store.CreateToken(c.Request().Context(), u.ID, auction.TokenAPI, auction.TokenTTL)
	if err != nil {
		return err
	}
	return c.JSON(code, AuthResponse{User: u, Token: token, ExpiresAt: sess.ExpiresAt})
}

// Login is POST /api/v1/auth/login.
func (h *Handler) Login(c echo.Context) error {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	u, err := h.store.Login(c.Request().Context(), req.Email, req.Password)
	if err != nil {
		return err
	}
	return h.issue(c, http.StatusOK, u)
}

// Logout is POST /api/v1/auth/logout: the token stops working at once.
func (h *Handler) Logout(c echo.Context) error {
	token := request.Token(c)
	if err := h.sessions.Revoke(c.Request().Context(), token); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Me is GET /api/v1/me: the signed-in account.
func (h *Handler) Me(c echo.Context) error {
	// verified is also at the top level, where API.md v1.2 names it.
	return c.JSON(http.StatusOK, map[string]any{"user": request.User(c), "verified": request.User(c).Verified})
}
