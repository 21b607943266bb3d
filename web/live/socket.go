package live

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/web/limit"
	"gavel/web/request"
)

const (
	// writeWait bounds every write: a client that cannot take a frame in this
	// time is gone.
	writeWait = 10 * time.Second
	// pingEvery keeps the connection alive through proxies that close idle
	// connections after a minute, and proves the client is still there.
	pingEvery = 25 * time.Second
	// pongWait is how long the client may stay silent (no pong, no frame).
	pongWait = 60 * time.Second
	// closeWait is how long a polite close waits for the client's close frame.
	closeWait = time.Second
	// maxClientFrame bounds what a client may send: bid commands are tiny.
	maxClientFrame = 4 << 10
	// bidTimeout bounds a bid placed over the socket.
	bidTimeout = 10 * time.Second
	// replayPage is how many events one replay read takes from the table.
	replayPage = 1000
)

// upgrader keeps idle connections small: a 512-byte read buffer and write
// buffers lent from a pool only while writing (live frames need none). The
// origin is checked before upgrading (see handleLive) so that a refusal can
// answer in JSON.
var upgrader = websocket.Upgrader{
	ReadBufferSize:  512,
	WriteBufferSize: 4096,
	WriteBufferPool: &sync.Pool{},
	CheckOrigin:     func(*http.Request) bool { return true },
	Error: func(w http.ResponseWriter, _ *http.Request, status int, reason error) {
		var body request.ErrorBody
		body.Error.Code = request.EchoCodes[status]
		if body.Error.Code == "" {
			body.Error.Code = auction.EInvalidRequest
		}
		body.Error.Message = reason.Error()
		w.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	},
}

// allWebSockets is the one key of the live connection limit: the process.
const allWebSockets = ""

// Socket is the live feed's WebSocket endpoint: it admits connections within
// the server's limits, subscribes them to the hub and takes bids sent on them.
type Socket struct {
	hub    *Hub
	store  Store
	log    *slog.Logger
	limits *limit.Limits
}

// NewSocket serves hub's feed within limits (WebSockets per process, bids
// per account).
func NewSocket(hub *Hub, limits *limit.Limits) *Socket {
	return &Socket{hub: hub, store: hub.store, log: hub.log, limits: limits}
}

// Serve is GET /api/v1/auctions/{id}/live?since=N: every event after N
// from the table, then each new event as it commits, one text frame each,
// none skipped or repeated. Frames that are not events (the greeting, bid
// replies, errors) carry "type" and never "seq".
func (s *Socket) Serve(c echo.Context) error {
	r := c.Request()
	if !websocket.IsWebSocketUpgrade(r) {
		return auction.Errorf(auction.EInvalidRequest, "this is a WebSocket endpoint: open it with a WebSocket client")
	}
	// Browsers always send Origin on a WebSocket handshake, so this check is
	// also what keeps another site from bidding with a visitor's session cookie.
	if !sameOrigin(r) {
		return auction.Errorf(auction.EForbidden, "only this site's pages may open the live feed")
	}
	since, err := request.QueryInt(c, "since", 0)
	if err != nil {
		return err
	}
	a, err := s.store.Auction(r.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	release, ok := s.limits.WebSockets.Acquire(allWebSockets)
	if !ok {
		c.Response().Header().Set("Retry-After", "1")
		return auction.Errorf(auction.EUnavailable, "this server holds as many live connections as it can; reconnect in a moment")
	}
	done, err := s.hub.admit()
	if err != nil {
		release()
		return err
	}
	var userID string
	if sess := request.Session(c); sess != nil {
		userID = sess.User.ID
	}
	// Subscribe before replaying: whatever commits during the replay waits in
	// the topic, and the connection skips what the replay already sent.
	sub := s.hub.subscribe(a.ID, a.Seq, since, viewerKey(userID, c.RealIP()))
	end := func() {
		s.hub.unsubscribe(sub)
		done()
		release()
	}
	conn := &lockedConn{}
	ws, err := upgrader.Upgrade(hijacker{ResponseWriter: c.Response(), conn: conn}, r, nil)
	if err != nil {
		end()
		return nil // the upgrader has answered
	}
	c.Response().Status = http.StatusSwitchingProtocols
	if tc, ok := conn.Conn.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(s.hub.cfg.SocketBuffer)
	}
	sub.conn = conn
	l := &liveConn{s: s, ws: ws, conn: conn, sub: sub, auctionID: a.ID, token: request.Token(c), authErr: request.AuthFailure(c),
		// Bids over the socket are recorded with the client's address and
		// device, like bids over HTTP.
		ctx: auction.WithOrigin(context.Background(), auction.OriginFrom(r.Context()))}
	sub.owner.Store(l)
	// The connection lives on in a goroutine of its own. Returning lets
	// net/http drop the request's buffers and this goroutine's deep stack,
	// which would otherwise be most of an idle connection's memory.
	go l.serve(a, end)
	return nil
}

