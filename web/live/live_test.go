package live_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"gavel/auction"
	"gavel/web/limit"
	"gavel/web/live"
	"gavel/web/request"
)

// Watchers that connect at random moments with random since values, while
// three bidders race over HTTP, each see every event after their since exactly
// once and in order, and each frame is byte for byte the event GET /events
// returns.
func TestLiveReplayThenLiveUnderConcurrentBidding(t *testing.T) {
	t.Parallel()
	e := liveSetup(t, live.HubConfig{})
	a := e.Bidding("住宅")
	bidders := []liveBidder{e.bidder(a.ID), e.bidder(a.ID), e.bidder(a.ID)}

	const attempts = 25
	var bidding sync.WaitGroup
	for _, b := range bidders {
		bidding.Go(func() {
			amount := a.StartPrice
			for range attempts {
				status, body := e.bidHTTP(t, b, a.ID, amount)
				state, _ := body["auction"].(map[string]any)
				if status == http.StatusCreated || state == nil || state["current_price"] == nil {
					amount += a.Increment
					continue
				}
				// Refused (outbid, or leading already): bid above the price now.
				amount = int64(state["current_price"].(float64)) + a.Increment
			}
		})
	}
	type watcher struct {
		since int64
		got   []liveFrame
	}
	watchers := make([]*watcher, 8)
	var watching sync.WaitGroup
	clients := make([]*liveClient, len(watchers))
	for i := range watchers {
		time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
		w := &watcher{since: rand.Int64N(e.seqOf(t, a.ID) + 1)}
		if i == 0 {
			w.since = 0
		}
		watchers[i] = w
		clients[i] = liveDial(t, e.srv.URL, a.ID, w.since, nil)
	}
	bidding.Wait()
	final := e.seqOf(t, a.ID)
	if final < 10 {
		t.Fatalf("only %d events: the bidders did not race", final)
	}
	for i, w := range watchers {
		watching.Go(func() {
			var err error
			if w.got, err = clients[i].eventsErr(w.since, final, 10*time.Second); err != nil {
				t.Errorf("watcher %d (since %d): %v", i, w.since, err)
			}
		})
	}
	watching.Wait()
	if t.Failed() {
		return
	}
	table := liveEventsJSON(t, e.srv.URL, a.ID)
	for i, w := range watchers {
		for _, f := range w.got {
			if want := table[*f.Seq-1]; !bytes.Equal(f.Raw, want) {
				t.Fatalf("watcher %d seq %d:\n got %s\nwant %s", i, *f.Seq, f.Raw, want)
			}
		}
		clients[i].quiet(50 * time.Millisecond)
	}
}

// A client that reconnects with since gets exactly the events it missed,
// then live ones; the greeting carries the snapshot and no seq.
func TestLiveReconnectWithSince(t *testing.T) {
	t.Parallel()
	e := liveSetup(t, live.HubConfig{})
	a := e.Bidding("住宅")
	bs := [2]liveBidder{e.bidder(a.ID), e.bidder(a.ID)}

	c := liveDial(t, e.srv.URL, a.ID, 0, nil)
	if c.hello["server_time"] == nil || c.hello["watchers"] != 1.0 {
		t.Fatalf("greeting: %v", c.hello)
	}
	snap, _ := c.hello["auction"].(map[string]any)
	if snap == nil || snap["ends_at"] == nil || snap["status"] != auction.StatusBidding || snap["server_time"] == nil {
		t.Fatalf("greeting snapshot: %v", c.hello)
	}
	opened := e.seqOf(t, a.ID)
	c.events(0, opened, 5*time.Second)
	seen := e.alternate(t, a.ID, bs, 3)
	c.events(opened, seen, 5*time.Second)
	c.ws.Close()

	last := e.alternate(t, a.ID, bs, 4)
	c = liveDial(t, e.srv.URL, a.ID, seen, nil)
	got := c.events(seen, last, 5*time.Second)
	if len(got) != 4 {
		t.Fatalf("got %d events, want 4", len(got))
	}
	c.quiet(50 * time.Millisecond)
	next := e.alternate(t, a.ID, bs, 1)
	c.events(last, next, 5*time.Second)

	// A change published without its events is read from the table.
	res, err := e.Store.PlaceBid(e.Ctx, auction.PlaceBid{AuctionID: a.ID, User: bs[0].user, Amount: a.StartPrice + 8*a.Increment, Key: "no-events"})
	if err != nil {
		t.Fatal(err)
	}
	e.hub.Publish(e.Ctx, auction.Change{AuctionID: a.ID})
	c.events(next, res.Bid.Seq, 5*time.Second)
}

