package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"gavel/auction/auctiontest"
)

// fixture creates what the scenarios need through the API, as a court and
// its bidders would: staff sign in, bidders sign up, clerks list lots and
// schedule auctions, bidders register, finance confirms their deposits, and
// the test clock moves so that bidding opens.
type fixture struct {
	c       *client
	run     string // makes emails, id numbers and case numbers unique per run
	clerk   string // tokens
	finance string
	bidders []string // bidder tokens
	cases   atomic.Int64
}

// bidderPassword is every load-test bidder's password.
const bidderPassword = "loadgen-bidder-password"

// Lot figures: a building appraised at 100,000,000 yuan, first round at
// 70%, 1,000-yuan steps, a 10% deposit (all in fen). The appraisal is large
// so that a ladder of hundreds of thousands of accepted bids stays under the
// rulebook's cap on a single bid (a multiple of the appraisal): the hot lot
// measures bidding, not bid_too_high refusals.
const (
	appraisal  = 10_000_000_000
	startFen   = appraisal * 70 / 100
	stepFen    = 100_000
	depositFen = startFen / 10
)

// lotAuction is an auction the fixture made, with the registrations of the
// bidders it qualified.
type lotAuction struct {
	id       string
	startsAt time.Time
	endsAt   time.Time
	bidders  []string // tokens of qualified bidders
	regs     []string // their registration ids
}

// forEach runs fn(0..n-1) on workers goroutines and returns the first error.
func forEach(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

func (f *fixture) login(ctx context.Context, email, password string) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	err := f.c.call(ctx, "POST", "/auth/login", "", map[string]string{"email": email, "password": password}, &out)
	return out.Token, err
}

// signup makes sure there are n bidder accounts. Sign-ups hash a password
// (argon2id) on the server, so they go a few at a time.
func (f *fixture) signup(ctx context.Context, n int) error {
	have := len(f.bidders)
	if have >= n {
		return nil
	}
	tokens := make([]string, n-have)
	err := forEach(ctx, n-have, 4, func(ctx context.Context, i int) error {
		k := have + i
		var out struct {
			Token string `json:"token"`
		}
		err := f.c.call(ctx, "POST", "/auth/signup", "", map[string]string{
			"email": fmt.Sprintf("bidder%d-%s@loadgen.test", k, f.run), "password": bidderPassword,
			"real_name": fmt.Sprintf("Load Bidder %d", k), "id_number": auctiontest.ResidentID(fmt.Sprintf("loadgen bidder %s %d", f.run, k)), "phone": fmt.Sprintf("139%08d", k),
		}, &out)
		tokens[i] = out.Token
		return err
	})
	if err != nil {
		return fmt.Errorf("sign up bidders: %w", err)
	}
	f.bidders = append(f.bidders, tokens...)
	return nil
}

func (f *fixture) clockNow(ctx context.Context) (time.Time, error) {
	var out struct {
		Now time.Time `json:"now"`
	}
	err := f.c.call(ctx, "GET", "/test/clock", f.clerk, nil, &out)
	return out.Now, err
}

// setClock moves the shared test clock; it returns once every transition
// due by then (openings, closings) has been applied.
func (f *fixture) setClock(ctx context.Context, c *client, t time.Time) error {
	return c.call(ctx, "POST", "/test/clock", f.clerk, map[string]any{"set": t.UTC().Format(time.RFC3339Nano)}, nil)
}

