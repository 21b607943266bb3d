package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/web/request"
)

// Results is GET /api/v1/results: the results board (成交公示),
// closed auctions filtered by court and by the day of the close, a page at
// a time (limit 1..500, offset; more says whether another page follows).
// Days are the courts' calendar days (the pages' time zone); `to` includes
// its day.
func (h *Handler) Results(c echo.Context) error {
	f := auction.ResultFilter{Court: c.QueryParam("court")}
	zone := h.cfg.Timezone
	var err error
	if f.From, err = queryDay(c, "from", zone, false); err != nil {
		return err
	}
	if f.To, err = queryDay(c, "to", zone, true); err != nil {
		return err
	}
	if f.Limit, f.Offset, err = request.QueryPage(c); err != nil {
		return err
	}
	list, more, err := h.store.Results(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"results": list, "more": more})
}

// queryDay reads a day (YYYY-MM-DD, in zone) or an RFC 3339 time from the
// query. A day given as the end of a range includes itself: its end is the
// next midnight.
func queryDay(c echo.Context, name string, zone *time.Location, end bool) (time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, zone)
	if err != nil {
		return time.Time{}, auction.FieldError(name, "is not a YYYY-MM-DD date or an RFC 3339 time")
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d.UTC(), nil
}
