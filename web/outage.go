package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
)

// bidRoute is the route whose server errors count against the outage guard.
const bidRoute = "/api/v1/auctions/:id/bids"

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
