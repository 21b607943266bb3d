package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/auction/postgres"
)

// courtRoutes adds the court's actions on an auction (API.md v1.2 "Court
// actions on an auction"): clerks and admins only; and finance's side of
// an annulment, the balance payments it owes back.
func (s *Server) courtRoutes(api *echo.Group) {
	clerk := requireRole(auction.RoleClerk, auction.RoleAdmin)
	api.POST("/auctions/:id/suspend", s.handleAuctionSuspend, clerk)
	api.POST("/auctions/:id/cancel", s.handleAuctionCancel, clerk)
	api.POST("/auctions/:id/annul", s.handleAuctionAnnul, clerk)
	// What an annulment owes back, for finance.
	api.GET("/balance-returns", s.handleBalanceReturns, requireRole(auction.RoleFinance, auction.RoleAuditor, auction.RoleAdmin))
	api.POST("/balance-payments/:id/returned", s.handleBalanceReturned, requireRole(auction.RoleFinance, auction.RoleAdmin))
}

// courtRequest is the body of suspend, cancel and annul. An empty body is
// taken as {} so that a missing reason is answered as one (422).
type courtRequest struct {
	Reason string `json:"reason"`
}

// courtAction binds a court action's body, runs it and publishes its events.
func (s *Server) courtAction(c echo.Context, act func(ctx context.Context, p postgres.CourtAction) (*auction.Auction, []auction.Event, error)) error {
	var req courtRequest
	if err := bind(c, &req, true); err != nil {
		return err
	}
	ctx := c.Request().Context()
	a, events, err := act(ctx, postgres.CourtAction{AuctionID: c.Param("id"), Actor: user(c), Reason: req.Reason})
	if err != nil {
		return err
	}
	s.feed.Publish(ctx, auction.Change{AuctionID: a.ID, Events: events})
	return c.JSON(http.StatusOK, a)
}

// handleAuctionSuspend is POST /api/v1/auctions/{id}/suspend {reason}.
func (s *Server) handleAuctionSuspend(c echo.Context) error {
	return s.courtAction(c, s.store.SuspendAuction)
}

// handleAuctionCancel is POST /api/v1/auctions/{id}/cancel {reason}.
func (s *Server) handleAuctionCancel(c echo.Context) error {
	return s.courtAction(c, s.store.CancelAuction)
}

// handleAuctionAnnul is POST /api/v1/auctions/{id}/annul {reason}.
func (s *Server) handleAuctionAnnul(c echo.Context) error {
	return s.courtAction(c, s.store.AnnulAuction)
}

// handleAuctionResume is POST /api/v1/auctions/{id}/resume {ends_at, reason?}:
// a clerk reopens a suspended auction, whoever suspended it (the court or the
// outage guard), with a new end. The `resumed` event goes out on the live
// feed, which is how every registered bidder's page learns of it.
func (s *Server) handleAuctionResume(c echo.Context) error {
	var req struct {
		EndsAt *time.Time `json:"ends_at"`
		Reason string     `json:"reason"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.EndsAt == nil {
		return auction.FieldError("ends_at", "is required (RFC 3339)")
	}
	ctx := c.Request().Context()
	a, events, err := s.store.ResumeAuction(ctx, postgres.CourtAction{AuctionID: c.Param("id"), Actor: user(c), Reason: req.Reason}, *req.EndsAt)
	if err != nil {
		return err
	}
	s.feed.Publish(ctx, auction.Change{AuctionID: a.ID, Events: events})
	return c.JSON(http.StatusOK, a)
}

// handleBalanceReturns is GET /api/v1/balance-returns: balance payments owed
// back (an annulled sale) and not yet paid back.
func (s *Server) handleBalanceReturns(c echo.Context) error {
	due, err := s.store.BalanceReturnsDue(c.Request().Context())
	if err != nil {
		return err
	}
	var total int64
	for _, d := range due {
		total += d.Amount
	}
	return c.JSON(http.StatusOK, map[string]any{"balance_returns": due, "total": total})
}

// handleBalanceReturned is POST /api/v1/balance-payments/{id}/returned
// {reference}: finance paid an owed-back balance payment back.
func (s *Server) handleBalanceReturned(c echo.Context) error {
	var req referenceRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	p, err := s.store.MarkBalanceReturned(c.Request().Context(), c.Param("id"), req.Reference)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}
