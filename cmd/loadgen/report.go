package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// report is everything one run measured.
type report struct {
	Version  string         `json:"version"`
	Started  time.Time      `json:"started"`
	Seconds  float64        `json:"seconds"`
	CPUs     int            `json:"cpus"`
	Postgres string         `json:"postgres"`
	HotLot   []bidRow       `json:"hot_lot"`
	HalfRate *bidRow        `json:"hot_lot_half_rate,omitempty"`
	ManyLots []bidRow       `json:"many_lots"`
	Fanout   []fanoutResult `json:"fanout"`
	Storm    *stormResult   `json:"close_storm,omitempty"`
}

// bidRow is one bidding run and, when measured, the ceiling beside it.
type bidRow struct {
	Scenario     string  `json:"scenario"`
	Auctions     int     `json:"auctions"`
	Bidders      int     `json:"bidders"`
	Offered      float64 `json:"offered_per_second,omitempty"`
	Accepted     float64 `json:"accepted_per_second"`
	Refused      float64 `json:"refused_per_second"`
	P50ms        float64 `json:"p50_ms"`
	P99ms        float64 `json:"p99_ms"`
	Ceiling      float64 `json:"ceiling_per_second,omitempty"`
	CeilingConns int     `json:"ceiling_connections,omitempty"`
	Ratio        float64 `json:"ratio_to_ceiling,omitempty"`
	Refusals     string  `json:"refusals"`
	// AnswerCeiling (one-click runs) is the bid answers per second the same
	// bidders get from a server that refuses at once (on the socket, sending
	// each level's event to every bidder too; answerceiling.go);
	// Bound is that divided by the bidders: the most accepted bids per
	// second one-click bidders can reach here, whatever the decisions cost.
	AnswerCeiling float64 `json:"answer_ceiling_per_second,omitempty"`
	Bound         float64 `json:"bound_accepted_per_second,omitempty"`
}

func bidRowOf(name string, auctions, bidders int, s *bidStats, ceil rate, conns int) bidRow {
	r := s.rate()
	row := bidRow{Scenario: name, Auctions: auctions, Bidders: bidders, Accepted: round1(r.accepted), Refused: round1(r.refused),
		P50ms: ms(s.lat.quantile(0.5)), P99ms: ms(s.lat.quantile(0.99)), Refusals: s.refusals()}
	if ceil.accepted > 0 {
		row.Ceiling, row.CeilingConns = round1(ceil.accepted), conns
		row.Ratio = math.Round(r.accepted/ceil.accepted*100) / 100
	}
	return row
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// write prints the report as a table, or as JSON.
func (r *report) write(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	r.print(w)
	return nil
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "Gavel load test (%s version): %d CPUs, PostgreSQL %s, %s, %.0f s\n", r.Version, r.CPUs, r.Postgres,
		r.Started.Format(time.RFC3339), r.Seconds)
	if r.Version == "short" {
		fmt.Fprintln(w, "Short version: shorter runs, fewer lots, watchers and closing auctions than the targets name; run `loadgen` without -short for the full version.")
	}
	rows := append(append([]bidRow{}, r.HotLot...), r.ManyLots...)
	if r.HalfRate != nil {
		rows = append(rows, *r.HalfRate)
	}
	if len(rows) > 0 {
		fmt.Fprintln(w, "\nBidding (accepted and refused bids per second, latency of every bid; ceiling = the same bid SQL straight on PostgreSQL):")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "scenario\tauctions\tbidders\toffered/s\taccepted/s\trefused/s\tp50 ms\tp99 ms\tceiling/s\tconns\tratio\t")
		for _, x := range rows {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%.1f\t%.1f\t%.2f\t%.2f\t%s\t%s\t%s\t\n", x.Scenario, x.Auctions, x.Bidders, blank(x.Offered, "%.0f"),
				x.Accepted, x.Refused, x.P50ms, x.P99ms, blank(x.Ceiling, "%.1f"), blank(float64(x.CeilingConns), "%.0f"), blank(x.Ratio, "%.2fx"))
		}
		tw.Flush()
		for _, x := range rows {
			if x.AnswerCeiling > 0 {
				fmt.Fprintf(w, "  %s, %d bidders: a server that refuses at once answers these bidders %.0f bids/s, so at most %.1f accepted/s (%.0f%% reached)\n",
					x.Scenario, x.Bidders, x.AnswerCeiling, x.Bound, 100*x.Accepted/x.Bound)
			}
		}
		fmt.Fprintln(w, "refusals:")
		for _, x := range rows {
			fmt.Fprintf(w, "  %s, %d bidders: %s\n", x.Scenario, x.Bidders, strings.TrimSpace(x.Refusals))
		}
	}
	if len(r.Fanout) > 0 {
		fmt.Fprintln(w, "\nFan-out (delivery = from the bid's 201 to a watcher's receipt of its event; send = from the bid's sending; RSS of the server process):")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "watchers\tsources\tconnect s\tbids/s\tbid p50/p99 ms\tevents\tdeliveries\tp50 ms\tp99 ms\tmax ms\tsend p50/p99 ms\tlost\tdup\tdropped\tRSS MiB\tKiB/conn\t")
		for _, x := range r.Fanout {
			fmt.Fprintf(tw, "%d\t%d\t%.1f\t%.0f\t%.1f/%.1f\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.1f/%.1f\t%d\t%d\t%d\t%.0f→%.0f\t%.1f\t\n", x.Watchers, x.Sources, x.ConnectSeconds,
				x.BidsPerSecond, x.BidP50ms, x.BidP99ms, x.Events, x.Deliveries, x.P50ms, x.P99ms, x.MaxMs, x.SendP50ms, x.SendP99ms, x.Lost, x.Duplicates, x.Dropped, x.RSSBeforeMiB, x.RSSAfterMiB, x.RSSPerConnKiB)
		}
		tw.Flush()
		for _, x := range r.Fanout {
			if x.ServerMicrosPerDelivery > 0 {
				fmt.Fprintf(w, "  %d watchers: server CPU %.2f µs per delivered event while the bids flowed\n", x.Watchers, x.ServerMicrosPerDelivery)
			}
			if len(x.Spread) > 0 {
				fmt.Fprintf(w, "  %d watchers: live connections per instance %v\n", x.Watchers, x.Spread)
			}
		}
	}
	if s := r.Storm; s != nil {
		fmt.Fprintln(w, "\nClose storm (auctions ending at the same instant; a tenth with a bid):")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "auctions\tservers\topen s\tclose s\tclosed once\tnot once\tstill bidding\tsold\t")
		fmt.Fprintf(tw, "%d\t%d\t%.2f\t%.2f\t%d\t%d\t%d\t%d\t\n", s.Auctions, s.Servers, s.OpenSeconds, s.CloseSeconds, s.ClosedOnce, s.NotOnce, s.StillOpen, s.Sold)
		tw.Flush()
	}
}

func blank(x float64, format string) string {
	if x == 0 {
		return "-"
	}
	return fmt.Sprintf(format, x)
}
