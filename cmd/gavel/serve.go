package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/postgres"
	"gavel/migrations"
	"gavel/web"
)

// Config is everything `gavel serve` can be told.
type Config struct {
	Addr              string
	DatabaseURL       string
	TestClock         bool
	Rulebook          string
	CaseWebhookURL    string
	CaseWebhookSecret string
	NoLimits          bool
	StripeSecretKey   string
	StripeWebhookKey  string
	StripeAPIBase     string
	// TickInterval is how often due auctions are opened and closed.
	TickInterval time.Duration
	// DemoBidders makes the demo accounts bid by themselves (make run).
	DemoBidders bool
}

// Main is a running Gavel server: all wiring lives here.
type Main struct {
	Config Config
	Log    *slog.Logger

	pool     *pgxpool.Pool
	store    *postgres.Store
	web      *web.Server
	http     *http.Server
	listener net.Listener
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// NewMain returns a Main with defaults.
func NewMain() *Main {
	return &Main{
		Config: Config{Addr: ":8080", DatabaseURL: databaseURL(), Rulebook: "spc2016", TickInterval: time.Second},
		Log:    slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()})),
	}
}

func logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("GAVEL_LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}

// Run migrates the database, starts the scheduler and serves HTTP; it returns
// once the server is listening.
func (m *Main) Run(ctx context.Context) error {
	rulebook, err := auction.LookupRulebook(m.Config.Rulebook)
	if err != nil {
		return err
	}
	if err := migrations.Up(ctx, m.Config.DatabaseURL, m.Log); err != nil {
		return err
	}
	poolCfg, err := pgxpool.ParseConfig(m.Config.DatabaseURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	if poolCfg.MaxConns < 16 {
		poolCfg.MaxConns = 16
	}
	if m.pool, err = pgxpool.NewWithConfig(ctx, poolCfg); err != nil {
		return err
	}
	var clock auction.Clock = auction.SystemClock{}
	var testClock *postgres.TestClock
	if m.Config.TestClock {
		if testClock, err = postgres.NewTestClock(ctx, m.pool); err != nil {
			return err
		}
		clock = testClock
		m.Log.Warn("the test clock is on: time stands still until POST /api/v1/test/clock moves it; never use this in production")
	}
	m.store = postgres.New(postgres.Config{Pool: m.pool, Clock: clock, Rulebook: rulebook})
	runCtx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.web = web.New(web.Config{Store: m.store, Log: m.Log, TestClock: testClock, NoLimits: m.Config.NoLimits, Ticker: m.tick})

	if m.listener, err = net.Listen("tcp", m.Config.Addr); err != nil {
		return err
	}
	m.http = &http.Server{Handler: m.web.Handler(), ReadHeaderTimeout: 10 * time.Second}
	m.wg.Add(2)
	go func() {
		defer m.wg.Done()
		if err := m.http.Serve(m.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error("http server stopped", "err", err)
		}
	}()
	go func() {
		defer m.wg.Done()
		m.schedule(runCtx)
	}()
	if m.Config.DemoBidders {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			demoBidders(runCtx, m.URL(), m.store, m.Log)
		}()
	}
	m.Log.Info("gavel is serving", "addr", m.listener.Addr().String(), "rulebook", rulebook.Name)
	return nil
}

// URL is the base URL the server listens on.
func (m *Main) URL() string {
	addr := m.listener.Addr().(*net.TCPAddr)
	return fmt.Sprintf("http://127.0.0.1:%d", addr.Port)
}

// Store is the running store (used by end-to-end tests).
func (m *Main) Store() *postgres.Store { return m.store }

// tick applies due transitions and publishes them.
func (m *Main) tick(ctx context.Context) error {
	_, err := m.store.Tick(ctx)
	return err
}

// schedule ticks until ctx ends.
func (m *Main) schedule(ctx context.Context) {
	t := time.NewTicker(m.Config.TickInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := m.tick(ctx); err != nil && ctx.Err() == nil {
				m.Log.Warn("scheduler tick failed", "err", err)
			}
		}
	}
}

// Close stops taking requests, lets in-flight ones finish, then stops the
// scheduler and closes the database pool.
func (m *Main) Close() error {
	var err error
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err = m.http.Shutdown(ctx)
		cancel()
	}
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
	if m.pool != nil {
		m.pool.Close()
	}
	return err
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	m := NewMain()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&m.Config.Addr, "addr", ":8080", "address to listen on")
	fs.BoolVar(&m.Config.TestClock, "test-clock", false, "use the shared test clock moved by POST /api/v1/test/clock (never in production)")
	fs.StringVar(&m.Config.Rulebook, "rulebook", "spc2016", "rulebook for new auctions: spc2016 or demo (days become minutes)")
	fs.StringVar(&m.Config.CaseWebhookURL, "case-webhook-url", "", "URL of the court's case system that receives signed outcome webhooks")
	fs.StringVar(&m.Config.CaseWebhookSecret, "case-webhook-secret", "", "secret that signs case webhooks (Gavel-Signature)")
	fs.BoolVar(&m.Config.NoLimits, "no-limits", false, "turn off rate and connection limits (load tests on loopback)")
	fs.DurationVar(&m.Config.TickInterval, "tick", time.Second, "how often due auctions are opened, closed and defaulted")
	fs.BoolVar(&m.Config.DemoBidders, "demo-bidders", false, "let the demo bidder accounts bid by themselves every few seconds (demo only)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gavel serve [flags]\n\nServes the marketplace; applies pending migrations on start.\nEnvironment: DATABASE_URL, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_API_BASE.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	m.Config.StripeSecretKey = os.Getenv("STRIPE_SECRET_KEY")
	m.Config.StripeWebhookKey = os.Getenv("STRIPE_WEBHOOK_SECRET")
	m.Config.StripeAPIBase = os.Getenv("STRIPE_API_BASE")
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	host := m.Config.Addr
	if strings.HasPrefix(host, ":") {
		host = "localhost" + host
	}
	fmt.Fprintf(stdout, "Gavel is serving on http://%s (rulebook %s)\n", host, m.Config.Rulebook)
	<-ctx.Done()
	m.Log.Info("shutting down: finishing in-flight requests")
	return m.Close()
}
