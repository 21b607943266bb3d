package page

import (
	"gavel/web/page/i18n"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/payments"
)

// The finance staff's books: the ledger, the reconciliation of a period and
// a case's proceeds with the remittance form. Every figure comes from the
// same store calls as the JSON API (money.go), and every download link points
// at that API, so what a page shows and what a spreadsheet receives agree.

// ledgerAccounts is the chart of accounts in the order the pages list it.
var ledgerAccounts = []string{payments.AccountEscrow, payments.AccountBidderDeposits, payments.AccountRefundsDue,
	payments.AccountCaseProceeds, payments.AccountForfeited, payments.AccountAuctionCosts}

// ledgerKinds are the ledger's transaction kinds, for the filter.
var ledgerKinds = []string{payments.TxDepositHeld, payments.TxDepositApplied, payments.TxDepositReleased, payments.TxDepositRefunded,
	payments.TxDepositForfeited, payments.TxForfeitAllocated, payments.TxBalanceReceived, payments.TxProceedsRemitted,
	payments.TxExcessRefunded}

// ledgerPageSize is how many transactions one ledger page lists.
const ledgerPageSize = 100

// period is a span of whole days in the court's time zone, as typed in the
// date fields: From is the first day's midnight, To the midnight after the
// last day (exclusive, like the API's to).
type period struct {
	From, To         time.Time
	FromDate, ToDate string
}

// api is the period as the API's query (RFC 3339 instants with the court's
// offset), so a link carries exactly the span the page shows.
func (p period) api() url.Values {
	return url.Values{"from": {p.From.Format(time.RFC3339)}, "to": {p.To.Format(time.RFC3339)}}
}

// readPeriod reads from= and to= (YYYY-MM-DD, both days included). Missing
// dates default to this month so far; a bad or inverted period is reported
// as a message and the default is shown instead, so the page stays usable.
func readPeriod(c echo.Context, l i18n.Locale, now time.Time) (period, string) {
	today := now.In(l.Zone)
	def := period{
		From: time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, l.Zone),
		To:   time.Date(today.Year(), today.Month(), today.Day()+1, 0, 0, 0, 0, l.Zone),
	}
	def.FromDate, def.ToDate = def.From.Format(time.DateOnly), today.Format(time.DateOnly)
	p, msg := def, ""
	if v := c.QueryParam("from"); v != "" {
		d, err := time.ParseInLocation(time.DateOnly, v, l.Zone)
		if err != nil {
			return def, l.T("period.bad_date")
		}
		p.From, p.FromDate = d, v
	}
	if v := c.QueryParam("to"); v != "" {
		d, err := time.ParseInLocation(time.DateOnly, v, l.Zone)
		if err != nil {
			return def, l.T("period.bad_date")
		}
		p.To, p.ToDate = d.AddDate(0, 0, 1), v
	}
	if !p.To.After(p.From) {
		return def, l.T("period.inverted")
	}
	return p, msg
}

// entryView is one ledger entry split into its debit or credit column.
type entryView struct {
	Account       string
	Debit, Credit int64
}

type ledgerRow struct {
	payments.LedgerTransaction
	Lines []entryView
}

type ledgerData struct {
	Period    period
	Error     string
	Account   string
	Kind      string
	CaseID    string
	AuctionID string
	Accounts  []string
	Kinds     []string
	// Totals are the period's totals per account (the reconciliation's),
	// Total their sum: debits equal credits and the closing balances sum to
	// zero when the books tie out.
	Totals  []payments.AccountTotal
	Total   payments.AccountTotal
	TiesOut bool
	Txs     []ledgerRow
	NextURL string
	// JSONURL and AccountsCSV are the API's answers for the same filter.
	JSONURL     string
	AccountsCSV string
}

// Ledger is GET /finance/ledger: the period's totals per account and its
// transactions with their entries, filtered by account, kind, case or
// auction, a page at a time (after = the last id of the page before).
func (h *Handler) Ledger(c echo.Context) error {
	ctx := c.Request().Context()
	p := h.newPage(c, "ledger.title")
	d := &ledgerData{Accounts: ledgerAccounts, Kinds: ledgerKinds, CaseID: c.QueryParam("case_id"), AuctionID: c.QueryParam("auction_id")}
	d.Period, d.Error = readPeriod(c, p.L, h.store.Clock().Now())
	// Only known names filter: anything else would silently list nothing.
	if v := c.QueryParam("account"); slices.Contains(ledgerAccounts, v) {
		d.Account = v
	}
	if v := c.QueryParam("kind"); slices.Contains(ledgerKinds, v) {
		d.Kind = v
	}
	after, _ := strconv.ParseInt(c.QueryParam("after"), 10, 64)
	f := payments.LedgerFilter{From: d.Period.From, To: d.Period.To, Account: d.Account, Kind: d.Kind,
		CaseID: d.CaseID, AuctionID: d.AuctionID, After: max(after, 0), Limit: ledgerPageSize}
	txs, more, err := h.store.Ledger(ctx, f)
	if err != nil {
		return err
	}
	// The totals only: the ledger page never waits on a card provider.
	if d.Totals, d.Total, err = h.store.AccountTotals(ctx, d.Period.From, d.Period.To); err != nil {
		return err
	}
	d.TiesOut = d.Total.Debits == d.Total.Credits && d.Total.Closing == 0
	for _, t := range txs {
		row := ledgerRow{LedgerTransaction: t}
		for _, e := range t.Entries {
			v := entryView{Account: e.Account}
			if e.Amount >= 0 {
				v.Debit = e.Amount
			} else {
				v.Credit = -e.Amount
			}
			row.Lines = append(row.Lines, v)
		}
		d.Txs = append(d.Txs, row)
	}

	q := d.Period.api()
	for k, v := range map[string]string{"account": d.Account, "kind": d.Kind, "case_id": d.CaseID, "auction_id": d.AuctionID} {
		if v != "" {
			q.Set(k, v)
		}
	}
	d.JSONURL = "/api/v1/ledger?" + q.Encode()
	d.AccountsCSV = reconcileCSV(d.Period, "accounts", p.L.Lang)
	if more {
		next := url.Values{"from": {d.Period.FromDate}, "to": {d.Period.ToDate}}
		for k, v := range map[string]string{"account": d.Account, "kind": d.Kind, "case_id": d.CaseID, "auction_id": d.AuctionID} {
			if v != "" {
				next.Set(k, v)
			}
		}
		next.Set("after", strconv.FormatInt(txs[len(txs)-1].ID, 10))
		d.NextURL = "/finance/ledger?" + next.Encode()
	}
	p.Nav, p.Data = "ledger", d
	return h.render(c, http.StatusOK, "ledger.html", p)
}

