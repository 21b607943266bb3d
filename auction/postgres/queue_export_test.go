package postgres

import (
	"context"

	"gavel/auction"
)

// PlaceBatch decides bids as one batch, the way an auction's worker does
// with bids that arrived together, so tests can choose what shares a batch.
func (s *Store) PlaceBatch(ctx context.Context, ps []auction.PlaceBid) ([]*auction.BidResult, []error) {
	reqs := make([]*bidRequest, len(ps))
	for i, p := range ps {
		if p.Arrival == nil {
			p.Arrival = s.Arrive()
			defer p.Arrival.Release()
		}
		reqs[i] = &bidRequest{ctx: ctx, p: p, done: make(chan bidAnswer, 1)}
	}
	// A late bid waits in the queue's hands, which then release its
	// arrival once more.
	_, late := s.placeBatch(reqs, false)
	for _, r := range late {
		r.p.Arrival.Hold()
	}
	s.awaitEarlier(ps[0].AuctionID, late)
	res, errs := make([]*auction.BidResult, len(ps)), make([]error, len(ps))
	for i, r := range reqs {
		a := <-r.done
		res[i], errs[i] = a.res, a.err
	}
	return res, errs
}

// QueuedAuctions is how many auctions have a bid worker running.
func (s *Store) QueuedAuctions() int {
	s.bids.mu.Lock()
	defer s.bids.mu.Unlock()
	return len(s.bids.pending)
}

// HoldBatches makes every bid batch call hold before it locks its auction.
func (s *Store) HoldBatches(hold func(auctionID string)) { s.beforeBatch = hold }

// HoldJoins makes every worker's batch call hold, under the auction's lock,
// before the bids that arrived meanwhile join it.
func (s *Store) HoldJoins(hold func(auctionID string)) { s.beforeJoin = hold }

// WaitingBids is how many bids wait in the auction's queue.
func (s *Store) WaitingBids(auctionID string) int { return len(s.bids.peek(auctionID)) }

// WatchLateWaits makes every auction's late-bid waiter call f each time it
// leaves bids waiting for earlier ones.
func (s *Store) WatchLateWaits(f func(auctionID string)) { s.lateWaits = f }
