package page

import (
	"math"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/auction/postgres"
)

// ClerkCases is GET /clerk: the clerk's cases and the form to open one.
func (h *Handler) ClerkCases(c echo.Context) error {
	cases, _, err := h.store.Cases(c.Request().Context(), postgres.CaseFilter{Limit: 500})
	if err != nil {
		return err
	}
	p := h.newPage(c, "clerk.cases")
	p.Nav, p.Data = "clerk", cases
	return h.render(c, http.StatusOK, "clerk_cases.html", p)
}

type clerkCaseData struct {
	Case       *auction.Case
	Proceeds   *postgres.Proceeds
	Categories []string
}

// ClerkCase is GET /clerk/cases/{id}: parties, lots, the new-lot form and
// the case's proceeds.
func (h *Handler) ClerkCase(c echo.Context) error {
	ctx := c.Request().Context()
	cs, err := h.store.Case(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	proceeds, err := h.store.CaseProceeds(ctx, cs.ID)
	if err != nil {
		return err
	}
	p := h.newPage(c, "")
	p.Title, p.Nav = cs.CaseNumber, "clerk"
	p.Data = &clerkCaseData{Case: cs, Proceeds: proceeds, Categories: categories}
	return h.render(c, http.StatusOK, "clerk_case.html", p)
}

// roundDraft is the schedule form filled with what the rulebook suggests for
// the lot's next round.
type roundDraft struct {
	Round          string
	StartPrice     int64
	Increment      int64
	Deposit        int64
	StartsAt       time.Time
	EndsAt         time.Time
	BalanceDueDays int
	// MinStart is the lowest legal first-round start price.
	MinStart int64
}

type clerkLotData struct {
	Lot        *auction.Lot
	CaseNumber string
	Rules      auction.Rulebook
	Draft      roundDraft
	Notice     string
	Rounds     []string
}

// ClerkLot is GET /clerk/lots/{id}: documents, priority holders, rounds
// and the schedule form with the rulebook's limits beside each field.
func (h *Handler) ClerkLot(c echo.Context) error {
	ctx := c.Request().Context()
	lot, err := h.store.Lot(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	cs, err := h.store.Case(ctx, lot.CaseID)
	if err != nil {
		return err
	}
	rb := h.store.Rulebook()
	p := h.newPage(c, "")
	p.Title, p.Nav = lot.Title, "clerk"
	d := &clerkLotData{Lot: lot, CaseNumber: cs.CaseNumber, Rules: rb, Draft: suggestRound(rb, lot, h.store.Clock().Now()),
		Rounds: []string{auction.RoundFirst, auction.RoundSecond, auction.RoundSale}}
	d.Notice = p.L.T("round.first") + " " + p.L.Duration(rb.Notice(auction.RoundFirst, lot.Category)) + "；" +
		p.L.T("round.second") + " / " + p.L.T("round.sale") + " " + p.L.Duration(rb.Notice(auction.RoundSecond, lot.Category))
	p.Data = d
	return h.render(c, http.StatusOK, "clerk_lot.html", p)
}

// suggestRound proposes the lot's next round: a first round at the lowest
// legal start, a second round at the deepest legal cut after a failed or
// defaulted first, a sale after a failed second; opening one day after the
// shortest legal notice and bidding for the shortest legal period.
func suggestRound(rb auction.Rulebook, lot *auction.Lot, now time.Time) roundDraft {
	d := roundDraft{Round: auction.RoundFirst, BalanceDueDays: 10}
	d.MinStart = roundUpYuan(ceilPercent(lot.AppraisalValue, rb.MinStartPercent))
	d.StartPrice = d.MinStart
	for i := len(lot.Auctions) - 1; i >= 0; i-- {
		a := lot.Auctions[i]
		if a.Round == auction.RoundFirst && (a.Status == auction.StatusFailed || a.Status == auction.StatusDefaulted) {
			d.Round, d.StartPrice = auction.RoundSecond, roundUpYuan(ceilPercent(a.StartPrice, 100-rb.MaxCutPercent))
			break
		}
		if a.Round == auction.RoundSecond && a.Status == auction.StatusFailed {
			d.Round, d.StartPrice = auction.RoundSale, a.StartPrice
			break
		}
	}
	d.Increment = niceStep(d.StartPrice / 100)
	d.Deposit = roundUpYuan(ceilPercent(d.StartPrice, 10))
	step := time.Hour
	if rb.Day < time.Hour {
		step = time.Minute
	}
	d.StartsAt = now.Add(rb.Notice(d.Round, lot.Category) + rb.Day).Truncate(step).Add(step)
	d.EndsAt = d.StartsAt.Add(rb.MinBidding)
	return d
}

// ceilPercent is pct percent of v (0 <= pct <= 100), rounded up, without
// forming v*pct, which overflows for the largest amounts.
func ceilPercent(v, pct int64) int64 { return v/100*pct + (v%100*pct+99)/100 }

// roundUpYuan rounds fen up to a whole yuan (a suggestion already within a
// yuan of the largest amount stays as it is).
func roundUpYuan(fen int64) int64 {
	if fen%100 == 0 || fen > math.MaxInt64-99 {
		return fen
	}
	return (fen/100 + 1) * 100
}

// niceStep rounds an amount in fen down to one significant digit (at least
// one yuan): increments people can add in their heads.
func niceStep(fen int64) int64 {
	if fen < 100 {
		return 100
	}
	p := int64(1)
	for p*10 <= fen {
		p *= 10
	}
	return fen / p * p
}

// monitorLimit is how many auctions of each status the monitor lists (the
// page refreshes them every 2 s): the ones ending soonest.
const monitorLimit = 500

type monitorData struct {
	Running []postgres.Listing
	// More is set when more auctions run than the monitor lists.
	More bool
	// Limit is monitorLimit, for the page's script to ask the same of the API.
	Limit int
}

// ClerkMonitor is GET /clerk/monitor: every running auction, refreshed live.
func (h *Handler) ClerkMonitor(c echo.Context) error {
	ctx := c.Request().Context()
	d := &monitorData{Limit: monitorLimit}
	for _, st := range []string{auction.StatusBidding, auction.StatusSuspended} {
		l, more, err := h.store.Listings(ctx, postgres.AuctionFilter{Status: st, Limit: monitorLimit})
		if err != nil {
			return err
		}
		d.Running, d.More = append(d.Running, l...), d.More || more
	}
	p := h.newPage(c, "monitor.title")
	p.Nav, p.Data, p.Scripts = "monitor", d, []string{"monitor.js"}
	return h.render(c, http.StatusOK, "clerk_monitor.html", p)
}
