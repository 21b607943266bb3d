package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/web/request"
)

// AuditLog is GET /api/v1/audit?since=N&limit=M (auditor, admin): the
// audit log after seq N, verified link by link against its chain.
func (h *Handler) AuditLog(c echo.Context) error {
	since, err := request.QueryInt(c, "since", 0)
	if err != nil {
		return err
	}
	limit, err := request.QueryInt(c, "limit", 1000)
	if err != nil {
		return err
	}
	if limit < 1 || limit > 10000 {
		return auction.FieldError("limit", "must be between 1 and 10000")
	}
	page, err := h.store.AuditLog(c.Request().Context(), since, int(limit))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

// Interceptions is GET /api/v1/interceptions?auction_id=&since=&limit=
// (clerk, auditor, admin): restricted bidders stopped at registration or at a
// bid, for the court.
func (h *Handler) Interceptions(c echo.Context) error {
	since, err := request.QueryInt(c, "since", 0)
	if err != nil {
		return err
	}
	limit, err := request.QueryInt(c, "limit", 1000)
	if err != nil {
		return err
	}
	if limit < 1 || limit > 10000 {
		return auction.FieldError("limit", "must be between 1 and 10000")
	}
	list, more, err := h.store.Interceptions(c.Request().Context(), auction.InterceptionFilter{
		AuctionID: c.QueryParam("auction_id"), Since: since, Limit: int(limit)})
	if err != nil {
		return err
	}
	if list == nil {
		list = []auction.Interception{}
	}
	return c.JSON(http.StatusOK, map[string]any{"interceptions": list, "more": more})
}

// DepositPayer is GET /api/v1/deposits/{id}/payer (finance, admin): the
// name of the person who owes a deposit, to match a bank transfer. It is the
// one view that ties a registration to a person before the close, so the
// store records each look in the audit log before answering.
func (h *Handler) DepositPayer(c echo.Context) error {
	p, err := h.store.ViewDepositPayer(c.Request().Context(), request.User(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}
