package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/web/request"
)

// Signals is GET /api/v1/auctions/{id}/signals (clerk, auditor, admin):
// collusion signals (bidders sharing an IP address, a device or a deposit
// payer) with their evidence. Only after the close (409 invalid_state before),
// and only flags: Gavel never acts on them; the court decides.
func (h *Handler) Signals(c echo.Context) error {
	signals, err := h.store.Signals(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"auction_id": c.Param("id"), "signals": signals})
}

// DepositPayerRecord is POST /api/v1/deposits/{id}/payer {account}
// (finance, admin): the account a deposit was paid from, as the bank
// statement shows it. Only a hash is kept, for the shared-payer signal.
func (h *Handler) DepositPayerRecord(c echo.Context) error {
	var req struct {
		Account string `json:"account"`
	}
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Account) == "" {
		return auction.FieldError("account", "is required (the paying account as the bank statement shows it)")
	}
	if len(req.Account) > 200 {
		return auction.FieldError("account", "is longer than 200 characters")
	}
	if err := h.store.RecordDepositPayer(c.Request().Context(), c.Param("id"), req.Account); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
