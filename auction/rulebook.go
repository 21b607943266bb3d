package auction

import (
	"fmt"
	"time"
)

// Rulebook holds every legal parameter of a sale as data, so the same code
// serves the SPC 2016 rules and the fast demo rules.
type Rulebook struct {
	Name string `json:"name"`
	// MinStartPercent: a first round starts at >= this % of appraisal (Art. 10).
	MinStartPercent int64 `json:"min_start_percent"`
	// MaxCutPercent: a second round starts at >= (100 - this) % of the first (Art. 26).
	MaxCutPercent int64 `json:"max_cut_percent"`
	// Deposit bounds in % of the start price (Art. 17).
	DepositMinPercent int64 `json:"deposit_min_percent"`
	DepositMaxPercent int64 `json:"deposit_max_percent"`
	// Notice periods before bidding opens (Arts. 12, 26).
	NoticeLong        time.Duration `json:"notice_long"`         // first round: real estate, equity, other
	NoticeShort       time.Duration `json:"notice_short"`        // first round: vehicle, movable
	RenoticeLong      time.Duration `json:"renotice_long"`       // second round / sale
	RenoticeShort     time.Duration `json:"renotice_short"`      // second round / sale
	MinBidding        time.Duration `json:"min_bidding"`         // Art. 20: >= 24 h
	ExtensionWindow   time.Duration `json:"extension_window"`    // a bid this close to the end extends
	Extension         time.Duration `json:"extension"`           // the end moves to bid time + this
	Day               time.Duration `json:"day"`                 // unit of balance_due_days
	SaleWindow        time.Duration `json:"sale_window"`         // 变卖: 60 days
	SaleBidding       time.Duration `json:"sale_bidding"`        // 变卖: 24 h window after the first full-price bid
	OutageGuardWindow time.Duration `json:"outage_guard_window"` // final stretch that must be fully served
	// CalendarDays: periods of whole Days are counted in calendar days in
	// the court's time zone (calendar.go); otherwise as plain durations.
	CalendarDays bool `json:"calendar_days"`
	// Deadlines the law sets after an outcome, watched for the court and
	// finance (deadline.go).
	ReauctionWithin time.Duration `json:"reauction_within"` // Art. 26: next round within 30 days of a failure
	ResumeWithin    time.Duration `json:"resume_within"`    // Art. 29: a suspension lasts at most 5 days
	RefundWithin    time.Duration `json:"refund_within"`    // Art. 23: deposits back within 24 h of the close

	// zone is the court's time zone (In); nil is DefaultZone.
	zone *time.Location

	// MaxBidAppraisalMultiple caps a single bid at this many times the lot's
	// appraisal value (bid_too_high): a bid beyond it is a typing mistake or
	// an attempt to block the lot at no cost, never a price a court would
	// see paid. Zero means no cap.
	MaxBidAppraisalMultiple int64 `json:"max_bid_appraisal_multiple"`
}

const day = 24 * time.Hour

// SPC2016 is the rulebook of 法释〔2016〕18号 and the 2020 rules.
var SPC2016 = Rulebook{
	Name:              "spc2016",
	MinStartPercent:   70,
	MaxCutPercent:     20,
	DepositMinPercent: 5,
	DepositMaxPercent: 20,
	NoticeLong:        30 * day,
	NoticeShort:       15 * day,
	RenoticeLong:      15 * day,
	RenoticeShort:     7 * day,
	MinBidding:        24 * time.Hour,
	ExtensionWindow:   5 * time.Minute,
	Extension:         5 * time.Minute,
	Day:               day,
	SaleWindow:        60 * day,
	SaleBidding:       24 * time.Hour,
	OutageGuardWindow: 5 * time.Minute,
	CalendarDays:      true,
	ReauctionWithin:   30 * day,
	ResumeWithin:      5 * day,
	RefundWithin:      24 * time.Hour,

	// Judicial sales fetch a fraction of the appraisal to a few times it;
	// ten times leaves room for every real contest.
	MaxBidAppraisalMultiple: 10,
}

// Demo is SPC2016 with a day shrunk to a minute, so that `make run` shows
// auctions opening, extending and closing while you watch. Percentages are
// unchanged; every period is scaled by 1/1440.
var Demo = Rulebook{
	Name:                    "demo",
	MinStartPercent:         70,
	MaxCutPercent:           20,
	DepositMinPercent:       5,
	DepositMaxPercent:       20,
	NoticeLong:              30 * time.Minute,
	NoticeShort:             15 * time.Minute,
	RenoticeLong:            15 * time.Minute,
	RenoticeShort:           7 * time.Minute,
	MinBidding:              time.Minute,
	ExtensionWindow:         15 * time.Second,
	Extension:               15 * time.Second,
	Day:                     time.Minute,
	SaleWindow:              60 * time.Minute,
	SaleBidding:             time.Minute,
	OutageGuardWindow:       15 * time.Second,
	ReauctionWithin:         30 * time.Minute,
	ResumeWithin:            5 * time.Minute,
	RefundWithin:            time.Minute,
	MaxBidAppraisalMultiple: 10,
}

// LookupRulebook returns the rulebook with the given name.
func LookupRulebook(name string) (Rulebook, error) {
	switch name {
	case "", SPC2016.Name:
		return SPC2016, nil
	case Demo.Name:
		return Demo, nil
	}
	return Rulebook{}, fmt.Errorf("unknown rulebook %q (want spc2016 or demo)", name)
}

// Notice returns the notice period an auction of this round and lot category
// must be announced for before bidding opens.
func (r Rulebook) Notice(round, category string) time.Duration {
	short := category == CategoryVehicle || category == CategoryMovable
	switch {
	case round == RoundFirst && short:
		return r.NoticeShort
	case round == RoundFirst:
		return r.NoticeLong
	case short:
		return r.RenoticeShort
	default:
		return r.RenoticeLong
	}
}
