package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
)

// suspendAuction stops an auction whose final window was not served (the
// outage guard) instead of closing it: nobody wins, no deposit moves and the
// case system hears nothing, because the court decides how it goes on
// (Art. 29: resume within 5 days). The suspension takes effect at ends_at,
// when bidding stopped.
func suspendAuction(w *writes, a *row, o *Outage) (auction.Event, error) {
	rb, err := auction.LookupRulebook(a.Rulebook)
	if err != nil {
		return auction.Event{}, err
	}
	a.Status = auction.StatusSuspended
	a.Suspended = o.Reason
	return w.event(a, auction.EventSuspended, a.EndsAt, map[string]any{
		"reason":         o.Reason,
		"ends_at":        stamp(a.EndsAt),
		"unserved_from":  stamp(o.From),
		"unserved_to":    stamp(o.To),
		"window_seconds": int64(rb.OutageGuardWindow / time.Second),
	}), nil
}

// ResumeAuction reopens a suspended auction for bidding until endsAt, which
// must leave at least the rulebook's outage guard window from now. Price,
// leader, bids and deposits are as they were when it was suspended. It returns
// the auction and the `resumed` event for the live feed; registered bidders
// learn of it from that event. Errors: not_found, invalid_state (not
// suspended), invalid_field (ends_at).
func (s *Store) ResumeAuction(ctx context.Context, id string, endsAt time.Time) (*auction.Auction, []auction.Event, error) {
	var events []auction.Event
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		a, _, err := lockAuctionWithCategory(ctx, tx, id)
		if err != nil {
			return err
		}
		rb, err := auction.LookupRulebook(a.Rulebook)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		endsAt = endsAt.UTC().Truncate(time.Microsecond)
		if err := rb.ValidateResume(&a.Auction, endsAt, now); err != nil {
			return err
		}
		reason := a.Suspended
		a.Status, a.EndsAt, a.Suspended = auction.StatusBidding, endsAt, ""
		e, err := appendEvent(ctx, tx, a, auction.EventResumed, now, map[string]any{
			"ends_at": stamp(endsAt), "suspended_reason": reason,
		})
		if err != nil {
			return err
		}
		events = []auction.Event{e}
		return saveAuction(ctx, tx, a)
	})
	if err != nil {
		return nil, nil, err
	}
	a, err := s.Auction(ctx, id)
	return a, events, err
}
