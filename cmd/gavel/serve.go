package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"gavel/web/page/i18n"
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
	"gavel/auction/jobs"
	"gavel/auction/notice/mail"
	"gavel/auction/notice/mail/mailbox"
	noticepg "gavel/auction/notice/postgres"
	"gavel/auction/notice/sms"
	"gavel/auction/postgres"
	"gavel/auction/postgres/pglimit"
	"gavel/auction/realname"
	"gavel/migrations"
	"gavel/payments"
	"gavel/payments/stripe"
	"gavel/web"
	"gavel/web/limit"
	"gavel/web/live"
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
	// RealNameURL and RealNameKey name the court's real-name verification
	// provider (GAVEL_REALNAME_URL, GAVEL_REALNAME_KEY); without a URL,
	// identities are verified at the desk only.
	RealNameURL string
	RealNameKey string
	// TickInterval is how often due auctions are opened and closed.
	TickInterval time.Duration
	// Timezone is the court's zone: pages show times in it and the
	// rulebook's day-count deadlines are its calendar days.
	Timezone string
	// DemoBidders makes the demo accounts bid by themselves (make run).
	DemoBidders bool
	// SMTPURL is the mail server user notices go out through
	// (GAVEL_SMTP_URL); empty sends no e-mail.
	SMTPURL string
	// MailFrom is the sender of notice e-mails (GAVEL_MAIL_FROM).
	MailFrom string
	// PublicURL is where users reach Gavel, for links in messages
	// (GAVEL_PUBLIC_URL; default http://localhost plus the port).
	PublicURL string
	// SMS names the SMS gateway (GAVEL_SMS): "log" logs masked messages
	// (development); empty sends none.
	SMS string
	// DevMailbox runs a mail server in the process that keeps every
	// notice e-mail and shows them at /dev/mailbox (make run's demo).
	DevMailbox bool
}