// auctions lists n real-estate lots in a new case and publishes a first
// round for each, all bidding from startsAt to endsAt.
func (f *fixture) auctions(ctx context.Context, n int, startsAt, endsAt time.Time) ([]*lotAuction, error) {
	k := f.cases.Add(1)
	var cs struct {
		ID string `json:"id"`
	}
	claim := int64(1_000_000_00)
	err := f.c.call(ctx, "POST", "/cases", f.clerk, map[string]any{
		"case_number": fmt.Sprintf("(2026)压测%s执%d号", f.run, k), "court_name": "负载测试法院",
		"applicants": []map[string]any{{"name": "申请人", "id_number": auctiontest.ResidentID(fmt.Sprintf("loadgen applicant %s %d", f.run, k)), "claim": claim}},
		"debtors":    []map[string]any{{"name": "被执行人", "id_number": auctiontest.ResidentID(fmt.Sprintf("loadgen debtor %s %d", f.run, k))}},
	}, &cs)
	if err != nil {
		return nil, fmt.Errorf("create case: %w", err)
	}
	out := make([]*lotAuction, n)
	err = forEach(ctx, n, 16, func(ctx context.Context, i int) error {
		var lot, a struct {
			ID string `json:"id"`
		}
		if err := f.c.call(ctx, "POST", "/cases/"+cs.ID+"/lots", f.clerk, map[string]any{
			"title": fmt.Sprintf("住宅 %d", i), "description": "负载测试用住宅", "category": "real_estate", "appraisal_value": appraisal,
		}, &lot); err != nil {
			return fmt.Errorf("create lot: %w", err)
		}
		if err := f.c.call(ctx, "POST", "/lots/"+lot.ID+"/auctions", f.clerk, map[string]any{
			"round": "first", "start_price": startFen, "increment": stepFen, "deposit": depositFen,
			"starts_at": startsAt.UTC().Format(time.RFC3339), "ends_at": endsAt.UTC().Format(time.RFC3339),
		}, &a); err != nil {
			return fmt.Errorf("schedule auction: %w", err)
		}
		if err := f.c.call(ctx, "POST", "/auctions/"+a.ID+"/publish", f.clerk, map[string]any{}, nil); err != nil {
			return fmt.Errorf("publish auction: %w", err)
		}
		out[i] = &lotAuction{id: a.ID, startsAt: startsAt, endsAt: endsAt}
		return nil
	})
	return out, err
}

// schedule returns bidding times for auctions created now: opening after
// the longest notice period, lasting a day.
func (f *fixture) schedule(ctx context.Context) (time.Time, time.Time, error) {
	now, err := f.clockNow(ctx)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	starts := now.Add(31 * 24 * time.Hour).Truncate(time.Second)
	return starts, starts.Add(24 * time.Hour), nil
}

// qualify registers each bidder for the auction and has finance confirm the
// deposit.
func (f *fixture) qualify(ctx context.Context, a *lotAuction, bidders []string) error {
	regs := make([]string, len(bidders))
	err := forEach(ctx, len(bidders), 16, func(ctx context.Context, i int) error {
		var reg struct {
			ID      string `json:"id"`
			Deposit struct {
				ID string `json:"id"`
			} `json:"deposit"`
		}
		if err := f.c.call(ctx, "POST", "/auctions/"+a.id+"/registrations", bidders[i], map[string]any{}, &reg); err != nil {
			return fmt.Errorf("register: %w", err)
		}
		if err := f.c.call(ctx, "POST", "/deposits/"+reg.Deposit.ID+"/confirm", f.finance, map[string]string{"reference": "LOADGEN-" + reg.ID[:8]}, nil); err != nil {
			return fmt.Errorf("confirm deposit: %w", err)
		}
		regs[i] = reg.ID
		return nil
	})
	if err != nil {
		return err
	}
	a.bidders, a.regs = append(a.bidders, bidders...), append(a.regs, regs...)
	return nil
}

// qualifyMany qualifies per bidders for each auction, cycling through the
// bidder accounts, many auctions at once.
func (f *fixture) qualifyMany(ctx context.Context, auctions []*lotAuction, per int) error {
	return forEach(ctx, len(auctions), 4, func(ctx context.Context, i int) error {
		tokens := make([]string, per)
		for j := range tokens {
			tokens[j] = f.bidders[(i*per+j)%len(f.bidders)]
		}
		return f.qualify(ctx, auctions[i], tokens)
	})
}
