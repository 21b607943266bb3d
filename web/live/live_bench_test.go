package live_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"gavel/auction"
	"gavel/web/live"
)

// The live benchmarks put the watchers in a child process (this test binary
// running TestLiveWatcherProcess): the server's figures are then its own, and
// each process may open as many files as the limit allows, which 10,000
// watchers with both ends in one process would exceed here.

// benchWatchers is how many watchers the live benchmarks connect: 1,000 by
// default; GAVEL_BENCH_WATCHERS=1000,10000 adds 10,000 (a minute of setup).
func benchWatchers(b *testing.B) []int {
	v := os.Getenv("GAVEL_BENCH_WATCHERS")
	if v == "" {
		return []int{1000}
	}
	var ns []int
	for f := range strings.SplitSeq(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("GAVEL_BENCH_WATCHERS=%q: want a comma-separated list of counts", v)
		}
		ns = append(ns, n)
	}
	return ns
}

// deliveryBids is how many bids one benchmark operation places: five seconds
// of bidding at 20 a second, so that the figures are of a steady state.
const deliveryBids = 100

// BenchmarkLiveDelivery measures how long an accepted bid takes from its
// commit to its arrival at every watcher of the auction, with bids placed at
// 20 a second. Server and watchers share this machine's CPUs.
func BenchmarkLiveDelivery(b *testing.B) {
	for _, n := range benchWatchers(b) {
		b.Run(fmt.Sprintf("watchers=%d", n), func(b *testing.B) { benchDelivery(b, n) })
	}
}

func benchDelivery(b *testing.B, watchers int) {
	e := liveSetup(b, live.HubConfig{})
	a := e.Bidding("住宅")
	bs := [2]liveBidder{e.bidder(a.ID), e.bidder(a.ID)}
	start := e.seqOf(b, a.ID)
	bids := b.N * deliveryBids
	final := start + int64(bids) // bids far from the end: no extension events
	w := startWatchers(b, "deliver", e.srv.URL, a.ID, watchers, start, final)

	commits := make([]string, 0, bids)
	amount, leader := a.StartPrice, ""
	pace := time.NewTicker(50 * time.Millisecond)
	defer pace.Stop()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := range bids {
		<-pace.C
		who := bs[0]
		if who.code == leader {
			who = bs[1]
		}
		res, err := e.Store.PlaceBid(e.Ctx, auction.PlaceBid{AuctionID: a.ID, User: who.user, Amount: amount, Key: fmt.Sprintf("bench-%d", i)})
		if err != nil {
			b.Fatal(err)
		}
		commits = append(commits, fmt.Sprintf("%d %d\n", res.Bid.Seq, time.Now().UnixNano()))
		e.hub.Publish(e.Ctx, auction.Change{AuctionID: a.ID, Events: res.Events})
		leader, amount = who.code, amount+a.Increment
	}
	// The rate reached: below 20 when the machine cannot keep up.
	b.ReportMetric(float64(bids)/b.Elapsed().Seconds(), "bids/s")
	// The watchers answer once every one of them has every bid.
	for _, c := range commits {
		if _, err := io.WriteString(w.stdin, c); err != nil {
			b.Fatal(err)
		}
	}
	w.stdin.Close()
	result := w.line(b, "result")
	b.StopTimer()
	server := cpuTime() - cpu0
	var p50, p99, worst, client float64
	if _, err := fmt.Sscanf(result, "result %g %g %g %g", &p50, &p99, &worst, &client); err != nil {
		b.Fatalf("watchers said %q: %v", result, err)
	}
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(p99, "p99-ms")
	b.ReportMetric(worst, "max-ms")
	// CPU per delivered frame, whatever else the machine is doing: what the
	// server (bids included) and the watchers' side each spend.
	deliveries := float64(bids * watchers)
	b.ReportMetric(float64(server.Microseconds())/deliveries, "server-us/delivery")
	b.ReportMetric(client/deliveries, "client-us/delivery")
}

// BenchmarkLiveIdleMemory measures what an idle watcher costs the server:
// heap and goroutine stacks per connection (kernel socket buffers aside).
func BenchmarkLiveIdleMemory(b *testing.B) {
	for _, n := range benchWatchers(b) {
		b.Run(fmt.Sprintf("watchers=%d", n), func(b *testing.B) { benchIdleMemory(b, n) })
	}
}

func benchIdleMemory(b *testing.B, watchers int) {
	e := liveSetup(b, live.HubConfig{})
	a := e.Bidding("住宅")
	for range b.N {
		heap0, stack0 := inUse()
		w := startWatchers(b, "idle", e.srv.URL, a.ID, watchers, 0, 0)
		liveEventually(b, time.Minute, "every watcher subscribed", func() bool { return e.hub.Connections(a.ID) == watchers })
		heap1, stack1 := inUse()
		perConn := func(d uint64) float64 { return float64(d) / float64(watchers) / 1024 }
		b.ReportMetric(perConn(heap1+stack1-heap0-stack0), "KiB/conn")
		b.ReportMetric(perConn(stack1-stack0), "stack-KiB/conn")
		w.stdin.Close()
		liveEventually(b, time.Minute, "every watcher gone", func() bool { return e.hub.Connections(a.ID) == 0 })
	}
}

// cpuTime is the CPU time this process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// inUse is the heap and stack memory in use after full collections (stacks
// shrink at collections, so several run).
func inUse() (heap, stack uint64) {
	var m runtime.MemStats
	for range 3 {
		runtime.GC()
	}
	runtime.ReadMemStats(&m)
	return m.HeapInuse, m.StackInuse
}

// watcherProc is the child process holding the watchers.
type watcherProc struct {
	stdin io.WriteCloser
	out   *bufio.Scanner
}

