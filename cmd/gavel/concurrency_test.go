package main

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"gavel/auction"
)

// TestConcurrentBidsHTTP: 50 qualified bidders bid on one auction at once
// through the HTTP API, each bidding current_price + increment from the
// state its last answer (or refusal) carried, until the price reaches a cap.
// No bid may be lost or applied twice, each price step has exactly one
// accepted bid, the final price is the highest accepted bid, and every
// accepted bid has its event in a gapless record.
func TestConcurrentBidsHTTP(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(m *Main) { m.Config.NoLimits = true })
	a := s.auction(t, lotSpec{})
	const bidders, steps = 50, 60
	capPrice := a.StartPrice + (steps-1)*a.Increment
	accounts, codes := s.qualifiedBidders(t, a.ID, bidders)
	s.setClock(t, a.StartsAt)

	var (
		mu       sync.Mutex
		accepted []auction.BidResult
		refusals = map[string]int{}
		requests int
	)
	start := make(chan struct{})
	var wg sync.WaitGroup
	began := time.Now()
	for i, who := range accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			var price *int64
			<-start
			for attempt := 0; attempt < 20*steps; attempt++ {
				amount := a.StartPrice
				if price != nil {
					amount = *price + a.Increment
				}
				if amount > capPrice {
					return
				}
				key := apiHeader{"Idempotency-Key", fmt.Sprintf("b%d-%d", i, attempt)}
				body := map[string]any{"amount": amount}
				r := s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/bids", who, body, key)
				mu.Lock()
				requests++
				mu.Unlock()
				switch r.status {
				case 201:
					var res auction.BidResult
					r.decode(t, &res)
					// Now and then the client retries (a lost answer): the
					// same key and body must answer the same and place nothing.
					if rng.IntN(5) == 0 {
						again := s.do(t, "POST", "/api/v1/auctions/"+a.ID+"/bids", who, body, key)
						var res2 auction.BidResult
						again.decode(t, &res2)
						if again.status != 201 || res2.Bid != res.Bid || res2.Receipt != res.Receipt {
							t.Errorf("retry of %v answered %s", res.Bid, again)
						}
					}
					mu.Lock()
					accepted = append(accepted, res)
					mu.Unlock()
					price = res.Auction.CurrentPrice
					if *price >= capPrice {
						return
					}
				case 409, 422:
					var refusal struct {
						Error struct {
							Code string `json:"code"`
						} `json:"error"`
						Auction *auction.State `json:"auction"`
					}
					r.decode(t, &refusal)
					if refusal.Auction == nil {
						t.Errorf("refusal without state: %s", r)
						return
					}
					mu.Lock()
					refusals[refusal.Error.Code]++
					mu.Unlock()
					switch refusal.Error.Code {
					case auction.EBidTooLow:
						price = refusal.Auction.CurrentPrice
					case auction.EAlreadyLeading:
						// Wait for someone else to outbid us.
						time.Sleep(time.Duration(1+rng.IntN(3)) * time.Millisecond)
						v := s.view(t, a.ID)
						price = v.CurrentPrice
					default:
						t.Errorf("unexpected refusal: %s", r)
						return
					}
				default:
					t.Errorf("bid answered %s", r)
					return
				}
			}
			t.Errorf("bidder %d gave up", i)
		}()
	}
	close(start)
	wg.Wait()
	elapsed := time.Since(began)

	bids := s.bids(t, a.ID)
	evs := s.events(t, a.ID)
	view := s.view(t, a.ID)
	t.Logf("%d bidders, %d requests, %d accepted, refusals %v in %s (%.0f requests/s)",
		bidders, requests, len(accepted), refusals, elapsed.Round(time.Millisecond), float64(requests)/elapsed.Seconds())

	if len(accepted) != steps || len(bids) != steps || view.BidCount != steps {
		t.Fatalf("%d answers 201, %d bids stored, bid_count %d; want %d each", len(accepted), len(bids), view.BidCount, steps)
	}
	// Exactly one accepted bid per price step, in seq order.
	for i, b := range bids {
		if b.Amount != a.StartPrice+int64(i)*a.Increment || !codes[b.BidderCode] || (i > 0 && b.Seq <= bids[i-1].Seq) {
			t.Fatalf("bid %d: %+v (previous %+v)", i, b, bids[max(i-1, 0)])
		}
	}
	// Every 201 is in /bids and has its event.
	bySeq := map[int64]auction.Bid{}
	for _, b := range bids {
		bySeq[b.Seq] = b
	}
	wantGapless(t, evs)
	for _, res := range accepted {
		b, ok := bySeq[res.Bid.Seq]
		if !ok || b.Amount != res.Bid.Amount || b.BidderCode != res.Bid.BidderCode {
			t.Fatalf("accepted bid %+v is not in /bids as such (%+v)", res.Bid, b)
		}
		e := evs[res.Bid.Seq-1]
		if e.Type != "bid" || e.Data["bidder_code"] != res.Bid.BidderCode || fmt.Sprint(e.Data["amount"]) != fmt.Sprint(res.Bid.Amount) {
			t.Fatalf("event %d for accepted bid %+v: %+v", res.Bid.Seq, res.Bid, e)
		}
		delete(bySeq, res.Bid.Seq)
	}
	if len(bySeq) != 0 {
		t.Fatalf("bids without a 201: %v", bySeq)
	}
	// Every bid event is in /bids; the final price is the highest accepted bid.
	bidEvents := 0
	for _, e := range evs {
		if e.Type == "bid" {
			bidEvents++
		}
	}
	if bidEvents != steps || *view.CurrentPrice != capPrice || *view.LeaderCode != bids[steps-1].BidderCode || view.Seq != int64(len(evs)) {
		t.Fatalf("%d bid events; final price %d by %s seq %d, want %d by %s seq %d",
			bidEvents, *view.CurrentPrice, *view.LeaderCode, view.Seq, capPrice, bids[steps-1].BidderCode, len(evs))
	}
}

// qualifiedBidders creates n bidders qualified for an auction, a few at a
// time, and returns them with the set of their bidder codes.
func (s *server) qualifiedBidders(t testing.TB, auctionID string, n int) ([]*account, map[string]bool) {
	t.Helper()
	accounts := make([]*account, n)
	codes := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range accounts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			w := s.world.Go(t)
			p := newPerson()
			u := w.Account(auction.NewUser{Email: p.email, Role: auction.RoleBidder, RealName: p.name, IDNumber: p.idNumber, Phone: p.phone})
			accounts[i] = &account{User: u, token: w.Token(u, auction.TokenAPI, time.Hour)}
			codes[i] = *w.Qualify(u, auctionID).BidderCode
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	set := map[string]bool{}
	for _, c := range codes {
		set[c] = true
	}
	return accounts, set
}
