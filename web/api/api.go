// Package api is Gavel's JSON API (API.md): handlers that translate between
// HTTP and the store, which decides every rule. The server (package web)
// lists each handler in its route table with the roles it admits.
package api

import (
	"context"
	"log/slog"
	"time"

	"gavel/auction"
	"gavel/auction/casereport"
	"gavel/auction/notice"
	"gavel/web/request"
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

// Store is every service the API calls, as the domain declares them; the
// PostgreSQL adapter is the one implementation, wired by cmd/gavel.
type Store interface {
	auction.Services
	auction.Books
	casereport.Log
}

// TestClock is the shared test clock that POST /api/v1/test/clock moves.
type TestClock interface {
	Now() time.Time
	// Set moves the clock to t (never backwards) and returns its new time.
	Set(ctx context.Context, t time.Time) (time.Time, error)
}

// Config is what the API handlers need.
type Config struct {
	Store Store
	Log   *slog.Logger
	// Sessions ends tokens at sign-out.
	Sessions request.Sessions
	// TestClock is set with --test-clock; nil otherwise (its routes are not
	// registered).
	TestClock TestClock
	// Ticker applies due transitions now (opening, closing, defaults) and
	// publishes them; the test clock calls it before answering.
	Ticker func(ctx context.Context) error
	// Jobs re-sends case notifications and takes in Stripe webhooks
	// (money.go, webhook.go); nil without a job runner.
	Jobs Jobs
	// Timezone is the courts' zone, in which a day given as a query
	// parameter begins and ends.
	Timezone *time.Location
	// Notices keeps watch lists and user notices (notices.go).
	Notices notice.Service
	// Identity is the real-name verification provider bidders may verify
	// themselves with (identity.go); nil when the court has none.
	Identity auction.IdentityProvider
}

// Handler holds the API's handlers; each method serves one route.
type Handler struct {
	store    Store
	log      *slog.Logger
	sessions request.Sessions
	notices  notice.Service
	cfg      Config
}

// New returns the API's handlers.
func New(cfg Config) *Handler {
	return &Handler{store: cfg.Store, log: cfg.Log, sessions: cfg.Sessions, notices: cfg.Notices, cfg: cfg}
}
