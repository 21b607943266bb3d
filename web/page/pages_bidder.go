package page

import (
	"gavel/web/page/yuan"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/auction/courtdoc"
	"gavel/web/request"
)

// publicStatuses are the statuses a bidder can filter the catalogue by.
var publicStatuses = []string{auction.StatusBidding, auction.StatusAnnounced, auction.StatusSold, auction.StatusFailed,
	auction.StatusSettled, auction.StatusDefaulted, auction.StatusSuspended}

var categories = []string{auction.CategoryRealEstate, auction.CategoryVehicle, auction.CategoryEquity, auction.CategoryMovable, auction.CategoryOther}

type browseData struct {
	Q, Status, Category, Court, Min, Max string
	Errors                               map[string]string
	Listings                             []auction.Listing
	Statuses, Categories                 []string
	// Page is the page shown (1 is the first); PrevURL and NextURL lead to
	// the neighbouring pages with the same filters, empty when there is none.
	Page             int
	PrevURL, NextURL string
}

// browsePageSize is how many auctions one catalogue page lists.
const browsePageSize = 50

// Browse is GET /: the catalogue with search and filters.
func (h *Handler) Browse(c echo.Context) error {
	p := h.newPage(c, "browse.title")
	p.Nav = "browse"
	d := &browseData{Q: c.QueryParam("q"), Status: c.QueryParam("status"), Category: c.QueryParam("category"),
		Court: c.QueryParam("court"), Min: c.QueryParam("min"), Max: c.QueryParam("max"),
		Errors: map[string]string{}, Statuses: publicStatuses, Categories: categories}
	f := auction.AuctionFilter{Query: strings.TrimSpace(d.Q), Court: strings.TrimSpace(d.Court)}
	if slices.Contains(publicStatuses, d.Status) {
		f.Status = d.Status
	}
	if slices.Contains(categories, d.Category) {
		f.Category = d.Category
	}
	for _, b := range []struct {
		field string
		in    string
		out   *int64
	}{{"min", d.Min, &f.MinPrice}, {"max", d.Max, &f.MaxPrice}} {
		if strings.TrimSpace(b.in) == "" {
			continue
		}
		v, ok := yuan.Parse(b.in)
		if !ok {
			d.Errors[b.field] = p.L.T("err.money")
			continue
		}
		*b.out = v
	}
	d.Page = 1
	if n, err := strconv.Atoi(c.QueryParam("page")); err == nil && n > 1 {
		d.Page = min(n, auction.MaxOffset/browsePageSize)
	}
	f.Limit, f.Offset = browsePageSize, (d.Page-1)*browsePageSize
	list, more, err := h.store.Listings(c.Request().Context(), f)
	if err != nil {
		return err
	}
	d.Listings = list
	d.PrevURL, d.NextURL = pagerURLs("/", c.QueryParams(), d.Page, more)
	p.Data = d
	return h.render(c, http.StatusOK, "browse.html", p)
}

// numberedBid is a bid with its place in the auction's bids (1 is the first).
type numberedBid struct {
	auction.Bid
	N int
}

type auctionData struct {
	A            *auction.Auction
	Lot          *auction.Lot
	CaseNumber   string
	Court        string
	Photos, Docs []auction.Document
	// Bids are the latest bids, newest first, numbered from the first bid.
	Bids  []numberedBid
	Reg   *auction.Registration
	Conf  *auction.Confirmation
	Rules auction.Rulebook
	// Ranks lists the priority holders' ranks (names are never public).
	Ranks string
	// Open says registration is possible now.
	Open     bool
	Won      bool
	Finished bool
	// MyCode is the signed-in bidder's code in this auction, if any.
	MyCode string
	// Watching says the signed-in user watches the auction.
	Watching bool
	// Summary is what the close means for the signed-in bidder (sold
	// auctions they were qualified for); nil otherwise.
	Summary *closeSummary
	// NoticeVersion is the version of the bidders' notice (竞买须知) in
	// force, 0 when none is published; registering agrees to it.
	NoticeVersion int
	// Corrections are the corrections (更正公告) of the lot, oldest first.
	Corrections []auction.Correction
}

