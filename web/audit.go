package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/auction/postgres"
)

// securityRoutes adds the audit, interception and collusion views. New calls
// it after the main routes; full paths keep it independent of their groups.
func (s *Server) securityRoutes() {
	e := s.echo
	e.GET("/api/v1/audit", s.handleAuditLog, requireRole(auction.RoleAuditor, auction.RoleAdmin))
	e.GET("/api/v1/interceptions", s.handleInterceptions, requireRole(auction.RoleClerk, auction.RoleAuditor, auction.RoleAdmin))
	e.GET("/api/v1/deposits/:id/payer", s.handleDepositPayer, requireRole(auction.RoleFinance, auction.RoleAdmin))
	e.POST("/api/v1/deposits/:id/payer", s.handleDepositPayerRecord, requireRole(auction.RoleFinance, auction.RoleAdmin))
	e.GET("/api/v1/auctions/:id/signals", s.handleSignals, requireRole(auction.RoleClerk, auction.RoleAuditor, auction.RoleAdmin))
}

// auditTrail writes every state-changing request of a staff account to the
// audit log twice: the attempt before the handler runs (an action whose
// attempt cannot be recorded does not happen) and the outcome after it (an
// attempt without an outcome marks a crash mid-way). Bodies are never copied:
// they may hold personal data; the route and its id say what was done.
func (s *Server) auditTrail(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess := session(c)
		if sess == nil || !auction.IsStaffRole(sess.User.Role) || !unsafeMethod(c.Request().Method) || c.Path() == "" {
			return next(c)
		}
		ctx := c.Request().Context()
		u := sess.User
		action := c.Request().Method + " " + c.Path()
		attempt, err := s.store.Audit(ctx, postgres.NewAuditEntry{ActorID: u.ID, ActorRole: u.Role, Action: action, Target: c.Param("id"),
			Detail: map[string]any{"phase": "attempt", "request_id": requestID(c)}})
		if err != nil {
			return err
		}
		herr := next(c)
		code := c.Response().Status
		detail := map[string]any{"phase": "outcome", "attempt_seq": attempt.Seq, "request_id": requestID(c)}
		if herr != nil {
			code = errorStatus(herr)
			detail["error"] = errorCodeOf(herr)
		}
		if _, err := s.store.Audit(ctx, postgres.NewAuditEntry{ActorID: u.ID, ActorRole: u.Role, Action: action, Target: c.Param("id"),
			Status: code, Detail: detail}); err != nil {
			// The action is done and cannot be undone here; its attempt is
			// on record, so say loudly that the outcome is not.
			s.log.Error("audit outcome not recorded", "request_id", requestID(c), "action", action, "attempt_seq", attempt.Seq, "err", err)
		}
		return herr
	}
}

// errorStatus is the status handleError will answer for err.
func errorStatus(err error) int {
	var de *auction.Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &de):
		if st, ok := status[de.Code]; ok {
			return st
		}
	case errors.As(err, &he):
		return he.Code
	case unavailable(err):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// errorCodeOf is the error code handleError will answer for err.
func errorCodeOf(err error) string {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if code := echoCodes[he.Code]; code != "" {
			return code
		}
	}
	return auction.ErrorCode(err)
}

// handleAuditLog is GET /api/v1/audit?since=N&limit=M (auditor, admin): the
// audit log after seq N, verified link by link against its chain.
func (s *Server) handleAuditLog(c echo.Context) error {
	since, err := queryInt(c, "since", 0)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 1000)
	if err != nil {
		return err
	}
	if limit < 1 || limit > 10000 {
		return auction.FieldError("limit", "must be between 1 and 10000")
	}
	page, err := s.store.AuditLog(c.Request().Context(), since, int(limit))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

// handleInterceptions is GET /api/v1/interceptions?auction_id=&since=&limit=
// (clerk, auditor, admin): restricted bidders stopped at registration or at a
// bid, for the court.
func (s *Server) handleInterceptions(c echo.Context) error {
	since, err := queryInt(c, "since", 0)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 1000)
	if err != nil {
		return err
	}
	if limit < 1 || limit > 10000 {
		return auction.FieldError("limit", "must be between 1 and 10000")
	}
	list, more, err := s.store.Interceptions(c.Request().Context(), postgres.InterceptionFilter{
		AuctionID: c.QueryParam("auction_id"), Since: since, Limit: int(limit)})
	if err != nil {
		return err
	}
	if list == nil {
		list = []postgres.Interception{}
	}
	return c.JSON(http.StatusOK, map[string]any{"interceptions": list, "more": more})
}

// handleDepositPayer is GET /api/v1/deposits/{id}/payer (finance, admin): the
// name of the person who owes a deposit, to match a bank transfer. It is the
// one view that ties a registration to a person before the close, so the
// store records each look in the audit log before answering.
func (s *Server) handleDepositPayer(c echo.Context) error {
	p, err := s.store.ViewDepositPayer(c.Request().Context(), user(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}
