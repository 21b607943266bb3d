package page

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
)

// resultsPageSize is how many results a page of the board shows.
const resultsPageSize = 50

type resultsData struct {
	Court, From, To string
	Errors          map[string]string
	Results         []auction.Result
	Page            int
	PrevURL         string
	NextURL         string
}

// Results is GET /results: the public results board (成交公示), closed
// auctions by court and day of close, a page at a time; bidder codes only.
func (h *Handler) Results(c echo.Context) error {
	p := h.newPage(c, "results.title")
	p.Nav = "results"
	d := &resultsData{Court: c.QueryParam("court"), From: c.QueryParam("from"), To: c.QueryParam("to"), Errors: map[string]string{}, Page: 1}
	f := auction.ResultFilter{Court: d.Court, Limit: resultsPageSize}
	for _, b := range []struct {
		name, in string
		out      *time.Time
		end      bool
	}{{"from", d.From, &f.From, false}, {"to", d.To, &f.To, true}} {
		if strings.TrimSpace(b.in) == "" {
			continue
		}
		day, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(b.in), p.L.Zone)
		if err != nil {
			d.Errors[b.name] = p.L.T("results.bad_day")
			continue
		}
		if b.end {
			day = day.AddDate(0, 0, 1)
		}
		*b.out = day
	}
	if n, err := strconv.Atoi(c.QueryParam("page")); err == nil && n > 1 {
		d.Page = min(n, auction.MaxOffset/resultsPageSize)
	}
	f.Offset = (d.Page - 1) * resultsPageSize
	list, more, err := h.store.Results(c.Request().Context(), f)
	if err != nil {
		return err
	}
	d.Results = list
	d.PrevURL, d.NextURL = pagerURLs("/results", c.QueryParams(), d.Page, more)
	p.Data = d
	return h.render(c, http.StatusOK, "results.html", p)
}

// pagerURLs are the links to the pages before and after page n of path
// with the query q ("" when there is none); page 1 has no page parameter.
func pagerURLs(path string, q url.Values, n int, more bool) (prev, next string) {
	at := func(n int) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Del("page")
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return path
		}
		return path + "?" + v.Encode()
	}
	if n > 1 {
		prev = at(n - 1)
	}
	if more {
		next = at(n + 1)
	}
	return prev, next
}