// startWatchers starts the child and waits until its watchers are connected.
func startWatchers(b *testing.B, mode, base, auctionID string, n int, since, final int64) *watcherProc {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLiveWatcherProcess$", "-test.count=1", "-test.timeout=30m")
	cmd.Env = append(os.Environ(), fmt.Sprintf("GAVEL_LIVE_WATCHERS=%s %s %s %d %d %d",
		mode, strings.TrimPrefix(base, "http://"), auctionID, n, since, final))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	w := &watcherProc{stdin: stdin, out: bufio.NewScanner(stdout)}
	w.line(b, "ready")
	return w
}

// line waits for the child's line starting with prefix.
func (w *watcherProc) line(b *testing.B, prefix string) string {
	b.Helper()
	for w.out.Scan() {
		if strings.HasPrefix(w.out.Text(), prefix) {
			return w.out.Text()
		}
	}
	b.Fatalf("the watcher process ended without %q: %v", prefix, w.out.Err())
	return ""
}

// TestLiveWatcherProcess is the watcher side of the live benchmarks, run by
// them in a child process; on its own it skips. It connects the watchers,
// says "ready", and then either holds them until stdin closes ("idle") or
// times every bid's arrival and, given the commit times on stdin, prints the
// delivery latency percentiles ("deliver").
func TestLiveWatcherProcess(t *testing.T) {
	spec := os.Getenv("GAVEL_LIVE_WATCHERS")
	if spec == "" {
		t.Skip("the watcher side of BenchmarkLiveDelivery and BenchmarkLiveIdleMemory")
	}
	var mode, host, auctionID string
	var n int
	var since, final int64
	if _, err := fmt.Sscan(spec, &mode, &host, &auctionID, &n, &since, &final); err != nil {
		t.Fatalf("GAVEL_LIVE_WATCHERS=%q: %v", spec, err)
	}
	bids := int(final - since)
	arrived := make([][]int64, n) // per watcher, unix ns of each bid's arrival
	var ready, done sync.WaitGroup
	for i := range n {
		c, r, err := rawWatcher(host, auctionID, since)
		if err != nil {
			t.Fatalf("watcher %d: %v", i, err)
		}
		defer c.Close()
		if mode == "idle" {
			continue
		}
		arrived[i] = make([]int64, bids)
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			buf := make([]byte, 0, 512)
			_, err := readFrame(c, r, buf) // the greeting
			ready.Done()
			for err == nil {
				var msg []byte
				if msg, err = readFrame(c, r, buf); err != nil {
					break
				}
				if seq := frameSeq(msg); seq > since {
					arrived[i][seq-since-1] = time.Now().UnixNano()
					if seq == final {
						return
					}
				}
			}
			t.Errorf("watcher %d: %v", i, err)
		}()
	}
	ready.Wait()
	fmt.Println("ready")
	cpu0 := cpuTime()
	if mode == "idle" {
		_, _ = io.Copy(io.Discard, os.Stdin)
		return
	}
	committed := make([]int64, bids)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var seq, at int64
		if _, err := fmt.Sscan(in.Text(), &seq, &at); err != nil {
			t.Fatal(err)
		}
		committed[seq-since-1] = at
	}
	done.Wait()
	lat := make([]int64, 0, n*bids)
	for _, a := range arrived {
		for j, at := range a {
			lat = append(lat, at-committed[j])
		}
	}
	slices.Sort(lat)
	ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / 1e6 }
	fmt.Printf("result %.2f %.2f %.2f %d\n", ms(0.50), ms(0.99), ms(1), (cpuTime() - cpu0).Microseconds())
}

// frameSeq reads the seq of an event frame ({"seq":N,...}) without decoding
// the rest; other frames give 0.
func frameSeq(msg []byte) int64 {
	rest, ok := bytes.CutPrefix(msg, []byte(`{"seq":`))
	if !ok {
		return 0
	}
	end := bytes.IndexByte(rest, ',')
	n, _ := strconv.ParseInt(string(rest[:max(end, 0)]), 10, 64)
	return n
}

// rawWatcher opens the feed with a hand-written handshake: a client that
// costs little, so that the machine's CPUs go to the server.
func rawWatcher(host, auctionID string, since int64) (net.Conn, *bufio.Reader, error) {
	c, err := net.Dial("tcp", host)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(c, "GET /api/v1/auctions/%s/live?since=%d HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", auctionID, since, host)
	r := bufio.NewReaderSize(c, 1024)
	res, err := http.ReadResponse(r, nil)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		c.Close()
		return nil, nil, fmt.Errorf("handshake: %s", res.Status)
	}
	return c, r, nil
}

// readFrame reads the next data frame (server frames are unmasked and, here,
// never fragmented), answering pings so the server keeps the connection.
func readFrame(c net.Conn, r *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		var h [2]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return nil, err
		}
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var l [2]byte
			if _, err := io.ReadFull(r, l[:]); err != nil {
				return nil, err
			}
			n = uint64(binary.BigEndian.Uint16(l[:]))
		case 127:
			var l [8]byte
			if _, err := io.ReadFull(r, l[:]); err != nil {
				return nil, err
			}
			n = binary.BigEndian.Uint64(l[:])
		}
		buf = slices.Grow(buf[:0], int(n))[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		switch h[0] & 0x0f {
		case websocket.PingMessage:
			// A pong with an empty payload, masked with a zero key.
			if _, err := c.Write([]byte{0x8a, 0x80, 0, 0, 0, 0}); err != nil {
				return nil, err
			}
		case websocket.CloseMessage:
			return nil, fmt.Errorf("closed: %q", buf)
		default:
			return buf, nil
		}
	}
}
