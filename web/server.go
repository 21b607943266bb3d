// Package web is Gavel's HTTP face: the JSON API of API.md, the live
// WebSocket feed and the pages, all on Echo. Handlers translate between HTTP
// and the domain; every rule is decided in the store.
package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/auction/postgres"
)

//go:embed openapi.yaml
var openapi embed.FS

// Feed is told about every change after its transaction commits, so watchers
// see it (locally at once, on other instances through the database).
type Feed interface {
	Publish(ctx context.Context, changes ...auction.Change)
}

// Config is what the web server needs.
type Config struct {
	Store *postgres.Store
	Log   *slog.Logger
	Feed  Feed
	// TestClock is set with --test-clock; nil otherwise (its routes answer 404).
	TestClock *postgres.TestClock
	// NoLimits turns off rate and connection limits (load tests on loopback).
	NoLimits bool
	// Ticker applies due transitions now (opening, closing, defaults) and
	// publishes them; the test clock calls it before answering.
	Ticker func(ctx context.Context) error
	// BidFailed is told of every bid answered with a server error (the
	// auction id and the error code), for the outage guard (resume.go).
	BidFailed func(auctionID, code string)
	// Timezone is where the pages show times (default Asia/Shanghai).
	Timezone *time.Location
	// Jobs re-sends case notifications and takes in Stripe webhooks
	// (money.go, webhook.go); nil without a job runner.
	Jobs Jobs
	// Identity is the real-name verification provider bidders may verify
	// themselves with (identity.go); nil when the court has none.
	Identity auction.IdentityProvider
}

// Server is the HTTP server.
type Server struct {
	echo  *echo.Echo
	store *postgres.Store
	log   *slog.Logger
	feed  Feed
	hub   *Hub
	cfg   Config
	// limits are the abuse limits (security.go, ratelimit.go).
	limits *Limits
}

// maxBody is the request body limit of API.md.
const maxBody = 1 << 20

// New builds the server and its routes. The live feed is cfg.Feed when it is
// a *Hub (cmd/gavel starts one that spans processes); otherwise a hub local to
// this server.
func New(cfg Config) *Server {
	hub, ok := cfg.Feed.(*Hub)
	if !ok {
		hub = NewHub(HubConfig{Store: cfg.Store, Log: cfg.Log})
	}
	if cfg.Feed == nil {
		cfg.Feed = hub
	}
	s := &Server{echo: echo.New(), store: cfg.Store, log: cfg.Log, feed: cfg.Feed, hub: hub, cfg: cfg}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(s.requestLog, bodyLimit(maxBody, uploadRoute), s.authenticate)
	s.installSecurity()
	s.routes()
	s.securityRoutes()
	s.pageRoutes()
	s.printRoutes()
	return s
}

// Handler is the server as an http.Handler.
func (s *Server) Handler() http.Handler { return s.echo }

// Echo exposes the router so other parts of the web layer can add routes.
func (s *Server) Echo() *echo.Echo { return s.echo }

func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.handleHealthz)
	e.GET("/metrics", s.handleMetrics)
	e.GET("/readyz", s.handleReadyz)
	e.GET("/api/v1/openapi.yaml", func(c echo.Context) error {
		b, _ := openapi.ReadFile("openapi.yaml")
		return c.Blob(http.StatusOK, "application/yaml", b)
	})

	api := e.Group("/api/v1")
	api.POST("/auth/signup", s.handleSignup)
	api.POST("/auth/login", s.handleLogin)
	api.POST("/auth/logout", s.handleLogout, requireRole())

	clerk := requireRole(auction.RoleClerk, auction.RoleAdmin)
	staff := requireRole(auction.RoleClerk, auction.RoleFinance, auction.RoleAuditor, auction.RoleAdmin)
	finance := requireRole(auction.RoleFinance, auction.RoleAdmin)
	financeRead := requireRole(auction.RoleFinance, auction.RoleAuditor, auction.RoleAdmin)
	bidder := requireRole(auction.RoleBidder, auction.RoleClerk, auction.RoleFinance, auction.RoleAuditor, auction.RoleAdmin)

	api.GET("/cases", s.handleCaseList, staff)
	api.POST("/cases", s.handleCaseCreate, clerk)
	api.GET("/cases/:id", s.handleCaseView, staff)
	api.POST("/cases/:id/lots", s.handleLotCreate, clerk)
	api.GET("/cases/:id/proceeds", s.handleCaseProceeds, staff)
	api.GET("/lots/:id", s.handleLotView, staff)
	api.POST("/lots/:id/priority-holders", s.handlePriorityHolderCreate, clerk)
	api.POST(strings.TrimPrefix(uploadRoute, "/api/v1"), s.handleDocumentUpload, clerk, bodyLimit(postgres.MaxDocumentSize+64<<10))
	api.GET("/documents/:id", s.handleDocument)
	api.POST("/lots/:id/auctions", s.handleAuctionCreate, clerk)
	api.POST("/auctions/:id/publish", s.handleAuctionPublish, clerk)
	api.POST("/auctions/:id/resume", s.handleAuctionResume, clerk)
	api.POST("/blacklist", s.handleBlacklistImport, clerk)
	api.POST("/blacklist/remove", s.handleBlacklistRemove, clerk)

	api.GET("/auctions", s.handleAuctionList)
	api.GET("/auctions/:id", s.handleAuctionView, s.withWatchers)
	api.GET("/auctions/:id/live", s.handleLive)
	api.GET("/auctions/:id/bids", s.handleAuctionBids)
	api.GET("/auctions/:id/events", s.handleAuctionEvents)
	api.GET("/auctions/:id/record", s.handleAuctionRecord)
	api.GET("/auctions/:id/confirmation", s.handleConfirmation)
	api.GET("/public/lots/:id", s.handlePublicLot)

	api.POST("/auctions/:id/registrations", s.handleRegister, bidder)
	api.POST("/auctions/:id/bids", s.handleBid, s.observeBid, bidder)
	api.GET("/me", s.handleMe, requireRole())
	api.GET("/me/registrations", s.handleMyRegistrations, requireRole())

	api.GET("/auctions/:id/deposits", s.handleDepositList, financeRead)
	api.POST("/deposits/:id/confirm", s.handleDepositConfirm, finance)
	api.POST("/deposits/:id/refunded", s.handleDepositRefunded, finance)
	api.POST("/auctions/:id/balance-payments", s.handleBalancePayment, finance)
	s.moneyRoutes(api)
	s.courtRoutes(api)
	s.identityRoutes(api)

	// The test clock exists only with --test-clock; otherwise its routes are
	// unknown (404 not_found) like any other.
	if s.cfg.TestClock != nil {
		api.GET("/test/clock", s.handleClockView, staff)
		api.POST("/test/clock", s.handleClockSet, staff)
	}
}

