package api

import (
	"gavel/auction"
	"gavel/web/request"
	"net/http"

	"github.com/labstack/echo/v4"
)

// Editing unpublished lots and drafts, and correcting published lots in
// public (更正公告).

// LotUpdate is PATCH /api/v1/lots/{id}: edit a lot until it is published.
func (h *Handler) LotUpdate(c echo.Context) error {
	var req auction.LotEdit
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	lot, err := h.store.UpdateLot(c.Request().Context(), c.Param("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, lot)
}

// LotDelete is DELETE /api/v1/lots/{id}: delete a lot that was never published.
func (h *Handler) LotDelete(c echo.Context) error {
	if err := h.store.DeleteLot(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// DraftUpdate is PUT /api/v1/auctions/{id}: replace a draft round's
// terms (the body of POST /lots/{id}/auctions).
func (h *Handler) DraftUpdate(c echo.Context) error {
	var req auction.ScheduleParams
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	a, err := h.store.UpdateDraft(c.Request().Context(), c.Param("id"), req)
	if err != nil {
		return err
	}
	return h.savedDraft(c, http.StatusOK, a)
}

// DraftDelete is DELETE /api/v1/auctions/{id}: delete a draft round.
func (h *Handler) DraftDelete(c echo.Context) error {
	if err := h.store.DeleteDraft(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// CorrectionRequest is a correction's body: the reason and the texts that
// change. Price, deposit, times, category and appraisal are not among them.
type CorrectionRequest struct {
	Reason          string  `json:"reason"`
	Title           *string `json:"title"`
	Description     *string `json:"description"`
	Location        *string `json:"location"`
	AppraisalReport *string `json:"appraisal_report"`
	Encumbrances    *string `json:"encumbrances"`
	Occupancy       *string `json:"occupancy"`
	TaxTerms        *string `json:"tax_terms"`
	Viewing         *string `json:"viewing"`
}

// LotCorrect is POST /api/v1/lots/{id}/corrections: publish a
// correction (更正公告) of a published lot's text.
func (h *Handler) LotCorrect(c echo.Context) error {
	var req CorrectionRequest
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	corr, _, err := h.store.CorrectLot(ctx, request.User(c), c.Param("id"), req.Reason, auction.LotEdit{
		Title: req.Title, Description: req.Description, Location: req.Location, AppraisalReport: req.AppraisalReport,
		Encumbrances: req.Encumbrances, Occupancy: req.Occupancy, TaxTerms: req.TaxTerms, Viewing: req.Viewing})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, corr)
}

// LotCorrections is GET /api/v1/lots/{id}/corrections: a lot's
// corrections, public like the lot, old text included.
func (h *Handler) LotCorrections(c echo.Context) error {
	list, err := h.store.Corrections(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"corrections": list})
}
