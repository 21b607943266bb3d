package main

// Fault tests: crashes, database outages, failover, the outage guard and
// backup/restore, each injected for real (kill -9 of a `gavel serve` child,
// a TCP proxy in front of PostgreSQL that the test cuts and stalls, pg_dump
// and pg_restore). Each prints the figures it asserts. `make test-faults`
// runs only these; `make test` runs them with everything else.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
	"gavel/migrations"
	"gavel/migrations/dbtest"
)

// faultEnv is a test database with a store on it for fixtures, sharing the
// clock the servers under test use.
type faultEnv struct {
	ctx   context.Context
	dbURL string
	pool  *pgxpool.Pool
	clock auction.Clock
	// testClock is set when the servers run with --test-clock: the test moves
	// it directly in the database, which works while a server is down.
	testClock *postgres.TestClock
	store     *postgres.Store
	// world builds the fixtures through store, with quick accounts:
	// hashing costs CPU these tests need for bidding, and these accounts
	// never log in.
	world *auctiontest.World
	clerk *faultAccount
}

type faultAccount struct {
	user  *auction.User
	token string
	code  string // bidder code in the auction it was qualified for
}

var faultSeq atomic.Int64

func newFaultEnv(t *testing.T, testClock bool) *faultEnv {
	t.Helper()
	e := &faultEnv{ctx: context.Background(), dbURL: dbtest.URL(t)}
	var err error
	if e.pool, err = pgxpool.New(e.ctx, e.dbURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.pool.Close)
	e.clock = auction.SystemClock{}
	if testClock {
		if e.testClock, err = postgres.NewTestClock(e.ctx, e.pool); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(e.testClock.Close)
		e.clock = e.testClock
	}
	e.store = postgres.New(postgres.Config{Pool: e.pool, Clock: e.clock, Rulebook: auction.SPC2016})
	opts := []auctiontest.Option{auctiontest.WithQuickAccounts()}
	if testClock {
		opts = append(opts, auctiontest.WithSharedClock(e.testClock))
	}
	e.build(t, opts...)
	return e
}

// build puts the world on the env's store, its cases of a Shanghai court.
func (e *faultEnv) build(t *testing.T, opts ...auctiontest.Option) {
	t.Helper()
	e.world = auctiontest.On(t, e.store, opts...)
	e.world.Court = "上海市第一中级人民法院"
	e.clerk = e.token(t, e.world.Clerk)
}

// setClock moves the shared test clock directly in the database.
func (e *faultEnv) setClock(t *testing.T, to time.Time) {
	t.Helper()
	if _, err := e.testClock.Set(e.ctx, to); err != nil {
		t.Fatal(err)
	}
}

func (e *faultEnv) account(t *testing.T, role string) *faultAccount {
	t.Helper()
	return e.token(t, e.world.In(t).User(role, ""))
}

// token is u with an API token for a day.
func (e *faultEnv) token(t *testing.T, u *auction.User) *faultAccount {
	t.Helper()
	return &faultAccount{user: u, token: e.world.In(t).Token(u, auction.TokenAPI, 24*time.Hour)}
}

