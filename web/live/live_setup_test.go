package live_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	noticepg "gavel/auction/notice/postgres"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
	"gavel/migrations/dbtest"
	"gavel/web"
	"gavel/web/live"
)

// liveEnv is one Gavel server process as the live tests see it: a world
// (auctiontest.World) whose store is on its own pool, a started hub and an
// HTTP server.
type liveEnv struct {
	*auctiontest.World
	dbURL  string
	hub    *live.Hub
	server *web.Server
	srv    *httptest.Server
}

// liveSetup starts one server on a fresh database.
func liveSetup(t testing.TB, cfg live.HubConfig) *liveEnv {
	t.Helper()
	_, dbURL := dbtest.Pool(t)
	clock := auctiontest.NewClock(auctiontest.Start)
	return liveInstance(t, dbURL, clock, cfg)
}

// liveInstance starts another server on the database at dbURL, with its own
// pool, hub and LISTEN connection, as a second `gavel serve` would.
func liveInstance(t testing.TB, dbURL string, clock *auctiontest.Clock, cfg live.HubConfig) *liveEnv {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e := &liveEnv{World: auctiontest.NewWorld(t, pool, auctiontest.WithClock(clock)), dbURL: dbURL}
	cfg.Store, cfg.Bus = e.Store, postgres.NewBus(pool)
	cfg.Log = slog.New(slog.DiscardHandler)
	e.hub = live.NewHub(cfg)
	e.Store.PublishTo(e.hub)
	e.hub.Start()
	e.server = web.New(web.Config{Store: e.Store, Log: cfg.Log, Hub: e.hub, NoLimits: true, Notices: noticepg.New(pool, clock)})
	e.srv = httptest.NewServer(e.server.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.hub.Close(ctx)
		e.srv.Close()
	})
	return e
}

// liveBidder is a qualified bidder of an auction with an API token.
type liveBidder struct {
	user  *auction.User
	token string
	code  string
}

// bidder is a new bidder qualified for the auction, with an API token.
func (e *liveEnv) bidder(auctionID string) liveBidder {
	u := e.Bidder()
	reg := e.Qualify(u, auctionID)
	return liveBidder{user: u, token: e.Token(u, auction.TokenAPI, time.Hour), code: *reg.BidderCode}
}

// bidHTTP places a bid through POST /bids and returns the status and body.
func (e *liveEnv) bidHTTP(t testing.TB, b liveBidder, auctionID string, amount int64) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/auctions/"+auctionID+"/bids", strings.NewReader(fmt.Sprintf(`{"amount":%d}`, amount)))
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", fmt.Sprintf("live-%d", auctiontest.Next()))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	defer res.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Error(err)
	}
	return res.StatusCode, body
}

// bidStore places a bid through the store and publishes it like the handler,
// returning the bid's seq.
func (e *liveEnv) bidStore(t testing.TB, b liveBidder, auctionID string, amount int64) int64 {
	t.Helper()
	res, err := e.Store.PlaceBid(e.Ctx, auction.PlaceBid{AuctionID: auctionID, User: b.user, Amount: amount, Key: fmt.Sprintf("live-%d", auctiontest.Next())})
	if err != nil {
		// Errorf, not Fatalf: bids are also placed from helper goroutines.
		t.Errorf("bid %d: %v", amount, err)
		return 0
	}
	e.hub.Publish(e.Ctx, auction.Change{AuctionID: auctionID, Events: res.Events})
	return res.Bid.Seq
}

// alternate places n bids of two bidders in turn through the store, each one
// increment above the last, and returns the last seq.
func (e *liveEnv) alternate(t testing.TB, auctionID string, bs [2]liveBidder, n int) int64 {
	t.Helper()
	a, err := e.Store.Auction(e.Ctx, auctionID)
	if err != nil {
		t.Error(err)
		return 0
	}
	amount := a.StartPrice
	if a.CurrentPrice != nil {
		amount = *a.CurrentPrice + a.Increment
	}
	leader := ""
	if a.LeaderCode != nil {
		leader = *a.LeaderCode
	}
	var seq int64
	for range n {
		b := bs[0]
		if b.code == leader {
			b = bs[1]
		}
		if seq = e.bidStore(t, b, auctionID, amount); seq == 0 {
			return 0
		}
		leader = b.code
		amount += a.Increment
	}
	return seq
}

// seqOf returns the auction's last seq.
func (e *liveEnv) seqOf(t testing.TB, auctionID string) int64 {
	t.Helper()
	a, err := e.Store.Auction(e.Ctx, auctionID)
	if err != nil {
		t.Fatal(err)
	}
	return a.Seq
}

// liveURL is the WebSocket URL of an auction's feed.
func liveURL(base, auctionID string, since int64) string {
	return "ws" + strings.TrimPrefix(base, "http") + "/api/v1/auctions/" + auctionID + "/live?since=" + strconv.FormatInt(since, 10)
}

