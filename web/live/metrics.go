package live

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
)

// metrics are the live feed's and the bid path's counters, served at
// GET /metrics in the Prometheus text exposition format. The format is written
// by hand: a dozen counters and one histogram do not justify the official
// client library's dependency tree, and the text format is a small, stable,
// documented contract that any Prometheus-compatible scraper reads.
type metrics struct {
	connections        atomic.Int64
	connectionsTotal   atomic.Uint64
	fannedOut          atomic.Uint64
	drops              atomic.Uint64
	catchUps           atomic.Uint64
	notifiesSent       atomic.Uint64
	notificationsHeard atomic.Uint64
	listenReconnects   atomic.Uint64
	bids               *histogram
}

func newMetrics() *metrics {
	return &metrics{bids: newHistogram(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)}
}

// histogram counts observations into fixed buckets without locks, so the bid
// path never waits on it.
type histogram struct {
	bounds []float64 // upper bounds in seconds, increasing
	counts []atomic.Uint64
	count  atomic.Uint64
	nanos  atomic.Int64
}

func newHistogram(bounds ...float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
}

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(h.bounds) && s > h.bounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.count.Add(1)
	h.nanos.Add(int64(d))
}

// write appends the histogram in the text format; buckets are cumulative.
func (h *histogram) write(b *strings.Builder, name, help string) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	var cum uint64
	for i, bound := range h.bounds {
		cum += h.counts[i].Load()
		fmt.Fprintf(b, "%s_bucket{le=\"%s\"} %d\n", name, strconv.FormatFloat(bound, 'g', -1, 64), cum)
	}
	cum += h.counts[len(h.bounds)].Load()
	fmt.Fprintf(b, "%s_bucket{le=\"+Inf\"} %d\n", name, cum)
	fmt.Fprintf(b, "%s_sum %s\n", name, strconv.FormatFloat(float64(h.nanos.Load())/1e9, 'g', -1, 64))
	fmt.Fprintf(b, "%s_count %d\n", name, h.count.Load())
}

// WriteMetric appends one gauge or counter in the text format.
func WriteMetric(b *strings.Builder, name, kind, help string, v any) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n%s %v\n", name, help, name, kind, name, v)
}

// WriteMetrics appends the live feed's and the bid path's counters in the
// text format; GET /metrics serves them.
func (h *Hub) WriteMetrics(b *strings.Builder) {
	m := h.metrics
	WriteMetric(b, "gavel_live_connections", "gauge", "Open live WebSocket connections.", m.connections.Load())
	WriteMetric(b, "gavel_live_connections_total", "counter", "Live WebSocket connections accepted.", m.connectionsTotal.Load())
	WriteMetric(b, "gavel_live_auctions_watched", "gauge", "Auctions with live watchers on this process.", len(h.watched()))
	WriteMetric(b, "gavel_live_events_fanned_out_total", "counter", "Event frames queued to live subscribers.", m.fannedOut.Load())
	WriteMetric(b, "gavel_live_queue_drops_total", "counter", "Subscribers dropped because their send queue was full.", m.drops.Load())
	WriteMetric(b, "gavel_live_catch_ups_total", "counter", "Reads of the events table to catch a watched auction up.", m.catchUps.Load())
	WriteMetric(b, "gavel_live_notifies_sent_total", "counter", "NOTIFY payloads sent to other processes.", m.notifiesSent.Load())
	WriteMetric(b, "gavel_live_notifications_heard_total", "counter", "Notifications received on the LISTEN connection.", m.notificationsHeard.Load())
	WriteMetric(b, "gavel_live_listen_reconnects_total", "counter", "Times the LISTEN connection was lost and reopened.", m.listenReconnects.Load())
	m.bids.write(b, "gavel_bid_duration_seconds", "Time to answer a bid (HTTP or WebSocket), refusals included.")
}

// ObserveBid times the bid route for the latency histogram.
func (h *Hub) ObserveBid(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		h.metrics.bids.observe(time.Since(start))
		return err
	}
}