// reconcileCSV is the API link that downloads one table of a period's
// reconciliation as a spreadsheet in the page's language; the session
// cookie authorizes it (a GET needs no CSRF token).
func reconcileCSV(p period, part, lang string) string {
	q := p.api()
	q.Set("part", part)
	q.Set("format", "csv")
	q.Set("lang", lang)
	return "/api/v1/reconciliation?" + q.Encode()
}

// refundView is a refund due with its place against the 24 h deadline.
type refundView struct {
	payments.RefundDue
	// Soon: less than a quarter of the window is left.
	Soon bool
}

type reconcileData struct {
	Period  period
	Error   string
	R       *payments.Reconciliation
	Refunds []refundView
	// DiffTable is the unmatched lines, LineTable every line.
	DiffTable, LineTable lineTable
	// CSV links to the API's tables for this period, by part.
	CSV     map[string]string
	JSONURL string
}

// lineTable is one table of escrow movements with its totals.
type lineTable struct {
	L                            i18n.Locale
	ID                           string
	Lines                        []payments.Line
	Ledger, Provider, Difference int64
}

func newLineTable(l i18n.Locale, id string, lines []payments.Line) lineTable {
	t := lineTable{L: l, ID: id, Lines: lines}
	for _, x := range lines {
		t.Ledger += x.LedgerAmount
		t.Provider += x.ProviderAmount
		t.Difference += x.Difference
	}
	return t
}

// Reconcile is GET /finance/reconciliation?from=&to=: ledger totals per
// account, deposit money held against the providers' records, refunds due
// with their legal deadline, and every escrow movement matched line by line.
func (h *Handler) Reconcile(c echo.Context) error {
	p := h.newPage(c, "recon.title")
	now := h.store.Clock().Now()
	d := &reconcileData{}
	d.Period, d.Error = readPeriod(c, p.L, now)
	r, err := h.store.Reconcile(c.Request().Context(), d.Period.From, d.Period.To)
	if err != nil {
		return err
	}
	d.R = r
	for _, due := range r.RefundsDue {
		left := due.DueBy.Sub(now)
		d.Refunds = append(d.Refunds, refundView{RefundDue: due, Soon: !due.Overdue && left < payments.RefundWindow/4})
	}
	d.DiffTable, d.LineTable = newLineTable(p.L, "differences", r.Differences), newLineTable(p.L, "lines", r.Lines)
	d.CSV = map[string]string{}
	for _, part := range []string{"lines", "accounts", "escrow", "refunds"} {
		d.CSV[part] = reconcileCSV(d.Period, part, p.L.Lang)
	}
	d.JSONURL = "/api/v1/reconciliation?" + d.Period.api().Encode()
	p.Nav, p.Data = "reconcile", d
	return h.render(c, http.StatusOK, "reconcile.html", p)
}

type financeCaseData struct {
	Proceeds    *payments.Proceeds
	Remittances []payments.Remittance
	Remitted    int64
	// CanRemit: finance and admins pay out; an auditor only reads.
	CanRemit bool
}

// FinanceCase is GET /finance/cases/{id}: what a case's sales brought in,
// what was remitted to it, and the form to remit the rest.
func (h *Handler) FinanceCase(c echo.Context) error {
	ctx := c.Request().Context()
	pr, err := h.store.CaseProceeds(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	rs, err := h.store.Remittances(ctx, pr.CaseID)
	if err != nil {
		return err
	}
	p := h.newPage(c, "")
	d := &financeCaseData{Proceeds: pr, Remittances: rs}
	for _, r := range rs {
		d.Remitted += r.Amount
	}
	if p.User != nil {
		d.CanRemit = p.User.Role == auction.RoleFinance || p.User.Role == auction.RoleAdmin
	}
	p.Title, p.Nav, p.Data = p.L.T("remit.title", pr.CaseNumber), "ledger", d
	return h.render(c, http.StatusOK, "ledger_case.html", p)
}
