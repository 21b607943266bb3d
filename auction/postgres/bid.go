package postgres

import (
	"context"
	"encoding/json"
	"errors"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
	"gavel/auction/postgres/oversight"
)

// PlaceBid decides a bid: it waits in its auction's queue (queue.go) and is
// decided by placeBid in a short transaction that locks the auction row,
// checks the bidder and the rulebook, inserts the bid, appends its events,
// updates the auction and remembers the answer under the idempotency key.
// Nothing here calls another system. Refusals (with the auction state):
// not_found, idempotency_key_reused, not_qualified, bidder_restricted,
// auction_not_open, already_leading, bid_too_high, bid_too_low,
// bid_not_on_increment, and service_unavailable for a bid that waited longer
// than MaxBidWait. A bid received after the end as stored is answered once
// the bids received before it have been decided (late.go).
func (s *Store) PlaceBid(ctx context.Context, p auction.PlaceBid) (*auction.BidResult, error) {
	if p.Arrival == nil {
		p.Arrival = s.Arrive()
		defer p.Arrival.Release()
	}
	// The key first, then the request: each checked here once, for HTTP
	// and the socket alike.
	if !auction.ValidIdempotencyKey(p.Key) {
		return nil, s.RefuseBid(ctx, p.AuctionID, auction.IdempotencyKeyRequired())
	}
	if p.Refused != nil {
		return nil, s.RefuseBid(ctx, p.AuctionID, p.Refused)
	}
	res, err := s.queueBid(ctx, p)
	if err != nil {
		return nil, oversight.InterceptedAfter(ctx, s.db, err, p.User, p.AuctionID, oversight.StageBid)
	}
	if len(res.Events) > 0 {
		s.db.Announce(ctx, auction.Change{AuctionID: p.AuctionID, Events: res.Events})
	}
	return res, nil
}

// RefuseBid is a refusal of a bid decided before the bid core saw it (its
// key, its request, its sign-in) with the auction's current state added,
// as every bid refusal carries it (API.md), so the client can bid again
// without another request. err itself is left as it is (a socket answers
// every frame with the same sign-in error): a domain error comes back as a
// copy with the state; an auction that cannot be read adds none, and any
// other error comes back unchanged. Returns err's code.
func (s *Store) RefuseBid(ctx context.Context, auctionID string, err error) error {
	var ae *auction.Error
	if !errors.As(err, &ae) || ae.Auction != nil {
		return err
	}
	a, aerr := s.Auction(ctx, auctionID)
	if aerr != nil {
		return err
	}
	refusal := *ae
	refusal.Auction = a.State()
	return &refusal
}

// placeBid decides one bid against the locked auction as the bids before it
// in its batch left it. An accepted bid's rows are written with the batch; a
// refusal writes nothing and reports the state as stored (t.refuse): a seq
// the client can follow with GET /events?since=seq without missing anything.
func (s *Store) placeBid(ctx context.Context, t *bidTx, p auction.PlaceBid) (*auction.BidResult, error) {
	a := t.a
	// Checked under the auction lock, so two concurrent retries of one key
	// on this auction see each other.
	if prior, err := t.priorAnswer(p); prior != nil || err != nil {
		return prior, t.refuse(err)
	}
	// The bid is decided as of its arrival, however late its batch runs,
	// unless it waited so long that the close no longer waits for it.
	now := p.Arrival.At
	if t.now.Sub(now) > auction.MaxBidWait {
		return nil, t.refuse(auction.Errorf(auction.EUnavailable, "the bid could not be decided within %s of its arrival; send it again", auction.MaxBidWait))
	}
	if err := auction.CheckOpen(&a.Auction, now); err != nil {
		// Received at or after the end as it stands, while bidding goes on:
		// a bid received earlier on another instance may yet extend the end
		// past this one's arrival. It waits for them (late.go) out of the
		// batch, then is decided as the auction stands.
		if !t.current.waited && a.Status == auction.StatusBidding && !now.Before(a.StartsAt) {
			return nil, errLate
		}
		return nil, t.refuse(err)
	}
	b, ok := t.qualified(p.User.ID)
	if !ok {
		return nil, t.refuse(auction.Errorf(auction.ENotQualified, "you are not registered with a deposit held for this auction"))
	}
	if err := t.staffBar(p.User); err != nil {
		return nil, t.refuse(err)
	}
	if err := t.restricted(p.User); err != nil {
		return nil, t.refuse(err)
	}
	out, err := t.rb.CheckAmount(&a.Auction, b, p.Amount, now)
	if err != nil {
		return nil, t.refuse(err)
	}
	bidEvent := t.appendEvent(auction.EventBid, now, map[string]any{
		"bidder_code": b.Code, "amount": p.Amount, "priority": out.Priority, "ends_at": pgtx.Stamp(out.EndsAt),
	})
	events := append(t.takeOpened(), bidEvent)
	o := auction.OriginFrom(ctx)
	bid := bidRow{seq: bidEvent.Seq, registration: b.RegistrationID, code: b.Code, amount: p.Amount, priority: out.Priority, placedAt: now, ip: o.IP, device: o.Device}
	if out.Extended {
		events = append(events, t.appendEvent(auction.EventExtended, now, map[string]any{"ends_at": pgtx.Stamp(out.EndsAt)}))
	}
	amount := p.Amount
	a.CurrentPrice, a.LeaderCode, a.LeaderRank, a.LeaderRegistration = &amount, &b.Code, b.Rank, &b.RegistrationID
	a.EndsAt = out.EndsAt
	a.BidCount++
	res := &auction.BidResult{
		Bid:     auction.Bid{Seq: bidEvent.Seq, BidderCode: b.Code, Amount: p.Amount, PlacedAt: now, Priority: out.Priority},
		Auction: a.State(), Receipt: bidEvent.Hash, Events: events,
	}
	answer, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	t.accept(p, bid, answer)
	return res, nil
}
