package auction

import (
	"time"
)

// ScheduleParams is a clerk's request for a new auction round.
type ScheduleParams struct {
	LotID          string    `json:"-"`
	Round          string    `json:"round"`
	StartPrice     int64     `json:"start_price"`
	Increment      int64     `json:"increment"`
	Deposit        int64     `json:"deposit"`
	StartsAt       time.Time `json:"starts_at"`
	EndsAt         time.Time `json:"ends_at"`
	BalanceDueDays *int      `json:"balance_due_days"`
}

// RoundHistory is what scheduling needs to know about a lot's earlier rounds.
type RoundHistory struct {
	Round      string
	Status     string
	StartPrice int64
}

// ValidateSchedule checks a new round against the rulebook. It returns
// invalid_field, round_not_allowed, start_price_too_low, price_cut_too_large,
// deposit_out_of_range or bidding_period_too_short (all 422 except none).
func (r Rulebook) ValidateSchedule(p ScheduleParams, appraisal int64, earlier []RoundHistory) error {
	switch {
	case p.Round != RoundFirst && p.Round != RoundSecond && p.Round != RoundSale:
		return FieldError("round", "must be first, second or sale")
	case p.StartPrice <= 0:
		return FieldError("start_price", "must be a positive amount in fen")
	case p.Increment <= 0:
		return FieldError("increment", "must be a positive amount in fen")
	case p.Deposit < 0:
		return FieldError("deposit", "must not be negative")
	case p.StartsAt.IsZero():
		return FieldError("starts_at", "is required (RFC 3339)")
	case p.EndsAt.IsZero():
		return FieldError("ends_at", "is required (RFC 3339)")
	case !p.EndsAt.After(p.StartsAt):
		return FieldError("ends_at", "must be after starts_at")
	case p.BalanceDueDays != nil && (*p.BalanceDueDays < 1 || *p.BalanceDueDays > 365):
		return FieldError("balance_due_days", "must be between 1 and 365")
	}
	for _, e := range earlier {
		if e.Status == StatusAnnounced || e.Status == StatusBidding || e.Status == StatusSuspended {
			return Errorf(ERoundNotAllowed, "another round of this lot is %s", e.Status)
		}
	}
	switch p.Round {
	case RoundFirst:
		if p.StartPrice*100 < appraisal*r.MinStartPercent {
			return Errorf(EStartPriceTooLow, "a first round must start at no less than %d%% of the appraisal value (%d)", r.MinStartPercent, appraisal)
		}
	case RoundSecond:
		first := lastRound(earlier, RoundFirst, StatusFailed, StatusDefaulted)
		if first == nil {
			return Errorf(ERoundNotAllowed, "a second round needs a failed or defaulted first round")
		}
		if p.StartPrice*100 < first.StartPrice*(100-r.MaxCutPercent) {
			return Errorf(EPriceCutTooLarge, "a second round may start at most %d%% below the first round's start price (%d)", r.MaxCutPercent, first.StartPrice)
		}
	case RoundSale:
		second := lastRound(earlier, RoundSecond, StatusFailed)
		if second == nil {
			return Errorf(ERoundNotAllowed, "a sale (变卖) needs a failed second round")
		}
		if p.StartPrice != second.StartPrice {
			return FieldError("start_price", "a sale is at the second round's start price (%d)", second.StartPrice)
		}
		if p.EndsAt.Sub(p.StartsAt) > r.SaleWindow {
			return FieldError("ends_at", "a sale window lasts at most %s", r.SaleWindow)
		}
	}
	if p.Deposit*100 < p.StartPrice*r.DepositMinPercent || p.Deposit*100 > p.StartPrice*r.DepositMaxPercent {
		return Errorf(EDepositOutOfRange, "the deposit must be %d%%..%d%% of the start price", r.DepositMinPercent, r.DepositMaxPercent)
	}
	if p.EndsAt.Sub(p.StartsAt) < r.MinBidding {
		return Errorf(EBiddingPeriodTooShort, "bidding must last at least %s", r.MinBidding)
	}
	return nil
}

func lastRound(earlier []RoundHistory, round string, statuses ...string) *RoundHistory {
	for i := len(earlier) - 1; i >= 0; i-- {
		if earlier[i].Round != round {
			continue
		}
		for _, s := range statuses {
			if earlier[i].Status == s {
				return &earlier[i]
			}
		}
	}
	return nil
}

// ValidatePublish checks the notice period at the moment of publishing.
func (r Rulebook) ValidatePublish(a *Auction, category string, now time.Time) error {
	if a.Status != StatusDraft {
		return Errorf(EInvalidState, "only a draft auction can be published (status %s)", a.Status)
	}
	notice := r.Notice(a.Round, category)
	if a.StartsAt.Sub(now) < notice {
		return Errorf(EAnnouncementPeriodTooShort, "bidding may open no sooner than %s after publication", notice)
	}
	return nil
}