// auction creates an announced first round (real estate, start 700,000 yuan,
// increment 1,000 yuan) bidding from starts to ends.
func (e *faultEnv) auction(t *testing.T, starts, ends time.Time) *auction.Auction {
	t.Helper()
	w := e.world.In(t)
	lot := w.Lot(w.CaseOf(auction.NewCase{}).ID, "住宅", 100_000_000)
	a := w.Schedule(auction.ScheduleParams{LotID: lot.ID, Round: auction.RoundFirst, StartPrice: 70_000_000, StartsAt: starts, EndsAt: ends})
	a, err := e.store.PublishAuctionBackdated(e.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// bidder is a new bidder qualified for auctionID (deposit confirmed).
func (e *faultEnv) bidder(t *testing.T, auctionID string) *faultAccount {
	t.Helper()
	b := e.account(t, auction.RoleBidder)
	b.code = *e.world.In(t).Qualify(b.user, auctionID).BidderCode
	return b
}

// faultHTTP is a client with short timeouts: a hanging request is a failure.
var faultHTTP = &http.Client{Timeout: 15 * time.Second}

// faultAnswer is an HTTP answer decoded as JSON.
type faultAnswer struct {
	status int
	body   map[string]any
	raw    []byte
	took   time.Duration
}

func (a faultAnswer) code() string {
	e, _ := a.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (a faultAnswer) String() string { return fmt.Sprintf("%d %s", a.status, a.raw) }

// call sends a JSON request; a transport error (the server is gone) is
// returned as such.
func call(base, method, path string, who *faultAccount, body any, headers ...string) (faultAnswer, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return faultAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if who != nil {
		req.Header.Set("Authorization", "Bearer "+who.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	start := time.Now()
	res, err := faultHTTP.Do(req)
	if err != nil {
		return faultAnswer{took: time.Since(start)}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	a := faultAnswer{status: res.StatusCode, raw: raw, took: time.Since(start)}
	if err != nil {
		return a, err
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	_ = d.Decode(&a.body)
	return a, nil
}

func mustCall(t *testing.T, base, method, path string, who *faultAccount, body any, headers ...string) faultAnswer {
	t.Helper()
	a, err := call(base, method, path, who, body, headers...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return a
}

func wantAnswer(t *testing.T, a faultAnswer, status int, code string) {
	t.Helper()
	if a.status != status || (code != "" && a.code() != code) {
		t.Fatalf("got %s, want %d %s", a, status, code)
	}
}

// faultAuction reads GET /auctions/{id}.
func faultAuction(t *testing.T, base, id string) auction.Auction {
	t.Helper()
	a := mustCall(t, base, http.MethodGet, "/api/v1/auctions/"+id, nil, nil)
	wantAnswer(t, a, http.StatusOK, "")
	var got auction.Auction
	if err := json.Unmarshal(a.raw, &got); err != nil {
		t.Fatal(err)
	}
	return got
}

func faultEvents(t *testing.T, base, id string) []auction.Event {
	t.Helper()
	a := mustCall(t, base, http.MethodGet, "/api/v1/auctions/"+id+"/events?since=0&limit=10000", nil, nil)
	wantAnswer(t, a, http.StatusOK, "")
	var got struct {
		Events []auction.Event `json:"events"`
		More   bool            `json:"more"`
	}
	if err := json.Unmarshal(a.raw, &got); err != nil || got.More {
		t.Fatalf("events: %v (more %v)", err, got.More)
	}
	return got.Events
}

func faultBids(t *testing.T, base, id string) []auction.Bid {
	t.Helper()
	a := mustCall(t, base, http.MethodGet, "/api/v1/auctions/"+id+"/bids", nil, nil)
	wantAnswer(t, a, http.StatusOK, "")
	var got struct {
		Bids []auction.Bid `json:"bids"`
	}
	if err := json.Unmarshal(a.raw, &got); err != nil {
		t.Fatal(err)
	}
	return got.Bids
}

// moveClock sets the test clock through a server, which applies every due
// transition before it answers.
func moveClock(t *testing.T, base string, staff *faultAccount, to time.Time) {
	t.Helper()
	a := mustCall(t, base, http.MethodPost, "/api/v1/test/clock", staff, map[string]any{"set": to.UTC().Format(time.RFC3339Nano)})
	wantAnswer(t, a, http.StatusOK, "")
}

// --- the gavel binary as a child process ---

// faultBuild is the gavel binary the subprocess tests share: built (go build)
// by the first test that needs it into a temporary directory, removed when
// the last one using it ends.
var faultBuild struct {
	mu    sync.Mutex
	dir   string
	path  string
	users int
}

func faultBinary(t *testing.T) string {
	t.Helper()
	faultBuild.mu.Lock()
	defer faultBuild.mu.Unlock()
	if faultBuild.users == 0 {
		goTool, err := exec.LookPath("go")
		if err != nil {
			t.Fatalf("the go command is needed to build gavel: %v", err)
		}
		dir, err := os.MkdirTemp("", "gavel-fault-")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "gavel")
		if out, err := exec.Command(goTool, "build", "-o", path, ".").CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			t.Fatalf("go build: %v\n%s", err, out)
		}
		faultBuild.dir, faultBuild.path = dir, path
	}
	faultBuild.users++
	t.Cleanup(func() {
		faultBuild.mu.Lock()
		defer faultBuild.mu.Unlock()
		if faultBuild.users--; faultBuild.users == 0 {
			os.RemoveAll(faultBuild.dir)
		}
	})
	return faultBuild.path
}

// faultChild is `gavel serve` running as a child process.
type faultChild struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	url  string
	logs string
	done chan struct{}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startChild runs `gavel serve --test-clock` on dbURL, with env added to its
// environment, and waits until it is ready. Its logs go to a file shown when
// the test fails.
func startChild(t *testing.T, bin, dbURL, name string, env ...string) *faultChild {
	t.Helper()
	port := freePort(t)
	c := &faultChild{t: t, name: name, url: fmt.Sprintf("http://127.0.0.1:%d", port),
		logs: filepath.Join(t.TempDir(), name+".log"), done: make(chan struct{})}
	logFile, err := os.Create(c.logs)
	if err != nil {
		t.Fatal(err)
	}
	c.cmd = exec.Command(bin, "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--test-clock", "--no-limits", "--tick", "200ms")
	c.cmd.Env = append(append(os.Environ(), "DATABASE_URL="+dbURL, "GAVEL_LOG_LEVEL=warn"), env...)
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = c.cmd.Wait()
		logFile.Close()
		close(c.done)
	}()
	t.Cleanup(func() {
		c.kill()
		if t.Failed() {
			b, _ := os.ReadFile(c.logs)
			t.Logf("%s logs:\n%s", name, tail(string(b), 40))
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-c.done:
			b, _ := os.ReadFile(c.logs)
			t.Fatalf("%s exited while starting:\n%s", name, tail(string(b), 40))
		default:
		}
		if a, err := call(c.url, http.MethodGet, "/readyz", nil, nil); err == nil && a.status == http.StatusOK {
			return c
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not become ready", name)
	return nil
}

// kill9 kills the process the way a crash does: no shutdown, no last beat.
func (c *faultChild) kill() {
	if c.cmd.Process != nil {
		_ = c.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-c.done
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// --- a TCP proxy in front of PostgreSQL that the test can cut and stall ---

// faultProxy forwards connections to PostgreSQL. stop() is PostgreSQL going
// away (every connection closed, new ones refused); stall() is PostgreSQL
// hanging (connections stay open, nothing comes back); restore() brings it
// back. The shared server itself is never touched.
type faultProxy struct {
	target string
	addr   string

	mu      sync.Mutex
	ln      net.Listener
	conns   map[net.Conn]struct{}
	stalled bool
	gate    *sync.Cond
	closed  bool
}

func newFaultProxy(t *testing.T, target string) *faultProxy {
	t.Helper()
	p := &faultProxy{target: target, conns: map[net.Conn]struct{}{}}
	p.gate = sync.NewCond(&p.mu)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(func() {
		p.mu.Lock()
		p.closed = true
		p.stalled = false
		p.gate.Broadcast()
		p.mu.Unlock()
		p.stop()
	})
	return p
}

// via rewrites a database URL to go through the proxy.
func (p *faultProxy) via(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.addr
	return u.String()
}

func (p *faultProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

func (p *faultProxy) pipe(client net.Conn) {
	upstream, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil || p.closed {
		p.mu.Unlock()
		client.Close()
		upstream.Close()
		return
	}
	p.conns[client], p.conns[upstream] = struct{}{}, struct{}{}
	p.mu.Unlock()
	copyGated := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			p.mu.Lock()
			for p.stalled {
				p.gate.Wait()
			}
			p.mu.Unlock()
			if n > 0 {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		client.Close()
		upstream.Close()
	}
	go copyGated(upstream, client)
	copyGated(client, upstream)
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, upstream)
	p.mu.Unlock()
}

// stop makes the database unreachable: connections reset, new ones refused.
func (p *faultProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
}

// stall makes the database hang: nothing is forwarded any more.
func (p *faultProxy) stall() {
	p.mu.Lock()
	p.stalled = true
	p.mu.Unlock()
}

// restore brings the database back on the same address.
func (p *faultProxy) restore(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	p.stalled = false
	p.gate.Broadcast()
	listening := p.ln != nil
	p.mu.Unlock()
	if listening {
		return
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// faultMain runs Gavel in this process against dbURL (the proxy).
func faultMain(t *testing.T, dbURL string, testClock bool) (*Main, *syncLog) {
	t.Helper()
	logs := &syncLog{}
	m := NewMain()
	m.Config.Addr = "127.0.0.1:0"
	m.Config.DatabaseURL = dbURL
	m.Config.TestClock = testClock
	m.Config.NoLimits = true
	m.Config.TickInterval = time.Hour // the test clock ticks before it answers
	if !testClock {
		m.Config.TickInterval = time.Second
	}
	m.Log = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = m.Close()
		if t.Failed() {
			t.Logf("server logs:\n%s", tail(logs.String(), 40))
		}
	})
	return m, logs
}

type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// --- live feed client ---

// faultWatcher follows an auction's live feed, reconnecting with since when
// the connection ends, and checks that seq counts 1, 2, 3 ... across
// reconnections.
type faultWatcher struct {
	mu         sync.Mutex
	seqs       []int64
	reconnects int
	hints      []string
	problems   []string
}

func (w *faultWatcher) last() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.seqs) == 0 {
		return 0
	}
	return w.seqs[len(w.seqs)-1]
}

// follow reads frames from the servers in turn until ctx ends; bases are
// tried in order, a failed one is left for the next.
func (w *faultWatcher) follow(ctx context.Context, auctionID string, bases ...string) {
	i := 0
	for ctx.Err() == nil {
		wsURL := "ws" + strings.TrimPrefix(bases[i], "http") + "/api/v1/auctions/" + auctionID + fmt.Sprintf("/live?since=%d", w.last())
		conn, _, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil)
		if err != nil {
			if i+1 < len(bases) {
				i++
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		w.read(conn)
		stop()
		conn.Close()
		if ctx.Err() == nil {
			w.mu.Lock()
			w.reconnects++
			w.mu.Unlock()
		}
	}
}

func (w *faultWatcher) read(conn *websocket.Conn) {
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				w.mu.Lock()
				w.hints = append(w.hints, ce.Text)
				w.mu.Unlock()
			}
			return
		}
		var frame struct {
			Seq *int64 `json:"seq"`
		}
		if json.Unmarshal(data, &frame) != nil || frame.Seq == nil {
			continue // a greeting or another frame that is not an event
		}
		w.mu.Lock()
		want := int64(1)
		if n := len(w.seqs); n > 0 {
			want = w.seqs[n-1] + 1
		}
		if *frame.Seq != want {
			w.problems = append(w.problems, fmt.Sprintf("got seq %d, want %d", *frame.Seq, want))
		}
		w.seqs = append(w.seqs, *frame.Seq)
		w.mu.Unlock()
	}
}

// --- 1. kill -9 during heavy bidding ---

// bidAttempt is one bid request as the client saw it.
type bidAttempt struct {
	bidder *faultAccount
	key    string
	amount int64
	status int   // 0: no answer (the server died)
	seq    int64 // of the accepted bid
}

// bidLoop bids as who on auctionID, always one step above the price it last
// saw, recording every attempt, until stop closes or the server stops
// answering.
func bidLoop(base, auctionID string, who *faultAccount, start, step int64, stop <-chan struct{}, record func(bidAttempt)) {
	price := int64(0)
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		amount := start
		if price > 0 {
			amount = price + step
		}
		at := bidAttempt{bidder: who, key: fmt.Sprintf("%s-%d", who.user.ID[:8], n), amount: amount}
		a, err := call(base, http.MethodPost, "/api/v1/auctions/"+auctionID+"/bids", who, map[string]any{"amount": amount}, "Idempotency-Key", at.key)
		if err != nil {
			record(at) // outcome unknown: it may or may not have committed
			return
		}
		at.status = a.status
		state, _ := a.body["auction"].(map[string]any)
		if a.status == http.StatusCreated {
			bid, _ := a.body["bid"].(map[string]any)
			s, _ := bid["seq"].(json.Number).Int64()
			at.seq = s
		}
		if p, ok := state["current_price"].(json.Number); ok {
			price, _ = p.Int64()
		}
		record(at)
		if a.status == http.StatusConflict && a.code() == auction.EAlreadyLeading {
			time.Sleep(time.Millisecond)
		}
	}
}

func TestFaultKillDuringBidding(t *testing.T) {
	t.Parallel()
	bin := faultBinary(t)
	e := newFaultEnv(t, true)
	starts := e.clock.Now().Add(time.Minute)
	hot := e.auction(t, starts, starts.Add(48*time.Hour))
	due := e.auction(t, starts, starts.Add(24*time.Hour))                  // comes due while the server is down
	later := e.auction(t, starts, starts.Add(24*time.Hour+30*time.Minute)) // its final window comes after the restart
	var bidders []*faultAccount
	for range 6 {
		bidders = append(bidders, e.bidder(t, hot.ID))
	}
	dueBidder, laterBidder := e.bidder(t, due.ID), e.bidder(t, later.ID)
	e.setClock(t, starts.Add(time.Hour))

	first := startChild(t, bin, e.dbURL, "first")
	for _, b := range []struct {
		who *faultAccount
		id  string
	}{{dueBidder, due.ID}, {laterBidder, later.ID}} {
		wantAnswer(t, mustCall(t, first.url, http.MethodPost, "/api/v1/auctions/"+b.id+"/bids", b.who,
			map[string]any{"amount": hot.StartPrice}, "Idempotency-Key", "first"), http.StatusCreated, "")
	}

	var mu sync.Mutex
	var attempts []bidAttempt
	acked := 0
	record := func(a bidAttempt) {
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, a)
		if a.status == http.StatusCreated {
			acked++
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, b := range bidders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bidLoop(first.url, hot.ID, b, hot.StartPrice, hot.Increment, stop, record)
		}()
	}
	// Kill in the middle of heavy bidding: once a good number of bids are in.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := acked
		mu.Unlock()
		if n >= 150 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	first.kill()
	close(stop)
	wg.Wait()

	// While it is down the due auction's end passes.
	e.setClock(t, due.EndsAt.Add(time.Minute))
	second := startChild(t, bin, e.dbURL, "second")

	// Every acknowledged bid is in the record with its event.
	bids := faultBids(t, second.url, hot.ID)
	events := faultEvents(t, second.url, hot.ID)
	bySeq := map[int64]auction.Bid{}
	for _, b := range bids {
		bySeq[b.Seq] = b
	}
	var ackedN, unknown, found int
	for _, a := range attempts {
		switch a.status {
		case 0:
			unknown++
		case http.StatusCreated:
			ackedN++
			b, ok := bySeq[a.seq]
			if !ok || b.Amount != a.amount || b.BidderCode != a.bidder.code {
				t.Fatalf("acknowledged bid seq %d (%d by %s) is not in /bids: %+v", a.seq, a.amount, a.bidder.code, b)
			}
			ev := events[a.seq-1]
			if ev.Seq != a.seq || ev.Type != auction.EventBid || fmt.Sprint(ev.Data["amount"]) != fmt.Sprint(a.amount) {
				t.Fatalf("acknowledged bid seq %d has no bid event: %+v", a.seq, ev)
			}
			found++
		}
	}
	if ackedN < 100 {
		t.Fatalf("only %d bids acknowledged before the kill; the test did not bid heavily", ackedN)
	}

	// Clients retry everything with their keys, all at once: nothing is
	// applied twice.
	type retried struct {
		first bidAttempt
		again faultAnswer
		err   error
	}
	retries := make(chan retried, len(attempts))
	var retrying sync.WaitGroup
	for _, a := range attempts {
		if a.status != 0 && a.status != http.StatusCreated {
			continue
		}
		retrying.Add(1)
		go func() {
			defer retrying.Done()
			r, err := call(second.url, http.MethodPost, "/api/v1/auctions/"+hot.ID+"/bids", a.bidder,
				map[string]any{"amount": a.amount}, "Idempotency-Key", a.key)
			retries <- retried{a, r, err}
		}()
	}
	retrying.Wait()
	close(retries)
	keyOfSeq := map[int64]string{}
	replayed, committedUnknown, refusedUnknown := 0, 0, 0
	for x := range retries {
		a, r := x.first, x.again
		if x.err != nil {
			t.Fatalf("retry of key %s: %v", a.key, x.err)
		}
		if r.status != http.StatusCreated {
			if a.status == http.StatusCreated {
				t.Fatalf("retry of acknowledged key %s: %s", a.key, r)
			}
			refusedUnknown++
			continue
		}
		bid, _ := r.body["bid"].(map[string]any)
		s, _ := bid["seq"].(json.Number).Int64()
		if a.status == http.StatusCreated {
			if s != a.seq {
				t.Fatalf("retry of key %s answered seq %d, first answer was %d", a.key, s, a.seq)
			}
			replayed++
		} else {
			committedUnknown++
		}
		if prev, dup := keyOfSeq[s]; dup {
			t.Fatalf("seq %d answered for keys %s and %s", s, prev, a.key)
		}
		keyOfSeq[s] = a.key
	}
	after := faultBids(t, second.url, hot.ID)
	duplicates := len(after) - len(keyOfSeq)
	var requests int
	if err := e.pool.QueryRow(e.ctx, `SELECT count(*) FROM bid_requests WHERE auction_id = $1`, hot.ID).Scan(&requests); err != nil {
		t.Fatal(err)
	}
	if duplicates != 0 || requests != len(after) {
		t.Fatalf("%d bids after retries for %d keys that were answered 201 (%d requests on record): duplicates %d",
			len(after), len(keyOfSeq), requests, duplicates)
	}
	rec, err := e.store.Record(e.ctx, hot.ID)
	if err != nil {
		t.Fatal(err)
	}
	if seq, why := rec.Verify(); seq != 0 {
		t.Fatalf("the record is broken at seq %d: %s", seq, why)
	}

	// The auction that came due while the server was down: its final window
	// was not served, so the restarted scheduler suspended it.
	var dueNow auction.Auction
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if dueNow = faultAuction(t, second.url, due.ID); dueNow.Status != auction.StatusBidding {
			break
		}
	}
	if dueNow.Status != auction.StatusSuspended || dueNow.Suspended == "" {
		t.Fatalf("auction due while down: %s (%q), want suspended", dueNow.Status, dueNow.Suspended)
	}
	dueEvents := faultEvents(t, second.url, due.ID)
	if last := dueEvents[len(dueEvents)-1]; last.Type != auction.EventSuspended || last.Data["reason"] == "" {
		t.Fatalf("last event of the due auction: %+v", last)
	}
	// The one whose final window came after the restart closes normally.
	moveClock(t, second.url, e.clerk, later.EndsAt)
	if got := faultAuction(t, second.url, later.ID); got.Status != auction.StatusSold {
		t.Fatalf("auction whose final window was served: %s (%q), want sold", got.Status, got.Suspended)
	}
	// And bidding goes on.
	last := after[len(after)-1]
	fresh := bidders[0]
	if last.BidderCode == fresh.code {
		fresh = bidders[1]
	}
	wantAnswer(t, mustCall(t, second.url, http.MethodPost, "/api/v1/auctions/"+hot.ID+"/bids", fresh,
		map[string]any{"amount": last.Amount + hot.Increment}, "Idempotency-Key", "after-restart"), http.StatusCreated, "")

	t.Logf("kill -9 during bidding: bids acknowledged %d, found %d, outcome unknown %d (committed %d, never applied %d), "+
		"retries replayed %d, bids on record %d, duplicates %d, record verified (%d events); "+
		"auction due while down: suspended (%s); auction due after restart: sold",
		ackedN, found, unknown, committedUnknown, refusedUnknown, replayed, len(after), duplicates, len(rec.Events), dueNow.Suspended)
}

// --- 2. database outage ---

// outageProbe sends the requests a busy site gets, all at once, and returns
// their answers.
func outageProbe(base, auctionID string, bidders []*faultAccount, round int) []faultAnswer {
	type req struct {
		method, path string
		who          *faultAccount
		body         any
		headers      []string
	}
	reqs := []req{
		{http.MethodGet, "/readyz", nil, nil, nil},
		{http.MethodGet, "/api/v1/auctions/" + auctionID, nil, nil, nil},
		{http.MethodGet, "/api/v1/auctions/" + auctionID + "/bids", nil, nil, nil},
		{http.MethodGet, "/api/v1/auctions/" + auctionID + "/events?since=0", nil, nil, nil},
		{http.MethodPost, "/api/v1/auth/login", nil, map[string]any{"email": "nobody@example.test", "password": "fault test password"}, nil},
	}
	for i, b := range bidders {
		reqs = append(reqs, req{http.MethodPost, "/api/v1/auctions/" + auctionID + "/bids", b, map[string]any{"amount": 1},
			[]string{"Idempotency-Key", fmt.Sprintf("outage-%d-%d", round, i)}})
	}
	answers := make([]faultAnswer, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := call(base, r.method, r.path, r.who, r.body, r.headers...)
			if err != nil {
				a.status, a.raw = -1, []byte(err.Error())
			}
			answers[i] = a
		}()
	}
	wg.Wait()
	return answers
}

// checkUnavailable asserts every answer is a fast 503 service_unavailable and
// returns the slowest.
func checkUnavailable(t *testing.T, what string, answers []faultAnswer, within time.Duration) time.Duration {
	t.Helper()
	var slowest time.Duration
	for _, a := range answers {
		if a.status != http.StatusServiceUnavailable || a.code() != auction.EUnavailable {
			t.Fatalf("%s: got %s, want 503 service_unavailable", what, a)
		}
		slowest = max(slowest, a.took)
	}
	if slowest > within {
		t.Fatalf("%s: the slowest answer took %v, want under %v", what, slowest, within)
	}
	return slowest
}

// waitReady polls /readyz until it answers 200 and returns how long it took.
func waitReady(t *testing.T, base string) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 30*time.Second {
		if a, err := call(base, http.MethodGet, "/readyz", nil, nil); err == nil && a.status == http.StatusOK {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("/readyz did not recover within 30 s")
	return 0
}

// bidUntilAccepted retries a bid (same key) until the server takes it, as a
// client does after a 503, and returns how long that took.
func bidUntilAccepted(t *testing.T, base, auctionID string, who *faultAccount, amount int64, key string) (time.Duration, int64) {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 30*time.Second {
		a, err := call(base, http.MethodPost, "/api/v1/auctions/"+auctionID+"/bids", who, map[string]any{"amount": amount}, "Idempotency-Key", key)
		if err == nil && a.status == http.StatusCreated {
			bid, _ := a.body["bid"].(map[string]any)
			s, _ := bid["seq"].(json.Number).Int64()
			return time.Since(start), s
		}
		if err == nil && a.status != http.StatusServiceUnavailable {
			t.Fatalf("bid after the outage: %s", a)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("bids did not recover within 30 s")
	return 0, 0
}

// liveConn reads a live feed in the background: gorilla/websocket allows no
// read after a read deadline passed, so waiting with a timeout happens here.
type liveConn struct {
	conn   *websocket.Conn
	frames chan []byte
	ended  chan error // the read error that ended the connection
}

func dialLive(t *testing.T, base, auctionID string, since int64) *liveConn {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+
		fmt.Sprintf("/api/v1/auctions/%s/live?since=%d", auctionID, since), nil)
	if err != nil {
		t.Fatal(err)
	}
	l := &liveConn{conn: conn, frames: make(chan []byte, 1024), ended: make(chan error, 1)}
	go func() {
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				l.ended <- err
				return
			}
			l.frames <- data
		}
	}()
	t.Cleanup(func() { conn.Close() })
	return l
}

// state reports, during an outage, whether the socket stayed open or closed
// with a resume hint; no event may arrive meanwhile.
func (l *liveConn) state(t *testing.T, wait time.Duration) string {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case data := <-l.frames:
			if bytes.Contains(data, []byte(`"seq"`)) {
				t.Fatalf("an event arrived during the outage: %s", data)
			}
		case err := <-l.ended:
			var ce *websocket.CloseError
			if errors.As(err, &ce) && strings.Contains(ce.Text, "since=") {
				return fmt.Sprintf("closed with a resume hint (%q)", ce.Text)
			}
			t.Fatalf("the live feed ended without a resume hint: %v", err)
		case <-timeout:
			return "stayed open"
		}
	}
}

