package page

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/auction/courtdoc"
)

// documentDoc is a round's announcement or bidders' notice laid out for
// paper (courtdoc.Lay).
type documentDoc struct {
	printBase
	courtdoc.Layout
	Draft bool
}

// DocumentPrint is GET /auctions/{id}/documents/{kind}/print: a round's
// announcement (拍卖公告) or bidders' notice (竞买须知) for printing, public
// like the round; a draft's is marked as not published.
func (h *Handler) DocumentPrint(c echo.Context) error {
	kind := c.Param("kind")
	if !courtdoc.ValidKind(kind) {
		return auction.Errorf(auction.ENotFound, "no such document")
	}
	ctx := c.Request().Context()
	a, err := h.store.Auction(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	docs, err := h.store.AuctionDocuments(ctx, a.ID)
	if err != nil {
		return err
	}
	for _, d := range docs {
		if d.Kind != kind {
			continue
		}
		doc := &documentDoc{printBase: h.printBase(d.Title), Layout: courtdoc.Lay(d.Title, d.Body)}
		doc.Draft = d.PublishedAt == nil
		doc.NoIndex = doc.Draft
		return h.renderPrint(c, http.StatusOK, "document.html", doc)
	}
	return auction.Errorf(auction.ENotFound, "no such document")
}
