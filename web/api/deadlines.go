package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"gavel/auction"
)

// Deadlines is GET /api/v1/deadlines: the deadlines of the law still
// running (next round after a failure, resumption, deposit refunds, balances
// due by tomorrow), the soonest first, each with its rule and due time;
// ?kind= keeps one kind.
func (h *Handler) Deadlines(c echo.Context) error {
	kind := c.QueryParam("kind")
	if _, ok := auction.DeadlineRules[kind]; kind != "" && !ok {
		return auction.FieldError("kind", "is one of reauction, resume, refund, balance")
	}
	list, err := h.store.Deadlines(c.Request().Context())
	if err != nil {
		return err
	}
	kept := make([]auction.Deadline, 0, len(list))
	for _, d := range list {
		if kind == "" || d.Kind == kind {
			kept = append(kept, d)
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"deadlines": kept, "server_time": h.store.Clock().Now()})
}