// closeSummary is the after-close summary of a qualified bidder: the final
// price and either what they owe and by when, or when their deposit comes
// back.
type closeSummary struct {
	Won             bool
	Hammer          int64
	Deposit, Owed   int64
	DueAt, RefundBy time.Time
	Refunded        bool
}

// shownBids bounds the bid history rendered into the page; the full list is
// in the downloadable record.
const shownBids = 50

// Auction is GET /auctions/{id}: the lot, its disclosures and rules, the
// live price and countdown, registration and bidding.
func (h *Handler) Auction(c echo.Context) error {
	ctx := c.Request().Context()
	a, err := h.publicAuction(c)
	if err != nil {
		return err
	}
	lot, err := h.store.Lot(ctx, a.LotID)
	if err != nil {
		return err
	}
	cs, err := h.store.Case(ctx, a.CaseID)
	if err != nil {
		return err
	}
	bids, err := h.store.Bids(ctx, a.ID)
	if err != nil {
		return err
	}
	rules, err := auction.LookupRulebook(a.Rulebook)
	if err != nil {
		return err
	}
	p := h.newPage(c, "")
	p.Title, p.Scripts = lot.Title, []string{"live.js"}
	d := &auctionData{A: a, Lot: lot, CaseNumber: cs.CaseNumber, Court: cs.CourtName, Rules: rules,
		Open: (a.Status == auction.StatusAnnounced || a.Status == auction.StatusBidding) && a.ServerTime.Before(a.EndsAt)}
	var ranks []string
	for _, h := range lot.PriorityHolders {
		ranks = append(ranks, strconv.Itoa(h.Rank))
	}
	d.Ranks = strings.Join(ranks, ", ")
	for _, doc := range lot.Documents {
		if doc.Kind == "photo" {
			d.Photos = append(d.Photos, doc)
		} else {
			d.Docs = append(d.Docs, doc)
		}
	}
	for i := len(bids) - 1; i >= 0 && len(d.Bids) < shownBids; i-- {
		d.Bids = append(d.Bids, numberedBid{Bid: bids[i], N: i + 1})
	}
	if p.User != nil {
		if d.Watching, err = h.notices.Watching(ctx, p.User.ID, a.ID); err != nil {
			return err
		}
		regs, err := h.store.UserRegistrations(ctx, p.User.ID)
		if err != nil {
			return err
		}
		for i := range regs {
			if regs[i].AuctionID == a.ID {
				d.Reg = &regs[i]
			}
		}
	}
	docs, err := h.store.AuctionDocuments(ctx, a.ID)
	if err != nil {
		return err
	}
	for _, doc := range docs {
		if doc.Kind == courtdoc.KindBidderNotice && doc.PublishedAt != nil {
			d.NoticeVersion = doc.Version
		}
	}
	if d.Corrections, err = h.store.Corrections(ctx, lot.ID); err != nil {
		return err
	}
	switch a.Status {
	case auction.StatusSold, auction.StatusSettled:
		if d.Conf, err = h.store.Confirmation(ctx, a.ID); err != nil {
			return err
		}
		d.Finished = true
	case auction.StatusFailed, auction.StatusDefaulted, auction.StatusCancelled, auction.StatusAnnulled:
		d.Finished = true
	}
	myCode := ""
	js := map[string]any{"id": a.ID, "seq": a.Seq, "status": a.Status, "round": a.Round, "start_price": a.StartPrice,
		"increment": a.Increment, "current_price": a.CurrentPrice, "leader_code": a.LeaderCode, "bid_count": a.BidCount,
		"starts_at": a.StartsAt, "ends_at": a.EndsAt, "server_time": a.ServerTime, "suspended_reason": a.Suspended}
	if d.Reg != nil {
		if d.Reg.BidderCode != nil {
			myCode = *d.Reg.BidderCode
		}
		js["my_code"], js["my_rank"] = myCode, d.Reg.PriorityRank
		if d.Reg.Status == auction.RegistrationPending {
			p.JS["pending_registrations"] = []string{d.Reg.ID}
		}
	}
	d.MyCode = myCode
	d.Won = myCode != "" && a.WinnerCode != nil && *a.WinnerCode == myCode
	if d.Reg != nil {
		js["my_deposit"] = d.Reg.Deposit.Amount
		d.Summary = summarize(a, d.Reg, d.Won, rules.RefundWithin)
		if d.Summary != nil && d.Summary.Won {
			// What the buyer still owes is the books' figure: the balance
			// payments already received count, and a settled sale owes
			// nothing.
			money, err := h.store.AuctionMoney(ctx, a.ID)
			if err != nil {
				return err
			}
			d.Summary.Owed = money.Outstanding
		}
	}
	p.JS["auction"] = js
	p.Data = d
	return h.render(c, http.StatusOK, "auction.html", p)
}

