package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"gavel/auction"
)

// handleDepositList is GET /api/v1/auctions/{id}/deposits.
func (s *Server) handleDepositList(c echo.Context) error {
	deps, err := s.store.Deposits(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	if deps == nil {
		deps = []auction.Deposit{}
	}
	return c.JSON(http.StatusOK, map[string]any{"deposits": deps})
}

type referenceRequest struct {
	Reference string `json:"reference"`
}

// handleDepositConfirm is POST /api/v1/deposits/{id}/confirm.
func (s *Server) handleDepositConfirm(c echo.Context) error {
	var req referenceRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	d, err := s.store.ConfirmDeposit(c.Request().Context(), c.Param("id"), req.Reference)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// handleDepositRefunded is POST /api/v1/deposits/{id}/refunded.
func (s *Server) handleDepositRefunded(c echo.Context) error {
	var req referenceRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	d, err := s.store.MarkRefunded(c.Request().Context(), c.Param("id"), req.Reference)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// handleBalancePayment is POST /api/v1/auctions/{id}/balance-payments.
func (s *Server) handleBalancePayment(c echo.Context) error {
	var req struct {
		Amount    *int64 `json:"amount"`
		Reference string `json:"reference"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Amount == nil {
		return auction.FieldError("amount", "is required (fen)")
	}
	p, events, err := s.store.RecordBalancePayment(c.Request().Context(), user(c).ID, c.Param("id"), *req.Amount, req.Reference)
	if err != nil {
		return err
	}
	if len(events) > 0 {
		s.feed.Publish(c.Request().Context(), auction.Change{AuctionID: p.AuctionID, Events: events})
	}
	return c.JSON(http.StatusCreated, p)
}

// handleExcessRefunded is POST /api/v1/balance-payments/{id}/refunded:
// finance paid a balance payment's excess back to the buyer.
func (s *Server) handleExcessRefunded(c echo.Context) error {
	var req referenceRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	p, err := s.store.MarkBalanceRefunded(c.Request().Context(), c.Param("id"), req.Reference)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// handleCaseProceeds is GET /api/v1/cases/{id}/proceeds.
func (s *Server) handleCaseProceeds(c echo.Context) error {
	p, err := s.store.CaseProceeds(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}
