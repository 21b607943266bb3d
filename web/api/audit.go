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
	since, limit, err := querySince(c)
	if err != nil {
		return err
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
	since, limit, err := querySince(c)
	if err != nil {
		return err
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

// querySince reads a log's page from the query: since (a seq, default 0)
// and limit (1 to 10,000, default 1,000). Returns invalid_field.
func querySince(c echo.Context) (since, limit int64, err error) {
	if since, err = request.QueryInt(c, "since", 0); err != nil {
		return 0, 0, err
	}
	if limit, err = request.QueryInt(c, "limit", 1000); err != nil {
		return 0, 0, err
	}
	if limit < 1 || limit > 10000 {
		return 0, 0, auction.FieldError("limit", "must be between 1 and 10000")
	}
	return since, limit, nil
}
