package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"gavel/web/request"
)

// AuctionDocuments is GET /api/v1/auctions/{id}/documents: the round's
// announcement (拍卖公告) and bidders' notice (竞买须知), public like the
// round.
func (h *Handler) AuctionDocuments(c echo.Context) error {
	docs, err := h.store.AuctionDocuments(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"documents": docs})
}

// DocumentEdit is the body of PUT /api/v1/auctions/{id}/documents/{kind}.
type DocumentEdit struct {
	Body string `json:"body"`
}

// AuctionDocumentEdit is PUT /api/v1/auctions/{id}/documents/{kind}: a
// clerk's text of a draft round's document, kept as its next version.
func (h *Handler) AuctionDocumentEdit(c echo.Context) error {
	var req DocumentEdit
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	d, err := h.store.EditAuctionDocument(c.Request().Context(), request.User(c), c.Param("id"), c.Param("kind"), req.Body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// AuctionDocumentVersions is GET /api/v1/auctions/{id}/documents/{kind}/versions:
// every stored text of a round's document.
func (h *Handler) AuctionDocumentVersions(c echo.Context) error {
	list, err := h.store.DocumentVersions(c.Request().Context(), c.Param("id"), c.Param("kind"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"versions": list})
}
