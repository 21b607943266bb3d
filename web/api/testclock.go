package api

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/web/request"
)

// ClockView is GET /api/v1/test/clock (only with --test-clock).
func (h *Handler) ClockView(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]time.Time{"now": h.cfg.TestClock.Now()})
}

// ClockSet is POST /api/v1/test/clock {"advance_seconds": N} or
// {"set": RFC 3339}. It answers after every transition due by the new time has
// been applied and published.
func (h *Handler) ClockSet(c echo.Context) error {
	var req struct {
		AdvanceSeconds *int64     `json:"advance_seconds"`
		Set            *time.Time `json:"set"`
	}
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	var target time.Time
	switch {
	case req.AdvanceSeconds != nil && req.Set != nil:
		return auction.FieldError("advance_seconds", "give advance_seconds or set, not both")
	case req.AdvanceSeconds != nil:
		if *req.AdvanceSeconds < 0 {
			return auction.FieldError("advance_seconds", "the test clock never moves backwards")
		}
		if *req.AdvanceSeconds > maxAdvanceSeconds {
			return auction.FieldError("advance_seconds", "at most %d (100 years) at a time", int64(maxAdvanceSeconds))
		}
		target = h.cfg.TestClock.Now().Add(time.Duration(*req.AdvanceSeconds) * time.Second)
	case req.Set != nil:
		target = *req.Set
	default:
		return auction.FieldError("advance_seconds", "give advance_seconds or set")
	}
	now, err := h.cfg.TestClock.Set(ctx, target)
	if err != nil {
		return err
	}
	if h.cfg.Ticker != nil {
		if err := h.settle(ctx); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, map[string]time.Time{"now": now})
}

// maxAdvanceSeconds bounds one move of the test clock: a Duration holds
// about 292 years, and a bigger move would wrap around instead of failing.
const maxAdvanceSeconds = 100 * 365 * 24 * 60 * 60

// settleTimeout bounds the wait for transitions another instance is applying.
const settleTimeout = 30 * time.Second

// settle ticks until no transition is due. A tick skips auctions another
// ticker (another instance sharing the clock, or this one's scheduler) has
// claimed; waiting for those too keeps the promise that when the clock call
// returns every due transition has been applied.
func (h *Handler) settle(ctx context.Context) error {
	deadline := time.Now().Add(settleTimeout)
	for {
		if err := h.cfg.Ticker(ctx); err != nil {
			return err
		}
		due, err := h.store.Due(ctx)
		if err != nil || due == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return auction.Errorf(auction.EUnavailable, "%d due transitions are still being applied; try again", due)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
