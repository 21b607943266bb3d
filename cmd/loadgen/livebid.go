package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Bidding over the live socket, as the auction page does: each bidder holds
// its own authenticated WebSocket to GET /auctions/{id}/live and sends
// {"type":"bid","amount":N,"idempotency_key":"..."} on it; the server answers
// each with a bid_result or an error frame carrying the key, while the
// socket also brings every event of the auction, as it does to the page.

var liveDialer = &websocket.Dialer{
	NetDialContext:   (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
	HandshakeTimeout: 30 * time.Second,
	ReadBufferSize:   4096,
	WriteBufferSize:  512,
}

// liveBidder is one bidder's socket. It has one bid in flight at a time,
// as a page does (its buttons wait for the answer).
type liveBidder struct {
	conn    *websocket.Conn
	answers chan liveAnswer
}

// liveAnswer is a frame answering a bid.
type liveAnswer struct {
	typ, key string
	raw      []byte
}

// dialLive opens bidder token's socket to auctionID's live feed on base,
// replaying nothing before since.
func dialLive(ctx context.Context, base, auctionID, token string, since int64) (*liveBidder, error) {
	url := fmt.Sprintf("ws%s/api/v1/auctions/%s/live?since=%d", strings.TrimPrefix(base, "http"), auctionID, since)
	conn, resp, err := liveDialer.DialContext(ctx, url, http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("live socket: %v (HTTP %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("live socket: %w", err)
	}
	// One answer waits at most: the one to the bid in flight.
	lb := &liveBidder{conn: conn, answers: make(chan liveAnswer, 1)}
	go lb.read()
	return lb, nil
}

// read takes every frame the server sends: events (the page applies them;
// here the price is learnt from the answers, as over HTTP, so that the two
// ways differ only in how the bid travels), the greeting, and the answers,
// which it hands to bid.
func (lb *liveBidder) read() {
	defer close(lb.answers)
	for {
		_, data, err := lb.conn.ReadMessage()
		if err != nil {
			return
		}
		if _, event := frameSeq(data); event {
			continue
		}
		var f struct {
			Type string `json:"type"`
			Key  string `json:"idempotency_key"`
		}
		if json.Unmarshal(data, &f) != nil || (f.Type != "bid_result" && f.Type != "error") {
			continue
		}
		lb.answers <- liveAnswer{typ: f.Type, key: f.Key, raw: data}
	}
}

// bid sends one bid frame, priced as it is written, and waits for its
// answer. The answer is given as HTTP would: 201 for a bid_result; the
// error frames carry no status, so a refusal counts as 409 whatever its code
// and a fault of the server (internal) as 500.
func (lb *liveBidder) bid(ctx context.Context, key string, amount func() int64) (int, *bidReply, error) {
	frame, err := json.Marshal(struct {
		Type   string `json:"type"`
		Amount int64  `json:"amount"`
		Key    string `json:"idempotency_key"`
	}{"bid", amount(), key})
	if err != nil {
		return 0, nil, err
	}
	_ = lb.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := lb.conn.WriteMessage(websocket.TextMessage, frame); err != nil {
		return 0, nil, err
	}
	for {
		select {
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		case a, ok := <-lb.answers:
			if !ok {
				return 0, nil, errors.New("the live socket closed")
			}
			if a.key != key {
				continue
			}
			var r bidReply
			if err := json.Unmarshal(a.raw, &r); err != nil {
				return 0, nil, err
			}
			switch {
			case a.typ == "bid_result" && r.Bid != nil:
				return http.StatusCreated, &r, nil
			case a.typ == "error" && r.Error != nil && r.Error.Code != "internal":
				return http.StatusConflict, &r, nil
			}
			return http.StatusInternalServerError, &r, nil
		}
	}
}

// liveBidders are the sockets of a run's bidders, by token.
type liveBidders map[string]*liveBidder

// dialBidders opens a socket for each token on auctionID, 16 at a time.
func dialBidders(ctx context.Context, base, auctionID string, tokens []string, since int64) (liveBidders, error) {
	socks := make([]*liveBidder, len(tokens))
	err := forEach(ctx, len(tokens), 16, func(ctx context.Context, i int) error {
		lb, err := dialLive(ctx, base, auctionID, tokens[i], since)
		socks[i] = lb
		return err
	})
	lbs := liveBidders{}
	for i, lb := range socks {
		if lb != nil {
			lbs[tokens[i]] = lb
		}
	}
	if err != nil {
		lbs.close()
		return nil, err
	}
	return lbs, nil
}

// bid is a sendBid: each bidder's bid goes on its own socket.
func (lbs liveBidders) bid(ctx context.Context, token, _, key string, amount func() int64) (int, *bidReply, error) {
	lb := lbs[token]
	if lb == nil {
		return 0, nil, errors.New("no live socket for this bidder")
	}
	return lb.bid(ctx, key, amount)
}

// close closes every socket and waits for their readers.
func (lbs liveBidders) close() {
	var wg sync.WaitGroup
	for _, lb := range lbs {
		_ = lb.conn.Close()
		wg.Go(func() {
			for range lb.answers {
			}
		})
	}
	wg.Wait()
}