// Main is a running Gavel server: all wiring lives here.
type Main struct {
	Config Config
	Log    *slog.Logger

	pool      *pgxpool.Pool
	testClock *postgres.TestClock
	dbClock   *postgres.DBClock
	heartbeat *postgres.Heartbeat
	store     *postgres.Store
	jobs      *jobs.Jobs
	hub       *live.Hub
	web       *web.Server
	notices   *noticepg.Store
	mailbox   *mailbox.Mailbox
	mail      *mail.Sender
	http      *http.Server
	listener  net.Listener
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

// NewMain returns a Main with defaults.
func NewMain() *Main {
	return &Main{
		Config: Config{Addr: ":8080", DatabaseURL: databaseURL(), Rulebook: "spc2016", TickInterval: time.Second, Timezone: i18n.DefaultTimezone},
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
	// The court's zone: pages show times in it and the rulebook counts its
	// days in its calendar.
	zone, err := time.LoadLocation(m.Config.Timezone)
	if err != nil {
		return fmt.Errorf("--timezone: %w", err)
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
	postgres.FailFast(poolCfg)
	if m.pool, err = pgxpool.NewWithConfig(ctx, poolCfg); err != nil {
		return err
	}
	// Decisions about time are made by the database's clock, whichever
	// instance makes them (postgres.DBClock); a process that cannot measure
	// it does not start.
	dbClock, err := postgres.NewDBClock(ctx, postgres.DBClockConfig{Pool: m.pool, Log: m.Log})
	if err != nil {
		return err
	}
	m.dbClock = dbClock
	var clock auction.Clock = dbClock
	var testClock *postgres.TestClock
	if m.Config.TestClock {
		if testClock, err = postgres.NewTestClock(ctx, m.pool); err != nil {
			return err
		}
		m.testClock = testClock
		clock = testClock
		m.Log.Warn("the test clock is on: time stands still until POST /api/v1/test/clock moves it; never use this in production")
	}
	// On record as serving before the first request or close: the outage
	// guard reads these heartbeats (of every process) before closing.
	// Bids are stamped on arrival; each beat publishes how far they have all
	// been decided, which closes wait for (auction.Arrivals).
	arrivals := auction.NewArrivals(clock)
	m.heartbeat = postgres.NewHeartbeat(postgres.HeartbeatConfig{Pool: m.pool, Clock: clock, Log: m.Log, Arrivals: arrivals})
	if err := m.heartbeat.Start(ctx); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	// Deposits go through Stripe when it has a key, else the court's bank
	// account; durable jobs (River, same database) make the provider calls
	// and deliver case webhooks, enqueued by the store's hooks inside the
	// transactions that call for them.
	var provider payments.Provider = payments.Bank{}
	var events payments.EventVerifier
	if m.Config.StripeSecretKey != "" {
		sp := stripe.New(stripe.Config{SecretKey: m.Config.StripeSecretKey, WebhookSecret: m.Config.StripeWebhookKey, APIBase: m.Config.StripeAPIBase})
		provider, events = sp, sp
		if m.Config.StripeWebhookKey == "" {
			m.Log.Warn("STRIPE_WEBHOOK_SECRET is not set: POST /api/v1/webhooks/stripe refuses every event, so card payments are never seen")
		}
	}
	if m.Config.CaseWebhookURL != "" && m.Config.CaseWebhookSecret == "" {
		m.Log.Warn("--case-webhook-secret is empty: the case system cannot tell Gavel's webhooks from forgeries")
	}
	m.notices = noticepg.New(m.pool, clock)
	smsGateway, err := m.noticeChannels()
	if err != nil {
		return err
	}
	if m.jobs, err = jobs.New(jobs.Config{Pool: m.pool, Log: m.Log, Wall: dbClock, Providers: []payments.Provider{provider}, Events: events,
		CaseWebhookURL: m.Config.CaseWebhookURL, CaseWebhookSecret: m.Config.CaseWebhookSecret,
		Notices: m.notices, Mail: m.mail, SMS: smsGateway, PublicURL: m.Config.PublicURL, Zone: zone}); err != nil {
		return err
	}
	hooks := m.jobs.Hooks()
	hooks.Guard = m.heartbeat.Guard
	m.store = postgres.New(postgres.Config{Pool: m.pool, Clock: clock, Wall: dbClock, Rulebook: rulebook, Payments: provider, Hooks: hooks, Arrivals: arrivals, Heartbeat: m.heartbeat, Zone: zone})
	m.jobs.Bind(m.store)
	if err := m.jobs.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.hub = live.NewHub(live.HubConfig{Store: m.store, Bus: postgres.NewBus(m.pool), Log: m.Log})
	// Every change the store commits goes to the live feed from the store
	// itself, whoever made it.
	m.store.PublishTo(m.hub)
	// Live connections are capped below the open-file limit, raised first
	// as far as the system lets this process.
	openFiles := limit.RaiseOpenFiles()
	m.Log.Info("open files", "limit", openFiles, "live_connections", limit.LiveConnections(openFiles))
	var identity auction.IdentityProvider
	if m.Config.RealNameURL != "" {
		identity = realname.New(realname.Config{BaseURL: m.Config.RealNameURL, Key: m.Config.RealNameKey})
	}
	m.web = web.New(web.Config{Store: m.store, Log: m.Log, Hub: m.hub, TestClock: testClock, NoLimits: m.Config.NoLimits, Ticker: m.tick, Timezone: zone,
		LimitStore: pglimit.New(m.pool), OpenFiles: openFiles,
		BidFailed: m.heartbeat.BidFailed, Jobs: m.jobs, Notices: m.notices, Clock: dbClock, DevMailbox: m.mailbox, Identity: identity})

	if m.listener, err = net.Listen("tcp", m.Config.Addr); err != nil {
		return err
	}
	m.http = &http.Server{Handler: requestBudget(m.web.Handler(), requestTimeout), ReadHeaderTimeout: 10 * time.Second}
	m.hub.Start()
	m.wg.Add(5)
	go func() {
		defer m.wg.Done()
		m.heartbeat.Run(runCtx)
	}()
	go func() {
		defer m.wg.Done()
		// Until Close, before the pool closes.
		m.web.ShareLimits(runCtx)
	}()
	go func() {
		defer m.wg.Done()
		m.dbClock.Run(runCtx)
	}()
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
	// Bounded, and not cut short by the request that moved the test clock:
	// a close storm finishes even if that client hangs up.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tickTimeout)
	defer cancel()
	// A beat first puts the current time (a test clock that just jumped) on
	// record as served before anything closes.
	if err := m.heartbeat.Beat(ctx); err != nil {
		m.Log.Warn("heartbeat before tick failed", "err", err)
	}
	// The store publishes what committed, even when a later batch failed.
	if _, err := m.store.Tick(ctx); err != nil {
		return err
	}
	var err error
	// Reminders after the transitions: an auction that just opened is no
	// longer "opening soon". Then the notices due go to their delivery jobs.
	if _, err = m.notices.Remind(ctx); err != nil {
		return err
	}
	_, err = m.jobs.RelayNotices(ctx)
	return err
}

// noticeChannels sets up how notices leave the app: e-mail through
// GAVEL_SMTP_URL (or the development mailbox) and SMS through the gateway
// GAVEL_SMS names.
func (m *Main) noticeChannels() (sms.Provider, error) {
	if m.Config.DevMailbox {
		box, err := mailbox.Start("127.0.0.1:0", mailbox.Config{})
		if err != nil {
			return nil, fmt.Errorf("development mailbox: %w", err)
		}
		m.mailbox = box
		m.Config.SMTPURL = "smtp://" + box.Addr()
		m.Log.Warn("the development mailbox is on: notice e-mails stay in this process and anyone can read them at /dev/mailbox; never use this in production")
	}
	if m.Config.SMTPURL != "" {
		if m.Config.MailFrom == "" {
			m.Config.MailFrom = "Gavel <no-reply@gavel.localhost>"
		}
		var err error
		if m.mail, err = mail.New(mail.Config{URL: m.Config.SMTPURL, From: m.Config.MailFrom}); err != nil {
			return nil, fmt.Errorf("GAVEL_SMTP_URL: %w", err)
		}
	}
	if m.Config.PublicURL == "" {
		m.Config.PublicURL = "http://localhost" + m.Config.Addr[strings.LastIndexByte(m.Config.Addr, ':'):]
	}
	switch m.Config.SMS {
	case "":
		return nil, nil
	case "log":
		return sms.Log{Log: m.Log}, nil
	}
	return nil, fmt.Errorf("GAVEL_SMS: unknown SMS gateway %q (want log, or build one in: docs/notices.md)", m.Config.SMS)
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
	if m.heartbeat != nil {
		// Service ends when the listener closes, before in-flight requests
		// finish: from here on the outage guard must not count on this process.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		m.heartbeat.Stop(ctx)
		cancel()
	}
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err = m.http.Shutdown(ctx)
		cancel()
	}
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
	if m.jobs != nil {
		// Running jobs finish (a provider call, a webhook delivery) before
		// the pool closes; what is left waits in the database for the next start.
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		if err := m.jobs.Stop(ctx); err != nil {
			m.Log.Warn("stopping jobs", "err", err)
		}
		cancel()
	}
	if m.hub != nil {
		// WebSockets are hijacked, so Shutdown left them open: close each
		// with a frame telling its client where to resume.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		m.hub.Close(ctx)
		cancel()
	}
	if m.testClock != nil {
		m.testClock.Close()
	}
	if m.mail != nil {
		m.mail.Close()
	}
	if m.mailbox != nil {
		m.mailbox.Close()
	}
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
	fs.StringVar(&m.Config.Timezone, "timezone", i18n.DefaultTimezone, "the court's IANA time zone: pages show times in it and day-count deadlines are its calendar days")
	fs.BoolVar(&m.Config.DemoBidders, "demo-bidders", false, "let the demo bidder accounts bid by themselves every few seconds (demo only)")
	fs.BoolVar(&m.Config.DevMailbox, "dev-mailbox", false, "keep notice e-mails in a mail server inside the process and show them at /dev/mailbox (demo only)")
	pprofAddr := fs.String("pprof", "", "serve runtime profiles (net/http/pprof) on this loopback address, e.g. 127.0.0.1:6060")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gavel serve [flags]\n\nServes the marketplace; applies pending migrations on start.\nEnvironment: DATABASE_URL, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_API_BASE,\nGAVEL_SMTP_URL, GAVEL_MAIL_FROM, GAVEL_PUBLIC_URL, GAVEL_SMS,\nGAVEL_REALNAME_URL, GAVEL_REALNAME_KEY.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	m.Config.StripeSecretKey = os.Getenv("STRIPE_SECRET_KEY")
	m.Config.StripeWebhookKey = os.Getenv("STRIPE_WEBHOOK_SECRET")
	m.Config.StripeAPIBase = os.Getenv("STRIPE_API_BASE")
	m.Config.SMTPURL = os.Getenv("GAVEL_SMTP_URL")
	m.Config.MailFrom = os.Getenv("GAVEL_MAIL_FROM")
	m.Config.PublicURL = os.Getenv("GAVEL_PUBLIC_URL")
	m.Config.SMS = os.Getenv("GAVEL_SMS")
	m.Config.RealNameURL = os.Getenv("GAVEL_REALNAME_URL")
	m.Config.RealNameKey = os.Getenv("GAVEL_REALNAME_KEY")
	if *pprofAddr != "" {
		stop, err := servePprof(*pprofAddr, m.Log)
		if err != nil {
			return err
		}
		defer stop()
	}
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	host := m.Config.Addr
	if strings.HasPrefix(host, ":") {
		host = "localhost" + host
	}
	fmt.Fprintf(stdout, "Gavel is serving on http://%s (rulebook %s)\n", host, m.Config.Rulebook)
	if m.Config.DevMailbox {
		fmt.Fprintf(stdout, "The notice e-mails it sends: http://%s/dev/mailbox\n", host)
	}
	<-ctx.Done()
	m.Log.Info("shutting down: finishing in-flight requests")
	return m.Close()
}

const (
	// requestTimeout bounds an API request's work, so that a hung database
	// answers 503 service_unavailable instead of holding the bidder.
	requestTimeout = 10 * time.Second
	// tickTimeout bounds one scheduler pass (a close storm of thousands
	// takes seconds).
	tickTimeout = time.Minute
)

// requestBudget gives every request a deadline except WebSocket upgrades,
// which live for hours, and uploads over 1 MiB, whose body alone may take
// longer on a slow line.
func requestBudget(next http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || r.ContentLength > 1<<20 {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