// next waits for the next event.
func (l *liveConn) next(t *testing.T, wait time.Duration) auction.Event {
	t.Helper()
	timeout := time.After(wait)
	var other []string
	for {
		select {
		case data := <-l.frames:
			var e auction.Event
			if json.Unmarshal(data, &e) == nil && e.Seq > 0 {
				return e
			}
			other = append(other, string(data))
		case err := <-l.ended:
			t.Fatalf("live feed ended: %v (frames that were not events: %v)", err, other)
		case <-timeout:
			t.Fatalf("no event within %v (frames that were not events: %v)", wait, other)
		}
	}
}

func TestFaultDatabaseOutage(t *testing.T) {
	t.Parallel()
	e := newFaultEnv(t, false)
	now := e.clock.Now()
	a := e.auction(t, now.Add(-time.Second), now.Add(25*time.Hour))
	var bidders []*faultAccount
	for range 6 {
		bidders = append(bidders, e.bidder(t, a.ID))
	}
	proxy := newFaultProxy(t, e.pool.Config().ConnConfig.Host+fmt.Sprintf(":%d", e.pool.Config().ConnConfig.Port))
	m, _ := faultMain(t, proxy.via(t, e.dbURL), false)
	base := m.URL()

	price := a.StartPrice
	for i, b := range bidders[:2] {
		wantAnswer(t, mustCall(t, base, http.MethodPost, "/api/v1/auctions/"+a.ID+"/bids", b,
			map[string]any{"amount": price}, "Idempotency-Key", fmt.Sprintf("before-%d", i)), http.StatusCreated, "")
		price += a.Increment
	}
	conn := dialLive(t, base, a.ID, 0)
	for range 2 {
		conn.next(t, 5*time.Second) // opened and bids: the feed is live
	}
	seen := int64(0)
	for seen < faultAuction(t, base, a.ID).Seq {
		seen = conn.next(t, 5*time.Second).Seq
	}

	// PostgreSQL goes away: every connection reset, new ones refused.
	proxy.stop()
	var stoppedSlowest time.Duration
	var stoppedN int
	for round := range 3 {
		answers := outageProbe(base, a.ID, bidders, round)
		stoppedN += len(answers)
		stoppedSlowest = max(stoppedSlowest, checkUnavailable(t, "database stopped", answers, 3*time.Second))
		time.Sleep(300 * time.Millisecond)
	}
	feed := conn.state(t, 2*time.Second)
	proxy.restore(t)
	readyAfter := waitReady(t, base)
	bidAfter, s := bidUntilAccepted(t, base, a.ID, bidders[2], price, "after-stop")
	price += a.Increment
	if strings.HasPrefix(feed, "closed") {
		conn = dialLive(t, base, a.ID, seen)
	}
	for got := int64(0); got != s; {
		got = conn.next(t, 10*time.Second).Seq
	}
	seen = s

	// PostgreSQL hangs: connections stay open and nothing comes back.
	proxy.stall()
	time.Sleep(1200 * time.Millisecond) // idle connections are checked before use
	var hungSlowest time.Duration
	var hungN int
	for round := 3; round < 5; round++ {
		answers := outageProbe(base, a.ID, bidders, round)
		hungN += len(answers)
		hungSlowest = max(hungSlowest, checkUnavailable(t, "database hung", answers, postgres.AcquireTimeout+time.Second))
	}
	hungFeed := conn.state(t, time.Second)
	proxy.restore(t)
	hungReady := waitReady(t, base)
	hungBid, s := bidUntilAccepted(t, base, a.ID, bidders[3], price, "after-stall")
	if strings.HasPrefix(hungFeed, "closed") {
		conn = dialLive(t, base, a.ID, seen)
	}
	for got := int64(0); got != s; {
		got = conn.next(t, 10*time.Second).Seq
	}
	rec, err := e.store.Record(e.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if seq, why := rec.Verify(); seq != 0 {
		t.Fatalf("record broken at %d: %s", seq, why)
	}
	t.Logf("database stopped: %d requests answered 503 service_unavailable, slowest %v, /readyz 503; live feed %s; "+
		"recovered by itself: /readyz 200 after %v, bids accepted after %v",
		stoppedN, stoppedSlowest.Round(time.Millisecond), feed, readyAfter.Round(time.Millisecond), bidAfter.Round(time.Millisecond))
	t.Logf("database hung: %d requests answered 503 service_unavailable, slowest %v; live feed %s; "+
		"recovered by itself: /readyz 200 after %v, bids accepted after %v; record verified (%d events)",
		hungN, hungSlowest.Round(time.Millisecond), hungFeed, hungReady.Round(time.Millisecond), hungBid.Round(time.Millisecond), len(rec.Events))
}

// --- 3. two instances, one killed ---

func TestFaultFailover(t *testing.T) {
	t.Parallel()
	bin := faultBinary(t)
	e := newFaultEnv(t, true)
	starts := e.clock.Now().Add(time.Minute)
	hot := e.auction(t, starts, starts.Add(48*time.Hour))
	var bidders []*faultAccount
	for range 4 {
		bidders = append(bidders, e.bidder(t, hot.ID))
	}
	const dueN = 30
	type dueAuction struct {
		a      *auction.Auction
		bidder *faultAccount // nil: nobody bids, it fails
	}
	var due []dueAuction
	for i := range dueN {
		d := dueAuction{a: e.auction(t, starts, starts.Add(24*time.Hour))}
		if i%2 == 0 {
			d.bidder = e.bidder(t, d.a.ID)
		}
		due = append(due, d)
	}
	e.setClock(t, starts.Add(time.Hour))
	a := startChild(t, bin, e.dbURL, "a")
	b := startChild(t, bin, e.dbURL, "b")
	for _, d := range due {
		if d.bidder != nil {
			wantAnswer(t, mustCall(t, b.url, http.MethodPost, "/api/v1/auctions/"+d.a.ID+"/bids", d.bidder,
				map[string]any{"amount": d.a.StartPrice}, "Idempotency-Key", "due"), http.StatusCreated, "")
		}
	}

	// Watchers follow the hot auction on instance a; when a dies they go on
	// at b from the last seq they saw.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watchers := make([]*faultWatcher, 4)
	var watching sync.WaitGroup
	for i := range watchers {
		watchers[i] = &faultWatcher{}
		watching.Add(1)
		go func() {
			defer watching.Done()
			watchers[i].follow(ctx, hot.ID, a.url, b.url)
		}()
	}
	// Bidders spread over both instances; those on a move to b when it dies.
	var mu sync.Mutex
	acked := 0
	record := func(at bidAttempt) {
		mu.Lock()
		if at.status == http.StatusCreated {
			acked++
		}
		mu.Unlock()
	}
	stop := make(chan struct{})
	var bidding sync.WaitGroup
	for i, who := range bidders {
		bidding.Add(1)
		go func() {
			defer bidding.Done()
			if i%2 == 0 {
				bidLoop(a.url, hot.ID, who, hot.StartPrice, hot.Increment, stop, record)
			}
			bidLoop(b.url, hot.ID, who, hot.StartPrice, hot.Increment, stop, record)
		}()
	}
	waitAcked := func(n int) {
		for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			done := acked >= n
			mu.Unlock()
			if done {
				return
			}
		}
		t.Fatalf("fewer than %d bids were acknowledged", n)
	}
	waitAcked(60)
	a.kill()
	waitAcked(120)
	close(stop)
	bidding.Wait()

	final := faultAuction(t, b.url, hot.ID).Seq
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		caughtUp := true
		for _, w := range watchers {
			caughtUp = caughtUp && w.last() == final
		}
		if caughtUp {
			break
		}
	}
	cancel()
	watching.Wait()
	reconnected := 0
	for i, w := range watchers {
		if len(w.problems) > 0 || w.last() != final || int64(len(w.seqs)) != final {
			t.Fatalf("watcher %d: %d events up to seq %d of %d; problems %v", i, len(w.seqs), w.last(), final, w.problems)
		}
		if w.reconnects > 0 {
			reconnected++
		}
	}
	if reconnected != len(watchers) {
		t.Fatalf("%d of %d watchers reconnected after the kill", reconnected, len(watchers))
	}

	// The survivor closes every due auction, each exactly once; it served
	// their final windows, so none is suspended.
	moveClock(t, b.url, e.clerk, due[0].a.EndsAt)
	closedOnce, soldN, failedN := 0, 0, 0
	for _, d := range due {
		events := faultEvents(t, b.url, d.a.ID)
		closes := 0
		for _, ev := range events {
			switch ev.Type {
			case auction.EventClosed:
				closes++
			case auction.EventSuspended:
				t.Fatalf("auction %s was suspended: %v", d.a.ID, ev.Data["reason"])
			}
		}
		if closes != 1 {
			t.Fatalf("auction %s has %d closed events, want 1", d.a.ID, closes)
		}
		closedOnce++
		got := faultAuction(t, b.url, d.a.ID)
		switch {
		case d.bidder != nil && got.Status == auction.StatusSold:
			soldN++
		case d.bidder == nil && got.Status == auction.StatusFailed:
			failedN++
		default:
			t.Fatalf("auction %s: %s", d.a.ID, got.Status)
		}
	}
	t.Logf("failover: instance a killed (kill -9) after bids; bids acknowledged %d; watchers %d, reconnected to b %d, "+
		"each received %d events, gaps 0, repeats 0; due auctions %d, closed exactly once %d (sold %d, failed %d), suspended 0",
		acked, len(watchers), reconnected, final, dueN, closedOnce, soldN, failedN)
}

