// Package web is Gavel's HTTP server: the Echo set-up, the one route table
// (every route with the roles it admits and its handler), authentication,
// limits and security headers, and the writer of every error. The handlers
// themselves live in api (the JSON API), page (the HTML pages) and live (the
// WebSocket feed); request holds what they share.
package web

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/auction/notice"
	"gavel/auction/notice/mail/mailbox"
	"gavel/web/api"
	"gavel/web/limit"
	"gavel/web/live"
	"gavel/web/page"
	"gavel/web/request"
)

//go:embed openapi.yaml
var openapi embed.FS

// Config is what the web server needs.
type Config struct {
	Store api.Store
	Log   *slog.Logger
	// Hub is the live feed, told about every change after its transaction
	// commits (cmd/gavel starts one that spans processes); nil: a hub local
	// to this server.
	Hub *live.Hub
	// TestClock is set with --test-clock; nil otherwise (its routes answer 404).
	TestClock api.TestClock
	// NoLimits turns off rate and connection limits (load tests on loopback).
	NoLimits bool
	// LimitStore, when set, shares the limits with every instance on the
	// database (pglimit): sign-ups and sign-ins are checked in it, and the
	// per-account limits are synced with it while ShareLimits runs; else
	// every limit is per process.
	LimitStore limit.Store
	// OpenFiles is the process's open-file limit: live connections are
	// capped below it (limit.LiveConnections). 0: unknown.
	OpenFiles uint64
	// Ticker applies due transitions now (opening, closing, defaults) and
	// publishes them; the test clock calls it before answering.
	Ticker func(ctx context.Context) error
	// BidFailed is told of every bid answered with a server error (the
	// auction id and the error code), for the outage guard (outage.go).
	BidFailed func(auctionID, code string)
	// Timezone is where the pages show times (default Asia/Shanghai).
	Timezone *time.Location
	// Jobs re-sends case notifications and takes in Stripe webhooks; nil
	// without a job runner.
	Jobs api.Jobs
	// Notices keeps watch lists and user notices.
	Notices notice.Service
	// Identity is the real-name verification provider bidders may verify
	// themselves with (api/identity.go); nil when the court has none.
	Identity auction.IdentityProvider
	// DevMailbox is the development mailbox shown at /dev/mailbox (serve
	// --dev-mailbox); nil serves no such page.
	DevMailbox *mailbox.Mailbox
	// Clock is the clock measured against the database's:
	// /readyz fails while it cannot be trusted, /metrics shows how far
	// this machine's clock is off, and the shared per-account limits count
	// in its time. Nil leaves the first two out and uses this machine's.
	Clock SyncedClock
}

// SyncedClock is a clock kept in step with the database's.
type SyncedClock interface {
	// Now is the database's time as this process counts it.
	Now() time.Time
	// Ready returns an error while the clock cannot be trusted.
	Ready() error
	// Offset is the database's time minus this machine's.
	Offset() time.Duration
	// Error bounds the last measurement's error.
	Error() time.Duration
}

// Server is the HTTP server.
type Server struct {
	echo  *echo.Echo
	store api.Store
	log   *slog.Logger
	hub   *live.Hub
	cfg   Config
	// limits are the abuse limits (security.go, ratelimit.go).
	limits *limit.Limits
	// routes is the route table as registered (routes.go).
	routes []Route
}

// New builds the server and registers its route table.
func New(cfg Config) *Server {
	hub := cfg.Hub
	if hub == nil {
		hub = live.NewHub(live.HubConfig{Store: cfg.Store, Log: cfg.Log})
	}
	var limitClock func() time.Time
	if cfg.Clock != nil {
		limitClock = cfg.Clock.Now
	}
	s := &Server{echo: echo.New(), store: cfg.Store, log: cfg.Log, hub: hub, cfg: cfg, limits: limit.NewShared(cfg.NoLimits, cfg.LimitStore, limitClock)}
	if s.limits.WebSockets != nil {
		s.limits.WebSockets = limit.NewConnLimiter(limit.LiveConnections(cfg.OpenFiles))
	}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(s.requestLog, bodyLimit(request.MaxBody, uploadRoute), request.CheckParams, s.authenticate)
	s.installSecurity()
	zone := cfg.Timezone
	if zone == nil {
		zone = page.DefaultZone()
	}
	apiHandler := api.New(api.Config{Store: cfg.Store, Log: cfg.Log, Sessions: hub, TestClock: cfg.TestClock,
		Ticker: cfg.Ticker, Jobs: cfg.Jobs, Notices: cfg.Notices, Timezone: zone, Identity: cfg.Identity})
	pageHandler := page.New(page.Config{Store: cfg.Store, Log: cfg.Log, Limits: s.limits, Sessions: hub, Timezone: zone,
		DevMailbox: cfg.DevMailbox, Notices: cfg.Notices})
	s.routes = s.routeTable(apiHandler, pageHandler, live.NewSocket(hub, s.limits))
	for _, r := range s.routes {
		s.register(r, pageHandler)
	}
	return s
}

