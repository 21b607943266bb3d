package page

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/web/request"
)

// identityData is the identity desk: the accounts of the number a clerk is
// checking, and for an admin the accounts the identity review flagged.
type identityData struct {
	Query  string
	Found  []auction.UserIdentity
	Issues []auction.UserIdentity
	Admin  bool
	// Err is a refusal of the search (the number's text).
	Err string
}

// Identity is GET /clerk/identity?id_number=N (clerk, admin): the desk where
// a clerk, with the person's documents in hand, finds every account
// claiming the number and verifies the right one (POST
// /api/v1/users/{id}/verify from the page's form). Each search is audited
// like GET /api/v1/users.
func (h *Handler) Identity(c echo.Context) error {
	ctx := c.Request().Context()
	u := request.User(c)
	d := &identityData{Query: strings.TrimSpace(c.QueryParam("id_number")), Admin: u.Role == auction.RoleAdmin}
	if d.Query != "" {
		found, err := h.store.UsersByIDNumber(ctx, d.Query)
		switch {
		case auction.ErrorCode(err) == auction.EInvalidField:
			d.Err = err.(*auction.Error).Message
		case err != nil:
			return err
		default:
			d.Found = found
			if _, err := h.store.Audit(ctx, auction.NewAuditEntry{ActorID: u.ID, ActorRole: u.Role, Action: "GET /clerk/identity",
				Status: http.StatusOK, Detail: map[string]any{"matches": len(found), "request_id": request.ID(c)}}); err != nil {
				return err
			}
		}
	}
	if d.Admin {
		issues, err := h.store.IdentityIssues(ctx)
		if err != nil {
			return err
		}
		d.Issues = issues
	}
	p := h.newPage(c, "identity.title")
	p.Nav, p.Data = "identity", d
	return h.render(c, http.StatusOK, "identity.html", p)
}
