package postgres

import (
	"time"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
)

// suspendAuction stops an auction whose final window was not served (the
// outage guard) instead of closing it: nobody wins, no deposit moves and the
// case system hears nothing, because the court decides how it goes on
// (Art. 29: resume within 5 days). The suspension takes effect at ends_at,
// when bidding stopped.
func suspendAuction(w *pgtx.Writes, a *pgtx.Row, o *Outage) (auction.Event, error) {
	rb, err := auction.LookupRulebook(a.Rulebook)
	if err != nil {
		return auction.Event{}, err
	}
	a.Status = auction.StatusSuspended
	a.Suspended = o.Reason
	return w.Event(a, auction.EventSuspended, a.EndsAt, map[string]any{
		"reason":         o.Reason,
		"ends_at":        pgtx.Stamp(a.EndsAt),
		"unserved_from":  pgtx.Stamp(o.From),
		"unserved_to":    pgtx.Stamp(o.To),
		"window_seconds": int64(rb.OutageGuardWindow / time.Second),
	}), nil
}
