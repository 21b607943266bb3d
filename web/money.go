package web

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/auction/postgres"
	"gavel/payments"
)

// Jobs is the durable job runner as the web layer needs it (auction/jobs):
// re-sending case notifications and taking in Stripe webhooks.
type Jobs interface {
	// ResendNotification delivers a case notification again. Returns
	// not_found or invalid_state (no case system configured).
	ResendNotification(ctx context.Context, id string) error
	// ReceiveStripeEvent verifies and records a Stripe webhook. Returns
	// invalid_request for a bad signature, not_found without Stripe.
	ReceiveStripeEvent(ctx context.Context, payload []byte, signature string) error
}

// moneyRoutes registers the finance and case-reporting routes of this file
// and webhook.go, and the pay-back of a balance payment's excess
// (finance.go).
func (s *Server) moneyRoutes(api *echo.Group) {
	staff := requireRole(auction.RoleClerk, auction.RoleFinance, auction.RoleAuditor, auction.RoleAdmin)
	finance := requireRole(auction.RoleFinance, auction.RoleAdmin)
	financeRead := requireRole(auction.RoleFinance, auction.RoleAuditor, auction.RoleAdmin)
	// An auditor reads everything and changes nothing, a re-send included.
	caseStaff := requireRole(auction.RoleClerk, auction.RoleFinance, auction.RoleAdmin)

	api.GET("/ledger", s.handleLedger, financeRead)
	api.GET("/auctions/:id/money", s.handleAuctionMoney, financeRead)
	api.GET("/refunds-due", s.handleRefundsDue, financeRead)
	api.GET("/reconciliation", s.handleReconciliation, financeRead)
	api.GET("/cases/:id/remittances", s.handleRemittances, staff)
	api.POST("/cases/:id/remittances", s.handleRemit, finance)
	api.POST("/balance-payments/:id/refunded", s.handleExcessRefunded, finance)
	api.GET("/cases/:id/notifications", s.handleCaseNotifications, staff)
	api.GET("/case-notifications/:id", s.handleCaseNotification, staff)
	api.POST("/case-notifications/:id/resend", s.handleCaseNotificationResend, caseStaff)
	api.POST("/webhooks/stripe", s.handleStripeWebhook)
}

// wantsCSV reports whether the client asked for CSV: Accept: text/csv (or
// ?format=csv, for a link in a page).
func wantsCSV(c echo.Context) bool {
	return strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/csv") || c.QueryParam("format") == "csv"
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

// queryTime reads an RFC 3339 time or a date from the query. A date is the
// court's calendar day, as on the pages: from= starts at its midnight in the
// court's zone, and to= (which is exclusive as a time) includes the whole
// day, ending at the next midnight.
func (s *Server) queryTime(c echo.Context, name string) (time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, s.zone()); err == nil {
		if name == "to" {
			t = t.AddDate(0, 0, 1)
		}
		return t.UTC(), nil
	}
	return time.Time{}, auction.FieldError(name, "is not an RFC 3339 time or a YYYY-MM-DD date")
}

// handleLedger is GET /api/v1/ledger: ledger transactions with their
// entries, filtered by auction_id, case_id, deposit_id, account, kind, from
// and to, a page at a time (limit, after = the last id of the page before).
func (s *Server) handleLedger(c echo.Context) error {
	f := postgres.LedgerFilter{AuctionID: c.QueryParam("auction_id"), CaseID: c.QueryParam("case_id"),
		DepositID: c.QueryParam("deposit_id"), Account: c.QueryParam("account"), Kind: c.QueryParam("kind")}
	var err error
	if f.From, err = s.queryTime(c, "from"); err != nil {
		return err
	}
	if f.To, err = s.queryTime(c, "to"); err != nil {
		return err
	}
	if f.After, err = queryInt(c, "after", 0); err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 0)
	if err != nil {
		return err
	}
	f.Limit = int(min(limit, 1000))
	txs, more, err := s.store.Ledger(c.Request().Context(), f)
	if err != nil {
		return err
	}
	var next *int64
	if more {
		next = &txs[len(txs)-1].ID
	}
	return c.JSON(http.StatusOK, map[string]any{"transactions": txs, "more": more, "next_after": next})
}

