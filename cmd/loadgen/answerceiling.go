package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
)

// The answer ceiling: how many bid answers per second the machine can carry
// at all between these bidders and an HTTP server, measured with the same
// client against a server that refuses every bid at once, with a refusal of
// the size Gavel sends. One-click bidders each bid once per price level (each
// bids the price it saw plus one step, and only one bid per level can win),
// so accepted bids per second can be at most this ceiling divided by the
// bidders, however cheaply the bids were decided.

// refusalBody is a bid_too_low answer as Gavel writes it (API.md, "Errors"),
// with the auction state every bid refusal carries.
var refusalBody = []byte(`{"error":{"code":"bid_too_low","message":"a bid must be at least the current price plus one increment",` +
	`"auction":{"id":"6f1c2b4e-0000-4000-8000-000000000000","status":"bidding","current_price":1000000,"leader_code":"B-7K2Q",` +
	`"seq":4242,"ends_at":"2026-12-07T10:00:00Z","bid_count":4241,"watchers":128}}}`)

// answerCeiling runs n bidders for d against a server that refuses at once,
// and returns the answers per second.
func answerCeiling(ctx context.Context, n int, d time.Duration) (float64, error) {
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	c := newClient("http://" + ln.Addr().String())
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var answers atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range n {
		wg.Go(func() {
			for ctx.Err() == nil {
				status, reply, err := c.bid(ctx, "token", "auction", "key", fixed(1000100))
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
