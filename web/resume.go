package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
)

// bidRoute is the route whose server errors count against the outage guard.
const bidRoute = "/api/v1/auctions/:id/bids"

// handleAuctionResume is POST /api/v1/auctions/{id}/resume {"ends_at": RFC 3339}:
// a clerk reopens an auction the outage guard suspended, with a new end at
// least one outage guard window away. The `resumed` event goes out on the
// live feed, which is how every registered bidder's page learns of it.
func (s *Server) handleAuctionResume(c echo.Context) error {
	var req struct {
		EndsAt *time.Time `json:"ends_at"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.EndsAt == nil {
		return auction.FieldError("ends_at", "is required (RFC 3339)")
	}
	ctx := c.Request().Context()
	a, events, err := s.store.ResumeAuction(ctx, c.Param("id"), *req.EndsAt)
	if err != nil {
		return err
	}
	s.feed.Publish(ctx, auction.Change{AuctionID: a.ID, Events: events})
	return c.JSON(http.StatusOK, a)
}

// noteBidFailure tells the outage guard that a bid was turned away by a
// server error. A bidder who hung up is not a failure of the service.
func (s *Server) noteBidFailure(c echo.Context, status int, code string) {
	if s.cfg.BidFailed == nil || status < 500 || c.Request().Method != http.MethodPost || c.Path() != bidRoute {
		return
	}
	if errors.Is(c.Request().Context().Err(), context.Canceled) {
		return
	}
	s.cfg.BidFailed(c.Param("id"), code)
}
