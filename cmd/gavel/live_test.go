package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"gavel/auction"
)

// liveSocket is a WebSocket client of an auction's live feed.
type liveSocket struct {
	t  testing.TB
	ws *websocket.Conn
}

// liveConnect opens the feed of auctionID on the server at base and reads
// the greeting.
func liveConnect(t testing.TB, base, auctionID string, since int64, who *account) *liveSocket {
	t.Helper()
	h := http.Header{}
	if who != nil {
		h.Set("Authorization", "Bearer "+who.token)
	}
	u := fmt.Sprintf("ws%s/api/v1/auctions/%s/live?since=%d", strings.TrimPrefix(base, "http"), auctionID, since)
	ws, res, err := websocket.DefaultDialer.Dial(u, h)
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", u, err, res)
	}
	t.Cleanup(func() { ws.Close() })
	s := &liveSocket{t: t, ws: ws}
	if hello := s.frame(); hello["type"] != "hello" || hello["seq"] != nil {
		t.Fatalf("greeting: %v", hello)
	}
	return s
}

func (s *liveSocket) frame() map[string]any {
	s.t.Helper()
	m, err := s.read()
	if err != nil {
		s.t.Fatal(err)
	}
	return m
}

func (s *liveSocket) read() (map[string]any, error) {
	_ = s.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, b, err := s.ws.ReadMessage()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

// upTo reads frames until the event with seq upTo, checking that events come
// one by one from from+1, and returns their types; other frames are returned
// in replies.
func (s *liveSocket) upTo(from, upTo int64) (types []string, replies []map[string]any) {
	s.t.Helper()
	for want := from + 1; want <= upTo; {
		f := s.frame()
		seq, ok := f["seq"].(float64)
		if !ok {
			replies = append(replies, f)
			continue
		}
		if int64(seq) != want {
			s.t.Fatalf("got seq %v, want %d", seq, want)
		}
		types = append(types, f["type"].(string))
		want++
	}
	return types, replies
}

// Two `gavel serve` processes on one database behave as one: the test clock
// moved through A opens the auction and A's bids reach watchers on B, a bid
// over a socket on B reaches watchers on A, and shutting a process down
// closes its sockets with where to resume.
func TestLiveAcrossProcesses(t *testing.T) {
	t.Parallel()
	A := newServer(t)
	B, _ := startOn(t, A.m.Config.DatabaseURL)
	a := A.auction(t, lotSpec{})
	b1, _ := A.bidder(t, "")
	b2, _ := A.bidder(t, "")
	A.qualify(t, b1, a.ID)
	A.qualify(t, b2, a.ID)

	onB := liveConnect(t, B.URL(), a.ID, 0, nil)
	onA := liveConnect(t, A.url, a.ID, 0, nil)
	announced := A.view(t, a.ID).Seq
	onB.upTo(0, announced)
	onA.upTo(0, announced)

	A.setClock(t, a.StartsAt) // the scheduler's tick publishes the opening
	wantStatus(t, A.bid(t, b1, a.ID, a.StartPrice), http.StatusCreated)
	wantStatus(t, A.bid(t, b2, a.ID, a.StartPrice+a.Increment), http.StatusCreated)
	last := A.view(t, a.ID).Seq
	if types, _ := onB.upTo(announced, last); strings.Join(types, ",") != "opened,bid,bid" {
		t.Fatalf("B's watcher got %v", types)
	}

	// A bid over a socket on B reaches A's watchers.
	bidder := liveConnect(t, B.URL(), a.ID, last, b1)
	if err := bidder.ws.WriteJSON(map[string]any{"type": "bid", "amount": a.StartPrice + 2*a.Increment, "idempotency_key": "over-b"}); err != nil {
		t.Fatal(err)
	}
	if _, replies := bidder.upTo(last, last+1); len(replies) > 1 {
		t.Fatalf("replies: %v", replies)
	}
	if types, _ := onA.upTo(announced, last+1); types[len(types)-1] != auction.EventBid {
		t.Fatalf("A's watcher got %v", types)
	}

	// A process shutting down says goodbye with where to resume.
	C := liveMain(t, A.m.Config.DatabaseURL)
	onC := liveConnect(t, C.URL(), a.ID, 0, nil)
	onC.upTo(0, last+1)
	done := make(chan error, 1)
	go func() { done <- C.Close() }()
	_, err := onC.read()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway || !strings.HasSuffix(ce.Text, fmt.Sprintf("since=%d", last+1)) {
		t.Fatalf("close on shutdown: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// liveMain starts a Main on dbURL that the test closes itself.
func liveMain(t testing.TB, dbURL string) *Main {
	t.Helper()
	m := NewMain()
	m.Config.Addr = "127.0.0.1:0"
	m.Config.DatabaseURL = dbURL
	m.Config.TestClock = true
	m.Config.TickInterval = time.Hour
	m.Log = slog.New(slog.DiscardHandler)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m
}
