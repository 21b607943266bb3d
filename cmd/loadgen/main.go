// Command loadgen measures Gavel under load. It drives a running `gavel
// serve` (or starts its own) over HTTP and WebSocket the way courts and
// bidders do, runs the scenarios below and prints a table (JSON with -json):
//
//  1. hot lot: N bidders (8, 32, 128) on one auction: accepted and refused
//     bids per second, bid latency p50/p99; then p99 at half the maximum rate;
//  2. many lots: the same spread over 1,000 auctions;
//  3. fan-out: W watchers on one auction's live feed while bids flow at a
//     fixed rate: delivery latency from the bid's 201 to each watcher, events
//     lost, server memory per connection;
//  4. close storm: 10,000 auctions ending at the same instant with two
//     servers: time until all are closed, each exactly once.
//
// Next to each bidding figure it measures, in the same run, the ceiling: the
// same bid statements run straight against PostgreSQL by as many
// connections, with no HTTP and no Go service, and reports the ratio.
//
// See docs/performance.md for how to run it and read the table.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

type config struct {
	gavel                         string
	urls                          []string
	pids                          []int
	databaseURL                   string
	clerkEmail, clerkPassword     string
	financeEmail, financePassword string
	short                         bool
	scenarios                     map[string]bool
	duration                      time.Duration
	bidders                       []int
	halfRate                      int
	lots                          int
	lotBidders                    int
	manyBidders                   []int
	watchers                      []int
	sources                       int
	fanRate                       float64
	fanDuration                   time.Duration
	storm                         int
	servers                       int
	ceilingMax                    int
	jsonOut                       bool
	pprof                         string
	// hotBids are the hot lot's ways of bidding: "ladder" (the crowd
	// climbs a shared ladder), "click" (each bids the price it last saw
	// plus one step on its own live socket, as the one-click button does)
	// and "click-http" (the same over HTTP, the page's fallback).
	hotBids []string
	// spread are instances' own URLs, read for their live connections.
	spread []string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) == 2 && os.Args[1] == "-fanout-bidder" {
		// The fan-out's bidders, started by loadgen itself (bidchild.go).
		if err := runBidder(ctx, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen bidder:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.gavel, "gavel", "", "path to a gavel binary: start its own `gavel serve --test-clock --no-limits` processes on -database-url")
	urls := fs.String("url", "", "instead of -gavel: base URLs of running servers (comma-separated; the close storm uses them all)")
	pids := fs.String("pid", "", "with -url: process ids of those servers, for the memory figures")
	fs.StringVar(&c.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "the servers' database: the ceiling runs on it and the close storm is checked in it")
	fs.StringVar(&c.clerkEmail, "clerk-email", "", "with -url and no -gavel: a clerk account to sign in with")
	fs.StringVar(&c.clerkPassword, "clerk-password", "", "its password")
	fs.StringVar(&c.financeEmail, "finance-email", "", "with -url and no -gavel: a finance account to sign in with")
	fs.StringVar(&c.financePassword, "finance-password", "", "its password")
	fs.BoolVar(&c.short, "short", false, "the short version (make bench): shorter runs, fewer lots, watchers and closing auctions")
	scen := fs.String("scenarios", "hot,many,fanout,storm", "which scenarios to run")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long each bidding measurement runs (the ceiling runs as long again)")
	bidders := fs.String("bidders", "8,32,128", "hot lot: concurrent bidders, one run each")
	hotBids := fs.String("hot-bids", "ladder,click", "hot lot: how bidders price their bids, one set of runs each: ladder (the crowd climbs a shared ladder), click (the price seen plus one step, as the one-click button sends, on each bidder's live socket), click-http (the same over HTTP)")
	spread := fs.String("spread", "", "fan-out: the instances' own base URLs (behind a proxy given as -url): their live connections are reported")
	fs.IntVar(&c.halfRate, "half-rate-bidders", 32, "hot lot: the run whose maximum rate is halved for the latency-at-half-rate run")
	fs.IntVar(&c.lots, "lots", 1000, "many lots: auctions")
	fs.IntVar(&c.lotBidders, "lot-bidders", 4, "many lots: qualified bidders per auction")
	many := fs.String("many-bidders", "8,32,128", "many lots: concurrent bidders, one run each")
	watchers := fs.String("watchers", "1000,10000", "fan-out: watchers, one run each")
	fs.IntVar(&c.sources, "sources", 0, "fan-out: loopback source addresses to spread watchers over (0: one per 5,000 watchers)")
	fs.Float64Var(&c.fanRate, "fanout-rate", 10, "fan-out: bids per second while watchers watch")
	fs.DurationVar(&c.fanDuration, "fanout-duration", 10*time.Second, "fan-out: how long bids flow")
	fs.IntVar(&c.storm, "storm", 10000, "close storm: auctions ending at the same instant")
	fs.IntVar(&c.servers, "servers", 2, "with -gavel: servers to start for the close storm")
	fs.IntVar(&c.ceilingMax, "ceiling-max-conns", 32, "most connections the ceiling opens (PostgreSQL's max_connections is shared)")
	fs.BoolVar(&c.jsonOut, "json", false, "print the results as JSON instead of a table")
	fs.StringVar(&c.pprof, "pprof", "", "with -gavel: serve the first server's profiles on this loopback address")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: loadgen -gavel PATH -database-url URL [flags]\n       loadgen -url URL[,URL] -database-url URL -clerk-email E ... [flags]\n\nLoad-tests Gavel and prints a table; see docs/performance.md.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if c.short {
		// The short version of every scenario, in well under five minutes.
		short := map[string]string{"duration": "3s", "lots": "200", "many-bidders": "32", "watchers": "1000",
			"fanout-duration": "4s", "storm": "1000"}
		for name, v := range short {
			if !set[name] {
				if err := fs.Set(name, v); err != nil {
					return nil, err
				}
			}
		}
	}
	var err error
	if c.bidders, err = intList(*bidders); err != nil {
		return nil, fmt.Errorf("-bidders: %w", err)
	}
	if c.manyBidders, err = intList(*many); err != nil {
		return nil, fmt.Errorf("-many-bidders: %w", err)
	}
	if c.watchers, err = intList(*watchers); err != nil {
		return nil, fmt.Errorf("-watchers: %w", err)
	}
	for _, m := range strings.Split(*hotBids, ",") {
		switch m = strings.TrimSpace(m); m {
		case "ladder", "click", "click-http":
			c.hotBids = append(c.hotBids, m)
		case "":
		default:
			return nil, fmt.Errorf("-hot-bids: unknown way %q (ladder, click, click-http)", m)
		}
	}
	for _, u := range strings.Split(*spread, ",") {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			c.spread = append(c.spread, u)
		}
	}
	c.scenarios = map[string]bool{}
	for _, s := range strings.Split(*scen, ",") {
		switch s = strings.TrimSpace(s); s {
		case "hot", "many", "fanout", "storm":
			c.scenarios[s] = true
		case "":
		default:
			return nil, fmt.Errorf("-scenarios: unknown scenario %q (hot, many, fanout, storm)", s)
		}
	}
	for _, u := range strings.Split(*urls, ",") {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			c.urls = append(c.urls, u)
		}
	}
	for _, p := range strings.Split(*pids, ",") {
		if p = strings.TrimSpace(p); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil {
				return nil, fmt.Errorf("-pid: %q is not a process id", p)
			}
			c.pids = append(c.pids, n)
		}
	}
	switch {
	case c.databaseURL == "":
		return nil, errors.New("-database-url (or DATABASE_URL) is required: the ceiling runs on the servers' database")
	case c.gavel == "" && len(c.urls) == 0:
		return nil, errors.New("give -gavel PATH to start servers, or -url of running ones")
	case c.gavel != "" && len(c.urls) > 0:
		return nil, errors.New("give -gavel or -url, not both")
	case len(c.urls) > 0 && c.gavel == "" && (c.clerkEmail == "" || c.financeEmail == ""):
		return nil, errors.New("with -url, give -clerk-email/-clerk-password and -finance-email/-finance-password (or -gavel to create them)")
	case c.servers < 1:
		return nil, errors.New("-servers must be at least 1")
	}
	return c, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	progress := func(s string) { fmt.Fprintf(stderr, "loadgen: %s\n", s) }
	runID := make([]byte, 4)
	_, _ = rand.Read(runID)
	rep := &report{Version: "full", Started: time.Now().UTC(), CPUs: runtime.NumCPU()}
	if cfg.short {
		rep.Version = "short"
	}

	pool, err := pgxpool.New(ctx, cfg.databaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := pool.QueryRow(ctx, `SELECT split_part(version(), ' ', 2)`).Scan(&rep.Postgres); err != nil {
		return fmt.Errorf("database: %w", err)
	}

	// The servers.
	var servers []*server
	var start func(i int) (*server, error) // starts the i-th server; nil with -url
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	f := &fixture{run: hex.EncodeToString(runID)}
	if cfg.gavel != "" {
		dir, derr := os.MkdirTemp("", "loadgen-")
		if derr != nil {
			return derr
		}
		// The servers' logs are kept when something went wrong.
		defer func() {
			if err == nil {
				os.RemoveAll(dir)
			} else {
				progress("server logs kept in " + dir)
			}
		}()
		start = func(i int) (*server, error) {
			pprof := ""
			if i == 0 {
				pprof = cfg.pprof
			}
			return spawn(ctx, cfg.gavel, cfg.databaseURL, dir, fmt.Sprintf("serve-%d", i+1), pprof)
		}
		// One server for everything but the close storm, which starts the
		// others when it needs them: idle servers hold connections that the
		// ceiling and whatever else shares the database need.
		s, err := start(0)
		if err != nil {
			return err
		}
		servers = append(servers, s)
		progress("started a server on " + s.url)
		for _, st := range []struct{ role, email string }{{"clerk", "clerk"}, {"finance", "finance"}} {
			email := fmt.Sprintf("%s-%s@loadgen.test", st.email, f.run)
			if err := addStaff(ctx, cfg.gavel, cfg.databaseURL, email, st.role, bidderPassword); err != nil {
				return err
			}
			if st.role == "clerk" {
				cfg.clerkEmail, cfg.clerkPassword = email, bidderPassword
			} else {
				cfg.financeEmail, cfg.financePassword = email, bidderPassword
			}
		}
	} else {
		for i, u := range cfg.urls {
			s := &server{url: u}
			if i < len(cfg.pids) {
				s.pid = cfg.pids[i]
			}
			servers = append(servers, s)
		}
	}
	f.c = newClient(servers[0].url)
	if f.clerk, err = f.login(ctx, cfg.clerkEmail, cfg.clerkPassword); err != nil {
		return fmt.Errorf("clerk sign-in: %w", err)
	}
	if f.finance, err = f.login(ctx, cfg.financeEmail, cfg.financePassword); err != nil {
		return fmt.Errorf("finance sign-in: %w", err)
	}
	if _, err := f.clockNow(ctx); err != nil {
		return fmt.Errorf("the server must run with --test-clock: %w", err)
	}

	sc := &scenarios{cfg: cfg, f: f, pool: pool, servers: servers, start: start, rep: rep, progress: progress}
	for _, step := range []struct {
		name string
		fn   func(context.Context) error
	}{{"hot", sc.hotLot}, {"many", sc.manyLots}, {"fanout", sc.fanout}, {"storm", sc.storm}} {
		if !cfg.scenarios[step.name] {
			continue
		}
		if err := step.fn(ctx); err != nil {
			// What was measured before still counts.
			rep.Seconds = time.Since(rep.Started).Seconds()
			if perr := rep.write(stdout, cfg.jsonOut); perr != nil {
				progress("printing the results: " + perr.Error())
			}
			return fmt.Errorf("%s: %w", step.name, err)
		}
	}
	rep.Seconds = time.Since(rep.Started).Seconds()
	return rep.write(stdout, cfg.jsonOut)
}
