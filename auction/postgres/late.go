package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
)

// Late bids. A bid received at or after the end as the stored row says, while
// the auction is still in bidding, is not refused at once: a bid received a
// moment earlier on another instance, still undecided there, may extend the
// end past this one's arrival, and decided in order of receipt this one would
// then be judged against the extended end. So its batch leaves it out (it
// never waits under the row lock nor holds the batch's other bids back) and
// hands it to its auction's waiter here, which gives it back to the queue, to
// be decided as the auction then stands, as soon as
//
//   - every other bid this process received before it has been decided
//     (Arrival.EarlierEnded: the horizon leaving out the bid's own arrival,
//     which it holds while it waits), and every other running process (as
//     the close counts them, runningRuns) has published a horizon at or past
//     its arrival: every bid received before it has been decided; or
//   - the auction is no longer in bidding: a close happens only once every
//     bid received before the end has been decided, so the answer is final
//     (not open); or
//   - it has waited MaxBidWait: it answers 503 as any bid decided that late;
//     or its bidder stopped waiting (it is then not decided at all).
//
// With no other process running, only this process's horizon is waited for,
// which is known here at once: the answer comes without a poll.
//
// The close needs nothing more. While the bid waits its arrival stays held,
// so this process's published horizon stays at or before it. If an earlier
// bid extended the end past the arrival, the close at the new end therefore
// waits for this bid. If none did, the close at the old end may come while
// it waits, and the bid is then refused as not open, which is what deciding
// in order of receipt gives.

// pollLate is how often an auction's waiter asks the database how far the
// other processes have published their horizons. They publish with each beat
// (every 2 s), so a late bid waits up to about a beat; polling faster than
// that only bounds the delay a poll adds to it. The question is one small
// query per auction with late bids waiting, whatever their number, and late
// bids come only in the moments after an end. Reading what this process's
// own beat could learn instead would add up to a beat of its own to the wait.
const pollLate = 100 * time.Millisecond

// errLate leaves a late bid out of its batch, undecided.
var errLate = errors.New("postgres: bid received after the end waits for earlier bids")

// awaitEarlier hands late bids to their auction's waiter, starting one if
// none runs. Their arrivals stay held until they are decided.
func (s *Store) awaitEarlier(auctionID string, reqs []*bidRequest) {
	if len(reqs) == 0 {
		return
	}
	if s.late.add(auctionID, reqs) {
		go s.waitEarlier(auctionID)
	}
}

// waitEarlier is an auction's waiter: it gives each late bid back to the
// queue once it may be decided, and ends when none are left.
func (s *Store) waitEarlier(auctionID string) {
	for {
		reqs := s.late.peek(auctionID)
		ready, next := s.lateReady(auctionID, reqs)
		left := s.late.drop(auctionID, func(r *bidRequest) bool { return ready[r] })
		var decide []*bidRequest
		for _, r := range reqs {
			if ready[r] {
				r.waited = true
				decide = append(decide, r)
			}
		}
		if len(decide) > 0 {
			s.enqueueBids(auctionID, decide...)
		}
		if !left {
			return
		}
		if s.lateWaits != nil {
			s.lateWaits(auctionID)
		}
		poll := time.NewTimer(pollLate)
		select {
		case <-next:
		case <-poll.C:
		}
		poll.Stop()
	}
}

// lateReady returns the late bids that may be decided now and, when some
// wait for this process's earlier arrivals, a channel closed when one of
// those ends.
func (s *Store) lateReady(auctionID string, reqs []*bidRequest) (map[*bidRequest]bool, <-chan struct{}) {
	ready := map[*bidRequest]bool{}
	var settled []*bidRequest
	var next <-chan struct{}
	now := s.db.Clock.Now()
	for _, r := range reqs {
		if r.ctx.Err() != nil || now.Sub(r.p.Arrival.At) > auction.MaxBidWait {
			ready[r] = true
			continue
		}
		if ended, ch := r.p.Arrival.EarlierEnded(); ended {
			settled = append(settled, r)
		} else {
			next = ch
		}
	}
	if len(settled) == 0 {
		return ready, next
	}
	ctx, cancel := context.WithTimeout(context.Background(), auction.MaxBidWait)
	defer cancel()
	// ownRuns is never nil: "<> ALL (NULL)" would match no run at all.
	own := append([]string{}, s.heartbeat.ownRuns()...)
	var bidding bool
	var through *time.Time
	err := s.db.Pool.QueryRow(ctx, `SELECT a.status = $4,
		(SELECT min(r.received_through) FROM `+runningRuns+` r WHERE r.id <> ALL($3::uuid[]))
		FROM auctions a WHERE a.id = $1`, auctionID, auction.MaxBidWait, own, auction.StatusBidding).Scan(&bidding, &through)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		bidding = false
	case err != nil:
		// Asked again at the next poll; MaxBidWait still bounds the wait.
		return ready, next
	}
	for _, r := range settled {
		if !bidding || through == nil || !through.Before(r.p.Arrival.At) {
			ready[r] = true
		}
	}
	return ready, next
}
