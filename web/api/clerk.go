package api

import (
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/web/request"
)

// CaseList is GET /api/v1/cases?case_number=&court=&party=&limit=&offset=:
// the clerks' case list, searched and paged (more says whether another page
// follows).
func (h *Handler) CaseList(c echo.Context) error {
	f := auction.CaseFilter{CaseNumber: c.QueryParam("case_number"), Court: c.QueryParam("court"), Party: c.QueryParam("party")}
	var err error
	if f.Limit, f.Offset, err = request.QueryPage(c); err != nil {
		return err
	}
	cases, more, err := h.store.Cases(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"cases": cases, "more": more})
}

// CaseCreate is POST /api/v1/cases.
func (h *Handler) CaseCreate(c echo.Context) error {
	var req auction.NewCase
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	cs, err := h.store.CreateCase(c.Request().Context(), request.User(c).ID, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, cs)
}

// CaseView is GET /api/v1/cases/{id}.
func (h *Handler) CaseView(c echo.Context) error {
	cs, err := h.store.Case(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cs)
}

// LotCreate is POST /api/v1/cases/{id}/lots.
func (h *Handler) LotCreate(c echo.Context) error {
	var req auction.NewLot
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	lot, err := h.store.CreateLot(c.Request().Context(), c.Param("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, lot)
}

// LotView is GET /api/v1/lots/{id} (staff: priority holders by name).
func (h *Handler) LotView(c echo.Context) error {
	lot, err := h.store.Lot(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, lot)
}

// PublicLot is GET /api/v1/public/lots/{id}: the lot as the public sees
// it, with priority holders by rank only.
func (h *Handler) PublicLot(c echo.Context) error {
	lot, err := h.store.Lot(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	published := lot.Auctions[:0]
	for _, a := range lot.Auctions {
		if a.Status != auction.StatusDraft {
			published = append(published, a)
		}
	}
	if len(published) == 0 {
		return auction.Errorf(auction.ENotFound, "lot not found")
	}
	lot.Auctions = published
	for i := range lot.PriorityHolders {
		lot.PriorityHolders[i].Name = ""
	}
	return c.JSON(http.StatusOK, lot)
}

// PriorityHolderCreate is POST /api/v1/lots/{id}/priority-holders.
func (h *Handler) PriorityHolderCreate(c echo.Context) error {
	var req auction.NewPriorityHolder
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	holder, err := h.store.AddPriorityHolder(c.Request().Context(), c.Param("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, holder)
}

// allowedDocumentTypes are what a lot may publish; anything else is refused so
// the server never serves active content under its own origin.
var allowedDocumentTypes = map[string]bool{
	"image/jpeg": true, "image/png": true, "image/webp": true, "application/pdf": true,
}

// DocumentUpload is POST /api/v1/lots/{id}/documents (multipart: file, kind).
func (h *Handler) DocumentUpload(c echo.Context) error {
	fh, err := c.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the file is too large")
		}
		return auction.FieldError("file", "a multipart file field named file is required")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, auction.MaxDocumentSize+1))
	if err != nil {
		return err
	}
	ct := http.DetectContentType(data)
	if !allowedDocumentTypes[ct] {
		return auction.FieldError("file", "must be a JPEG, PNG or WebP photo or a PDF (got %s)", ct)
	}
	kind := c.FormValue("kind")
	if kind == "" {
		kind = "document"
		if strings.HasPrefix(ct, "image/") {
			kind = "photo"
		}
	}
	d, err := h.store.AddDocument(c.Request().Context(), c.Param("id"), kind, fh.Filename, ct, data)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, d)
}

// Document is GET /api/v1/documents/{id}: a lot's photo or document.
func (h *Handler) Document(c echo.Context) error {
	d, data, err := h.store.DocumentData(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.Blob(http.StatusOK, d.ContentType, data)
}

// AuctionCreate is POST /api/v1/lots/{id}/auctions.
func (h *Handler) AuctionCreate(c echo.Context) error {
	var req auction.ScheduleParams
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	req.LotID = c.Param("id")
	a, err := h.store.ScheduleAuction(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return h.savedDraft(c, http.StatusCreated, a)
}

// SavedDraft is a saved draft round as its save answers it: the round, the
// earliest legal start if it were published now, and a warning naming
// starts_at when the start is earlier than that. API.md lets such a draft be
// created (announcement_period_too_short is publish's refusal), so saving
// warns instead of refusing; publishing still refuses.
type SavedDraft struct {
	*auction.Auction
	EarliestStart time.Time      `json:"earliest_start"`
	Warnings      []DraftWarning `json:"warnings"`
}

// DraftWarning is a rule a saved draft breaks that only publishing enforces.
type DraftWarning struct {
	Code    string `json:"code"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (h *Handler) savedDraft(c echo.Context, status int, a *auction.Auction) error {
	lot, err := h.store.Lot(c.Request().Context(), a.LotID)
	if err != nil {
		return err
	}
	rb, err := auction.LookupRulebook(a.Rulebook)
	if err != nil {
		return err
	}
	d := SavedDraft{Auction: a, EarliestStart: rb.EarliestStart(a.Round, lot.Category, h.store.Clock().Now()).UTC(), Warnings: []DraftWarning{}}
	if a.StartsAt.Before(d.EarliestStart) {
		d.Warnings = append(d.Warnings, DraftWarning{Code: auction.EAnnouncementPeriodTooShort, Field: "starts_at",
			Message: "starts_at: inside the notice period if published now; the earliest legal start is " + d.EarliestStart.Format(time.RFC3339)})
	}
	return c.JSON(status, d)
}

// AuctionPublish is POST /api/v1/auctions/{id}/publish.
func (h *Handler) AuctionPublish(c echo.Context) error {
	var req struct{}
	if err := request.Bind(c, &req, true); err != nil {
		return err
	}
	a, err := h.store.PublishAuction(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

// BlacklistImport is POST /api/v1/blacklist: JSON {entries:[...]} or
// text/csv with the header name,id_number,case_number.
func (h *Handler) BlacklistImport(c echo.Context) error {
	var entries []auction.BlacklistEntry
	source := "api"
	if strings.HasPrefix(c.Request().Header.Get("Content-Type"), "text/csv") {
		var err error
		if entries, err = ParseBlacklistCSV(c.Request().Body); err != nil {
			return err
		}
		source = "csv"
	} else {
		var req struct {
			Entries []auction.BlacklistEntry `json:"entries"`
		}
		if err := request.Bind(c, &req); err != nil {
			return err
		}
		entries = req.Entries
	}
	n, err := h.store.ImportBlacklist(c.Request().Context(), source, entries)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"imported": n})
}

// ParseBlacklistCSV reads a restriction list in CSV with the header
// name,id_number,case_number (in any order), and optionally id_type.
// Returns invalid_request.
func ParseBlacklistCSV(r io.Reader) ([]auction.BlacklistEntry, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the request body is larger than 1 MiB")
		}
		return nil, auction.Errorf(auction.EInvalidRequest, "CSV needs a header line name,id_number,case_number")
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, want := range []string{"name", "id_number", "case_number"} {
		if _, ok := col[want]; !ok {
			return nil, auction.Errorf(auction.EInvalidRequest, "CSV header lacks the column %s", want)
		}
	}
	var out []auction.BlacklistEntry
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the request body is larger than 1 MiB")
			}
			return nil, auction.Errorf(auction.EInvalidRequest, "CSV line %d: %v", line, err)
		}
		if len(rec) != len(header) {
			return nil, auction.Errorf(auction.EInvalidRequest, "CSV line %d has %d fields, the header has %d", line, len(rec), len(header))
		}
		e := auction.BlacklistEntry{Name: rec[col["name"]], IDNumber: rec[col["id_number"]], CaseNumber: rec[col["case_number"]]}
		if i, ok := col["id_type"]; ok {
			// Optional: companies are listed by credit code as "company".
			e.IDType = strings.TrimSpace(rec[i])
		}
		out = append(out, e)
	}
}

// BlacklistRemove is POST /api/v1/blacklist/remove {id_numbers:[...]}.
func (h *Handler) BlacklistRemove(c echo.Context) error {
	var req struct {
		IDNumbers []string `json:"id_numbers"`
	}
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	n, err := h.store.RemoveFromBlacklist(c.Request().Context(), req.IDNumbers)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"removed": n})
}