// sameOrigin admits pages of this site (Origin's host is the Host the request
// was sent to) and non-browser clients, which send no Origin.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// liveConn is one WebSocket. One goroutine greets and replays, then reads
// the client's frames and answers its bids; live frames are written by the
// hub's writers (deliver.go), and whatever they cannot write without
// waiting (a slow socket, a busy one) and the closing frame by a goroutine
// started when needed (wake). An idle connection is one goroutine blocked
// in a read, and a timer for its pings.
type liveConn struct {
	s  *Socket
	ws *websocket.Conn
	// conn is the socket under ws, for writing live frames directly.
	conn      *lockedConn
	sub       *subscriber
	auctionID string
	// token is re-checked on every bid, so a logout ends bidding on open sockets too.
	token string
	// authErr is why the credentials the socket was opened with were
	// refused (a stale token), the answer to a bid sent on it.
	authErr error
	// ctx carries the client's origin to the store; it outlives the request.
	ctx context.Context
	// flushing is set while a goroutine started by wake runs.
	flushing atomic.Bool
	// pinger pings the client every pingEvery.
	pinger atomic.Pointer[time.Timer]
	// shut makes the end of the connection happen once; closing is set
	// from then on, and frames the client still sends are not acted on.
	shut    sync.Once
	closing atomic.Bool
}

// serve greets and replays, then reads until the connection ends and calls
// done.
func (l *liveConn) serve(a *auction.Auction, done func()) {
	sub := l.sub
	// wmu is held from subscribe on: nobody else writes live frames until
	// the replay is done.
	err := l.start(a)
	sub.wmu.Unlock()
	switch {
	case errors.Is(err, errWrite):
		l.close(0, "")
	case err != nil:
		l.close(websocket.CloseTryAgainLater, l.resume("the record cannot be read now"))
	case sub.dirty.Load():
		l.wake()
	}
	// The reading goes on in a fresh goroutine: this one's stack grew for
	// the greeting and the replay, and an idle connection should keep only
	// what a blocked read needs.
	go func() {
		defer done()
		l.pinger.Store(time.AfterFunc(pingEvery, l.ping))
		l.read()
		l.pinger.Load().Stop()
		_ = l.ws.Close()
	}()
}

// ping proves the client is still there every pingEvery, and keeps idle
// connections open through proxies.
func (l *liveConn) ping() {
	if l.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)) != nil {
		l.close(0, "")
		return
	}
	l.pinger.Load().Reset(pingEvery)
}

// resume is a close reason telling the client where to resume.
func (l *liveConn) resume(why string) string {
	return fmt.Sprintf("%s; reconnect with since=%d", why, l.sub.sent.Load())
}

// close ends the connection once: with a close frame (code, reason) the
// client has closeWait to answer before the read ends; with code 0 the
// connection is gone and is just closed.
func (l *liveConn) close(code int, reason string) {
	l.shut.Do(func() {
		l.closing.Store(true)
		if code != 0 {
			msg := websocket.FormatCloseMessage(code, reason)
			if l.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeWait)) == nil {
				_ = l.ws.SetReadDeadline(time.Now().Add(closeWait))
				return
			}
		}
		_ = l.ws.Close()
	})
}

// wake starts a goroutine that brings the connection up to date, or closes
// it once its subscriber is stopped, unless one runs already. It takes pokes
// that came while it ran, so none is lost.
func (l *liveConn) wake() {
	if !l.flushing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		sub := l.sub
		for {
			sub.dirty.Store(false)
			sub.wmu.Lock()
			err := l.catchUp()
			sub.wmu.Unlock()
			select {
			case <-sub.stop:
				if sub.why == websocket.CloseGoingAway {
					l.close(websocket.CloseGoingAway, l.resume("server restarting"))
				} else {
					l.close(websocket.CloseTryAgainLater, l.resume("too slow"))
				}
			default:
				switch {
				case errors.Is(err, errWrite):
					l.close(0, "")
				case err != nil:
					l.close(websocket.CloseTryAgainLater, l.resume("the record cannot be read now"))
				}
			}
			l.flushing.Store(false)
			if !sub.dirty.Load() || !l.flushing.CompareAndSwap(false, true) {
				return
			}
		}
	}()
}

