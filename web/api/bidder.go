package api

import (
	"context"
	"errors"
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
	// The store checks the key (idempotency_key_required) so that the
	// refusal carries the auction state like every other bid refusal.
	key := c.Request().Header.Get("Idempotency-Key")
	var req struct {
		Amount *int64 `json:"amount"`
	}
	// A missing key is refused first, then a body that is not a bid; both,
	// like every bid refusal, with the auction's state (withState).
	if !auction.ValidIdempotencyKey(key) {
		return h.withState(c, auction.IdempotencyKeyRequired())
	}
	if err := request.Bind(c, &req); err != nil {
		return h.withState(c, err)
	}
	if req.Amount == nil {
		return h.withState(c, auction.FieldError("amount", "is required (fen)"))
	}
	res, err := h.store.PlaceBid(c.Request().Context(), auction.PlaceBid{AuctionID: c.Param("id"), User: request.User(c), Amount: *req.Amount, Key: key, Arrival: arrival})
	if err != nil {
		return err
	}
	if len(res.Events) > 0 {
		h.feed.Publish(c.Request().Context(), auction.Change{AuctionID: c.Param("id"), Events: res.Events})
	}
	return c.JSON(http.StatusCreated, res)
}

// withState adds the auction's current state to a refusal of a bid that the
// store never saw (API.md: every bid refusal carries it, so the client can
// bid again without another request). An auction that does not exist has
// none to give.
func (h *Handler) withState(c echo.Context, err error) error {
	if ae := (*auction.Error)(nil); errors.As(err, &ae) && ae.Auction == nil {
		ae.Auction = h.auctionState(c.Request().Context(), c.Param("id"))
	}
	return err
}

// auctionState is the bidder-facing state of an auction, for a refusal of a
// bid the bid core did not decide; nil when the auction cannot be read.
func (h *Handler) auctionState(ctx context.Context, auctionID string) *auction.State {
	a, err := h.store.Auction(ctx, auctionID)
	if err != nil {
		return nil
	}
	return a.State()
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