// Bidder is who is bidding, as the bid core sees them.
type Bidder struct {
	RegistrationID string
	Code           string
	Rank           *int // priority purchase rank, nil when none
}

// BidOutcome is the effect of an accepted bid on the auction.
type BidOutcome struct {
	Priority bool      // the bidder holds a priority right
	EndsAt   time.Time // new end of bidding
	Extended bool      // the bid moved the end
}

// CheckBid decides whether bidder may bid amount on a at time now. It is the
// whole rule of a bid, pure so it can be tested by table: auction_not_open,
// already_leading, bid_not_on_increment, bid_too_low.
func (r Rulebook) CheckBid(a *Auction, b Bidder, amount int64, now time.Time) (BidOutcome, error) {
	if err := CheckOpen(a, now); err != nil {
		return BidOutcome{}, err
	}
	if a.LeaderRegistration != nil && *a.LeaderRegistration == b.RegistrationID {
		return BidOutcome{}, Errorf(EAlreadyLeading, "you already lead at %d", *a.CurrentPrice)
	}
	if amount < a.StartPrice || (amount-a.StartPrice)%a.Increment != 0 {
		if amount < a.StartPrice {
			return BidOutcome{}, Errorf(EBidTooLow, "the lowest valid bid is %d", a.StartPrice)
		}
		return BidOutcome{}, Errorf(EBidNotOnIncrement, "bids go up from %d in steps of %d", a.StartPrice, a.Increment)
	}
	if a.Round == RoundSale && a.CurrentPrice == nil && amount != a.StartPrice {
		// 变卖: the first bid is the full fixed price; it opens the bidding window.
		return BidOutcome{}, Errorf(EBidNotOnIncrement, "the first bid in a sale is the fixed price %d", a.StartPrice)
	}
	if a.CurrentPrice != nil {
		min := *a.CurrentPrice + a.Increment
		if amount < min && !(amount == *a.CurrentPrice && canMatch(b.Rank, a.LeaderRank)) {
			return BidOutcome{}, Errorf(EBidTooLow, "the lowest valid bid is %d", min)
		}
	}
	out := BidOutcome{Priority: b.Rank != nil, EndsAt: a.EndsAt}
	if a.Round == RoundSale && a.CurrentPrice == nil {
		out.EndsAt, out.Extended = now.Add(r.SaleBidding), true
	} else if !now.Before(a.EndsAt.Add(-r.ExtensionWindow)) && now.Add(r.Extension).After(a.EndsAt) {
		// A bid at exactly ends_at - 5 min sets the end where it already is:
		// no extension, so no `extended` event that moved nothing.
		out.EndsAt, out.Extended = now.Add(r.Extension), true
	}
	return out, nil
}

// CheckOpen returns auction_not_open unless a is bidding and now lies in
// [starts_at, ends_at).
func CheckOpen(a *Auction, now time.Time) error {
	if a.Status != StatusBidding || now.Before(a.StartsAt) || !now.Before(a.EndsAt) {
		return Errorf(EAuctionNotOpen, "bidding is not open (status %s)", a.Status)
	}
	return nil
}

// canMatch: a priority holder may match the current price when the leader is
// not a priority holder of equal or better rank (rank 1 is best; Arts. 19, 21).
func canMatch(bidder, leader *int) bool {
	return bidder != nil && (leader == nil || *leader > *bidder)
}

// DepositOwed is what a bidder must pay: the full deposit, or for a case
// applicant max(0, deposit - claim) (Art. 17).
func DepositOwed(deposit int64, claim *int64) int64 {
	if claim == nil {
		return deposit
	}
	return max(0, deposit-*claim)
}

// ValidateResume checks a clerk's resumption of a suspended auction with a
// new end: only a suspended auction resumes (invalid_state), and the new end
// must leave at least a full outage guard window of bidding from now, so that
// bidders get back the final stretch the outage took from them (invalid_field).
func (r Rulebook) ValidateResume(a *Auction, endsAt, now time.Time) error {
	if a.Status != StatusSuspended {
		return Errorf(EInvalidState, "only a suspended auction can be resumed (status %s)", a.Status)
	}
	switch {
	case endsAt.IsZero():
		return FieldError("ends_at", "is required (RFC 3339)")
	case !endsAt.After(now):
		return FieldError("ends_at", "must be in the future")
	case endsAt.Sub(now) < r.OutageGuardWindow:
		return FieldError("ends_at", "must be at least %s from now", r.OutageGuardWindow)
	}
	return nil
}
