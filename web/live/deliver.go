package live

import (
	"errors"
	"net"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// Delivery. Bids come first: a bid's answer must never wait behind fan-out.
// So publishing only adds an event's frame to its topic (hub.go) and wakes a
// fixed number of writer goroutines (HubConfig.Writers, half the CPUs by
// default); they walk the topic's subscribers and write to each connection
// every frame it has not had yet, in one non-blocking system call. However
// many watchers there are, fan-out runs on that many goroutines, so the other
// CPUs stay free for the bid path, and a frame costs one write per
// connection: no per-connection queue, channel send or goroutine wake-up.
//
// A connection whose socket cannot take everything at once keeps the rest
// (lockedConn.pending) and a goroutine of the connection, poked (started
// then, see liveConn.wake), finishes the write and
// catches up, blocking as long as the client needs, never a writer. A
// connection busy with something else (its greeting and replay, a reply to a
// bid, a partial write) is poked too. A subscriber that falls further behind
// than the topic's ring is dropped and told where to resume.

// writer is one delivery goroutine; it serves the subscribers i, i+n, ... of
// every topic it is woken for.
type writer struct {
	i, n int
	wake chan struct{}

	mu    sync.Mutex
	dirty map[*topic]struct{}

	// scratch joins several frames into one write.
	scratch []byte
}

// yieldEvery is how many connections a writer serves before it lets other
// goroutines of its CPU run: a wake-up of the bid path waits for at most that
// many writes.
const yieldEvery = 128

func (h *Hub) startWriters() {
	n := h.cfg.Writers
	for i := range n {
		w := &writer{i: i, n: n, wake: make(chan struct{}, 1), dirty: map[*topic]struct{}{}}
		h.writers = append(h.writers, w)
		h.loops.Go(func() { w.run(h) })
	}
}

// wakeWriters tells every writer that t has new frames.
func (h *Hub) wakeWriters(t *topic) {
	for _, w := range h.writers {
		w.mu.Lock()
		w.dirty[t] = struct{}{}
		w.mu.Unlock()
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

func (w *writer) run(h *Hub) {
	for {
		select {
		case <-w.wake:
		case <-h.ctx.Done():
			return
		}
		if held := h.held.Load(); held != nil {
			<-*held
		}
		w.mu.Lock()
		dirty := w.dirty
		w.dirty = make(map[*topic]struct{}, len(dirty))
		w.mu.Unlock()
		for t := range dirty {
			w.push(t)
		}
	}
}

// view is a topic's frames as a writer or a connection reads them, copied
// under the topic's lock so that nobody holds it while writing.
type view struct {
	seq, base int64
	ring      []*frame
}

func (v *view) frame(seq int64) *frame { return v.ring[seq%int64(len(v.ring))] }

// view copies the topic's frames, and its subscriber list when subs is set.
func (t *topic) view(subs bool) (view, []*subscriber) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v := view{seq: t.seq, base: t.base, ring: append([]*frame(nil), t.ring...)}
	if !subs {
		return v, nil
	}
	if t.list == nil {
		t.list = make([]*subscriber, 0, len(t.subs))
		for s := range t.subs {
			t.list = append(t.list, s)
		}
	}
	return v, t.list
}

// drop ends a subscriber that fell further behind than the ring: its
// connection closes telling the client where to resume.
func (t *topic) drop(s *subscriber) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.subs[s]; ok {
		s.end(t, websocket.CloseTryAgainLater)
		t.hub.metrics.drops.Add(1)
	}
}

// push brings this writer's share of t's subscribers up to t's seq.
func (w *writer) push(t *topic) {
	v, subs := t.view(true)
	served := 0
	for i := w.i; i < len(subs); i += w.n {
		s := subs[i]
		sent := s.sent.Load()
		if sent >= v.seq {
			continue
		}
		if s.live.Load() && sent+1 < v.base {
			t.drop(s)
			continue
		}
		if !s.wmu.TryLock() {
			s.poke()
			continue
		}
		w.write(s, &v)
		s.wmu.Unlock()
		if served++; served%yieldEvery == 0 {
			runtime.Gosched()
		}
	}
}

// write sends s every frame after its sent without blocking (under s.wmu).
func (w *writer) write(s *subscriber, v *view) {
	from := s.sent.Load() + 1
	if from < v.base || s.conn == nil {
		s.poke() // the connection replays or drops it
		return
	}
	var b []byte
	if from == v.seq {
		b = v.frame(from).wire
	} else {
		w.scratch = w.scratch[:0]
		for seq := from; seq <= v.seq; seq++ {
			w.scratch = append(w.scratch, v.frame(seq).wire...)
		}
		b = w.scratch
	}
	switch s.conn.tryWrite(b) {
	case writeDone:
		s.sent.Store(v.seq)
		s.topic.hub.metrics.fannedOut.Add(uint64(v.seq - from + 1))
	case writeQueued:
		s.sent.Store(v.seq)
		s.topic.hub.metrics.fannedOut.Add(uint64(v.seq - from + 1))
		s.poke()
	case writeBusy:
		s.poke()
	}
}

// lockedConn is the socket of a WebSocket, shared by the library (the
// greeting, replay, replies and control frames), the connection's goroutines
// and the writers, which write live frames prepared once for all
// connections directly. The lock keeps every frame whole; pending is the rest
// of a frame a non-blocking write could not finish, which goes out before
// anything else.
type lockedConn struct {
	net.Conn
	// raw writes without blocking; nil when the socket has no descriptor
	// (the writers then leave every write to the connection).
	raw     syscall.RawConn
	mu      sync.Mutex
	pending []byte
}

func (c *lockedConn) setConn(conn net.Conn) {
	c.Conn = conn
	if sc, ok := conn.(syscall.Conn); ok {
		c.raw, _ = sc.SyscallConn()
	}
}

// Write is the library's: whole frames, after what is pending.
func (c *lockedConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.flush(); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}

// flush writes what is pending (under c.mu), blocking until the write
// deadline, and lets go of its memory.
func (c *lockedConn) flush() error {
	if len(c.pending) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.pending)
	c.pending = nil
	return err
}

