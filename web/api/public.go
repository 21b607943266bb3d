package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/web/request"
)

// AuctionList is GET /api/v1/auctions: the public catalogue.
func (h *Handler) AuctionList(c echo.Context) error {
	f := auction.AuctionFilter{Status: c.QueryParam("status"), Category: c.QueryParam("category"),
		Court: c.QueryParam("court"), Query: c.QueryParam("q")}
	var err error
	if f.MinPrice, err = request.QueryInt(c, "min_price", 0); err != nil {
		return err
	}
	if f.MaxPrice, err = request.QueryInt(c, "max_price", 0); err != nil {
		return err
	}
	if f.Limit, f.Offset, err = request.QueryPage(c); err != nil {
		return err
	}
	list, more, err := h.store.Listings(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"auctions": list, "more": more})
}

// apiAuction is the auction of the route's id for the public API, whatever
// its status: API.md lists draft among the statuses GET /auctions/{id}
// answers. Only the catalogue leaves drafts out.
func (h *Handler) apiAuction(c echo.Context) (*auction.Auction, error) {
	return h.store.Auction(c.Request().Context(), c.Param("id"))
}

// AuctionView is GET /api/v1/auctions/{id}.
func (h *Handler) AuctionView(c echo.Context) error {
	a, err := h.apiAuction(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

// AuctionBids is GET /api/v1/auctions/{id}/bids.
func (h *Handler) AuctionBids(c echo.Context) error {
	if _, err := h.apiAuction(c); err != nil {
		return err
	}
	bids, err := h.store.Bids(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	if bids == nil {
		bids = []auction.Bid{}
	}
	return c.JSON(http.StatusOK, map[string]any{"bids": bids})
}

// AuctionEvents is GET /api/v1/auctions/{id}/events?since=N&limit=M.
func (h *Handler) AuctionEvents(c echo.Context) error {
	if _, err := h.apiAuction(c); err != nil {
		return err
	}
	since, err := request.QueryInt(c, "since", 0)
	if err != nil {
		return err
	}
	limit, err := request.QueryInt(c, "limit", 1000)
	if err != nil {
		return err
	}
	if limit < 1 {
		return auction.FieldError("limit", "must be at least 1")
	}
	// At most 10,000 per page; a larger limit is served as 10,000 with more=true.
	limit = min(limit, 10000)
	events, more, err := h.store.Events(c.Request().Context(), c.Param("id"), since, int(limit))
	if err != nil {
		return err
	}
	if events == nil {
		events = []auction.Event{}
	}
	return c.JSON(http.StatusOK, map[string]any{"events": events, "more": more})
}

// AuctionRecord is GET /api/v1/auctions/{id}/record: the hash-chained
// record, verifiable offline with `gavel verify`.
func (h *Handler) AuctionRecord(c echo.Context) error {
	if _, err := h.apiAuction(c); err != nil {
		return err
	}
	// Beyond the chain, the server checks the record against the auction row
	// and the bids table (audit_record.go).
	rec, err := h.store.VerifiedRecord(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"auction_id": rec.AuctionID, "events": rec.Events,
		"valid": rec.FirstBrokenSeq == 0, "first_broken_seq": rec.FirstBrokenSeq, "problem": rec.Problem})
}

// Confirmation is GET /api/v1/auctions/{id}/confirmation: 404 until sold.
func (h *Handler) Confirmation(c echo.Context) error {
	conf, err := h.store.Confirmation(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, conf)
}
