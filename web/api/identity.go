package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/web/request"
)

// Verified identity (API.md v1.2 "Verified identity"): clerks find a
// person's accounts and verify one after checking documents, bidders verify
// themselves through the court's real-name provider, admins see the accounts
// the identity review of migration 00008 flagged.

// UsersByIDNumber is GET /api/v1/users?id_number=N (clerk, admin): the
// accounts of the person N, however N is typed. Reading personal data by
// number is itself audited (who looked, how many accounts; not the number).
func (h *Handler) UsersByIDNumber(c echo.Context) error {
	ctx := c.Request().Context()
	users, err := h.store.UsersByIDNumber(ctx, c.QueryParam("id_number"))
	if err != nil {
		return err
	}
	u := request.User(c)
	if _, err := h.store.Audit(ctx, auction.NewAuditEntry{ActorID: u.ID, ActorRole: u.Role, Action: "GET /api/v1/users",
		Status: http.StatusOK, Detail: map[string]any{"matches": len(users), "request_id": request.ID(c)}}); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"users": users})
}

// UserVerify is POST /api/v1/users/{id}/verify {method, reference,
// id_type?, id_number?} (clerk, admin): the person is verified; unverified
// accounts claiming the same person lose the claim.
func (h *Handler) UserVerify(c echo.Context) error {
	var req auction.Verification
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	u, err := h.store.VerifyUser(c.Request().Context(), request.User(c), c.Param("id"), req)
	if err != nil {
		return err
	}
	h.sessions.AccountsChanged()
	return c.JSON(http.StatusOK, u)
}

// MeVerify is POST /api/v1/me/verify {} (bidder): the court's real-name
// provider confirms the bidder's name and number, and the bidder is verified
// (method provider, the provider's reference). Without a provider: 409
// invalid_state (verification is at the court's desk).
func (h *Handler) MeVerify(c echo.Context) error {
	var req struct{}
	if err := request.Bind(c, &req, true); err != nil {
		return err
	}
	if h.cfg.Identity == nil {
		return auction.Errorf(auction.EInvalidState, "this court verifies identities at its desk: bring your identity document to a clerk")
	}
	ctx := c.Request().Context()
	u := request.User(c)
	if u.Verified {
		return c.JSON(http.StatusOK, u)
	}
	if u.IDNumber == "" {
		return auction.FieldError("id_number", "this account holds no identity number; a court clerk can verify you at the desk")
	}
	ref, err := h.cfg.Identity.Verify(ctx, u.RealName, auction.Identity{Type: u.IDType, Number: u.IDNumber})
	if err != nil && auction.ErrorCode(err) == auction.EInternal {
		h.log.Warn("real-name provider failed", "request_id", request.ID(c), "err", err)
		return auction.Errorf(auction.EUnavailable, "the verification provider did not answer; try again shortly or verify at the court's desk")
	}
	if err != nil {
		return err
	}
	v, err := h.store.VerifyUser(ctx, nil, u.ID, auction.Verification{Method: auction.VerifyProvider, Reference: ref})
	if err != nil {
		return err
	}
	h.sessions.AccountsChanged()
	return c.JSON(http.StatusOK, v)
}

// IdentityIssues is GET /api/v1/admin/identity-issues (admin): the accounts
// migration 00008 found sharing a person or holding a number that fails its
// check. They keep working until an admin resolves them by verifying the
// right account (POST /users/{id}/verify).
func (h *Handler) IdentityIssues(c echo.Context) error {
	users, err := h.store.IdentityIssues(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"users": users})
}
