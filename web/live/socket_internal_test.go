package live

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// The frames written directly to the socket are read by the library's client
// as the same text messages, at each length encoding.
func TestLiveTextFrame(t *testing.T) {
	t.Parallel()
	sizes := []int{0, 1, 125, 126, 300, 65535, 65536, 70000}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for _, n := range sizes {
			if _, err := ws.NetConn().Write(textFrame(bytes.Repeat([]byte{'x'}, n))); err != nil {
				return
			}
		}
		_, _, _ = ws.ReadMessage() // until the client leaves
	}))
	defer srv.Close()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	for _, n := range sizes {
		typ, got, err := ws.ReadMessage()
		if err != nil || typ != websocket.TextMessage || !bytes.Equal(got, bytes.Repeat([]byte{'x'}, n)) {
			t.Fatalf("%d bytes: got type %d, %d bytes, %v", n, typ, len(got), err)
		}
	}
}

// Notifications are coalesced per auction (the highest seq, or 0 when a
// change came without events, which makes listeners look themselves) and
// split into payloads PostgreSQL accepts.
func TestLiveNotesCoalesce(t *testing.T) {
	t.Parallel()
	n := notes{pending: map[string]int64{}, wake: make(chan struct{}, 1)}
	n.add("a", 5)
	n.add("a", 7)
	n.add("a", 6)
	n.add("b", 0)
	n.add("b", 9)
	n.add("c", 3)
	n.add("c", 0)
	got := n.take()
	if len(got) != 1 {
		t.Fatalf("payloads: %q", got)
	}
	entries := map[string]bool{}
	for e := range strings.SplitSeq(got[0], ",") {
		entries[e] = true
	}
	if len(entries) != 3 || !entries["a:7"] || !entries["b:0"] || !entries["c:0"] {
		t.Fatalf("payload %q, want a:7, b:0 and c:0", got[0])
	}
	if again := n.take(); len(again) != 0 {
		t.Fatalf("taken twice: %q", again)
	}

	const many = 1000
	for i := range many {
		n.add(fmt.Sprintf("%08d-0000-0000-0000-000000000000", i), int64(i+1))
	}
	seen := 0
	for _, p := range n.take() {
		if len(p) > maxPayload {
			t.Fatalf("a payload of %d bytes", len(p))
		}
		seen += strings.Count(p, ",") + 1
	}
	if seen != many {
		t.Fatalf("%d entries sent, want %d", seen, many)
	}
}

// Ids in any UUID form find the topic keyed by the database's form.
func TestLiveCanonicalID(t *testing.T) {
	t.Parallel()
	const want = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
	for _, id := range []string{want, strings.ToUpper(want), "{" + want + "}", strings.ReplaceAll(want, "-", "")} {
		if got := canonicalID(id); got != want {
			t.Errorf("canonicalID(%q) = %q", id, got)
		}
	}
	for _, id := range []string{"", "nope", want + "0", "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"} {
		if got := canonicalID(id); got != id {
			t.Errorf("canonicalID(%q) = %q, want it unchanged", id, got)
		}
	}
}
