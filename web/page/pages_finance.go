package page

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/payments"
	"gavel/web/request"
)

// depositRow is a deposit with the auction it secures.
type depositRow struct {
	Listing auction.Listing
	Deposit auction.Deposit
	// Deadline is when a released deposit must be paid back (24 h after the
	// close, Art. 23); Overdue and Soon colour the row.
	Deadline time.Time
	Overdue  bool
	Soon     bool
}

// balanceRow is a sold auction and what its buyer still owes.
type balanceRow struct {
	Listing     auction.Listing
	Applied     int64
	Received    int64
	Outstanding int64
	Forfeited   int64
}

// excessRow is a balance payment whose excess is still to be paid back to
// the buyer.
type excessRow struct {
	Listing auction.Listing
	Payment payments.BalancePayment
}

type financeData struct {
	// Deadlines are finance's legal deadlines running (partial "deadlines").
	Deadlines []auction.Deadline
	Pending   []depositRow
	Refunds   []depositRow
	Excesses  []excessRow
	Balances  []balanceRow
	Defaults  []balanceRow
	// Open are the bank statement lines finance still has to resolve;
	// Imported the lines of the import just made (?import=).
	Open     []payments.StatementLine
	Imported []payments.StatementLine
	// Payers are the deposits' bidders, what arrived and from which
	// account, by deposit id (staff only).
	Payers map[string]payments.DepositPayer
}

// Finance is GET /finance: the legal deadlines running for finance, deposits
// to confirm, refunds due with their legal deadline, overpaid balances to pay back, balances outstanding and
// defaults.
func (h *Handler) Finance(c echo.Context) error {
	ctx := c.Request().Context()
	listings, err := h.store.FinanceWork(ctx)
	if err != nil {
		return err
	}
	excesses, err := h.store.BalanceRefundsDue(ctx)
	if err != nil {
		return err
	}
	ids := make([]string, len(listings))
	for i, l := range listings {
		ids[i] = l.ID
	}
	deposits, err := h.store.DepositsOf(ctx, ids)
	if err != nil {
		return err
	}
	now := h.store.Clock().Now()
	d := &financeData{}
	if d.Deadlines, err = h.deadlines(ctx, auction.DeadlineRefund, auction.DeadlineBalance); err != nil {
		return err
	}
	proceeds := map[string]map[string]payments.ProceedsItem{}
	for _, l := range listings {
		for _, dep := range deposits[l.ID] {
			switch dep.Status {
			case auction.DepositPending:
				d.Pending = append(d.Pending, depositRow{Listing: l, Deposit: dep})
			case auction.DepositRefundPending:
				d.Refunds = append(d.Refunds, refundRow(l, dep, now))
			}
		}
		if l.Status != auction.StatusSold && l.Status != auction.StatusDefaulted {
			continue
		}
		items, ok := proceeds[l.CaseID]
		if !ok {
			p, err := h.store.CaseProceeds(ctx, l.CaseID)
			if err != nil {
				return err
			}
			items = map[string]payments.ProceedsItem{}
			for _, it := range p.Items {
				items[it.AuctionID] = it
			}
			proceeds[l.CaseID] = items
		}
		it := items[l.ID]
		row := balanceRow{Listing: l, Applied: it.DepositApplied, Received: it.BalanceReceived, Forfeited: it.ForfeitedDeposit}
		if l.HammerPrice != nil {
			row.Outstanding = *l.HammerPrice - it.DepositApplied - it.BalanceReceived
		}
		if l.Status == auction.StatusSold {
			d.Balances = append(d.Balances, row)
		} else {
			d.Defaults = append(d.Defaults, row)
		}
	}
	byID := make(map[string]auction.Listing, len(listings))
	for _, l := range listings {
		byID[l.ID] = l
	}
	for _, p := range excesses {
		// FinanceWork lists every auction with an excess due; one that
		// settled between the two reads shows on the next load.
		if l, ok := byID[p.AuctionID]; ok {
			d.Excesses = append(d.Excesses, excessRow{Listing: l, Payment: p})
		}
	}
	sort.SliceStable(d.Refunds, func(i, j int) bool { return d.Refunds[i].Deadline.Before(d.Refunds[j].Deadline) })
	if d.Payers, err = h.payers(c, "GET /finance", append(d.Pending, d.Refunds...)); err != nil {
		return err
	}
	if d.Open, err = h.store.StatementLines(ctx, ""); err != nil {
		return err
	}
	if id := c.QueryParam("import"); id != "" && isID(id) {
		if d.Imported, err = h.store.StatementLines(ctx, id); err != nil {
			return err
		}
	}
	p := h.newPage(c, "finance.title")
	p.Nav, p.Data = "finance", d
	return h.render(c, http.StatusOK, "finance.html", p)
}

// refundRow dates a released deposit's refund deadline: the rulebook's
// refund window after the close (24 h under spc2016, Art. 23).
func refundRow(l auction.Listing, dep auction.Deposit, now time.Time) depositRow {
	row := depositRow{Listing: l, Deposit: dep}
	closed := l.EndsAt
	if l.ClosedAt != nil {
		closed = *l.ClosedAt
	}
	window := auction.SPC2016.RefundWithin
	if rb, err := auction.LookupRulebook(l.Rulebook); err == nil {
		window = rb.RefundWithin
	}
	row.Deadline = closed.Add(window)
	row.Overdue = !now.Before(row.Deadline)
	row.Soon = !row.Overdue && row.Deadline.Sub(now) < window/4
	return row
}

type financeAuctionData struct {
	A        *auction.Auction
	Deposits []depositRow
	Payers   map[string]payments.DepositPayer
}

// FinanceAuction is GET /finance/auctions/{id}: every deposit of one auction.
func (h *Handler) FinanceAuction(c echo.Context) error {
	ctx := c.Request().Context()
	a, err := h.store.Auction(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	deps, err := h.store.Deposits(ctx, a.ID)
	if err != nil {
		return err
	}
	l := auction.Listing{Auction: *a}
	d := &financeAuctionData{A: a}
	for _, dep := range deps {
		row := depositRow{Listing: l, Deposit: dep}
		if dep.Status == auction.DepositRefundPending {
			row = refundRow(l, dep, a.ServerTime)
		}
		d.Deposits = append(d.Deposits, row)
	}
	if d.Payers, err = h.payers(c, "GET /finance/auctions/:id", d.Deposits); err != nil {
		return err
	}
	p := h.newPage(c, "finance.deposits")
	p.Nav, p.Data = "finance", d
	return h.render(c, http.StatusOK, "finance_auction.html", p)
}

// payers reads who paid the rows' deposits and from which account; the
// store audits each look at a bidder of an auction not closed yet.
func (h *Handler) payers(c echo.Context, action string, rows []depositRow) (map[string]payments.DepositPayer, error) {
	if len(rows) == 0 {
		return map[string]payments.DepositPayer{}, nil
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.Deposit.ID
	}
	return h.store.DepositPayers(c.Request().Context(), request.User(c), action, ids)
}

// deadlines are the legal deadlines of the given kinds still running, the
// soonest first.
func (h *Handler) deadlines(ctx context.Context, kinds ...string) ([]auction.Deadline, error) {
	all, err := h.store.Deadlines(ctx)
	if err != nil {
		return nil, err
	}
	var list []auction.Deadline
	for _, d := range all {
		if slices.Contains(kinds, d.Kind) {
			list = append(list, d)
		}
	}
	return list, nil
}

// isID reports whether s looks like one of Gavel's ids (a UUID), so a
// malformed query parameter is ignored rather than sent to the database.
func isID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if r != '-' {
				return false
			}
		} else if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}
