package api

import (
	"bytes"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/payments"
	"gavel/web/request"
)

// wantsCSV reports whether the client asked for CSV: Accept: text/csv (or
// ?format=csv, for a link in a page).
func wantsCSV(c echo.Context) bool {
	return strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/csv") || c.QueryParam("format") == "csv"
}

// sheet reads ?lang=zh|en: a CSV for people (yuan, the courts' time,
// headers in that language, a byte-order mark), as the finance pages link
// it; without it the CSV is for programs (fen, UTC, English keys).
func (h *Handler) sheet(c echo.Context) ([]payments.Sheet, error) {
	switch lang := c.QueryParam("lang"); {
	case lang == "":
		return nil, nil
	case lang == "zh" || lang == "zh-CN":
		return []payments.Sheet{{Lang: "zh", Zone: h.cfg.Timezone}}, nil
	case lang == "en":
		return []payments.Sheet{{Lang: "en", Zone: h.cfg.Timezone}}, nil
	}
	return nil, auction.FieldError("lang", "is zh, zh-CN or en")
}

// sendCSV answers a CSV download.
func sendCSV(c echo.Context, name string, write func(*bytes.Buffer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}

// Ledger is GET /api/v1/ledger: ledger transactions with their
// entries, filtered by auction_id, case_id, deposit_id, account, kind, from
// and to, a page at a time (limit, after = the last id of the page before).
func (h *Handler) Ledger(c echo.Context) error {
	f := payments.LedgerFilter{AuctionID: c.QueryParam("auction_id"), CaseID: c.QueryParam("case_id"),
		DepositID: c.QueryParam("deposit_id"), Account: c.QueryParam("account"), Kind: c.QueryParam("kind")}
	var err error
	// Days are the court's calendar days, as on the pages; to includes its day.
	if f.From, err = queryDay(c, "from", h.cfg.Timezone, false); err != nil {
		return err
	}
	if f.To, err = queryDay(c, "to", h.cfg.Timezone, true); err != nil {
		return err
	}
	if f.After, err = request.QueryInt(c, "after", 0); err != nil {
		return err
	}
	limit, err := request.QueryInt(c, "limit", 0)
	if err != nil {
		return err
	}
	f.Limit = int(min(limit, 1000))
	txs, more, err := h.store.Ledger(c.Request().Context(), f)
	if err != nil {
		return err
	}
	var next *int64
	if more {
		next = &txs[len(txs)-1].ID
	}
	return c.JSON(http.StatusOK, map[string]any{"transactions": txs, "more": more, "next_after": next})
}

// AuctionMoney is GET /api/v1/auctions/{id}/money: one auction's
// deposits, payments and ledger balances.
func (h *Handler) AuctionMoney(c echo.Context) error {
	m, err := h.store.AuctionMoney(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

// RefundsDue is GET /api/v1/refunds-due: released deposits not yet
// paid back, overdue ones flagged; as CSV for the bank with Accept: text/csv.
func (h *Handler) RefundsDue(c echo.Context) error {
	due, err := h.store.RefundsDue(c.Request().Context())
	if err != nil {
		return err
	}
	if wantsCSV(c) {
		name := "refunds-due-" + h.store.Clock().Now().In(h.cfg.Timezone).Format("2006-01-02") + ".csv"
		sheet, err := h.sheet(c)
		if err != nil {
			return err
		}
		return sendCSV(c, name, func(b *bytes.Buffer) error { return payments.WriteRefundsCSV(b, due, sheet...) })
	}
	return c.JSON(http.StatusOK, map[string]any{"refunds_due": due, "total": payments.TotalRefunds(due)})
}

// Reconciliation is GET /api/v1/reconciliation?from=&to=: the
// reconciliation of a period (default: this calendar month so far). As CSV
// (Accept: text/csv) it is one table chosen by part: lines (default),
// accounts, escrow or refunds.
func (h *Handler) Reconciliation(c echo.Context) error {
	from, err := queryDay(c, "from", h.cfg.Timezone, false)
	if err != nil {
		return err
	}
	to, err := queryDay(c, "to", h.cfg.Timezone, true)
	if err != nil {
		return err
	}
	now := h.store.Clock().Now()
	if to.IsZero() {
		to = now.Add(time.Second)
	}
	if from.IsZero() {
		// The court's calendar month.
		local := to.In(h.cfg.Timezone)
		from = time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, h.cfg.Timezone)
		if !from.Before(to) {
			from = from.AddDate(0, -1, 0)
		}
		from = from.UTC()
	}
	r, err := h.store.Reconcile(c.Request().Context(), from, to)
	if err != nil {
		return err
	}
	if !wantsCSV(c) {
		return c.JSON(http.StatusOK, r)
	}
	sheet, err := h.sheet(c)
	if err != nil {
		return err
	}
	part := c.QueryParam("part")
	write := map[string]func(*bytes.Buffer) error{
		"":         func(b *bytes.Buffer) error { return payments.WriteLinesCSV(b, r, sheet...) },
		"lines":    func(b *bytes.Buffer) error { return payments.WriteLinesCSV(b, r, sheet...) },
		"accounts": func(b *bytes.Buffer) error { return payments.WriteAccountsCSV(b, r, sheet...) },
		"escrow":   func(b *bytes.Buffer) error { return payments.WriteEscrowCSV(b, r, sheet...) },
		"refunds":  func(b *bytes.Buffer) error { return payments.WriteRefundsCSV(b, r.RefundsDue, sheet...) },
	}[part]
	if write == nil {
		return auction.FieldError("part", "is one of lines, accounts, escrow, refunds")
	}
	if part == "" {
		part = "lines"
	}
	// Named by the court's first and last day of the period (to is exclusive).
	name := "reconciliation-" + part + "-" + from.In(h.cfg.Timezone).Format("2006-01-02") + "-" + to.Add(-time.Nanosecond).In(h.cfg.Timezone).Format("2006-01-02") + ".csv"
	return sendCSV(c, name, write)
}

// Remit is POST /api/v1/cases/{id}/remittances {amount, reference}:
// finance paid the case its proceeds.
func (h *Handler) Remit(c echo.Context) error {
	var req struct {
		Amount    *int64 `json:"amount"`
		Reference string `json:"reference"`
	}
	if err := bindAmount(c, &req, &req.Amount); err != nil {
		return err
	}
	r, err := h.store.Remit(c.Request().Context(), request.User(c).ID, c.Param("id"), *req.Amount, req.Reference)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, r)
}

// Remittances is GET /api/v1/cases/{id}/remittances.
func (h *Handler) Remittances(c echo.Context) error {
	rs, err := h.store.Remittances(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"remittances": rs})
}

// CaseNotifications is GET /api/v1/cases/{id}/notifications: what the
// case system was told, with every delivery attempt.
func (h *Handler) CaseNotifications(c echo.Context) error {
	ns, err := h.store.CaseNotifications(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"notifications": ns})
}

// CaseNotification is GET /api/v1/case-notifications/{id}.
func (h *Handler) CaseNotification(c echo.Context) error {
	n, err := h.store.CaseNotification(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, n)
}

// CaseNotificationResend is POST /api/v1/case-notifications/{id}/resend:
// deliver the notification again, same id and body. 202: it is queued.
func (h *Handler) CaseNotificationResend(c echo.Context) error {
	var req struct{}
	if err := request.Bind(c, &req, true); err != nil {
		return err
	}
	if h.cfg.Jobs == nil {
		return auction.Errorf(auction.EInvalidState, "no case system is configured (serve --case-webhook-url)")
	}
	ctx := c.Request().Context()
	if err := h.cfg.Jobs.ResendNotification(ctx, c.Param("id")); err != nil {
		return err
	}
	n, err := h.store.CaseNotification(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, n)
}