// errWrite marks a failed write: the connection is gone and owed no close frame.
var errWrite = errors.New("write failed")

func (l *liveConn) send(b []byte) error {
	_ = l.ws.SetWriteDeadline(time.Now().Add(writeWait))
	if err := l.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		return errWrite
	}
	return nil
}

// start sends the greeting and the replay and brings the connection up to
// its topic, under sub.wmu.
func (l *liveConn) start(a *auction.Auction) error {
	a.ServerTime = l.s.store.Clock().Now()
	watchers := l.s.hub.Watchers(a.ID)
	hello, err := json.Marshal(HelloFrame{Type: "hello", ServerTime: a.ServerTime, Watchers: watchers,
		Auction: Snapshot{Auction: a, Watchers: watchers}})
	if err != nil {
		return err
	}
	if err := l.send(hello); err != nil {
		return err
	}
	last := l.sub.sent.Load()
	err = l.replay(&last)
	l.sub.sent.Store(last)
	if err != nil {
		return err
	}
	if err := l.catchUp(); err != nil {
		return err
	}
	// From now on the writers serve it; an event they passed over while it
	// was not live yet is caught up here.
	l.sub.live.Store(true)
	return l.catchUp()
}

// catchUp writes every event after sub.sent up to its topic's seq, blocking
// as long as the socket needs (under sub.wmu): from the topic's frames, or
// from the table for what they no longer hold while replaying. A live
// subscriber that fell further behind than that is dropped.
func (l *liveConn) catchUp() error {
	sub := l.sub
	t := sub.topic
	for {
		select {
		case <-sub.stop:
			return nil // write returns with the close code
		default:
		}
		v, _ := t.view(false)
		sent := sub.sent.Load()
		if sent >= v.seq {
			return l.conn.writeFrames(nil) // what is pending
		}
		if sent+1 < v.base {
			if sub.live.Load() {
				t.drop(sub)
				return nil
			}
			last := sent
			err := l.replay(&last)
			sub.sent.Store(last)
			if err != nil {
				return err
			}
			continue
		}
		frames := make(net.Buffers, 0, v.seq-sent)
		for seq := sent + 1; seq <= v.seq; seq++ {
			frames = append(frames, v.frame(seq).wire)
		}
		if err := l.conn.writeFrames(frames); err != nil {
			return err
		}
		sub.sent.Store(v.seq)
		t.hub.metrics.fannedOut.Add(uint64(v.seq - sent))
	}
}

// hijacker hands the upgrader the socket wrapped in a lockedConn.
type hijacker struct {
	http.ResponseWriter
	conn *lockedConn
}

func (h hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn.setConn(c)
	return h.conn, brw, nil
}

// replay sends every event after *last from the table and advances *last.
func (l *liveConn) replay(last *int64) error {
	for {
		ctx, cancel := context.WithTimeout(l.s.hub.ctx, 10*time.Second)
		events, more, err := l.s.store.Events(ctx, l.auctionID, *last, replayPage)
		cancel()
		if err != nil {
			l.s.log.Warn("live feed: replay failed", "auction_id", l.auctionID, "err", err)
			return err
		}
		for _, e := range events {
			b, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if err := l.send(b); err != nil {
				return err
			}
			*last = e.Seq
		}
		if !more {
			return nil
		}
	}
}

