package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"time"
)

// The fan-out's two bidders run in a process of their own (loadgen
// -fanout-bidder, started by loadgen): in the process that reads 10,000
// watchers' frames, a bidder's answer would wait in Go's run queue behind
// thousands of readers woken by each event, and the figure would be the
// load generator's own scheduling rather than the server's answer. Real
// bidders do not share a process with the watchers either.

// bidPlan is what the bidder process is told, as JSON on its stdin.
type bidPlan struct {
	Base      string        `json:"base"`
	Auction   string        `json:"auction"`
	Tokens    []string      `json:"tokens"`
	Run       string        `json:"run"`
	PerSecond float64       `json:"per_second"`
	Duration  time.Duration `json:"duration"`
}

// bidRecord is one line of the bidder process: a bid about to be sent
// (Answered 0) or answered.
type bidRecord struct {
	Sent     int64  `json:"sent"` // unix nanoseconds
	Answered int64  `json:"answered,omitempty"`
	Status   int    `json:"status,omitempty"`
	Seq      int64  `json:"seq,omitempty"` // of the accepted bid
	Price    *int64 `json:"price,omitempty"`
	State    int64  `json:"state_seq,omitempty"` // the auction's seq in the answer
	Refusal  string `json:"refusal,omitempty"`
}

// bidAtRate has the plan's bidders outbid each other at its rate for its
// duration, each bid one step above the price last seen, and records each
// bid before it is sent and when it is answered.
func bidAtRate(ctx context.Context, p bidPlan, record func(bidRecord) error) error {
	c := newClient(p.Base)
	m := newMarkets([]*lotAuction{{id: p.Auction}})[0]
	interval := time.Duration(float64(time.Second) / p.PerSecond)
	start := time.Now()
	for i := 0; time.Since(start) < p.Duration; i++ {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		sent := time.Now()
		if err := record(bidRecord{Sent: sent.UnixNano()}); err != nil {
			return err
		}
		amount := startFen + (m.known.Load()+1)*stepFen
		status, reply, err := c.bid(ctx, p.Tokens[i%len(p.Tokens)], p.Auction, fmt.Sprintf("%s-fan-%d", p.Run, i), fixed(amount))
		if err != nil {
			return fmt.Errorf("fan-out bid: %w", err)
		}
		r := bidRecord{Sent: sent.UnixNano(), Answered: time.Now().UnixNano(), Status: status}
		if reply.Auction != nil {
			m.saw(reply.Auction.CurrentPrice)
			r.Price, r.State = reply.Auction.CurrentPrice, reply.Auction.Seq
		}
		switch {
		case status == http.StatusCreated && reply.Bid != nil:
			r.Seq = reply.Bid.Seq
		case reply.Error != nil:
			r.Refusal = fmt.Sprintf("HTTP %d %s", status, reply.Error.Code)
		}
		if err := record(r); err != nil {
			return err
		}
	}
	return nil
}

// runBidder is loadgen -fanout-bidder: the plan on stdin, records on stdout.
func runBidder(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	var p bidPlan
	if err := json.NewDecoder(stdin).Decode(&p); err != nil {
		return fmt.Errorf("bidder plan: %w", err)
	}
	enc := json.NewEncoder(stdout)
	return bidAtRate(ctx, p, func(r bidRecord) error { return enc.Encode(r) })
}

// bidElsewhere runs the plan in a bidder process and hands each record to
// record as it comes.
func bidElsewhere(ctx context.Context, p bidPlan, record func(bidRecord)) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, self, "-fanout-bidder")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	if err := json.NewEncoder(in).Encode(p); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return err
	}
	in.Close()
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var r bidRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return fmt.Errorf("bidder process said %q: %w", sc.Text(), err)
		}
		record(r)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("bidder process: %w", err)
	}
	return nil
}