// --- 4. the outage guard ---

// waitRun waits until the server has recovered from an outage: it answers,
// and its heartbeat has started a new run at or after the clock time from.
func waitRun(t *testing.T, e *faultEnv, base string, staff *faultAccount, from time.Time) {
	t.Helper()
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		// Moving the clock by nothing makes the server beat and tick now.
		if a, err := call(base, http.MethodPost, "/api/v1/test/clock", staff, map[string]any{"advance_seconds": 0}); err != nil || a.status != http.StatusOK {
			continue
		}
		var n int
		if err := e.pool.QueryRow(e.ctx, `SELECT count(*) FROM service_runs WHERE started_at >= $1`, from).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
	}
	t.Fatal("the server did not recover from the outage")
}

func TestFaultOutageGuard(t *testing.T) {
	t.Parallel()
	e := newFaultEnv(t, true)
	starts := e.clock.Now().Add(time.Minute)
	before := e.auction(t, starts, starts.Add(24*time.Hour))
	overlap := e.auction(t, starts, starts.Add(25*time.Hour))
	bBefore, bOverlap, rival := e.bidder(t, before.ID), e.bidder(t, overlap.ID), e.bidder(t, overlap.ID)
	e.setClock(t, starts.Add(time.Hour))
	proxy := newFaultProxy(t, e.pool.Config().ConnConfig.Host+fmt.Sprintf(":%d", e.pool.Config().ConnConfig.Port))
	m, _ := faultMain(t, proxy.via(t, e.dbURL), true)
	base := m.URL()
	for _, x := range []struct {
		who *faultAccount
		a   *auction.Auction
	}{{bBefore, before}, {bOverlap, overlap}} {
		wantAnswer(t, mustCall(t, base, http.MethodPost, "/api/v1/auctions/"+x.a.ID+"/bids", x.who,
			map[string]any{"amount": x.a.StartPrice}, "Idempotency-Key", "k1"), http.StatusCreated, "")
	}

	// An outage that ends half an hour before the final window: no effect.
	proxy.stop()
	e.setClock(t, before.EndsAt.Add(-30*time.Minute))
	proxy.restore(t)
	waitRun(t, e, base, e.clerk, before.EndsAt.Add(-30*time.Minute))
	moveClock(t, base, e.clerk, before.EndsAt)
	if got := faultAuction(t, base, before.ID); got.Status != auction.StatusSold {
		t.Fatalf("outage before the final window: %s (%q), want sold", got.Status, got.Suspended)
	}

	// An outage that runs into the final window: the auction is suspended.
	proxy.stop()
	e.setClock(t, overlap.EndsAt.Add(-2*time.Minute))
	proxy.restore(t)
	waitRun(t, e, base, e.clerk, overlap.EndsAt.Add(-2*time.Minute))
	moveClock(t, base, e.clerk, overlap.EndsAt)
	got := faultAuction(t, base, overlap.ID)
	if got.Status != auction.StatusSuspended || !strings.Contains(got.Suspended, "unavailable") {
		t.Fatalf("outage in the final window: %s (%q), want suspended", got.Status, got.Suspended)
	}
	events := faultEvents(t, base, overlap.ID)
	if last := events[len(events)-1]; last.Type != auction.EventSuspended || last.Data["reason"] != got.Suspended {
		t.Fatalf("last event: %+v", last)
	}
	deposits := mustCall(t, base, http.MethodGet, "/api/v1/auctions/"+overlap.ID+"/deposits", e.account(t, auction.RoleFinance), nil)
	if bytes.Contains(deposits.raw, []byte(`"applied"`)) || bytes.Contains(deposits.raw, []byte(`"refund_pending"`)) {
		t.Fatalf("deposits moved on suspension: %s", deposits.raw)
	}

	// Refusals while suspended and of resume.
	path := "/api/v1/auctions/" + overlap.ID + "/resume"
	now := e.clock.Now()
	soon := func(d time.Duration) map[string]any {
		return map[string]any{"ends_at": now.Add(d).Format(time.RFC3339)}
	}
	wantAnswer(t, mustCall(t, base, http.MethodPost, "/api/v1/auctions/"+overlap.ID+"/bids", rival,
		map[string]any{"amount": overlap.StartPrice + overlap.Increment}, "Idempotency-Key", "k2"), http.StatusConflict, auction.EAuctionNotOpen)
	wantAnswer(t, mustCall(t, base, http.MethodPost, path, nil, soon(time.Hour)), http.StatusUnauthorized, auction.EUnauthenticated)
	wantAnswer(t, mustCall(t, base, http.MethodPost, path, rival, soon(time.Hour)), http.StatusForbidden, auction.EForbidden)
	wantAnswer(t, mustCall(t, base, http.MethodPost, path, e.clerk, `{"ends_at":`), http.StatusBadRequest, auction.EInvalidRequest)
	wantAnswer(t, mustCall(t, base, http.MethodPost, path, e.clerk, map[string]any{"ends_at": now.Add(time.Hour), "x": 1}), http.StatusBadRequest, auction.EInvalidRequest)
	wantAnswer(t, mustCall(t, base, http.MethodPost, path, e.clerk, map[string]any{}), http.StatusUnprocessableEntity, auction.EInvalidField)
	wantAnswer(t, mustCall(t, base, http.MethodPost, path, e.clerk, map[string]any{"ends_at": "tomorrow"}), http.StatusUnprocessableEntity, auction.EInvalidField)
	wantAnswer(t, mustCall(t, base, http.MethodPost, path, e.clerk, soon(-time.Minute)), http.StatusUnprocessableEntity, auction.EInvalidField)
	wantAnswer(t, mustCall(t, base, http.MethodPost, path, e.clerk, soon(4*time.Minute)), http.StatusUnprocessableEntity, auction.EInvalidField)
	wantAnswer(t, mustCall(t, base, http.MethodPost, "/api/v1/auctions/"+before.ID+"/resume", e.clerk, soon(time.Hour)), http.StatusConflict, auction.EInvalidState)
	wantAnswer(t, mustCall(t, base, http.MethodPost, "/api/v1/auctions/00000000-0000-0000-0000-000000000000/resume", e.clerk, soon(time.Hour)), http.StatusNotFound, auction.ENotFound)

	// Resume: watchers hear it, bidding goes on, the auction closes.
	conn := dialLive(t, base, overlap.ID, got.Seq)
	r := mustCall(t, base, http.MethodPost, path, e.clerk, soon(time.Hour))
	wantAnswer(t, r, http.StatusOK, "")
	if ev := conn.next(t, 10*time.Second); ev.Type != auction.EventResumed || ev.Seq != got.Seq+1 {
		t.Fatalf("the live feed sent %+v, want the resumed event", ev)
	}
	resumed := faultAuction(t, base, overlap.ID)
	if resumed.Status != auction.StatusBidding || !resumed.EndsAt.Equal(now.Add(time.Hour).Truncate(time.Second)) {
		t.Fatalf("resumed auction: %s until %v", resumed.Status, resumed.EndsAt)
	}
	wantAnswer(t, mustCall(t, base, http.MethodPost, "/api/v1/auctions/"+overlap.ID+"/bids", rival,
		map[string]any{"amount": overlap.StartPrice + overlap.Increment}, "Idempotency-Key", "k3"), http.StatusCreated, "")
	moveClock(t, base, e.clerk, resumed.EndsAt)
	final := faultAuction(t, base, overlap.ID)
	if final.Status != auction.StatusSold || *final.WinnerCode != rival.code {
		t.Fatalf("after resuming: %s won by %v", final.Status, final.WinnerCode)
	}
	t.Logf("outage guard: outage ending 30m before the final 5m: sold; outage reaching into the final 5m: suspended (%s); "+
		"resume refusals 10; resumed until %s, %d watcher told, bidding went on, sold to the new leader",
		got.Suspended, resumed.EndsAt.Format(time.RFC3339), 1)
}

