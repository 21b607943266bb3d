package live_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"gavel/web/live"
)

// smallDialer opens sockets that take little in their kernel buffer, so that
// a client that stops reading stalls after a few dozen frames rather than
// after megabytes.
var smallDialer = websocket.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return errors.Join(err, serr)
	}}
	return d.Dial(network, addr)
}}

// Bids first: while delivery makes no progress at all (the hub's writers are
// held, as if fan-out had every CPU it may use, and a set of consumers never
// reads), bids over HTTP and over the socket are still answered, each from
// its own request. Once delivery resumes, every healthy watcher gets every
// event exactly once and in order.
func TestLiveBidsAnsweredWhileDeliveryIsSaturated(t *testing.T) {
	t.Parallel()
	e := liveSetup(t, live.HubConfig{QueueSize: 256, SocketBuffer: 4096})
	a := e.Bidding("住宅")
	bs := [2]liveBidder{e.bidder(a.ID), e.bidder(a.ID)}
	start := e.seqOf(t, a.ID)

	const healthy, stalled = 20, 20
	watchers := make([]*liveClient, healthy)
	for i := range watchers {
		watchers[i] = liveDial(t, e.srv.URL, a.ID, start, nil)
	}
	for range stalled {
		ws, _, err := smallDialer.Dial(liveURL(e.srv.URL, a.ID, start), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close() // never read
	}
	release := live.HoldDelivery(e.hub)
	released := false
	defer func() {
		if !released {
			release()
		}
	}()

	// Bids over HTTP, each answered 201 although no frame goes out.
	const bids = 40
	amount := a.StartPrice
	for i := range bids {
		if status, body := e.bidHTTP(t, bs[i%2], a.ID, amount); status != http.StatusCreated {
			t.Fatalf("bid %d while delivery is held: %d %v", i, status, body)
		}
		amount += a.Increment
	}
	// And over a socket: the reply is its connection's own, not fan-out's.
	sock := liveDial(t, e.srv.URL, a.ID, start+bids, http.Header{"Authorization": {"Bearer " + bs[0].token}})
	sock.send(fmt.Sprintf(`{"type":"bid","amount":%d,"idempotency_key":"held"}`, amount))
	if r := sock.reply(); r["type"] != "bid_result" {
		t.Fatalf("socket bid while delivery is held: %v", r)
	}
	final := e.seqOf(t, a.ID)
	if final != start+bids+1 {
		t.Fatalf("seq %d after %d bids from %d", final, bids+1, start)
	}

	release()
	released = true
	var wg sync.WaitGroup
	for _, w := range watchers {
		wg.Go(func() {
			if _, err := w.eventsErr(start, final, 30*time.Second); err != nil {
				t.Errorf("a healthy watcher: %v", err)
			}
		})
	}
	wg.Wait()
	for _, w := range watchers[:3] {
		w.quiet(50 * time.Millisecond)
	}
}