// status maps every domain error code to its HTTP status: the one table.
var status = map[string]int{
	auction.ENotFound:        http.StatusNotFound,
	auction.EInvalidRequest:  http.StatusBadRequest,
	auction.EInvalidField:    http.StatusUnprocessableEntity,
	auction.EUnauthenticated: http.StatusUnauthorized,
	auction.EForbidden:       http.StatusForbidden,
	auction.EInternal:        http.StatusInternalServerError,
	auction.EUnavailable:     http.StatusServiceUnavailable,
	auction.ERateLimited:     http.StatusTooManyRequests,
	"body_too_large":         http.StatusRequestEntityTooLarge,
	"method_not_allowed":     http.StatusMethodNotAllowed,

	auction.EEmailTaken:         http.StatusConflict,
	auction.EWeakPassword:       http.StatusUnprocessableEntity,
	auction.EInvalidCredentials: http.StatusUnauthorized,

	auction.ECaseExists:                 http.StatusConflict,
	auction.EStartPriceTooLow:           http.StatusUnprocessableEntity,
	auction.EPriceCutTooLarge:           http.StatusUnprocessableEntity,
	auction.ERoundNotAllowed:            http.StatusUnprocessableEntity,
	auction.EDepositOutOfRange:          http.StatusUnprocessableEntity,
	auction.EBiddingPeriodTooShort:      http.StatusUnprocessableEntity,
	auction.EAnnouncementPeriodTooShort: http.StatusUnprocessableEntity,
	auction.EInvalidState:               http.StatusConflict,

	auction.EStaffCannotBid:      http.StatusForbidden,
	auction.EBidderRestricted:    http.StatusForbidden,
	auction.EBidderBarred:        http.StatusForbidden,
	auction.EAlreadyRegistered:   http.StatusConflict,
	auction.ERegistrationClosed:  http.StatusConflict,
	auction.EIdempotencyRequired: http.StatusBadRequest,
	auction.EIdempotencyReused:   http.StatusConflict,
	auction.ENotQualified:        http.StatusForbidden,
	auction.EAlreadyLeading:      http.StatusConflict,
	auction.EAuctionNotOpen:      http.StatusConflict,
	auction.EBidTooLow:           http.StatusUnprocessableEntity,
	auction.EBidNotOnIncrement:   http.StatusUnprocessableEntity,

	auction.EDepositNotPending: http.StatusConflict,
	auction.EAuctionNotSold:    http.StatusConflict,
	auction.EOverpayment:       http.StatusUnprocessableEntity,

	auction.EIDNumberTaken: http.StatusConflict,
	auction.EBidTooHigh:    http.StatusUnprocessableEntity,
}

// echoCodes names Echo's own errors in the same vocabulary.
var echoCodes = map[int]string{
	http.StatusNotFound:              auction.ENotFound,
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestEntityTooLarge: "body_too_large",
	http.StatusUnauthorized:          auction.EUnauthenticated,
	http.StatusForbidden:             auction.EForbidden,
	http.StatusBadRequest:            auction.EInvalidRequest,
	http.StatusTooManyRequests:       auction.ERateLimited,
	http.StatusServiceUnavailable:    auction.EUnavailable,
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Auction *auction.State `json:"auction,omitempty"`
}