// read handles the client's frames until the connection ends: pongs (by the
// library), close, and bid commands, each answered at once, not behind the
// fan-out.
func (l *liveConn) read() {
	l.ws.SetReadLimit(maxClientFrame)
	_ = l.ws.SetReadDeadline(time.Now().Add(pongWait))
	l.ws.SetPongHandler(func(string) error { return l.ws.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		_, data, err := l.ws.ReadMessage()
		if err != nil {
			return
		}
		if l.closing.Load() {
			continue // until the client's close frame or closeWait
		}
		_ = l.ws.SetReadDeadline(time.Now().Add(pongWait))
		// A bid's time is the moment its frame was read (Art. 20).
		arrival := l.s.store.Arrive()
		reply := l.command(data, arrival)
		arrival.Release()
		l.sub.wmu.Lock()
		err = l.send(reply)
		l.sub.wmu.Unlock()
		if err != nil {
			l.close(0, "")
			return
		}
	}
}

// BidCommand is a client frame {"type":"bid","amount":N,"idempotency_key":"..."}.
type BidCommand struct {
	Type   string `json:"type"`
	Amount *int64 `json:"amount"`
	Key    string `json:"idempotency_key"`
}

// command places a bid sent over the socket through the same store call as
// POST /auctions/{id}/bids, with the same codes, and returns the reply frame.
func (l *liveConn) command(data []byte, arrival *auction.Arrival) []byte {
	var cmd BidCommand
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	// Keys match exactly, as in HTTP bodies (request.Bind): encoding/json alone
	// would take "Amount" for "amount".
	if err := dec.Decode(&cmd); err != nil || dec.More() || request.UnknownKey(data, cmd) {
		return l.errorFrame("", auction.Errorf(auction.EInvalidRequest, "send a JSON object like {\"type\":\"bid\",\"amount\":N,\"idempotency_key\":\"...\"}"))
	}
	if cmd.Type != "bid" {
		return l.errorFrame(cmd.Key, auction.Errorf(auction.EInvalidRequest, "unknown command type %q; the only one is \"bid\"", cmd.Type))
	}
	start := time.Now()
	defer func() { l.s.hub.metrics.bids.observe(time.Since(start)) }()
	ctx, cancel := context.WithTimeout(l.ctx, bidTimeout)
	defer cancel()
	if l.token == "" {
		if l.authErr != nil {
			return l.errorFrame(cmd.Key, l.authErr)
		}
		return l.errorFrame(cmd.Key, auction.Errorf(auction.EUnauthenticated, "sign in first: open the socket with Authorization: Bearer <token> or a session cookie"))
	}
	sess, err := l.s.hub.Session(ctx, l.token)
	if err != nil {
		return l.errorFrame(cmd.Key, err)
	}
	if ok, retry := l.s.limits.Bids.Allow(sess.User.ID); !ok {
		return l.errorFrame(cmd.Key, auction.Errorf(auction.ERateLimited, "too many bids; try again in %.1f s", retry.Seconds()))
	}
	if cmd.Amount == nil {
		return l.errorFrame(cmd.Key, auction.FieldError("amount", "is required (fen)"))
	}
	res, err := l.s.store.PlaceBid(ctx, auction.PlaceBid{AuctionID: l.auctionID, User: sess.User, Amount: *cmd.Amount, Key: cmd.Key, Arrival: arrival})
	if err != nil {
		return l.errorFrame(cmd.Key, err)
	}
	b, err := json.Marshal(BidReply{Type: "bid_result", Key: cmd.Key, BidResult: res})
	if err != nil {
		return l.errorFrame(cmd.Key, err)
	}
	return b
}

// errorFrame is a refusal as the HTTP API would write it, with a type. A
// refusal made before the bid core saw the bid (the frame, the sign-in)
// still carries the auction's state, as over HTTP (Bidding.RefuseBid).
func (l *liveConn) errorFrame(key string, err error) []byte {
	err = l.s.store.RefuseBid(l.ctx, l.auctionID, err)
	_, body, fault := request.Describe(err, l.s.store.Unavailable)
	if fault == request.Internal {
		l.s.log.Error("live feed: bid failed", "auction_id", l.auctionID, "err", err)
	}
	b, _ := json.Marshal(ErrorFrame{Type: "error", Key: key, ErrorBody: body})
	return b
}

// HelloFrame greets a new connection: the auction now and the server's time,
// from which pages count down.
type HelloFrame struct {
	Type       string    `json:"type"`
	ServerTime time.Time `json:"server_time"`
	Watchers   int       `json:"watchers"`
	Auction    Snapshot  `json:"auction"`
}

// BidReply answers a bid sent over the socket like POST /bids answers 201.
type BidReply struct {
	Type string `json:"type"`
	Key  string `json:"idempotency_key"`
	*auction.BidResult
}

// ErrorFrame answers a refused command like the HTTP API's error body.
type ErrorFrame struct {
	Type string `json:"type"`
	Key  string `json:"idempotency_key,omitempty"`
	request.ErrorBody
}

// Snapshot is the public auction with how many watch it live on this
// process (approximate across processes, which is all a page needs).
type Snapshot struct {
	*auction.Auction
	Watchers int `json:"watchers"`
}

// WithWatchers adds the live watcher count to GET /api/v1/auctions/{id}
// by wrapping the handler's context: the handler stays the one source of the
// snapshot.
func (h *Hub) WithWatchers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error { return next(watchersContext{Context: c, hub: h}) }
}

type watchersContext struct {
	echo.Context
	hub *Hub
}

func (c watchersContext) JSON(code int, i any) error {
	if a, ok := i.(*auction.Auction); ok {
		i = Snapshot{Auction: a, Watchers: c.hub.Watchers(a.ID)}
	}
	return c.Context.JSON(code, i)
}
