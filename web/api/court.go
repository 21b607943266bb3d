package api

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/web/request"
)

// CourtRequest is the body of suspend, cancel and annul. An empty body is
// taken as {} so that a missing reason is answered as one (422).
type CourtRequest struct {
	Reason string `json:"reason"`
}

// courtAction binds a court action's body and runs it (the store hands its
// events to the live feed).
func (h *Handler) courtAction(c echo.Context, act func(ctx context.Context, p auction.CourtAction) (*auction.Auction, []auction.Event, error)) error {
	var req CourtRequest
	if err := request.Bind(c, &req, true); err != nil {
		return err
	}
	ctx := c.Request().Context()
	a, _, err := act(ctx, auction.CourtAction{AuctionID: c.Param("id"), Actor: request.User(c), Reason: req.Reason})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

// AuctionSuspend is POST /api/v1/auctions/{id}/suspend {reason}.
func (h *Handler) AuctionSuspend(c echo.Context) error {
	return h.courtAction(c, h.store.SuspendAuction)
}

// AuctionCancel is POST /api/v1/auctions/{id}/cancel {reason}.
func (h *Handler) AuctionCancel(c echo.Context) error {
	return h.courtAction(c, h.store.CancelAuction)
}

// AuctionAnnul is POST /api/v1/auctions/{id}/annul {reason}.
func (h *Handler) AuctionAnnul(c echo.Context) error {
	return h.courtAction(c, h.store.AnnulAuction)
}

// AuctionResume is POST /api/v1/auctions/{id}/resume {ends_at, reason?}:
// a clerk reopens a suspended auction, whoever suspended it (the court or the
// outage guard), with a new end. The `resumed` event goes out on the live
// feed, which is how every registered bidder's page learns of it.
func (h *Handler) AuctionResume(c echo.Context) error {
	var req struct {
		EndsAt *time.Time `json:"ends_at"`
		Reason string     `json:"reason"`
	}
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	if req.EndsAt == nil {
		return auction.FieldError("ends_at", "is required (RFC 3339)")
	}
	ctx := c.Request().Context()
	a, _, err := h.store.ResumeAuction(ctx, auction.CourtAction{AuctionID: c.Param("id"), Actor: request.User(c), Reason: req.Reason}, *req.EndsAt)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

// BalanceReturns is GET /api/v1/balance-returns: balance payments owed
// back (an annulled sale) and not yet paid back.
func (h *Handler) BalanceReturns(c echo.Context) error {
	due, err := h.store.BalanceReturnsDue(c.Request().Context())
	if err != nil {
		return err
	}
	var total int64
	for _, d := range due {
		total += d.Amount
	}
	return c.JSON(http.StatusOK, map[string]any{"balance_returns": due, "total": total})
}

// BalanceReturned is POST /api/v1/balance-payments/{id}/returned
// {reference}: finance paid an owed-back balance payment back.
func (h *Handler) BalanceReturned(c echo.Context) error {
	return markReference(c, h.store.MarkBalanceReturned)
}