// --- 5. backup and restore ---

// pgTool finds a PostgreSQL client program matching the server's major version.
func pgTool(t *testing.T, pool *pgxpool.Pool, name string) string {
	t.Helper()
	var num int
	if err := pool.QueryRow(context.Background(), `SELECT current_setting('server_version_num')::int`).Scan(&num); err != nil {
		t.Fatal(err)
	}
	if p := fmt.Sprintf("/usr/lib/postgresql/%d/bin/%s", num/10000, name); fileExists(p) {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	t.Skipf("SKIPPED LOUDLY: %s is not installed (apt-get install postgresql-client); backup and restore are untested", name)
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func TestFaultBackupRestore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, dbURL := dbtest.Pool(t)
	clock := auctiontest.NewClock(auctiontest.Start)
	hb := postgres.NewHeartbeat(postgres.HeartbeatConfig{Pool: pool, Clock: clock})
	if err := hb.Start(ctx); err != nil {
		t.Fatal(err)
	}
	store := postgres.New(postgres.Config{Pool: pool, Clock: clock, Rulebook: auction.SPC2016, Hooks: postgres.Hooks{Guard: hb.Guard}})
	e := &faultEnv{ctx: ctx, dbURL: dbURL, pool: pool, clock: clock, store: store}
	e.build(t, auctiontest.WithClock(clock), auctiontest.WithQuickAccounts())
	starts := clock.Now().Add(time.Hour)
	var ids []string
	var bidders [][]*faultAccount
	for i := range 6 {
		a := e.auction(t, starts, starts.Add(24*time.Hour+time.Duration(i)*time.Hour))
		ids = append(ids, a.ID)
		var bs []*faultAccount
		for range i % 3 {
			bs = append(bs, e.bidder(t, a.ID))
		}
		bidders = append(bidders, bs)
	}
	e.world.TickAt(starts)
	for i, id := range ids {
		price := int64(70_000_000)
		for round := range 5 {
			for _, b := range bidders[i] {
				if _, err := store.PlaceBid(ctx, auction.PlaceBid{AuctionID: id, User: b.user, Amount: price, Key: fmt.Sprintf("%d-%d", round, price)}); err == nil {
					price += 100_000
				}
			}
		}
	}
	// Five close normally; the last one's final window goes unserved.
	clock.Set(starts.Add(28 * time.Hour))
	if err := hb.Beat(ctx); err != nil {
		t.Fatal(err)
	}
	hb.Stop(ctx)
	clock.Set(starts.Add(30 * time.Hour))
	if _, err := store.Tick(ctx); err != nil {
		t.Fatal(err)
	}

	dump := filepath.Join(t.TempDir(), "gavel.dump")
	if out, err := exec.Command(pgTool(t, pool, "pg_dump"), "--format=custom", "--file="+dump, "--dbname="+dbURL).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	info, _ := os.Stat(dump)

	// Restore into a fresh database on the same server.
	admin, err := pgx.Connect(ctx, dbtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	name := fmt.Sprintf("gavel_restore_%d_%d", os.Getpid(), faultSeq.Add(1))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	// Runs before admin closes (cleanups run last first).
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop the restored database %s: %v", name, err)
		}
	})
	u, _ := url.Parse(dbtest.ServerURL())
	u.Path = "/" + name
	restoredURL := u.String()
	if out, err := exec.Command(pgTool(t, pool, "pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
		"--dbname="+restoredURL, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	// The restored database is at a schema this binary knows: serving it
	// starts without migrating anything.
	if err := migrations.Up(ctx, restoredURL, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrate the restored database: %v", err)
	}
	rpool, err := pgxpool.New(ctx, restoredURL)
	if err != nil {
		t.Fatal(err)
	}
	defer rpool.Close()
	restored := postgres.New(postgres.Config{Pool: rpool, Clock: clock, Rulebook: auction.SPC2016})

	var all []string
	rows, _ := rpool.Query(ctx, `SELECT id::text FROM auctions ORDER BY id`)
	all, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(all) != len(ids) {
		t.Fatalf("restored %d auctions (%v), want %d", len(all), err, len(ids))
	}
	statuses := map[string]int{}
	events := 0
	for _, id := range ids {
		want, err1 := store.Record(ctx, id)
		got, err2 := restored.Record(ctx, id)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if seq, why := got.Verify(); seq != 0 {
			t.Fatalf("restored record of %s is broken at seq %d: %s", id, seq, why)
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("restored record of %s differs from the original", id)
		}
		wa, _ := store.Auction(ctx, id)
		ga, _ := restored.Auction(ctx, id)
		wa.ServerTime, ga.ServerTime = time.Time{}, time.Time{}
		wb, _ := store.Bids(ctx, id)
		gb, _ := restored.Bids(ctx, id)
		if !reflect.DeepEqual(wa, ga) || !reflect.DeepEqual(wb, gb) {
			t.Fatalf("restored auction %s differs: %+v\n%+v", id, wa, ga)
		}
		statuses[wa.Status]++
		events += len(got.Events)
	}
	var ledgerWant, ledgerGot int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM ledger_entries`).Scan(&ledgerWant)
	_ = rpool.QueryRow(ctx, `SELECT count(*) FROM ledger_entries`).Scan(&ledgerGot)
	if ledgerWant != ledgerGot {
		t.Fatalf("ledger entries: %d restored, %d original", ledgerGot, ledgerWant)
	}
	t.Logf("backup and restore: pg_dump -Fc %d KiB; restored into a fresh database: auctions %d (%v), records verified %d, "+
		"equal to the original %d (%d events), ledger entries %d", info.Size()/1024, len(all), statuses, len(ids), len(ids), events, ledgerGot)
}