// A client that stops reading is dropped once its queue is full, with a close
// frame telling it where to resume, while 100 others get every event.
func TestLiveStalledClientIsDropped(t *testing.T) {
	t.Parallel()
	e := liveSetup(t, live.HubConfig{QueueSize: 16, SocketBuffer: 4096})
	a := e.Bidding("住宅")
	bs := [2]liveBidder{e.bidder(a.ID), e.bidder(a.ID)}
	start := e.seqOf(t, a.ID)

	stalled, _, err := smallDialer.Dial(liveURL(e.srv.URL, a.ID, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()

	const others, bids = 100, 200
	final := start + bids // no bid is near the end: no extension events
	clients := make([]*liveClient, others)
	for i := range clients {
		clients[i] = liveDial(t, e.srv.URL, a.ID, start, nil)
	}
	var readers sync.WaitGroup
	for _, c := range clients {
		readers.Go(func() {
			if _, err := c.eventsErr(start, final, 30*time.Second); err != nil {
				t.Errorf("a healthy client: %v", err)
			}
		})
	}
	var bidding sync.WaitGroup
	bidding.Go(func() { e.alternate(t, a.ID, bs, bids) })

	// As soon as it is dropped the stalled client reads again (before the
	// server's write deadline gives up on it): a contiguous prefix, then the
	// close frame naming the last seq it was sent.
	liveEventually(t, 20*time.Second, "the stalled client to be dropped", func() bool {
		return liveMetric(t, e.srv.URL, "gavel_live_queue_drops_total") >= 1
	})
	sc := &liveClient{t: t, ws: stalled}
	var got int64
	for {
		f, err := sc.read(5 * time.Second)
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			if ce.Code != websocket.CloseTryAgainLater || !strings.HasSuffix(ce.Text, fmt.Sprintf("since=%d", got)) {
				t.Fatalf("close %d %q after seq %d", ce.Code, ce.Text, got)
			}
			break
		}
		if err != nil {
			t.Fatalf("after seq %d: %v", got, err)
		}
		if f.Seq == nil {
			continue
		}
		if *f.Seq != got+1 {
			t.Fatalf("stalled client got seq %d after %d", *f.Seq, got)
		}
		got = *f.Seq
	}
	bidding.Wait()
	readers.Wait()
	if t.Failed() {
		return
	}
	if got >= final {
		t.Fatalf("the stalled client got every event (%d): it was not stalled", got)
	}
	if drops := liveMetric(t, e.srv.URL, "gavel_live_queue_drops_total"); drops != 1 {
		t.Fatalf("%v subscribers dropped, want only the stalled one", drops)
	}
	// Resuming with the since it was told catches it up exactly.
	c := liveDial(t, e.srv.URL, a.ID, got, nil)
	c.events(got, final, 5*time.Second)
	c.quiet(50 * time.Millisecond)
}

// Two processes on one database: bids placed through A reach watchers on B,
// with B's backstop poll off so that only NOTIFY can carry them.
func TestLiveAcrossInstances(t *testing.T) {
	t.Parallel()
	A := liveSetup(t, live.HubConfig{})
	B := liveInstance(t, A.dbURL, A.Clock, live.HubConfig{PollEvery: time.Hour})
	a := A.Announced("住宅")
	bs := [2]liveBidder{A.bidder(a.ID), A.bidder(a.ID)}

	watchers := []*liveClient{liveDial(t, B.srv.URL, a.ID, 0, nil), liveDial(t, B.srv.URL, a.ID, 0, nil)}
	announced := A.seqOf(t, a.ID)
	for _, w := range watchers {
		w.events(0, announced, 5*time.Second)
	}
	A.Open(a) // the scheduler's path: Tick, then Publish
	opened := A.seqOf(t, a.ID)
	status, _ := A.bidHTTP(t, bs[0], a.ID, a.StartPrice)
	if status != http.StatusCreated {
		t.Fatalf("bid: %d", status)
	}
	status, _ = A.bidHTTP(t, bs[1], a.ID, a.StartPrice+a.Increment)
	if status != http.StatusCreated {
		t.Fatalf("bid: %d", status)
	}
	last := A.alternate(t, a.ID, bs, 10)
	for _, w := range watchers {
		got := w.events(announced, last, 5*time.Second)
		if typ := got[opened-announced-1].Type; typ != auction.EventOpened {
			t.Fatalf("seq %d is %s, want opened", opened, typ)
		}
	}
	if heard := liveMetric(t, B.srv.URL, "gavel_live_notifications_heard_total"); heard < 1 {
		t.Fatal("B heard no notification")
	}
}

// Killing the LISTEN connections loses no event for connected watchers: the
// listener reconnects and catches up from the table (the poll is off).
func TestLiveListenConnectionKilled(t *testing.T) {
	t.Parallel()
	A := liveSetup(t, live.HubConfig{PollEvery: time.Hour})
	B := liveInstance(t, A.dbURL, A.Clock, live.HubConfig{PollEvery: time.Hour})
	a := A.Bidding("住宅")
	bs := [2]liveBidder{A.bidder(a.ID), A.bidder(a.ID)}
	w := liveDial(t, B.srv.URL, a.ID, 0, nil)
	before := A.alternate(t, a.ID, bs, 3)
	w.events(0, before, 5*time.Second)

	listeners := func() int {
		var n int
		_ = A.Pool.QueryRow(A.Ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'gavel-live' AND datname = current_database()`).Scan(&n)
		return n
	}
	liveEventually(t, 5*time.Second, "both processes to listen", func() bool { return listeners() == 2 })
	if _, err := A.Pool.Exec(A.Ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'gavel-live' AND datname = current_database()`); err != nil {
		t.Fatal(err)
	}
	liveEventually(t, 5*time.Second, "B to notice", func() bool {
		return liveMetric(t, B.srv.URL, "gavel_live_listen_reconnects_total") >= 1
	})
	// B waits before reconnecting: these commit while nobody on B listens,
	// so their notifications are lost to it and only the catch-up after
	// the reconnect can deliver them.
	last := A.alternate(t, a.ID, bs, 5)
	w.events(before, last, 5*time.Second)
	// Notifications work again afterwards.
	liveEventually(t, 5*time.Second, "both processes to listen again", func() bool { return listeners() == 2 })
	after := A.alternate(t, a.ID, bs, 2)
	w.events(last, after, 5*time.Second)
}

// Bids over an authenticated socket go through the same core with the same
// codes and idempotency keys; replies carry a type and no seq.
func TestLiveBidsOverTheSocket(t *testing.T) {
	t.Parallel()
	e := liveSetup(t, live.HubConfig{})
	a := e.Bidding("住宅")
	b1, b2 := e.bidder(a.ID), e.bidder(a.ID)
	opened := e.seqOf(t, a.ID)
	c := liveDial(t, e.srv.URL, a.ID, opened, http.Header{"Authorization": {"Bearer " + b1.token}})

	c.send(fmt.Sprintf(`{"type":"bid","amount":%d,"idempotency_key":"k1"}`, a.StartPrice))
	r := c.reply()
	bid, _ := r["bid"].(map[string]any)
	if r["type"] != "bid_result" || r["seq"] != nil || bid == nil || bid["seq"] != float64(opened+1) || r["idempotency_key"] != "k1" || r["auction"] == nil {
		t.Fatalf("reply: %v", r)
	}
	// The bid is also an event on the feed.
	c.events(opened, opened+1, 5*time.Second)

	// The same key and body: the first answer again, nothing new placed.
	c.send(fmt.Sprintf(`{"type":"bid","amount":%d,"idempotency_key":"k1"}`, a.StartPrice))
	if r := c.reply(); r["type"] != "bid_result" || r["bid"].(map[string]any)["seq"] != float64(opened+1) {
		t.Fatalf("retry: %v", r)
	}
	c.quiet(50 * time.Millisecond)

	// A session cookie authenticates a browser's socket too.
	cookie := e.Token(b2.user, auction.TokenSession, time.Hour)
	c2 := liveDial(t, e.srv.URL, a.ID, opened+1, http.Header{"Cookie": {request.SessionCookie + "=" + cookie}})
	c2.send(fmt.Sprintf(`{"type":"bid","amount":%d,"idempotency_key":"c1"}`, a.StartPrice+a.Increment))
	if r := c2.reply(); r["type"] != "bid_result" {
		t.Fatalf("cookie bid: %v", r)
	}
	anon := liveDial(t, e.srv.URL, a.ID, 0, nil)

	for _, tc := range []struct {
		name   string
		client *liveClient
		frame  string
		code   string
	}{
		{"reused key", c, fmt.Sprintf(`{"type":"bid","amount":%d,"idempotency_key":"k1"}`, a.StartPrice+5*a.Increment), auction.EIdempotencyReused},
		{"too low", c, fmt.Sprintf(`{"type":"bid","amount":%d,"idempotency_key":"k2"}`, a.StartPrice+a.Increment), auction.EBidTooLow},
		{"off increment", c, fmt.Sprintf(`{"type":"bid","amount":%d,"idempotency_key":"k3"}`, a.StartPrice+2*a.Increment+1), auction.EBidNotOnIncrement},
		{"already leading", c2, fmt.Sprintf(`{"type":"bid","amount":%d,"idempotency_key":"c2"}`, a.StartPrice+3*a.Increment), auction.EAlreadyLeading},
		{"no key", c, fmt.Sprintf(`{"type":"bid","amount":%d}`, a.StartPrice+3*a.Increment), auction.EIdempotencyRequired},
		{"no amount", c, `{"type":"bid","idempotency_key":"k4"}`, auction.EInvalidField},
		{"unknown type", c, `{"type":"sell","amount":1,"idempotency_key":"k5"}`, auction.EInvalidRequest},
		{"unknown field", c, `{"type":"bid","amount":1,"idempotency_key":"k6","max":2}`, auction.EInvalidRequest},
		{"not JSON", c, `bid 100`, auction.EInvalidRequest},
		{"key in another case", c, fmt.Sprintf(`{"type":"bid","Amount":%d,"idempotency_key":"k8"}`, a.StartPrice+3*a.Increment), auction.EInvalidRequest},
		{"anonymous", anon, fmt.Sprintf(`{"type":"bid","amount":%d,"idempotency_key":"a1"}`, a.StartPrice+3*a.Increment), auction.EUnauthenticated},
	} {
		tc.client.send(tc.frame)
		r := tc.client.reply()
		errBody, _ := r["error"].(map[string]any)
		if r["type"] != "error" || r["seq"] != nil || errBody == nil || errBody["code"] != tc.code || errBody["message"] == "" {
			t.Fatalf("%s: %v", tc.name, r)
		}
		// Every refusal carries the auction's state, whatever refused it.
		if state, _ := r["auction"].(map[string]any); state == nil || state["seq"] == nil || state["current_price"] == nil {
			t.Fatalf("%s: no auction state in %v", tc.name, r)
		}
	}

	// A socket opened with a stale token watches like anyone; a bid on it is
	// refused with the reason.
	stale := liveDial(t, e.srv.URL, a.ID, 0, http.Header{"Authorization": {"Bearer not-a-token"}})
	stale.send(fmt.Sprintf(`{"type":"bid","amount":%d,"idempotency_key":"s1"}`, a.StartPrice+3*a.Increment))
	if r := stale.reply(); r["error"].(map[string]any)["code"] != auction.EUnauthenticated ||
		!strings.Contains(r["error"].(map[string]any)["message"].(string), "invalid, expired or revoked") {
		t.Fatalf("bid on a socket opened with a stale token: %v", r)
	}

	// Logging out ends bidding on sockets already open.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/auth/logout", nil)
	req.Header.Set("Authorization", "Bearer "+b1.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %v %v", res, err)
	}
	c.send(fmt.Sprintf(`{"type":"bid","amount":%d,"idempotency_key":"k7"}`, a.StartPrice+3*a.Increment))
	if r := c.reply(); r["error"].(map[string]any)["code"] != auction.EUnauthenticated {
		t.Fatalf("after logout: %v", r)
	}
}

// The handshake refusals answer in the API's JSON error vocabulary.
func TestLiveHandshakeRefusals(t *testing.T) {
	t.Parallel()
	e := liveSetup(t, live.HubConfig{})
	a := e.Bidding("住宅")
	draft := e.Drafted("住宅")
	ws := func(h http.Header) http.Header {
		h.Set("Connection", "Upgrade")
		h.Set("Upgrade", "websocket")
		h.Set("Sec-WebSocket-Version", "13")
		h.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		return h
	}
	cases := []struct {
		name   string
		path   string
		header http.Header
		status int
		code   string
	}{
		{"not a WebSocket", "/api/v1/auctions/" + a.ID + "/live", http.Header{}, 400, auction.EInvalidRequest},
		{"another site", "/api/v1/auctions/" + a.ID + "/live", ws(http.Header{"Origin": {"https://evil.example"}}), 403, auction.EForbidden},
		{"unknown auction", "/api/v1/auctions/00000000-0000-0000-0000-000000000000/live", ws(http.Header{}), 404, auction.ENotFound},
		{"malformed id", "/api/v1/auctions/nope/live", ws(http.Header{}), 404, auction.ENotFound},
		{"bad since", "/api/v1/auctions/" + a.ID + "/live?since=-1", ws(http.Header{}), 422, auction.EInvalidField},
		{"bad version", "/api/v1/auctions/" + a.ID + "/live", func() http.Header {
			h := ws(http.Header{})
			h.Set("Sec-WebSocket-Version", "8")
			return h
		}(), 400, auction.EInvalidRequest},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+tc.path, nil)
		req.Header = tc.header
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if err := json.Unmarshal(b, &body); err != nil || res.StatusCode != tc.status || body.Error.Code != tc.code {
			t.Fatalf("%s: %d %s", tc.name, res.StatusCode, b)
		}
	}

	// Same origin is welcome.
	u := strings.TrimPrefix(e.srv.URL, "http://")
	liveDial(t, e.srv.URL, a.ID, 0, http.Header{"Origin": {"http://" + u}})
	// A draft is public like every auction: its feed opens and waits for
	// the events that publishing and opening will bring.
	liveDial(t, e.srv.URL, draft.ID, 0, nil).ws.Close()

	// The process's limit refuses one connection too many with 503 (it is
	// not per address: many watchers share one), and a freed slot is reused.
	e.server.Limits().WebSockets = limit.NewConnLimiter(2)
	first := liveDial(t, e.srv.URL, a.ID, 0, nil)
	liveDial(t, e.srv.URL, a.ID, 0, nil)
	_, res, err := websocket.DefaultDialer.Dial(liveURL(e.srv.URL, a.ID, 0), nil)
	if err == nil || res == nil || res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("third connection: %v %v", res, err)
	}
	first.ws.Close()
	liveEventually(t, 5*time.Second, "a freed slot", func() bool {
		ws, _, err := websocket.DefaultDialer.Dial(liveURL(e.srv.URL, a.ID, 0), nil)
		if err == nil {
			ws.Close()
		}
		return err == nil
	})

	e.server.Limits().WebSockets = nil // no limit, as with --no-limits

	// A client frame over the read limit ends the connection, with the close
	// code 1009 (message too big) when the client is still reading by then;
	// the server may also close while the frame is still being written, and
	// the client then sees its connection reset.
	big := liveDial(t, e.srv.URL, a.ID, 0, nil)
	if err := big.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"bid","idempotency_key":"`+strings.Repeat("x", 8<<10)+`"}`)); err != nil {
		if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
			t.Fatalf("oversized frame: %v", err)
		}
		return
	}
	for {
		_, err := big.read(5 * time.Second)
		var ce *websocket.CloseError
		if errors.As(err, &ce) && ce.Code == websocket.CloseMessageTooBig || errors.Is(err, syscall.ECONNRESET) {
			break
		}
		if err != nil {
			t.Fatalf("oversized frame: %v", err)
		}
	}
}

// The watcher count is in the snapshot and the greeting; /metrics speaks the
// Prometheus text format.
func TestLiveWatchersAndMetrics(t *testing.T) {
	t.Parallel()
	e := liveSetup(t, live.HubConfig{})
	a := e.Bidding("住宅")
	b := e.bidder(a.ID)
	watchers := func() float64 {
		res, err := http.Get(e.srv.URL + "/api/v1/auctions/" + a.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(res.Body).Decode(&body)
		if body["seq"] == nil || body["server_time"] == nil {
			t.Fatalf("snapshot: %v", body)
		}
		return body["watchers"].(float64)
	}
	if n := watchers(); n != 0 {
		t.Fatalf("%v watchers before anyone connected", n)
	}
	// Two anonymous sockets from one address are one viewer; the greeting
	// counts its own connection.
	c1 := liveDial(t, e.srv.URL, a.ID, 0, nil)
	c2 := liveDial(t, e.srv.URL, a.ID, 0, nil)
	if c2.hello["watchers"] != 1.0 {
		t.Fatalf("greeting: %v", c2.hello)
	}
	// A signed-in viewer counts once however many sockets it opens.
	signedIn := http.Header{"Authorization": {"Bearer " + b.token}}
	c3 := liveDial(t, e.srv.URL, a.ID, 0, signedIn)
	if c3.hello["watchers"] != 2.0 {
		t.Fatalf("greeting: %v", c3.hello)
	}
	c4 := liveDial(t, e.srv.URL, a.ID, 0, signedIn)
	// One anonymous client opening many sockets does not inflate the count.
	many := make([]*liveClient, 50)
	for i := range many {
		many[i] = liveDial(t, e.srv.URL, a.ID, 0, nil)
	}
	// Another address (the proxy's X-Forwarded-For) is another viewer.
	c5 := liveDial(t, e.srv.URL, a.ID, 0, http.Header{"X-Forwarded-For": {"203.0.113.9"}})
	if n := watchers(); n != 3 {
		t.Fatalf("%v watchers, want 3", n)
	}
	for _, c := range append(many, c3, c4, c5) {
		c.ws.Close()
	}
	liveEventually(t, 5*time.Second, "the extra sockets gone", func() bool { return liveMetric(t, e.srv.URL, "gavel_live_connections") == 2 })
	if n := watchers(); n != 1 {
		t.Fatalf("%v watchers, want 1", n)
	}
	if status, _ := e.bidHTTP(t, b, a.ID, a.StartPrice); status != http.StatusCreated {
		t.Fatalf("bid: %d", status)
	}
	c1.events(0, e.seqOf(t, a.ID), 5*time.Second)
	c1.ws.Close()
	liveEventually(t, 5*time.Second, "one connection", func() bool { return liveMetric(t, e.srv.URL, "gavel_live_connections") == 1 })
	if n := watchers(); n != 1 {
		t.Fatalf("%v watchers, want 1: the other socket of the address is open", n)
	}

	res, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("content type %q", ct)
	}
	for _, want := range []string{
		"# TYPE gavel_live_connections gauge\ngavel_live_connections 1\n",
		"# TYPE gavel_live_queue_drops_total counter\n",
		"# TYPE gavel_bid_duration_seconds histogram\n",
		"gavel_bid_duration_seconds_bucket{le=\"+Inf\"} 1\n",
		"gavel_bid_duration_seconds_count 1\n",
	} {
		if !strings.Contains(string(body), want) {
			t.Fatalf("metrics lack %q:\n%s", want, body)
		}
	}
	if fanned := liveMetric(t, e.srv.URL, "gavel_live_events_fanned_out_total"); fanned < 2 {
		t.Fatalf("%v frames fanned out, want the bid to both watchers", fanned)
	}
}

// Closing the hub (server shutdown) closes every socket politely with where
// to resume.
func TestLiveShutdownClosesPolitely(t *testing.T) {
	t.Parallel()
	e := liveSetup(t, live.HubConfig{})
	a := e.Bidding("住宅")
	seq := e.seqOf(t, a.ID)
	c := liveDial(t, e.srv.URL, a.ID, 0, nil)
	c.events(0, seq, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() { e.hub.Close(ctx); close(done) }()
	_, err := c.read(5 * time.Second)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway || !strings.HasSuffix(ce.Text, fmt.Sprintf("since=%d", seq)) {
		t.Fatalf("close: %v", err)
	}
	<-done
	// A closing hub admits nobody.
	_, res, err := websocket.DefaultDialer.Dial(liveURL(e.srv.URL, a.ID, 0), nil)
	if err == nil || res == nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("after close: %v %v", res, err)
	}
}

// A bid posted to the auction's URL with its id in another UUID form still
// reaches the watchers at once (the poll is off).
func TestLiveAnyFormOfTheAuctionID(t *testing.T) {
	t.Parallel()
	e := liveSetup(t, live.HubConfig{PollEvery: time.Hour})
	a := e.Bidding("住宅")
	b := e.bidder(a.ID)
	opened := e.seqOf(t, a.ID)
	c := liveDial(t, e.srv.URL, a.ID, opened, nil)
	if status, body := e.bidHTTP(t, b, strings.ToUpper(a.ID), a.StartPrice); status != http.StatusCreated {
		t.Fatalf("bid: %d %v", status, body)
	}
	c.events(opened, opened+1, 5*time.Second)
}
