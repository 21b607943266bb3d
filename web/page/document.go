package page

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/auction/courtdoc"
)

// documentDoc is a round's announcement or bidders' notice laid out for
// paper: the heading lines (court, title, case number), the numbered
// section headings and paragraphs, and the signature (court and date).
type documentDoc struct {
	printBase
	Draft  bool
	Head   []documentLine
	Blocks []documentLine
	Sign   []string
}

type documentLine struct {
	Text    string
	Class   string
	Heading bool
}

// sectionHeading is a numbered section heading of a court document: 一、…
var sectionHeading = regexp.MustCompile(`^[一二三四五六七八九十]+、\S{1,20}$`)

// layoutDocument splits a document's text into its parts. The text is the
// one courtdoc writes or a clerk's edit of it: the first three lines are the
// heading when the second is the title; the last two the signature when
// the second last is the court.
func layoutDocument(title, body string) *documentDoc {
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	d := &documentDoc{}
	if len(lines) >= 3 && lines[1] == title {
		d.Head = []documentLine{{Text: lines[0], Class: "court"}, {Text: lines[1], Class: "title"}, {Text: lines[2], Class: "doc-ref"}}
		if n := len(lines); n >= 5 && lines[n-2] == lines[0] {
			d.Sign = lines[n-2:]
			lines = lines[:n-2]
		}
		lines = lines[3:]
	} else {
		d.Head = []documentLine{{Text: title, Class: "title"}}
	}
	for _, l := range lines {
		d.Blocks = append(d.Blocks, documentLine{Text: l, Heading: sectionHeading.MatchString(l)})
	}
	return d
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
		doc := layoutDocument(d.Title, d.Body)
		doc.printBase = h.printBase(d.Title)
		doc.Draft = d.PublishedAt == nil
		doc.NoIndex = doc.Draft
		return h.renderPrint(c, http.StatusOK, "document.html", doc)
	}
	return auction.Errorf(auction.ENotFound, "no such document")
}
