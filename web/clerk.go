package web

import (
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/auction/postgres"
)

// handleCaseList is GET /api/v1/cases.
func (s *Server) handleCaseList(c echo.Context) error {
	cases, err := s.store.Cases(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"cases": cases})
}

// handleCaseCreate is POST /api/v1/cases.
func (s *Server) handleCaseCreate(c echo.Context) error {
	var req postgres.NewCase
	if err := bind(c, &req); err != nil {
		return err
	}
	cs, err := s.store.CreateCase(c.Request().Context(), user(c).ID, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, cs)
}

// handleCaseView is GET /api/v1/cases/{id}.
func (s *Server) handleCaseView(c echo.Context) error {
	cs, err := s.store.Case(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cs)
}

// handleLotCreate is POST /api/v1/cases/{id}/lots.
func (s *Server) handleLotCreate(c echo.Context) error {
	var req postgres.NewLot
	if err := bind(c, &req); err != nil {
		return err
	}
	lot, err := s.store.CreateLot(c.Request().Context(), c.Param("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, lot)
}

// handleLotView is GET /api/v1/lots/{id} (staff: priority holders by name).
func (s *Server) handleLotView(c echo.Context) error {
	lot, err := s.store.Lot(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, lot)
}

// handlePublicLot is GET /api/v1/public/lots/{id}: the lot as the public sees
// it, with priority holders by rank only.
func (s *Server) handlePublicLot(c echo.Context) error {
	lot, err := s.store.Lot(c.Request().Context(), c.Param("id"))
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

// handlePriorityHolderCreate is POST /api/v1/lots/{id}/priority-holders.
func (s *Server) handlePriorityHolderCreate(c echo.Context) error {
	var req postgres.NewPriorityHolder
	if err := bind(c, &req); err != nil {
		return err
	}
	h, err := s.store.AddPriorityHolder(c.Request().Context(), c.Param("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, h)
}

// allowedDocumentTypes are what a lot may publish; anything else is refused so
// the server never serves active content under its own origin.
var allowedDocumentTypes = map[string]bool{
	"image/jpeg": true, "image/png": true, "image/webp": true, "application/pdf": true,
}

// handleDocumentUpload is POST /api/v1/lots/{id}/documents (multipart: file, kind).
func (s *Server) handleDocumentUpload(c echo.Context) error {
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
	data, err := io.ReadAll(io.LimitReader(f, postgres.MaxDocumentSize+1))
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
	d, err := s.store.AddDocument(c.Request().Context(), c.Param("id"), kind, fh.Filename, ct, data)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, d)
}

// handleDocument is GET /api/v1/documents/{id}: a lot's photo or document.
func (s *Server) handleDocument(c echo.Context) error {
	d, data, err := s.store.DocumentData(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.Blob(http.StatusOK, d.ContentType, data)
}

// handleAuctionCreate is POST /api/v1/lots/{id}/auctions.
func (s *Server) handleAuctionCreate(c echo.Context) error {
	var req auction.ScheduleParams
	if err := bind(c, &req); err != nil {
		return err
	}
	req.LotID = c.Param("id")
	a, err := s.store.ScheduleAuction(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, a)
}

// handleAuctionPublish is POST /api/v1/auctions/{id}/publish.
func (s *Server) handleAuctionPublish(c echo.Context) error {
	var req struct{}
	if err := bind(c, &req, true); err != nil {
		return err
	}
	a, err := s.store.PublishAuction(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	s.feed.Publish(c.Request().Context(), auction.Change{AuctionID: a.ID})
	return c.JSON(http.StatusOK, a)
}

// handleBlacklistImport is POST /api/v1/blacklist: JSON {entries:[...]} or
// text/csv with the header name,id_number,case_number.
func (s *Server) handleBlacklistImport(c echo.Context) error {
	var entries []postgres.BlacklistEntry
	source := "api"
	if strings.HasPrefix(c.Request().Header.Get("Content-Type"), "text/csv") {
		var err error
		if entries, err = ParseBlacklistCSV(c.Request().Body); err != nil {
			return err
		}
		source = "csv"
	} else {
		var req struct {
			Entries []postgres.BlacklistEntry `json:"entries"`
		}
		if err := bind(c, &req); err != nil {
			return err
		}
		entries = req.Entries
	}
	n, err := s.store.ImportBlacklist(c.Request().Context(), source, entries)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"imported": n})
}

// ParseBlacklistCSV reads a restriction list in CSV with the header
// name,id_number,case_number (in any order), and optionally id_type.
// Returns invalid_request.
func ParseBlacklistCSV(r io.Reader) ([]postgres.BlacklistEntry, error) {
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
	var out []postgres.BlacklistEntry
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
		e := postgres.BlacklistEntry{Name: rec[col["name"]], IDNumber: rec[col["id_number"]], CaseNumber: rec[col["case_number"]]}
		if i, ok := col["id_type"]; ok {
			// Optional: companies are listed by credit code as "company".
			e.IDType = strings.TrimSpace(rec[i])
		}
		out = append(out, e)
	}
}

// handleBlacklistRemove is POST /api/v1/blacklist/remove {id_numbers:[...]}.
func (s *Server) handleBlacklistRemove(c echo.Context) error {
	var req struct {
		IDNumbers []string `json:"id_numbers"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	n, err := s.store.RemoveFromBlacklist(c.Request().Context(), req.IDNumbers)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"removed": n})
}