// Handler is the server as an http.Handler.
func (s *Server) Handler() http.Handler { return s.echo }

// Limits are the server's abuse limits, shared with the live socket; tests
// narrow them.
func (s *Server) Limits() *limit.Limits { return s.limits }

// ShareLimits syncs the per-account limits with the other instances through
// Config.LimitStore until ctx ends (limit.Limits.Share); without it they
// count per instance. Requests never wait for it.
func (s *Server) ShareLimits(ctx context.Context) { s.limits.Share(ctx, s.log) }

// Echo exposes the router, for tests that compare it with the route table
// and the OpenAPI document.
func (s *Server) Echo() *echo.Echo { return s.echo }

// serveOpenAPI is GET /api/v1/openapi.yaml.
func serveOpenAPI(c echo.Context) error {
	b, _ := openapi.ReadFile("openapi.yaml")
	return c.Blob(http.StatusOK, "application/yaml", b)
}

// handleError writes {"error":{"code","message"}} for every failure. Unknown
// errors are logged and shown as "internal error"; a database that cannot be
// reached, or a transaction it aborted for another's sake, is 503
// service_unavailable.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, body, fault := request.Describe(err, s.store.Unavailable)
	switch fault {
	case request.Outage:
		c.Response().Header().Set("Retry-After", "1")
		s.log.Warn("database unavailable", "request_id", request.ID(c), "err", err)
	case request.Retry:
		c.Response().Header().Set("Retry-After", "1")
		s.log.Warn("transaction aborted by a concurrent one", "request_id", request.ID(c), "route", c.Path(), "err", err)
	case request.Internal:
		s.log.Error("internal error", "request_id", request.ID(c), "method", c.Request().Method, "route", c.Path(), "err", err)
	}
	s.noteBidFailure(c, code, body.Error.Code)
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(code)
		return
	}
	_ = c.JSON(code, body)
}

// bodyLimit refuses bodies over n bytes with 413 body_too_large. Routes named
// in except set their own limit.
func bodyLimit(n int64, except ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			for _, p := range except {
				if c.Path() == p {
					return next(c)
				}
			}
			r := c.Request()
			if r.ContentLength > n {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %d bytes", n))
			}
			r.Body = http.MaxBytesReader(c.Response(), r.Body, n)
			return next(c)
		}
	}
}

// requestLog gives each request an id and logs one structured line for it.
// It logs the route pattern, never bodies or query strings: no personal data.
func (s *Server) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if id == "" || len(id) > 64 {
			id = newRequestID()
		}
		request.SetID(c, id)
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		s.log.Info("request", "request_id", id, "method", c.Request().Method, "route", c.Path(),
			"status", c.Response().Status, "ms", time.Since(start).Milliseconds())
		return nil
	}
}

// newRequestID is a random id for a request that came without one.
func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// handleHealthz is GET /healthz: the process answers.
func (s *Server) handleHealthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// handleMetrics is GET /metrics in the Prometheus text exposition format:
// the live feed's and the bid path's counters and, when the clock is
// measured against the database's, how far off this machine's is. The
// format is written by hand: a dozen counters and one histogram do not
// justify the official client library's dependency tree, and the text
// format is a small, stable, documented contract.
func (s *Server) handleMetrics(c echo.Context) error {
	var b strings.Builder
	s.hub.WriteMetrics(&b)
	if clk := s.cfg.Clock; clk != nil {
		ready := 1
		if clk.Ready() != nil {
			ready = 0
		}
		live.WriteMetric(&b, "gavel_clock_offset_seconds", "gauge", "The database's clock minus this machine's, at the last measurement.", clk.Offset().Seconds())
		live.WriteMetric(&b, "gavel_clock_error_seconds", "gauge", "Bound of the error of the last measurement of the database's clock.", clk.Error().Seconds())
		live.WriteMetric(&b, "gavel_clock_ready", "gauge", "1 while the clock is in step with the database's, else 0 (and /readyz fails).", ready)
	}
	return c.Blob(http.StatusOK, "text/plain; version=0.0.4; charset=utf-8", []byte(b.String()))
}

// handleReadyz is GET /readyz: whether the database answers and the clock
// is in step with it.
func (s *Server) handleReadyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return auction.Errorf(auction.EUnavailable, "the database is unavailable")
	}
	if s.cfg.Clock != nil {
		if err := s.cfg.Clock.Ready(); err != nil {
			return auction.Errorf(auction.EUnavailable, "the clock is not in step with the database's: %v", err)
		}
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
