package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gavel/migrations/dbtest"
)

// TestRunAllScenarios runs a tiny version of every scenario against two
// `gavel serve` processes built from this tree, on a fresh database, and
// checks the figures a run must get right whatever the machine: bids were
// accepted and the ceiling measured, no watcher lost or repeated an event,
// and every auction of the storm closed exactly once.
func TestRunAllScenarios(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", dir, "gavel/cmd/gavel")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build gavel: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"-gavel", filepath.Join(dir, "gavel"), "-database-url", dbtest.URL(t), "-json",
		"-duration", "1s", "-bidders", "4", "-hot-bids", "ladder,click,click-http", "-half-rate-bidders", "4", "-lots", "6", "-many-bidders", "4",
		"-watchers", "20,40", "-sources", "2", "-fanout-rate", "20", "-fanout-duration", "1s", "-storm", "30", "-ceiling-max-conns", "4"},
		&stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("JSON output: %v\n%s", err, stdout.String())
	}
	for _, row := range append(rep.HotLot, rep.ManyLots...) {
		if row.Accepted <= 0 || row.Ceiling <= 0 || row.Ratio <= 0 {
			t.Errorf("%s: %+v", row.Scenario, row)
		}
	}
	// Every way of bidding on the hot lot: the ladder, one click on the live
	// socket and one click over HTTP; each one-click row with the answer
	// ceiling of its own way.
	if len(rep.HotLot) != 3 || len(rep.ManyLots) != 1 || rep.HalfRate == nil || rep.HalfRate.Offered <= 0 {
		t.Fatalf("bidding rows: hot %+v, many %d, half rate %+v", rep.HotLot, len(rep.ManyLots), rep.HalfRate)
	}
	for i, want := range []string{"hot lot", "hot lot, one click", "hot lot, one click over HTTP"} {
		row := rep.HotLot[i]
		click := i > 0
		if row.Scenario != want || row.Bidders != 4 || (row.AnswerCeiling > 0) != click ||
			math.Abs(row.Bound-row.AnswerCeiling/4) > 0.1 || click && row.Refused+row.Accepted <= row.Accepted {
			t.Errorf("hot lot row %d, want %q: %+v", i, want, row)
		}
	}
	// Two fan-out runs: the second must not trip over the first's bids.
	if len(rep.Fanout) != 2 {
		t.Fatalf("fan-out rows: %+v", rep.Fanout)
	}
	for i, fo := range rep.Fanout {
		w := int64(20 * (i + 1))
		if int64(fo.Connected) != w || fo.Events == 0 || fo.Deliveries != w*fo.Events || fo.Lost != 0 || fo.Duplicates != 0 || fo.RSSAfterMiB <= 0 ||
			fo.SendP99ms <= 0 || fo.SendP99ms < fo.P99ms || fo.ServerMicrosPerDelivery <= 0 {
			t.Errorf("fan-out: %+v", fo)
		}
	}
	if s := rep.Storm; s == nil || s.Servers != 2 || s.ClosedOnce != 30 || s.NotOnce != 0 || s.StillOpen != 0 || s.Sold != 3 {
		t.Errorf("close storm: %+v", rep.Storm)
	}
}

func TestFlagRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-gavel", "g", "-database-url", ""}, "-database-url"},
		{[]string{"-database-url", "postgres://x"}, "-gavel PATH"},
		{[]string{"-database-url", "postgres://x", "-gavel", "g", "-url", "http://x"}, "not both"},
		{[]string{"-database-url", "postgres://x", "-url", "http://x"}, "-clerk-email"},
		{[]string{"-database-url", "postgres://x", "-gavel", "g", "-scenarios", "hot,warm"}, "unknown scenario"},
		{[]string{"-database-url", "postgres://x", "-gavel", "g", "-bidders", "8,x"}, "-bidders"},
		{[]string{"-database-url", "postgres://x", "-gavel", "g", "-servers", "0"}, "-servers"},
	} {
		_, err := parseFlags(tc.args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error about %s", tc.args, err, tc.want)
		}
	}
}

func TestShortKeepsExplicitFlags(t *testing.T) {
	c, err := parseFlags([]string{"-database-url", "postgres://x", "-gavel", "g", "-short", "-storm", "50"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.storm != 50 || c.lots != 200 || c.duration != 3*time.Second || len(c.watchers) != 1 {
		t.Fatalf("short config: %+v", c)
	}
}

func TestHistogramQuantiles(t *testing.T) {
	t.Parallel()
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, time.Second}} {
		got := h.quantile(tc.q)
		if got < tc.want || float64(got) > float64(tc.want)*1.021 {
			t.Errorf("q%.2f = %v, want %v within 2%%", tc.q, got, tc.want)
		}
	}
	var empty histogram
	if empty.quantile(0.5) != 0 {
		t.Error("an empty histogram has no quantiles")
	}
	h.add(-time.Second) // clock skew: counted as instant
	if h.quantile(0.0001) != histMin {
		t.Errorf("smallest bucket: %v", h.quantile(0.0001))
	}
}

func TestFrameSeq(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		frame string
		seq   int64
		ok    bool
	}{
		{`{"seq":42,"type":"bid","at":"2026-01-01T00:00:00Z","data":{}}`, 42, true},
		{`{"type":"hello","auction":{"seq":7}}`, 0, false},
		{`{"type":"bid_result","bid":{"seq":9}}`, 0, false},
		{`{"type":"x","seq":5}`, 5, true},
		{`not json`, 0, false},
	} {
		seq, ok := frameSeq([]byte(tc.frame))
		if seq != tc.seq || ok != tc.ok {
			t.Errorf("%s: %d %v", tc.frame, seq, ok)
		}
	}
}

// TestMain lets this test binary serve as the fan-out's bidder process,
// which loadgen starts from its own executable (bidchild.go).
func TestMain(m *testing.M) {
	if len(os.Args) == 2 && os.Args[1] == "-fanout-bidder" {
		if err := runBidder(context.Background(), os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen bidder:", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}
