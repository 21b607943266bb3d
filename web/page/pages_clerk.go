package page

import (
	"gavel/web/page/i18n"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/payments"
	"gavel/web/request"
)

// casesPageSize is how many cases a page of the clerk's list shows.
const casesPageSize = 100

type clerkCasesData struct {
	// LastCourt starts the new case form: the court of the clerk's last case.
	LastCourt                string
	CaseNumber, Court, Party string
	Cases                    []auction.CaseSummary
	PrevURL, NextURL         string
}

// ClerkCases is GET /clerk: the clerk's cases, searched by case number,
// court and party name and paged through all of them, and the form to open
// one.
func (h *Handler) ClerkCases(c echo.Context) error {
	d := &clerkCasesData{CaseNumber: c.QueryParam("case_number"), Court: c.QueryParam("court"), Party: c.QueryParam("party")}
	n := 1
	if v, err := strconv.Atoi(c.QueryParam("page")); err == nil && v > 1 {
		n = min(v, auction.MaxOffset/casesPageSize)
	}
	cases, more, err := h.store.Cases(c.Request().Context(), auction.CaseFilter{CaseNumber: d.CaseNumber, Court: d.Court, Party: d.Party,
		Limit: casesPageSize, Offset: (n - 1) * casesPageSize})
	if err != nil {
		return err
	}
	d.Cases = cases
	d.PrevURL, d.NextURL = pagerURLs("/clerk", c.QueryParams(), n, more)
	if u := request.User(c); u != nil {
		if d.LastCourt, err = h.store.LastCourt(c.Request().Context(), u.ID); err != nil {
			return err
		}
	}
	p := h.newPage(c, "clerk.cases")
	p.Nav, p.Data = "clerk", d
	return h.render(c, http.StatusOK, "clerk_cases.html", p)
}

type clerkCaseData struct {
	Case       *auction.Case
	Proceeds   *payments.Proceeds
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
	// Earliest is the earliest legal start of a round published now, by
	// round: the form refuses an earlier one before it is sent.
	Earliest map[string]time.Time
}

type clerkLotData struct {
	Lot        *auction.Lot
	CaseNumber string
	Rules      auction.Rulebook
	Draft      roundDraft
	Notice     string
	Rounds     []string
	// Actions are the court actions each round allows, with what each
	// would touch, for the confirmation step.
	Actions []roundActions
	// Unpublishable says, by draft, why it cannot be published now (the
	// lot sold, another round running, the notice too short): such a draft
	// is not offered for publication.
	Unpublishable map[string]string
	// Documents are each round's announcement and bidders' notice, by
	// round: a draft's may be edited before publication.
	Documents map[string][]auction.AuctionDocument
	// Published says a round of the lot was announced: the lot's text is
	// then corrected in public, not edited.
	Published  bool
	Categories []string
}

// roundActions are the court actions open on one round.
type roundActions struct {
	A       auction.Auction
	Impact  auction.ActionImpact
	Actions []courtAction
}

// courtAction is one action's form: where it posts, its label, and the
// consequences the clerk confirms.
type courtAction struct {
	Name, API, Label, Confirm, Consequence string
	// EndsAt asks for the new end (resume), suggested as Suggest.
	EndsAt  bool
	Suggest time.Time
	// NoReason: the action takes no reason (deleting a draft).
	NoReason bool
	Method   string
}