// summarize is the after-close summary for a bidder registered as reg, or
// nil before a sale. A losing bidder's deposit comes back within refundWithin
// of the close (the rulebook's; a legal 24 hours under spc2016). The winner's
// Owed here counts the deposit only; the page replaces it with the books'
// outstanding figure.
func summarize(a *auction.Auction, reg *auction.Registration, won bool, refundWithin time.Duration) *closeSummary {
	if reg.BidderCode == nil || reg.Deposit == nil || a.HammerPrice == nil || a.ClosedAt == nil {
		return nil
	}
	s := &closeSummary{Won: won, Hammer: *a.HammerPrice, Deposit: reg.Deposit.Amount,
		RefundBy: a.ClosedAt.Add(refundWithin), Refunded: reg.Deposit.Status == auction.DepositRefunded}
	if won && a.BalanceDueAt != nil {
		s.Owed, s.DueAt = max(0, *a.HammerPrice-reg.Deposit.Amount), *a.BalanceDueAt
	}
	return s
}

// outcomeKey is what an auction came to for the bidder registered as reg,
// as a message key: won or not won once sold (only for a qualified bidder),
// else the auction's own state (announced, bidding, suspended, failed,
// cancelled, annulled), so /me never says "running" of an auction that is
// not.
func outcomeKey(a *auction.Auction, reg *auction.Registration) string {
	switch a.Status {
	case auction.StatusSold, auction.StatusSettled, auction.StatusDefaulted:
		if reg.BidderCode == nil {
			return "status." + a.Status
		}
		if a.WinnerCode != nil && *a.WinnerCode == *reg.BidderCode {
			return "me.won"
		}
		return "me.lost"
	case auction.StatusBidding:
		return "me.running"
	}
	return "status." + a.Status
}

type myRow struct {
	Reg     auction.Registration
	Auction *auction.Auction
	Title   string
	Won     bool
	// Outcome is the message key of what the auction came to for the bidder.
	Outcome string
}

// Me is GET /me: the signed-in bidder's registrations, deposits and outcomes.
func (h *Handler) Me(c echo.Context) error {
	ctx := c.Request().Context()
	p := h.newPage(c, "me.title")
	p.Nav = "me"
	regs, err := h.store.UserRegistrations(ctx, p.User.ID)
	if err != nil {
		return err
	}
	titles := map[string]string{}
	rows := make([]myRow, 0, len(regs))
	for _, r := range regs {
		a, err := h.store.Auction(ctx, r.AuctionID)
		if err != nil {
			return err
		}
		if _, ok := titles[a.LotID]; !ok {
			lot, err := h.store.Lot(ctx, a.LotID)
			if err != nil {
				return err
			}
			titles[a.LotID] = lot.Title
		}
		row := myRow{Reg: r, Auction: a, Title: titles[a.LotID]}
		row.Outcome = outcomeKey(a, &r)
		row.Won = row.Outcome == "me.won"
		rows = append(rows, row)
	}
	p.Data = rows
	pending := []string{}
	for _, r := range regs {
		if r.Status == auction.RegistrationPending {
			pending = append(pending, r.ID)
		}
	}
	p.JS["pending_registrations"] = pending
	if p.Notices, err = h.settingsForm(c, p.User.ID); err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "me.html", p)
}

// publicAuction is the auction as the auction page presents it to bidders:
// a draft is hidden from all but staff, as it is not open to bidders yet.
// The API's reads and the live feed show drafts to everyone.
func (h *Handler) publicAuction(c echo.Context) (*auction.Auction, error) {
	a, err := h.store.Auction(c.Request().Context(), c.Param("id"))
	if err != nil {
		return nil, err
	}
	if a.Status == auction.StatusDraft && !request.IsStaff(c) {
		return nil, auction.Errorf(auction.ENotFound, "auction not found")
	}
	return a, nil
}
