package postgres_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"pgregory.net/rapid"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
)

// propertyChecks keeps the property test to a few seconds by default; pass
// -rapid.checks (or RAPID_CHECKS) to run more.
const propertyChecks = 25

// model is the reference the bid core is checked against: the rules of
// API.md written as plainly as possible, independent of auction.CheckBid.
type model struct {
	start, increment int64
	startsAt, endsAt time.Time
	ranks            []*int // priority rank per bidder, nil for none

	status   string
	price    *int64
	leader   int // bidder index, -1 before the first bid
	seq      int64
	bids     []int64
	bidSeq   int64 // seq of the last accepted bid's event
	closedAt time.Time
}

func (m *model) open(now time.Time) bool {
	return (m.status == auction.StatusBidding || m.status == auction.StatusAnnounced) && !now.Before(m.startsAt) && now.Before(m.endsAt)
}

var shanghai = time.FixedZone("UTC+8", 8*60*60)

// tick applies what the scheduler does at now.
func (m *model) tick(now time.Time) {
	if m.status == auction.StatusAnnounced && !now.Before(m.startsAt) {
		m.status, m.seq = auction.StatusBidding, m.seq+1
	}
	if m.status == auction.StatusBidding && !now.Before(m.endsAt) {
		m.status, m.seq, m.closedAt = auction.StatusFailed, m.seq+1, m.endsAt
		if m.price != nil {
			m.status = auction.StatusSold
		}
	}
	// The balance is due by the end of the tenth calendar day after the
	// close's day in Shanghai (UTC+8 all year).
	local := m.closedAt.In(shanghai)
	if due := time.Date(local.Year(), local.Month(), local.Day()+11, 0, 0, 0, 0, shanghai); m.status == auction.StatusSold && !now.Before(due) {
		m.status, m.seq = auction.StatusDefaulted, m.seq+1
	}
}

// bid returns the refusal code, or "" after applying an accepted bid.
func (m *model) bid(who int, amount int64, now time.Time) string {
	switch {
	case !m.open(now):
		return auction.EAuctionNotOpen
	case m.leader == who:
		return auction.EAlreadyLeading
	case amount < m.start:
		return auction.EBidTooLow
	case (amount-m.start)%m.increment != 0:
		return auction.EBidNotOnIncrement
	}
	if m.price != nil && amount < *m.price+m.increment {
		mine, theirs := m.ranks[who], m.ranks[m.leader]
		match := amount == *m.price && mine != nil && (theirs == nil || *theirs > *mine)
		if !match {
			return auction.EBidTooLow
		}
	}
	if m.status == auction.StatusAnnounced {
		m.status, m.seq = auction.StatusBidding, m.seq+1
	}
	m.seq++
	m.bidSeq = m.seq
	if end := now.Add(5 * time.Minute); !now.Before(m.endsAt.Add(-5*time.Minute)) && end.After(m.endsAt) {
		m.endsAt, m.seq = end, m.seq+1
	}
	m.price, m.leader, m.bids = &amount, who, append(m.bids, amount)
	return ""
}