// courtActions lists the actions a round allows, in the clerk's words.
func courtActions(l i18n.Locale, a auction.Auction, i auction.ActionImpact, now time.Time, rb auction.Rulebook) []courtAction {
	var out []courtAction
	base := "/api/v1/auctions/" + a.ID
	if auction.CourtActionAllowed(auction.ActionSuspend, a.Status) == nil {
		out = append(out, courtAction{Name: "suspend", API: base + "/suspend", Label: l.T("court.suspend"), Confirm: l.T("court.suspend_confirm"),
			Consequence: l.T("court.suspend_effect", i.Registered, i.DepositsHeld, l.Money(i.HeldAmount))})
	}
	if auction.CourtActionAllowed(auction.ActionResume, a.Status) == nil {
		out = append(out, courtAction{Name: "resume", API: base + "/resume", Label: l.T("court.resume"), Confirm: l.T("court.resume_confirm"),
			Consequence: l.T("court.resume_effect", i.Registered), EndsAt: true, Suggest: now.Add(rb.MinBidding)})
	}
	if auction.CourtActionAllowed(auction.ActionCancel, a.Status) == nil {
		out = append(out, courtAction{Name: "cancel", API: base + "/cancel", Label: l.T("court.cancel"), Confirm: l.T("court.cancel_confirm"),
			Consequence: l.T("court.cancel_effect", i.DepositsHeld, l.Money(i.HeldAmount), i.Registered)})
	}
	if auction.CourtActionAllowed(auction.ActionAnnul, a.Status) == nil {
		out = append(out, courtAction{Name: "annul", API: base + "/annul", Label: l.T("court.annul"), Confirm: l.T("court.annul_confirm"),
			Consequence: l.T("court.annul_effect", l.Money(i.BuyerDeposit), l.Money(i.BalancePaid))})
	}
	if a.Status == auction.StatusDraft {
		out = append(out, courtAction{Name: "delete", API: base, Method: "DELETE", Label: l.T("court.delete"), Confirm: l.T("court.delete_confirm"),
			Consequence: l.T("court.delete_effect"), NoReason: true})
	}
	return out
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
	ids := make([]string, len(lot.Auctions))
	for i, a := range lot.Auctions {
		ids[i] = a.ID
	}
	impacts, err := h.store.ActionImpacts(ctx, ids)
	if err != nil {
		return err
	}
	d.Unpublishable, d.Documents, d.Categories = map[string]string{}, map[string][]auction.AuctionDocument{}, categories
	for _, a := range lot.Auctions {
		d.Published = d.Published || a.AnnouncedAt != nil
	}
	now := h.store.Clock().Now()
	for _, a := range lot.Auctions {
		arb, err := auction.LookupRulebook(a.Rulebook)
		if err != nil {
			return err
		}
		docs, err := h.store.AuctionDocuments(ctx, a.ID)
		if err != nil {
			return err
		}
		d.Documents[a.ID] = docs
		if a.Status == auction.StatusDraft {
			var others []auction.RoundHistory
			for _, o := range lot.Auctions {
				if o.ID != a.ID {
					others = append(others, auction.RoundHistory{Round: o.Round, Status: o.Status, StartPrice: o.StartPrice})
				}
			}
			if err := arb.ValidatePublish(&a, lot, others, now); err != nil {
				d.Unpublishable[a.ID] = p.L.T("err." + auction.ErrorCode(err))
				// A start inside the notice period is fixed by editing the
				// draft: the note names the start that would do.
				if auction.ErrorCode(err) == auction.EAnnouncementPeriodTooShort {
					d.Unpublishable[a.ID] = p.L.T("js.earliest_start", p.L.Time(arb.EarliestStart(a.Round, lot.Category, now)))
				}
			}
		}
		if acts := courtActions(p.L, a, impacts[a.ID], h.store.Clock().Now(), arb); len(acts) > 0 {
			d.Actions = append(d.Actions, roundActions{A: a, Impact: impacts[a.ID], Actions: acts})
		}
	}
	p.Data = d
	return h.render(c, http.StatusOK, "clerk_lot.html", p)
}

// suggestRound proposes the lot's next round: a first round at the lowest
// legal start, a second round at the deepest legal cut after a failed or
// defaulted first, a sale after a failed second; opening one day after the
// shortest legal notice and bidding for the shortest legal period.
func suggestRound(rb auction.Rulebook, lot *auction.Lot, now time.Time) roundDraft {
	d := roundDraft{Round: auction.RoundFirst, BalanceDueDays: 10, Earliest: map[string]time.Time{}}
	for _, r := range []string{auction.RoundFirst, auction.RoundSecond, auction.RoundSale} {
		d.Earliest[r] = rb.NoticeEnds(now, rb.Notice(r, lot.Category))
	}
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
	Running []auction.Listing
	// More is set when more auctions run than the monitor lists.
	More bool
	// Limit is monitorLimit, for the page's script to ask the same of the API.
	Limit int
	// Deadlines are the court's legal deadlines running (partial "deadlines").
	Deadlines []auction.Deadline
	// Extended counts each auction's extensions so far, by id.
	Extended map[string]int
}

// ClerkMonitor is GET /clerk/monitor: every running auction, refreshed live,
// and the court's legal deadlines.
func (h *Handler) ClerkMonitor(c echo.Context) error {
	ctx := c.Request().Context()
	d := &monitorData{Limit: monitorLimit}
	for _, st := range []string{auction.StatusBidding, auction.StatusSuspended} {
		l, more, err := h.store.Listings(ctx, auction.AuctionFilter{Status: st, Limit: monitorLimit})
		if err != nil {
			return err
		}
		d.Running, d.More = append(d.Running, l...), d.More || more
	}
	ids := make([]string, len(d.Running))
	for i, a := range d.Running {
		ids[i] = a.ID
	}
	impacts, err := h.store.ActionImpacts(ctx, ids)
	if err != nil {
		return err
	}
	d.Extended = map[string]int{}
	for id, i := range impacts {
		d.Extended[id] = i.ExtendedTimes
	}
	if d.Deadlines, err = h.deadlines(ctx, auction.DeadlineReauction, auction.DeadlineResume, auction.DeadlineBalance); err != nil {
		return err
	}
	p := h.newPage(c, "monitor.title")
	p.Nav, p.Data, p.Scripts = "monitor", d, []string{"monitor.js"}
	return h.render(c, http.StatusOK, "clerk_monitor.html", p)
}
