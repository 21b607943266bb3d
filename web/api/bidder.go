package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/web/request"
)

// Register is POST /api/v1/auctions/{id}/registrations.
func (h *Handler) Register(c echo.Context) error {
	var req struct {
		// DeclaredNotStaff is the bidder's declaration that they are neither
		// staff of the court or platform nor a close relative of such staff;
		// it is recorded with its time (registration implies it).
		DeclaredNotStaff *bool `json:"declared_not_staff"`
		// NoticeVersion is the version of the bidders' notice (竞买须知) the
		// bidder was shown; registering agrees to the one in force.
		NoticeVersion *int `json:"notice_version"`
	}
	if err := request.Bind(c, &req, true); err != nil {
		return err
	}
	if req.DeclaredNotStaff != nil && !*req.DeclaredNotStaff {
		return auction.Errorf(auction.EStaffCannotBid, "staff of the court or platform and their close relatives may not bid")
	}
	reg, err := h.store.RegisterAgreeing(c.Request().Context(), request.User(c), c.Param("id"), req.NoticeVersion)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, reg)
}

// Bid is POST /api/v1/auctions/{id}/bids.
func (h *Handler) Bid(c echo.Context) error {
	// The bid's time is now, when the server has it (Art. 20), however long
	// it then waits for its auction's queue.
	arrival := h.store.Arrive()
	defer arrival.Release()
	// A body that is not a bid is the store's to refuse, after the key
	// (idempotency_key_required first) and with the auction's state, like
	// every bid refusal.
	bid := auction.PlaceBid{AuctionID: c.Param("id"), User: request.User(c), Key: c.Request().Header.Get("Idempotency-Key"), Arrival: arrival}
	var req struct {
		Amount *int64 `json:"amount"`
	}
	switch err := request.Bind(c, &req); {
	case err != nil:
		bid.Refused = err
	case req.Amount == nil:
		bid.Refused = auction.FieldError("amount", "is required (fen)")
	default:
		bid.Amount = *req.Amount
	}
	res, err := h.store.PlaceBid(c.Request().Context(), bid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, res)
}

// MyRegistrations is GET /api/v1/me/registrations.
func (h *Handler) MyRegistrations(c echo.Context) error {
	regs, err := h.store.UserRegistrations(c.Request().Context(), request.User(c).ID)
	if err != nil {
		return err
	}
	if regs == nil {
		regs = []auction.Registration{}
	}
	return c.JSON(http.StatusOK, map[string]any{"registrations": regs})
}