// handleError writes {"error":{"code","message"}} for every failure. Unknown
// errors are logged and shown as "internal error"; a database that cannot be
// reached is 503 service_unavailable.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var body errorBody
	code := http.StatusInternalServerError
	var de *auction.Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &de):
		body.Error.Code, body.Error.Message, body.Auction = de.Code, de.Message, de.Auction
		if st, ok := status[de.Code]; ok {
			code = st
		}
	case errors.As(err, &he):
		code = he.Code
		body.Error.Code = echoCodes[he.Code]
		if body.Error.Code == "" {
			body.Error.Code = strings.ReplaceAll(strings.ToLower(http.StatusText(he.Code)), " ", "_")
		}
		body.Error.Message = fmt.Sprint(he.Message)
		if he.Code == http.StatusNotFound {
			body.Error.Message = "no such route"
		}
	case unavailable(err):
		code = http.StatusServiceUnavailable
		body.Error.Code, body.Error.Message = auction.EUnavailable, "the database is unavailable; try again shortly"
		c.Response().Header().Set("Retry-After", "1")
		s.log.Warn("database unavailable", "request_id", requestID(c), "err", err)
	default:
		body.Error.Code, body.Error.Message = auction.EInternal, "internal error"
		s.log.Error("internal error", "request_id", requestID(c), "method", c.Request().Method, "route", c.Path(), "err", err)
	}
	s.noteBidFailure(c, code, body.Error.Code)
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(code)
		return
	}
	_ = c.JSON(code, body)
}

// unavailable reports whether err means the database could not be reached or
// answer in time; the storage layer knows its driver's errors.
func unavailable(err error) bool { return postgres.Unavailable(err) }

// bind decodes a JSON body strictly: unknown fields (keys are matched
// exactly, case included) and trailing data are invalid_request, a wrong type
// for a field, a time among them, is invalid_field naming it, and so is text
// that breaks the one text rule (textField: UTF-8, no control characters,
// bounded length). An empty body
// decodes as {} when optional is true.
func bind(c echo.Context, v any, optional ...bool) error {
	data, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the request body is larger than 1 MiB")
		}
		return auction.Errorf(auction.EInvalidRequest, "the request body could not be read")
	}
	i := bytes.IndexFunc(data, notJSONSpace)
	if i < 0 {
		if len(optional) > 0 && optional[0] {
			return nil
		}
		return auction.Errorf(auction.EInvalidRequest, "the request body is empty; send a JSON object")
	}
	if data[i] != '{' {
		return auction.Errorf(auction.EInvalidRequest, "malformed JSON: the body must be a JSON object")
	}
	// Malformed JSON is refused as such before any field is judged: a body
	// that is not exactly one JSON value (trailing data, a syntax error after
	// a wrongly typed field) is 400 invalid_request, never a field's 422.
	// Past this check the decoder meets no syntax error and no trailing data.
	if !json.Valid(data) {
		var probe any
		if err := json.NewDecoder(bytes.NewReader(data)).Decode(&probe); err != nil {
			return auction.Errorf(auction.EInvalidRequest, "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return auction.Errorf(auction.EInvalidRequest, "malformed JSON: data after the object")
	}
	keys := checkKeys(data, shapeOf(reflect.TypeOf(v)))
	if keys.unknown {
		msg := fmt.Sprintf("unknown field %q", keys.key)
		if keys.path != "" {
			msg += " in " + keys.path
		}
		if keys.hint != "" {
			msg += fmt.Sprintf(" (keys are case-sensitive: %q)", keys.hint)
		}
		return auction.Errorf(auction.EInvalidRequest, "malformed JSON: %s", msg)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case keys.badTime != "":
			// The decoder stops at a time it cannot parse without naming its
			// field; the walk over the keys found it.
			return auction.FieldError(keys.badTime, "must be an RFC 3339 time such as 2026-03-01T02:00:00Z")
		case errors.As(err, &typeErr):
			return auction.FieldError(typeErr.Field, "must be a JSON %s", typeErr.Type.Kind())
		}
		return auction.Errorf(auction.EInvalidRequest, "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return textField(reflect.ValueOf(v), "", utf8.Valid(data))
}

// notJSONSpace reports whether r is not JSON white space.
func notJSONSpace(r rune) bool { return r != ' ' && r != '\t' && r != '\n' && r != '\r' }

// uploadRoute takes photos and documents up to their own, larger limit.
const uploadRoute = "/api/v1/lots/:id/documents"

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
		c.Set("request_id", id)
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

func requestID(c echo.Context) string {
	id, _ := c.Get("request_id").(string)
	return id
}

func (s *Server) handleHealthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz reports whether the database answers.
func (s *Server) handleReadyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Pool().Ping(ctx); err != nil {
		return auction.Errorf(auction.EUnavailable, "the database is unavailable")
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