// liveFrame is what a client receives: an event when Seq is set, else a typed
// frame (hello, bid_result, error).
type liveFrame struct {
	Seq  *int64          `json:"seq"`
	Type string          `json:"type"`
	Raw  json.RawMessage `json:"-"`
}

// liveClient is a test's WebSocket client.
type liveClient struct {
	t     testing.TB
	ws    *websocket.Conn
	hello map[string]any
	// pending holds events read while waiting for a reply.
	pending []liveFrame
}

// liveDial connects to the feed and reads the greeting.
func liveDial(t testing.TB, base, auctionID string, since int64, header http.Header) *liveClient {
	t.Helper()
	ws, res, err := websocket.DefaultDialer.Dial(liveURL(base, auctionID, since), header)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf("dial: %v (status %d)", err, status)
	}
	c := &liveClient{t: t, ws: ws}
	t.Cleanup(func() { ws.Close() })
	f := c.next(5 * time.Second)
	if f.Seq != nil || f.Type != "hello" {
		t.Fatalf("the first frame is not a greeting without seq: %s", f.Raw)
	}
	if err := json.Unmarshal(f.Raw, &c.hello); err != nil {
		t.Fatal(err)
	}
	return c
}

// next reads one frame within d.
func (c *liveClient) next(d time.Duration) liveFrame {
	c.t.Helper()
	f, err := c.read(d)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return f
}

// read returns the next frame within d. A read that times out leaves the
// connection unusable (the library's rule), so tests never expect one to.
func (c *liveClient) read(d time.Duration) (liveFrame, error) {
	if len(c.pending) > 0 {
		f := c.pending[0]
		c.pending = c.pending[1:]
		return f, nil
	}
	return c.readWire(d)
}

func (c *liveClient) readWire(d time.Duration) (liveFrame, error) {
	_ = c.ws.SetReadDeadline(time.Now().Add(d))
	_, b, err := c.ws.ReadMessage()
	if err != nil {
		return liveFrame{}, err
	}
	var f liveFrame
	if err := json.Unmarshal(b, &f); err != nil {
		return liveFrame{}, fmt.Errorf("frame %s: %w", b, err)
	}
	f.Raw = b
	return f, nil
}

// events reads event frames until seq upTo and returns them in order,
// failing on any frame out of order.
func (c *liveClient) events(from, upTo int64, d time.Duration) []liveFrame {
	c.t.Helper()
	got, err := c.eventsErr(from, upTo, d)
	if err != nil {
		c.t.Fatal(err)
	}
	return got
}

// eventsErr is events for goroutines other than the test's.
func (c *liveClient) eventsErr(from, upTo int64, d time.Duration) ([]liveFrame, error) {
	var got []liveFrame
	want := from + 1
	deadline := time.Now().Add(d)
	for want <= upTo {
		f, err := c.read(time.Until(deadline))
		if err != nil {
			return got, fmt.Errorf("waiting for seq %d of %d: %w", want, upTo, err)
		}
		if f.Seq == nil {
			continue
		}
		if *f.Seq != want {
			return got, fmt.Errorf("got seq %d, want %d", *f.Seq, want)
		}
		got = append(got, f)
		want++
	}
	return got, nil
}

// quiet asserts that no event frame arrives within d: it waits, then sends a
// command the server refuses and reads up to the refusal.
func (c *liveClient) quiet(d time.Duration) {
	c.t.Helper()
	if len(c.pending) > 0 {
		c.t.Fatalf("unexpected event: %s", c.pending[0].Raw)
	}
	time.Sleep(d)
	c.send(`{"type":"quiet?"}`)
	for {
		f, err := c.readWire(5 * time.Second)
		if err != nil {
			c.t.Fatal(err)
		}
		if f.Seq != nil {
			c.t.Fatalf("unexpected event: %s", f.Raw)
		}
		if f.Type == "error" {
			return
		}
	}
}

// send writes a client frame.
func (c *liveClient) send(v string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(v)); err != nil {
		c.t.Fatal(err)
	}
}

// reply reads frames until a typed one (not an event) and decodes it.
func (c *liveClient) reply() map[string]any {
	c.t.Helper()
	for {
		f, err := c.readWire(5 * time.Second)
		if err != nil {
			c.t.Fatal(err)
		}
		if f.Seq != nil {
			c.pending = append(c.pending, f)
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(f.Raw, &m); err != nil {
			c.t.Fatal(err)
		}
		return m
	}
}

// liveMetric reads one unlabelled value from GET /metrics.
func liveMetric(t testing.TB, base, name string) float64 {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("metric %s not found", name)
	return 0
}

// liveEventsJSON returns GET /events?since=0 as the raw JSON of each event.
func liveEventsJSON(t testing.TB, base, auctionID string) []json.RawMessage {
	t.Helper()
	res, err := http.Get(base + "/api/v1/auctions/" + auctionID + "/events?since=0&limit=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var body struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	for i := range body.Events {
		body.Events[i] = bytes.TrimSpace(body.Events[i])
	}
	return body.Events
}

// liveEventually polls cond until it holds or d passes.
func liveEventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