type writeOutcome int

const (
	// writeDone: the socket took everything.
	writeDone writeOutcome = iota
	// writeQueued: the socket took part; the rest is pending.
	writeQueued
	// writeBusy: nothing was written (the socket is in use or has a
	// pending rest); the connection must write it (poke).
	writeBusy
)

// tryWrite writes b without ever blocking, for a writer.
func (c *lockedConn) tryWrite(b []byte) writeOutcome {
	if c.raw == nil || !c.mu.TryLock() {
		return writeBusy
	}
	defer c.mu.Unlock()
	if len(c.pending) > 0 {
		return writeBusy
	}
	var n int
	var werr error
	err := c.raw.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), b)
			if !errors.Is(werr, syscall.EINTR) {
				return true // never wait for the socket
			}
		}
	})
	if err != nil || (werr != nil && !errors.Is(werr, syscall.EAGAIN)) {
		// The connection is gone; its goroutine's next write finds out.
		return writeBusy
	}
	n = max(n, 0)
	if n == len(b) {
		return writeDone
	}
	c.pending = append([]byte(nil), b[n:]...)
	return writeQueued
}

// writeFrames writes what is pending, then frames, in one system call
// (writev on TCP), blocking until the write deadline.
func (c *lockedConn) writeFrames(frames net.Buffers) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.Conn.SetWriteDeadline(time.Now().Add(writeWait))
	if len(c.pending) > 0 {
		frames = append(net.Buffers{c.pending}, frames...)
		c.pending = nil
	}
	if len(frames) == 0 {
		return nil
	}
	if _, err := frames.WriteTo(c.Conn); err != nil {
		return errWrite
	}
	return nil
}
