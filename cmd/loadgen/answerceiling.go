package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
)

// The answer ceiling: how many bid answers per second the machine can carry
// at all between these bidders and a server, over HTTP or the live socket,
// measured with the same client against a server that refuses every bid at
// once, with a refusal of the size Gavel sends. One-click bidders each bid once per price level (each
// bids the price it saw plus one step, and only one bid per level can win),
// so accepted bids per second can be at most this ceiling divided by the
// bidders, however cheaply the bids were decided. On the live socket each
// price level also brings every bidder the level's bid event (API.md: every
// event on every live connection), so there the server sends, after every n
// answers (one level of n bidders), an event frame of the size Gavel sends to
// each of the n sockets: what any server must carry per level, and no more.

// refusalBody is a bid_too_low answer as Gavel writes it (API.md, "Errors"),
// with the auction state every bid refusal carries.
var refusalBody = []byte(`{"error":{"code":"bid_too_low","message":"a bid must be at least the current price plus one increment",` +
	`"auction":{"id":"6f1c2b4e-0000-4000-8000-000000000000","status":"bidding","current_price":1000000,"leader_code":"B-7K2Q",` +
	`"seq":4242,"ends_at":"2026-12-07T10:00:00Z","bid_count":4241,"watchers":128}}}`)

// refusalFrame is the same refusal as an error frame on the live socket
// (web/live ErrorFrame), around the bid's key.
var refusalFrame = [2][]byte{[]byte(`{"type":"error","idempotency_key":"`), []byte(`","error":{"code":"bid_too_low",` +
	`"message":"a bid must be at least the current price plus one increment"},"auction":{"current_price":1000000,` +
	`"leader_code":"B-7K2Q","ends_at":"2026-12-07T10:00:00Z","seq":4242,"status":"bidding"}}`)}

// levelEvent is a bid event frame as Gavel sends it on the live feed.
var levelEvent = []byte(`{"seq":4243,"type":"bid","at":"2026-12-07T09:55:14Z","data":{"amount":1000100,` +
	`"bidder_code":"BN3QM8","ends_at":"2026-12-07T10:00:00Z","priority":false}}`)

var ceilingUpgrader = websocket.Upgrader{ReadBufferSize: 512, WriteBufferSize: 4096, WriteBufferPool: &sync.Pool{}}

// ceilingSocket is one bidder's socket on the refusing server: its answers
// and the broadcast events are written under mu, one writer at a time.
type ceilingSocket struct {
	mu sync.Mutex
	ws *websocket.Conn
}

func (c *ceilingSocket) write(frame []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, frame)
}

// ceilingLevels counts the refusing server's answers and, after every n
// of them, sends the level's event to every socket.
type ceilingLevels struct {
	n       int64
	answers atomic.Int64
	mu      sync.Mutex
	sockets map[*ceilingSocket]bool
}

func (l *ceilingLevels) join(c *ceilingSocket) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sockets[c] = true
}

func (l *ceilingLevels) leave(c *ceilingSocket) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.sockets, c)
}

// answered counts one answer and ends the level after every n.
func (l *ceilingLevels) answered() {
	if l.answers.Add(1)%l.n != 0 {
		return
	}
	l.mu.Lock()
	sockets := make([]*ceilingSocket, 0, len(l.sockets))
	for c := range l.sockets {
		sockets = append(sockets, c)
	}
	l.mu.Unlock()
	for _, c := range sockets {
		_ = c.write(levelEvent) // a failed socket ends its own handler
	}
}

// answerCeiling runs n bidders for d against a server that refuses at once,
// over HTTP or, with live, each on its own WebSocket, and returns the
// answers per second.
func answerCeiling(ctx context.Context, n int, d time.Duration, live bool) (float64, error) {
	levels := &ceilingLevels{n: int64(n), sockets: map[*ceilingSocket]bool{}}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/api/v1/auctions/:id/bids", func(c echo.Context) error {
		var in struct {
			Amount int64 `json:"amount"`
		}
		if err := c.Bind(&in); err != nil {
			return err
		}
		return c.Blob(http.StatusConflict, echo.MIMEApplicationJSON, refusalBody)
	})
	e.GET("/api/v1/auctions/:id/live", func(c echo.Context) error {
		ws, err := ceilingUpgrader.Upgrade(c.Response(), c.Request(), nil)
		if err != nil {
			return nil // the upgrader has answered
		}
		defer ws.Close()
		sock := &ceilingSocket{ws: ws}
		levels.join(sock)
		defer levels.leave(sock)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return nil
			}
			var cmd struct {
				Type   string `json:"type"`
				Amount int64  `json:"amount"`
				Key    string `json:"idempotency_key"`
			}
			if err := json.Unmarshal(data, &cmd); err != nil {
				return nil
			}
			frame := append(append(append(make([]byte, 0, 320), refusalFrame[0]...), cmd.Key...), refusalFrame[1]...)
			if err := sock.write(frame); err != nil {
				return nil
			}
			levels.answered()
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	c := newClient("http://" + ln.Addr().String())
	send := c.bid
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("token-%d", i)
	}
	if live {
		lbs, err := dialBidders(ctx, c.base, "auction", tokens, 0)
		if err != nil {
			return 0, err
		}
		defer lbs.close()
		send = lbs.bid
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var answers atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for _, token := range tokens {
		wg.Go(func() {
			for ctx.Err() == nil {
				status, reply, err := send(ctx, token, "auction", "key", fixed(1000100))
				if ctx.Err() != nil {
					return
				}
				if err != nil || status != http.StatusConflict || reply.Error == nil {
					first.CompareAndSwap(nil, errors.New("the answer ceiling's server answered unexpectedly"))
					return
				}
				answers.Add(1)
			}
		})
	}
	wg.Wait()
	if err, ok := first.Load().(error); ok {
		return 0, err
	}
	return float64(answers.Load()) / time.Since(start).Seconds(), nil
}
