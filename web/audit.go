package web

import (
	"gavel/auction"
	"gavel/web/request"

	"github.com/labstack/echo/v4"
)

// auditTrail writes every state-changing request of a staff account to the
// audit log twice: the attempt before the handler runs (an action whose
// attempt cannot be recorded does not happen) and the outcome after it (an
// attempt without an outcome marks a crash mid-way). Bodies are never copied:
// they may hold personal data; the route and its id say what was done.
func (s *Server) auditTrail(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess := request.Session(c)
		if sess == nil || !auction.IsStaffRole(sess.User.Role) || !unsafeMethod(c.Request().Method) || c.Path() == "" {
			return next(c)
		}
		ctx := c.Request().Context()
		u := sess.User
		action := c.Request().Method + " " + c.Path()
		attempt, err := s.store.Audit(ctx, auction.NewAuditEntry{ActorID: u.ID, ActorRole: u.Role, Action: action, Target: c.Param("id"),
			Detail: map[string]any{"phase": "attempt", "request_id": request.ID(c)}})
		if err != nil {
			return err
		}
		herr := next(c)
		code := c.Response().Status
		detail := map[string]any{"phase": "outcome", "attempt_seq": attempt.Seq, "request_id": request.ID(c)}
		if herr != nil {
			code = request.ErrorStatus(herr, s.store.Unavailable)
			detail["error"] = request.ErrorCode(herr)
		}
		if _, err := s.store.Audit(ctx, auction.NewAuditEntry{ActorID: u.ID, ActorRole: u.Role, Action: action, Target: c.Param("id"),
			Status: code, Detail: detail}); err != nil {
			// The action is done and cannot be undone here; its attempt is
			// on record, so say loudly that the outcome is not.
			s.log.Error("audit outcome not recorded", "request_id", request.ID(c), "action", action, "attempt_seq", attempt.Seq, "err", err)
		}
		return herr
	}
}