// TestBidCoreProperty drives random sequences of bids from ordinary and
// priority bidders of several ranks, through this process and another one
// (so that the first one's worker does not know every change), clock moves
// and scheduler ticks against
// the real database and compares every step with the model: leader and
// price, end time, status and seq; at the end the winner, seq without gaps,
// bid amounts never decreasing and an intact hash chain.
func TestBidCoreProperty(t *testing.T) {
	limitChecks()
	t.Parallel()
	w := setup(t)
	const bidders = 6
	users := make([]*auction.User, bidders)
	for i := range users {
		users[i] = w.Verified(fmt.Sprintf("PROP-%d", i), "")
	}

	other := elsewhere(w)
	rapid.Check(t, func(rt *rapid.T) {
		m := &model{leader: -1, status: auction.StatusAnnounced, seq: 0, ranks: make([]*int, bidders)}
		var holders []auction.NewPriorityHolder
		for i := range bidders {
			if r := rapid.IntRange(0, 3).Draw(rt, fmt.Sprintf("rank%d", i)); r > 0 {
				m.ranks[i] = &r
				holders = append(holders, auction.NewPriorityHolder{Name: fmt.Sprintf("优先%d", i), IDNumber: users[i].IDNumber, Rank: r})
			}
		}
		rw := w.In(rt)
		a := rw.AnnouncedOf(auction.NewCase{}, auction.NewLot{})
		for _, h := range holders {
			rw.Holder(a.LotID, h)
		}
		m.start, m.increment, m.startsAt, m.endsAt = a.StartPrice, a.Increment, a.StartsAt, a.EndsAt
		codes := map[string]int{}
		for i, u := range users {
			reg := rw.Qualify(u, a.ID)
			codes[*reg.BidderCode] = i
			if (reg.PriorityRank == nil) != (m.ranks[i] == nil) || (reg.PriorityRank != nil && *reg.PriorityRank != *m.ranks[i]) {
				rt.Fatalf("bidder %d registered with rank %v, want %v", i, reg.PriorityRank, m.ranks[i])
			}
		}
		// Start just before the opening so that most runs see bidding.
		w.Clock.Set(a.StartsAt.Add(time.Duration(rapid.IntRange(-60, 3600).Draw(rt, "from start")) * time.Second))

		// place bids amount from bidder who through store s and checks the
		// answer against the model.
		placeOn := func(rt *rapid.T, s *postgres.Store, who int, amount int64) {
			now := w.Clock.Now()
			want := m.bid(who, amount, now)
			res, err := s.PlaceBid(w.Ctx, auction.PlaceBid{AuctionID: a.ID, User: users[who], Amount: amount,
				Key: fmt.Sprintf("p%d", auctiontest.Next())})
			if got := auction.ErrorCode(err); (err == nil) != (want == "") || (err != nil && got != want) {
				rt.Fatalf("bidder %d bid %d at %s: got %v, model says %q", who, amount, now, err, want)
			}
			var state *auction.State
			if err != nil {
				var e *auction.Error
				if !errors.As(err, &e) || e.Auction == nil {
					rt.Fatalf("refusal %v without the auction state", err)
				}
				state = e.Auction
			} else {
				state = res.Auction
				if res.Bid.Seq != m.bidSeq || codes[res.Bid.BidderCode] != who || res.Bid.Amount != amount ||
					res.Bid.Priority != (m.ranks[who] != nil) || !res.Bid.PlacedAt.Equal(now) {
					rt.Fatalf("bid answer %+v, model: seq %d bidder %d amount %d at %s", res.Bid, m.bidSeq, who, amount, now)
				}
			}
			m.check(rt, "answer", state, codes)
		}
		place := func(rt *rapid.T, who int, amount int64) { placeOn(rt, w.Store, who, amount) }
		current := func() int64 {
			if m.price == nil {
				return m.start
			}
			return *m.price
		}
		rt.Repeat(map[string]func(*rapid.T){
			"bid": func(rt *rapid.T) {
				amount := current() + m.increment*int64(rapid.IntRange(-1, 3).Draw(rt, "steps"))
				if rapid.IntRange(0, 4).Draw(rt, "offgrid") == 0 {
					amount += m.increment / 2
				}
				place(rt, rapid.IntRange(0, bidders-1).Draw(rt, "who"), amount)
			},
			"outbid": func(rt *rapid.T) {
				amount := m.start
				if m.price != nil {
					amount = *m.price + m.increment
				}
				place(rt, rapid.IntRange(0, bidders-1).Draw(rt, "who"), amount)
			},
			"match": func(rt *rapid.T) {
				place(rt, rapid.IntRange(0, bidders-1).Draw(rt, "who"), current())
			},
			// Another process bids: the first one's worker no longer knows
			// the committed state, and must still answer exactly.
			"elsewhere": func(rt *rapid.T) {
				amount := current() + m.increment*int64(rapid.IntRange(0, 2).Draw(rt, "steps"))
				placeOn(rt, other, rapid.IntRange(0, bidders-1).Draw(rt, "who"), amount)
			},
			"advance": func(rt *rapid.T) {
				// Mostly minutes; now and then days, which ends bidding and
				// may reach a sold auction's balance deadline.
				if rapid.IntRange(0, 19).Draw(rt, "days?") == 0 {
					w.Clock.Advance(time.Duration(rapid.IntRange(1, 11).Draw(rt, "days")) * 24 * time.Hour)
					return
				}
				w.Clock.Advance(time.Duration(rapid.IntRange(1, 900).Draw(rt, "seconds")) * time.Second)
			},
			"near the end": func(rt *rapid.T) {
				to := m.endsAt.Add(-time.Duration(rapid.IntRange(-30, 400).Draw(rt, "before")) * time.Second)
				if to.After(w.Clock.Now()) {
					w.Clock.Set(to)
				}
			},
			"tick": func(rt *rapid.T) {
				if _, err := w.Store.Tick(w.Ctx); err != nil {
					rt.Fatal(err)
				}
				m.tick(w.Clock.Now())
			},
			"": func(rt *rapid.T) {
				got, err := w.Store.Auction(w.Ctx, a.ID)
				if err != nil {
					rt.Fatal(err)
				}
				m.check(rt, "stored", got.State(), codes)
			},
		})

		// Close: run the clock past the end and tick.
		if w.Clock.Now().Before(m.endsAt) {
			w.Clock.Set(m.endsAt)
		}
		if _, err := w.Store.Tick(w.Ctx); err != nil {
			rt.Fatal(err)
		}
		m.tick(w.Clock.Now())
		got, err := w.Store.Auction(w.Ctx, a.ID)
		if err != nil {
			rt.Fatal(err)
		}
		m.check(rt, "closed", got.State(), codes)
		if m.leader >= 0 {
			if got.WinnerCode == nil || codes[*got.WinnerCode] != m.leader || *got.HammerPrice != *m.price {
				rt.Fatalf("winner %v at %v, model: bidder %d at %d", got.WinnerCode, got.HammerPrice, m.leader, *m.price)
			}
		} else if got.WinnerCode != nil || got.HammerPrice != nil {
			rt.Fatalf("a winner without bids: %v", got.WinnerCode)
		}

		bids, err := w.Store.Bids(w.Ctx, a.ID)
		if err != nil {
			rt.Fatal(err)
		}
		if len(bids) != len(m.bids) || got.BidCount != len(m.bids) {
			rt.Fatalf("%d bids stored (bid_count %d), model has %d", len(bids), got.BidCount, len(m.bids))
		}
		for i, bid := range bids {
			if bid.Amount != m.bids[i] || (i > 0 && bid.Amount < bids[i-1].Amount) {
				rt.Fatalf("bid %d: %d, model %d (previous %d)", i, bid.Amount, m.bids[i], bids[max(i-1, 0)].Amount)
			}
		}
		rec, err := w.Store.Record(w.Ctx, a.ID)
		if err != nil {
			rt.Fatal(err)
		}
		if int64(len(rec.Events)) != m.seq {
			rt.Fatalf("%d events, model seq %d", len(rec.Events), m.seq)
		}
		if broken, why := rec.Verify(); broken != 0 { // also checks seq 1, 2, 3 ... without gaps
			rt.Fatalf("record broken at seq %d: %s", broken, why)
		}
		bidSeqs := map[int64]bool{}
		for _, bid := range bids {
			bidSeqs[bid.Seq] = true
		}
		for _, e := range rec.Events {
			if (e.Type == auction.EventBid) != bidSeqs[e.Seq] {
				rt.Fatalf("event %d (%s) and the bids table disagree", e.Seq, e.Type)
			}
		}
	})

}

// check compares a state the store reported with the model.
func (m *model) check(rt *rapid.T, what string, s *auction.State, codes map[string]int) {
	rt.Helper()
	leader := -1
	if s.LeaderCode != nil {
		leader = codes[*s.LeaderCode]
	}
	samePrice := (s.CurrentPrice == nil) == (m.price == nil) && (s.CurrentPrice == nil || *s.CurrentPrice == *m.price)
	if !samePrice || leader != m.leader || !s.EndsAt.Equal(m.endsAt) || s.Seq != m.seq || s.Status != m.status {
		rt.Fatalf("%s: store price %v leader %d ends %s seq %d %s; model price %v leader %d ends %s seq %d %s", what,
			deref(s.CurrentPrice), leader, s.EndsAt, s.Seq, s.Status, deref(m.price), m.leader, m.endsAt, m.seq, m.status)
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// limitChecks lowers rapid's default of 100 checks unless asked for more.
func limitChecks() {
	if os.Getenv("RAPID_CHECKS") != "" {
		return
	}
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if !set {
		_ = flag.Set("rapid.checks", fmt.Sprint(propertyChecks))
	}
}