// handleAuctionMoney is GET /api/v1/auctions/{id}/money: one auction's
// deposits, payments and ledger balances.
func (s *Server) handleAuctionMoney(c echo.Context) error {
	m, err := s.store.AuctionMoney(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

// handleRefundsDue is GET /api/v1/refunds-due: released deposits not yet
// paid back, overdue ones flagged; as CSV for the bank with Accept: text/csv.
func (s *Server) handleRefundsDue(c echo.Context) error {
	due, err := s.store.RefundsDue(c.Request().Context())
	if err != nil {
		return err
	}
	if wantsCSV(c) {
		name := "refunds-due-" + s.store.Clock().Now().In(s.zone()).Format("2006-01-02") + ".csv"
		return sendCSV(c, name, func(b *bytes.Buffer) error { return payments.WriteRefundsCSV(b, due) })
	}
	return c.JSON(http.StatusOK, map[string]any{"refunds_due": due, "total": payments.TotalRefunds(due)})
}

// handleReconciliation is GET /api/v1/reconciliation?from=&to=: the
// reconciliation of a period (default: this calendar month so far). As CSV
// (Accept: text/csv) it is one table chosen by part: lines (default),
// accounts, escrow or refunds.
func (s *Server) handleReconciliation(c echo.Context) error {
	from, err := s.queryTime(c, "from")
	if err != nil {
		return err
	}
	to, err := s.queryTime(c, "to")
	if err != nil {
		return err
	}
	now := s.store.Clock().Now()
	if to.IsZero() {
		to = now.Add(time.Second)
	}
	if from.IsZero() {
		// The court's calendar month.
		local := to.In(s.zone())
		from = time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, s.zone())
		if !from.Before(to) {
			from = from.AddDate(0, -1, 0)
		}
		from = from.UTC()
	}
	r, err := s.store.Reconcile(c.Request().Context(), from, to)
	if err != nil {
		return err
	}
	if !wantsCSV(c) {
		return c.JSON(http.StatusOK, r)
	}
	part := c.QueryParam("part")
	write := map[string]func(*bytes.Buffer) error{
		"":         func(b *bytes.Buffer) error { return payments.WriteLinesCSV(b, r) },
		"lines":    func(b *bytes.Buffer) error { return payments.WriteLinesCSV(b, r) },
		"accounts": func(b *bytes.Buffer) error { return payments.WriteAccountsCSV(b, r) },
		"escrow":   func(b *bytes.Buffer) error { return payments.WriteEscrowCSV(b, r) },
		"refunds":  func(b *bytes.Buffer) error { return payments.WriteRefundsCSV(b, r.RefundsDue) },
	}[part]
	if write == nil {
		return auction.FieldError("part", "is one of lines, accounts, escrow, refunds")
	}
	if part == "" {
		part = "lines"
	}
	// Named by the court's first and last day of the period (to is exclusive).
	name := "reconciliation-" + part + "-" + from.In(s.zone()).Format("2006-01-02") + "-" + to.Add(-time.Nanosecond).In(s.zone()).Format("2006-01-02") + ".csv"
	return sendCSV(c, name, write)
}

// handleRemit is POST /api/v1/cases/{id}/remittances {amount, reference}:
// finance paid the case its proceeds.
func (s *Server) handleRemit(c echo.Context) error {
	var req struct {
		Amount    *int64 `json:"amount"`
		Reference string `json:"reference"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Amount == nil {
		return auction.FieldError("amount", "is required (fen)")
	}
	r, err := s.store.Remit(c.Request().Context(), user(c).ID, c.Param("id"), *req.Amount, req.Reference)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, r)
}

// handleRemittances is GET /api/v1/cases/{id}/remittances.
func (s *Server) handleRemittances(c echo.Context) error {
	rs, err := s.store.Remittances(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"remittances": rs})
}

// handleCaseNotifications is GET /api/v1/cases/{id}/notifications: what the
// case system was told, with every delivery attempt.
func (s *Server) handleCaseNotifications(c echo.Context) error {
	ns, err := s.store.CaseNotifications(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"notifications": ns})
}

// handleCaseNotification is GET /api/v1/case-notifications/{id}.
func (s *Server) handleCaseNotification(c echo.Context) error {
	n, err := s.store.CaseNotification(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, n)
}

// handleCaseNotificationResend is POST /api/v1/case-notifications/{id}/resend:
// deliver the notification again, same id and body. 202: it is queued.
func (s *Server) handleCaseNotificationResend(c echo.Context) error {
	var req struct{}
	if err := bind(c, &req, true); err != nil {
		return err
	}
	if s.cfg.Jobs == nil {
		return auction.Errorf(auction.EInvalidState, "no case system is configured (serve --case-webhook-url)")
	}
	ctx := c.Request().Context()
	if err := s.cfg.Jobs.ResendNotification(ctx, c.Param("id")); err != nil {
		return err
	}
	n, err := s.store.CaseNotification(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, n)
}
