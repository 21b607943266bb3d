package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/auction/postgres"
)

// handleAuctionList is GET /api/v1/auctions: the public catalogue.
func (s *Server) handleAuctionList(c echo.Context) error {
	f := postgres.AuctionFilter{Status: c.QueryParam("status"), Category: c.QueryParam("category"),
		Court: c.QueryParam("court"), Query: c.QueryParam("q")}
	var err error
	if f.MinPrice, err = queryInt(c, "min_price", 0); err != nil {
		return err
	}
	if f.MaxPrice, err = queryInt(c, "max_price", 0); err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 100)
	if err != nil {
		return err
	}
	if limit < 1 || limit > 500 {
		return auction.FieldError("limit", "must be between 1 and 500")
	}
	offset, err := queryInt(c, "offset", 0)
	if err != nil {
		return err
	}
	f.Limit, f.Offset = int(limit), int(min(offset, maxOffset))
	list, more, err := s.store.Listings(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"auctions": list, "more": more})
}

// maxOffset bounds how deep a catalogue page may start: a bigger offset is
// answered as this one (nothing is that deep), never with an error.
const maxOffset = 1_000_000

func queryInt(c echo.Context, name string, def int64) (int64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, auction.FieldError(name, "must be a non-negative integer")
	}
	return n, nil
}

// publicAuction is the auction as the auction page presents it to bidders:
// a draft is hidden from all but staff, as it is not open to bidders yet.
// The API's reads and the live feed show drafts to everyone (apiAuction).
func (s *Server) publicAuction(c echo.Context) (*auction.Auction, error) {
	a, err := s.apiAuction(c)
	if err != nil {
		return nil, err
	}
	if a.Status == auction.StatusDraft && !isStaff(c) {
		return nil, auction.Errorf(auction.ENotFound, "auction not found")
	}
	return a, nil
}

// apiAuction is the auction of the route's id for the public API, whatever
// its status: API.md lists draft among the statuses GET /auctions/{id}
// answers. Only the catalogue leaves drafts out.
func (s *Server) apiAuction(c echo.Context) (*auction.Auction, error) {
	return s.store.Auction(c.Request().Context(), c.Param("id"))
}

func isStaff(c echo.Context) bool {
	sess := session(c)
	return sess != nil && auction.IsStaffRole(sess.User.Role)
}

// handleAuctionView is GET /api/v1/auctions/{id}.
func (s *Server) handleAuctionView(c echo.Context) error {
	a, err := s.apiAuction(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

// handleAuctionBids is GET /api/v1/auctions/{id}/bids.
func (s *Server) handleAuctionBids(c echo.Context) error {
	if _, err := s.apiAuction(c); err != nil {
		return err
	}
	bids, err := s.store.Bids(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	if bids == nil {
		bids = []auction.Bid{}
	}
	return c.JSON(http.StatusOK, map[string]any{"bids": bids})
}

// handleAuctionEvents is GET /api/v1/auctions/{id}/events?since=N&limit=M.
func (s *Server) handleAuctionEvents(c echo.Context) error {
	if _, err := s.apiAuction(c); err != nil {
		return err
	}
	since, err := queryInt(c, "since", 0)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 1000)
	if err != nil {
		return err
	}
	if limit < 1 {
		return auction.FieldError("limit", "must be at least 1")
	}
	// At most 10,000 per page; a larger limit is served as 10,000 with more=true.
	limit = min(limit, 10000)
	events, more, err := s.store.Events(c.Request().Context(), c.Param("id"), since, int(limit))
	if err != nil {
		return err
	}
	if events == nil {
		events = []auction.Event{}
	}
	return c.JSON(http.StatusOK, map[string]any{"events": events, "more": more})
}

// handleAuctionRecord is GET /api/v1/auctions/{id}/record: the hash-chained
// record, verifiable offline with `gavel verify`.
func (s *Server) handleAuctionRecord(c echo.Context) error {
	if _, err := s.apiAuction(c); err != nil {
		return err
	}
	// Beyond the chain, the server checks the record against the auction row
	// and the bids table (audit_record.go).
	rec, err := s.store.VerifiedRecord(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"auction_id": rec.AuctionID, "events": rec.Events,
		"valid": rec.FirstBrokenSeq == 0, "first_broken_seq": rec.FirstBrokenSeq, "problem": rec.Problem})
}

// handleConfirmation is GET /api/v1/auctions/{id}/confirmation: 404 until sold.
func (s *Server) handleConfirmation(c echo.Context) error {
	conf, err := s.store.Confirmation(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, conf)
}
