package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/web/request"
)

// AuctionResume is POST /api/v1/auctions/{id}/resume {"ends_at": RFC 3339}:
// a clerk reopens an auction the outage guard suspended, with a new end at
// least one outage guard window away. The `resumed` event goes out on the
// live feed, which is how every registered bidder's page learns of it.
func (h *Handler) AuctionResume(c echo.Context) error {
	var req struct {
		EndsAt *time.Time `json:"ends_at"`
	}
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	if req.EndsAt == nil {
		return auction.FieldError("ends_at", "is required (RFC 3339)")
	}
	ctx := c.Request().Context()
	a, events, err := h.store.ResumeAuction(ctx, c.Param("id"), *req.EndsAt)
	if err != nil {
		return err
	}
	h.feed.Publish(ctx, auction.Change{AuctionID: a.ID, Events: events})
	return c.JSON(http.StatusOK, a)
}
