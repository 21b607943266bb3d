package api

import (
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"gavel/auction"
)

// StripeWebhook is POST /api/v1/webhooks/stripe. The raw body is
// verified against Stripe-Signature before anything else (400 and nothing
// recorded when it does not verify); the event id is recorded once and the
// payment it names is re-read from Stripe by a durable job, so Stripe gets
// its 2xx at once and a duplicate or late event changes nothing.
func (h *Handler) StripeWebhook(c echo.Context) error {
	if h.cfg.Jobs == nil {
		return auction.Errorf(auction.ENotFound, "Stripe is not configured")
	}
	payload, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the request body is larger than 1 MiB")
		}
		return auction.Errorf(auction.EInvalidRequest, "the body could not be read")
	}
	if err := h.cfg.Jobs.ReceiveStripeEvent(c.Request().Context(), payload, c.Request().Header.Get("Stripe-Signature")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]bool{"received": true})
}
