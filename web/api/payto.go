package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/web/request"
)

// CourtAccounts is GET /api/v1/court-accounts: every court's receiving
// account, which bidders pay deposits and balances into.
func (h *Handler) CourtAccounts(c echo.Context) error {
	as, err := h.store.CourtAccounts(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"court_accounts": as})
}

// CourtAccountSet is PUT /api/v1/court-accounts {court_name, account_name,
// bank, account_number}: an admin sets a court's receiving account; the
// registrations of its cases show it from then on.
func (h *Handler) CourtAccountSet(c echo.Context) error {
	var req auction.PayTo
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	p, err := h.store.SetCourtAccount(c.Request().Context(), request.User(c).ID, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// AuctionCosts is GET /api/v1/auctions/{id}/costs: the costs recorded for
// a round, the first call on a forfeited deposit.
func (h *Handler) AuctionCosts(c echo.Context) error {
	cs, err := h.store.AuctionCosts(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"costs": cs})
}

// AuctionCostRecord is POST /api/v1/auctions/{id}/costs {amount,
// description}: the court records what the round cost.
func (h *Handler) AuctionCostRecord(c echo.Context) error {
	var req struct {
		Amount      *int64 `json:"amount"`
		Description string `json:"description"`
	}
	if err := bindAmount(c, &req, &req.Amount); err != nil {
		return err
	}
	cost, err := h.store.RecordAuctionCost(c.Request().Context(), request.User(c).ID, c.Param("id"), *req.Amount, req.Description)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, cost)
}
