package auction

import (
	"math"
	"math/big"
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
// deposit_out_of_range or bidding_period_too_short (all 422): the first
// failed check as the error, every failed one in its Fields.
func (r Rulebook) ValidateSchedule(p ScheduleParams, appraisal int64, earlier []RoundHistory) error {
	// A non-positive start price or deposit is not a malformed field but a
	// breach of the rulebook's bounds, so it gets the specific code below
	// (start_price_too_low, price_cut_too_large, deposit_out_of_range).
	// The checks run in a fixed order, so the first problem (the API's
	// answer) does not depend on which others fail too; a check that needs
	// a field another check refused is skipped.
	var ps Problems
	roundOK := p.Round == RoundFirst || p.Round == RoundSecond || p.Round == RoundSale
	if !roundOK {
		ps.Add(FieldError("round", "must be first, second or sale"))
	}
	if p.Increment <= 0 {
		ps.Add(FieldError("increment", "must be a positive amount in fen"))
	}
	timesOK := !p.StartsAt.IsZero() && !p.EndsAt.IsZero()
	if p.StartsAt.IsZero() {
		ps.Add(FieldError("starts_at", "is required (RFC 3339)"))
	}
	if p.EndsAt.IsZero() {
		ps.Add(FieldError("ends_at", "is required (RFC 3339)"))
	}
	if timesOK && !p.EndsAt.After(p.StartsAt) {
		ps.Add(FieldError("ends_at", "must be after starts_at"))
		timesOK = false
	}
	if p.BalanceDueDays != nil && (*p.BalanceDueDays < 1 || *p.BalanceDueDays > 365) {
		ps.Add(FieldError("balance_due_days", "must be between 1 and 365"))
	}
	if roundOK {
		if err := r.checkRounds(p.Round, p.StartPrice, appraisal, earlier); err != nil {
			ps.Add(err)
		}
	}
	if timesOK && p.Round == RoundSale && p.EndsAt.After(r.DeadlineAfter(p.StartsAt, r.SaleWindow)) {
		ps.Add(FieldError("ends_at", "a sale window lasts at most %s", r.SaleWindow))
	}
	if lessProduct(p.Deposit, 100, p.StartPrice, r.DepositMinPercent) || lessProduct(p.StartPrice, r.DepositMaxPercent, p.Deposit, 100) {
		ps.Add(Errorf(EDepositOutOfRange, "the deposit (%d) must be %d%%..%d%% of the start price (%d)",
			p.Deposit, r.DepositMinPercent, r.DepositMaxPercent, p.StartPrice))
	}
	if timesOK && p.EndsAt.Sub(p.StartsAt) < r.MinBidding {
		ps.Add(Errorf(EBiddingPeriodTooShort, "bidding must last at least %s", r.MinBidding))
	}
	return ps.Err()
}

// checkRounds holds the rules that depend on the lot's other rounds. They are
// checked when a draft is made and again when it is published, because the
// other rounds move on in between (they open, fail, sell, default, or another
// draft is published first). At publication every one of them still holds:
//   - no other round of the lot may be announced, bidding or suspended;
//   - no round once a round of the lot has sold (sold or settled): the lot has
//     a buyer unless that buyer defaults;
//   - a first round at >= MinStartPercent of the appraisal, and only while no
//     first round has failed or been defaulted: after that the lot goes on to
//     a second round;
//   - a second round only after a failed or defaulted first round, cut by at
//     most MaxCutPercent from that round's start;
//   - a sale only after a failed second round, at its start price.
//
// Drafts are ignored: any number may wait, and publishing picks one.
func (r Rulebook) checkRounds(round string, start, appraisal int64, others []RoundHistory) error {
	for _, e := range others {
		switch e.Status {
		case StatusAnnounced, StatusBidding, StatusSuspended:
			return Errorf(ERoundNotAllowed, "another round of this lot is %s", e.Status)
		case StatusSold, StatusSettled:
			return Errorf(ERoundNotAllowed, "the lot's %s round is %s", e.Round, e.Status)
		}
	}
	switch round {
	case RoundFirst:
		if ran := lastRound(others, RoundFirst, StatusFailed, StatusDefaulted); ran != nil {
			return Errorf(ERoundNotAllowed, "the lot's first round is %s: the next round is a second round", ran.Status)
		}
		if start <= 0 || lessProduct(start, 100, appraisal, r.MinStartPercent) {
			return Errorf(EStartPriceTooLow, "a first round must start at no less than %d%% of the appraisal value (%d)", r.MinStartPercent, appraisal)
		}
	case RoundSecond:
		first := lastRound(others, RoundFirst, StatusFailed, StatusDefaulted)
		if first == nil {
			return Errorf(ERoundNotAllowed, "a second round needs a failed or defaulted first round")
		}
		if start <= 0 || lessProduct(start, 100, first.StartPrice, 100-r.MaxCutPercent) {
			return Errorf(EPriceCutTooLarge, "a second round may start at most %d%% below the first round's start price (%d)", r.MaxCutPercent, first.StartPrice)
		}
	case RoundSale:
		second := lastRound(others, RoundSecond, StatusFailed)
		if second == nil {
			return Errorf(ERoundNotAllowed, "a sale (变卖) needs a failed second round")
		}
		if start != second.StartPrice {
			return FieldError("start_price", "a sale is at the second round's start price (%d)", second.StartPrice)
		}
	}
	return nil
}

// lessProduct reports whether a*x < b*y, computed exactly: amounts are int64
// fen and percentages multiply them, so an int64 product could wrap around
// and turn a rule backwards.
func lessProduct(a, x, b, y int64) bool {
	var l, r big.Int
	return l.Mul(big.NewInt(a), big.NewInt(x)).Cmp(r.Mul(big.NewInt(b), big.NewInt(y))) < 0
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

// ValidatePublish checks a draft at the moment of publishing: it is still a
// draft (invalid_state), the lot's other rounds as they are now still allow
// it (round_not_allowed, or another code of checkRounds), and bidding opens no
// sooner than the notice period (announcement_period_too_short).
func (r Rulebook) ValidatePublish(a *Auction, lot *Lot, others []RoundHistory, now time.Time) error {
	if a.Status != StatusDraft {
		return Errorf(EInvalidState, "only a draft auction can be published (status %s)", a.Status)
	}
	if err := r.checkRounds(a.Round, a.StartPrice, lot.AppraisalValue, others); err != nil {
		return err
	}
	if earliest := r.EarliestStart(a.Round, lot.Category, now); a.StartsAt.Before(earliest) {
		return Errorf(EAnnouncementPeriodTooShort, "bidding may open no sooner than %s after publication: the earliest legal start is %s",
			r.Notice(a.Round, lot.Category), earliest.UTC().Format(time.RFC3339))
	}
	return nil
}

// EarliestStart is the earliest legal start of a round of a lot of the
// category published at now: the end of its notice period. A draft saved
// with an earlier start can never be published as it stands, since the
// earliest start only moves later.
func (r Rulebook) EarliestStart(round, category string, now time.Time) time.Time {
	return r.NoticeEnds(now, r.Notice(round, category))
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
// already_leading, bid_too_high (above MaxBid of a.AppraisalValue),
// bid_not_on_increment, bid_too_low.
func (r Rulebook) CheckBid(a *Auction, b Bidder, amount int64, now time.Time) (BidOutcome, error) {
	if err := CheckOpen(a, now); err != nil {
		return BidOutcome{}, err
	}
	return r.CheckAmount(a, b, amount, now)
}

// CheckAmount is CheckBid on an auction already found open (CheckOpen):
// the bid core checks that before who is bidding, so that a closed auction
// answers auction_not_open to anyone, and checks it once. Returns
// already_leading, bid_not_on_increment or bid_too_low.
func (r Rulebook) CheckAmount(a *Auction, b Bidder, amount int64, now time.Time) (BidOutcome, error) {
	if a.LeaderRegistration != nil && *a.LeaderRegistration == b.RegistrationID {
		return BidOutcome{}, Errorf(EAlreadyLeading, "you already lead at %d", *a.CurrentPrice)
	}
	if max, ok := r.MaxBid(a.AppraisalValue); ok && amount > max {
		return BidOutcome{}, Errorf(EBidTooHigh, "the highest bid the rules allow on this lot is %d (%d times the appraisal value)", max, r.MaxBidAppraisalMultiple)
	}
	// Differences of amounts are taken in uint64: for x >= y, uint64(x)-uint64(y)
	// is x - y exactly for every pair of int64 (an int64 difference can wrap).
	// The increment is positive (a stored auction's is).
	if amount < a.StartPrice || (uint64(amount)-uint64(a.StartPrice))%uint64(a.Increment) != 0 {
		if amount < a.StartPrice {
			return BidOutcome{}, Errorf(EBidTooLow, "the lowest valid bid is %d", a.StartPrice)
		}
		return BidOutcome{}, Errorf(EBidNotOnIncrement, "bids go up from %d in steps of %d", a.StartPrice, a.Increment)
	}
	if a.Round == RoundSale && a.CurrentPrice == nil && amount != a.StartPrice {
		// 变卖: the first bid is the full fixed price; it opens the bidding window.
		return BidOutcome{}, Errorf(EBidNotOnIncrement, "the first bid in a sale is the fixed price %d", a.StartPrice)
	}
	if cur := a.CurrentPrice; cur != nil {
		// amount >= cur + increment, without computing cur + increment: near
		// the largest amount it wraps around and would let any bid through.
		raises := amount > *cur && uint64(amount)-uint64(*cur) >= uint64(a.Increment)
		if !raises && !(amount == *cur && canMatch(b.Rank, a.LeaderRank)) {
			if *cur > math.MaxInt64-a.Increment {
				return BidOutcome{}, Errorf(EBidTooLow, "no higher bid is possible: %d plus a step of %d exceeds the largest amount", *cur, a.Increment)
			}
			return BidOutcome{}, Errorf(EBidTooLow, "the lowest valid bid is %d", *cur+a.Increment)
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

// MaxBid is the highest single bid the rulebook allows on a lot appraised at
// appraisal: MaxBidAppraisalMultiple times it, exact for every int64 (a cap
// beyond the largest amount is no cap). ok is false when there is no cap:
// the rulebook sets none, or the appraisal is unknown (zero).
func (r Rulebook) MaxBid(appraisal int64) (max int64, ok bool) {
	m := r.MaxBidAppraisalMultiple
	if m <= 0 || appraisal <= 0 {
		return 0, false
	}
	if appraisal > math.MaxInt64/m {
		return math.MaxInt64, true
	}
	return appraisal * m, true
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
// bidders get back the final stretch the outage took from them (invalid_field);
// one suspended before bidding opened gets a whole bidding period
// (bidding_period_too_short).
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
	if a.OpenedAt == nil {
		// Suspended before bidding opened: bidders are owed a whole bidding
		// period (Art. 20), from the start or from now if that is later.
		from := a.StartsAt
		if now.After(from) {
			from = now
		}
		if endsAt.Sub(from) < r.MinBidding {
			return Errorf(EBiddingPeriodTooShort, "bidding has not opened yet: it must last at least %s from %s", r.MinBidding, from.UTC().Format(time.RFC3339))
		}
	}
	return nil
}
