package auction_test

import (
	"math"
	"testing"
	"time"

	"gavel/auction"
)

var t0 = time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("want no error, got %v", err)
		}
		return
	}
	if got := auction.ErrorCode(err); err == nil || got != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

func TestValidateSchedule(t *testing.T) {
	t.Parallel()
	const appraisal = 1_000_000_00 // one million yuan in fen
	// valid is a first round at exactly 70% of the appraisal with a 10% deposit.
	valid := func() auction.ScheduleParams {
		return auction.ScheduleParams{Round: auction.RoundFirst, StartPrice: 700_000_00, Increment: 1_000_00,
			Deposit: 70_000_00, StartsAt: t0, EndsAt: t0.Add(24 * time.Hour)}
	}
	failedFirst := []auction.RoundHistory{{Round: auction.RoundFirst, Status: auction.StatusFailed, StartPrice: 700_000_00}}
	defaultedFirst := []auction.RoundHistory{{Round: auction.RoundFirst, Status: auction.StatusDefaulted, StartPrice: 700_000_00}}
	failedSecond := append(append([]auction.RoundHistory{}, failedFirst...),
		auction.RoundHistory{Round: auction.RoundSecond, Status: auction.StatusFailed, StartPrice: 560_000_00})
	second := func(start int64) auction.ScheduleParams {
		p := valid()
		p.Round, p.StartPrice, p.Deposit = auction.RoundSecond, start, start/10
		return p
	}
	sale := func(start int64, window time.Duration) auction.ScheduleParams {
		p := valid()
		p.Round, p.StartPrice, p.Deposit, p.EndsAt = auction.RoundSale, start, start/10, t0.Add(window)
		return p
	}
	for _, tc := range []struct {
		name    string
		p       auction.ScheduleParams
		earlier []auction.RoundHistory
		code    string
	}{
		{"valid first round at 70%", valid(), nil, ""},
		{"start price one fen under 70%", func() auction.ScheduleParams { p := valid(); p.StartPrice--; p.Deposit = 69_999_99; return p }(), nil, auction.EStartPriceTooLow},
		{"unknown round", func() auction.ScheduleParams { p := valid(); p.Round = "third"; return p }(), nil, auction.EInvalidField},
		// A start price of zero or less is below 70% of any appraisal: the
		// rulebook's code, not invalid_field.
		{"zero start price", func() auction.ScheduleParams { p := valid(); p.StartPrice = 0; return p }(), nil, auction.EStartPriceTooLow},
		{"negative start price", func() auction.ScheduleParams { p := valid(); p.StartPrice = -700_000_00; return p }(), nil, auction.EStartPriceTooLow},
		{"zero increment", func() auction.ScheduleParams { p := valid(); p.Increment = 0; return p }(), nil, auction.EInvalidField},
		{"negative increment", func() auction.ScheduleParams { p := valid(); p.Increment = -100; return p }(), nil, auction.EInvalidField},
		{"negative deposit", func() auction.ScheduleParams { p := valid(); p.Deposit = -1; return p }(), nil, auction.EDepositOutOfRange},
		{"most negative deposit", func() auction.ScheduleParams { p := valid(); p.Deposit = math.MinInt64; return p }(), nil, auction.EDepositOutOfRange},
		{"missing starts_at", func() auction.ScheduleParams { p := valid(); p.StartsAt = time.Time{}; return p }(), nil, auction.EInvalidField},
		{"missing ends_at", func() auction.ScheduleParams { p := valid(); p.EndsAt = time.Time{}; return p }(), nil, auction.EInvalidField},
		{"ends_at equal to starts_at", func() auction.ScheduleParams { p := valid(); p.EndsAt = p.StartsAt; return p }(), nil, auction.EInvalidField},
		{"ends_at before starts_at", func() auction.ScheduleParams { p := valid(); p.EndsAt = p.StartsAt.Add(-time.Hour); return p }(), nil, auction.EInvalidField},
		{"balance_due_days zero", func() auction.ScheduleParams { p := valid(); p.BalanceDueDays = ptr(0); return p }(), nil, auction.EInvalidField},
		{"balance_due_days 366", func() auction.ScheduleParams { p := valid(); p.BalanceDueDays = ptr(366); return p }(), nil, auction.EInvalidField},
		{"balance_due_days 365", func() auction.ScheduleParams { p := valid(); p.BalanceDueDays = ptr(365); return p }(), nil, ""},
		{"deposit exactly 5%", func() auction.ScheduleParams { p := valid(); p.Deposit = 35_000_00; return p }(), nil, ""},
		{"deposit exactly 20%", func() auction.ScheduleParams { p := valid(); p.Deposit = 140_000_00; return p }(), nil, ""},
		{"deposit one fen under 5%", func() auction.ScheduleParams { p := valid(); p.Deposit = 35_000_00 - 1; return p }(), nil, auction.EDepositOutOfRange},
		{"deposit one fen over 20%", func() auction.ScheduleParams { p := valid(); p.Deposit = 140_000_00 + 1; return p }(), nil, auction.EDepositOutOfRange},
		{"zero deposit", func() auction.ScheduleParams { p := valid(); p.Deposit = 0; return p }(), nil, auction.EDepositOutOfRange},
		{"bidding exactly 24 h", valid(), nil, ""},
		{"bidding one second under 24 h", func() auction.ScheduleParams { p := valid(); p.EndsAt = p.EndsAt.Add(-time.Second); return p }(), nil, auction.EBiddingPeriodTooShort},
		{"another round announced", valid(), []auction.RoundHistory{{Round: auction.RoundFirst, Status: auction.StatusAnnounced, StartPrice: 700_000_00}}, auction.ERoundNotAllowed},
		{"another round bidding", valid(), []auction.RoundHistory{{Round: auction.RoundFirst, Status: auction.StatusBidding, StartPrice: 700_000_00}}, auction.ERoundNotAllowed},
		{"another round suspended", valid(), []auction.RoundHistory{{Round: auction.RoundFirst, Status: auction.StatusSuspended, StartPrice: 700_000_00}}, auction.ERoundNotAllowed},
		{"second round without a first", second(560_000_00), nil, auction.ERoundNotAllowed},
		{"second round after a sold first", second(560_000_00), []auction.RoundHistory{{Round: auction.RoundFirst, Status: auction.StatusSold, StartPrice: 700_000_00}}, auction.ERoundNotAllowed},
		{"second round after a settled first", second(560_000_00), []auction.RoundHistory{{Round: auction.RoundFirst, Status: auction.StatusSettled, StartPrice: 700_000_00}}, auction.ERoundNotAllowed},
		{"second round while the first is bidding", second(560_000_00), []auction.RoundHistory{{Round: auction.RoundFirst, Status: auction.StatusBidding, StartPrice: 700_000_00}}, auction.ERoundNotAllowed},
		// Once the first round has run without a sale the lot moves on to a
		// second round; once a round has sold, the lot has a buyer.
		{"first round after a failed first", valid(), failedFirst, auction.ERoundNotAllowed},
		{"first round after a defaulted first", valid(), defaultedFirst, auction.ERoundNotAllowed},
		{"first round after a sold first", valid(), []auction.RoundHistory{{Round: auction.RoundFirst, Status: auction.StatusSold, StartPrice: 700_000_00}}, auction.ERoundNotAllowed},
		{"first round after a cancelled first", valid(), []auction.RoundHistory{{Round: auction.RoundFirst, Status: auction.StatusCancelled, StartPrice: 700_000_00}}, ""},
		{"first round beside other drafts", valid(), []auction.RoundHistory{{Round: auction.RoundFirst, Status: auction.StatusDraft, StartPrice: 700_000_00}}, ""},
		{"second round after a settled second", second(560_000_00), append(append([]auction.RoundHistory{}, defaultedFirst...),
			auction.RoundHistory{Round: auction.RoundSecond, Status: auction.StatusSettled, StartPrice: 560_000_00}), auction.ERoundNotAllowed},
		{"second round at exactly 80% after a failed first", second(560_000_00), failedFirst, ""},
		{"second round after a defaulted first", second(560_000_00), defaultedFirst, ""},
		{"second round one fen under 80%", second(560_000_00 - 1), failedFirst, auction.EPriceCutTooLarge},
		{"second round at zero", second(0), failedFirst, auction.EPriceCutTooLarge},
		{"second round below zero", second(-560_000_00), failedFirst, auction.EPriceCutTooLarge},
		{"second round below zero without a failed first", second(-560_000_00), nil, auction.ERoundNotAllowed},
		// The second round is not held to 70% of the appraisal, only to the cut.
		{"second round below 70% of appraisal is fine", second(600_000_00), failedFirst, ""},
		{"sale without a failed second round", sale(560_000_00, 60*24*time.Hour), failedFirst, auction.ERoundNotAllowed},
		{"sale at the second round's start", sale(560_000_00, 60*24*time.Hour), failedSecond, ""},
		{"sale at another price", sale(560_000_00+100, 60*24*time.Hour), failedSecond, auction.EInvalidField},
		// t0 is 10:00 in Shanghai: the 60th day after its day ends 14 h
		// after t0 + 60×24 h (calendar.go).
		{"sale window to the end of the 60th day", sale(560_000_00, 60*24*time.Hour+14*time.Hour), failedSecond, ""},
		{"sale window over 60 days", sale(560_000_00, 60*24*time.Hour+14*time.Hour+time.Second), failedSecond, auction.EInvalidField},
		{"sale window under 24 h", sale(560_000_00, 23*time.Hour), failedSecond, auction.EBiddingPeriodTooShort},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, auction.SPC2016.ValidateSchedule(tc.p, appraisal, tc.earlier), tc.code)
		})
	}
}

func TestValidateScheduleDemoPeriods(t *testing.T) {
	t.Parallel()
	p := auction.ScheduleParams{Round: auction.RoundFirst, StartPrice: 70_00, Increment: 1_00, Deposit: 7_00, StartsAt: t0, EndsAt: t0.Add(time.Minute)}
	wantCode(t, auction.Demo.ValidateSchedule(p, 100_00, nil), "")
	p.EndsAt = t0.Add(59 * time.Second)
	wantCode(t, auction.Demo.ValidateSchedule(p, 100_00, nil), auction.EBiddingPeriodTooShort)
	wantCode(t, auction.SPC2016.ValidateSchedule(auction.ScheduleParams{Round: auction.RoundFirst, StartPrice: 70_00, Increment: 1_00,
		Deposit: 7_00, StartsAt: t0, EndsAt: t0.Add(time.Hour)}, 100_00, nil), auction.EBiddingPeriodTooShort)
}

// TestValidateScheduleHugeAmounts: the percentage rules are exact for every
// int64 amount; a product that wrapped around would turn them backwards.
func TestValidateScheduleHugeAmounts(t *testing.T) {
	t.Parallel()
	const (
		maxFen = math.MaxInt64
		// 70% of maxFen is 6456360425798343064.9: the least valid start is
		// one fen above its integer part.
		start70 = 6456360425798343065
		// 5% and 20% of start70, rounded inwards.
		dep5, dep20 = 322818021289917154, 1291272085159668613
		// 80% of maxFen, rounded up.
		start80 = 7378697629483820646
	)
	round := func(r string, start, deposit int64) auction.ScheduleParams {
		return auction.ScheduleParams{Round: r, StartPrice: start, Increment: 1, Deposit: deposit, StartsAt: t0, EndsAt: t0.Add(24 * time.Hour)}
	}
	hugeFirst := []auction.RoundHistory{{Round: auction.RoundFirst, Status: auction.StatusFailed, StartPrice: maxFen}}
	for _, tc := range []struct {
		name      string
		p         auction.ScheduleParams
		appraisal int64
		earlier   []auction.RoundHistory
		code      string
	}{
		{"tiny start on a huge appraisal", round(auction.RoundFirst, 10_000, 1_000), 200_000_000_000_000_000, nil, auction.EStartPriceTooLow},
		{"exactly 70% of a huge appraisal", round(auction.RoundFirst, 140_000_000_000_000_000, 14_000_000_000_000_000), 200_000_000_000_000_000, nil, ""},
		{"one fen under 70% of a huge appraisal", round(auction.RoundFirst, 140_000_000_000_000_000-1, 14_000_000_000_000_000), 200_000_000_000_000_000, nil, auction.EStartPriceTooLow},
		{"least start on the largest appraisal", round(auction.RoundFirst, start70, dep5), maxFen, nil, ""},
		{"one fen under it", round(auction.RoundFirst, start70-1, dep5), maxFen, nil, auction.EStartPriceTooLow},
		{"tiny start on the largest appraisal", round(auction.RoundFirst, 1, 1), maxFen, nil, auction.EStartPriceTooLow},
		{"the largest start on the largest appraisal", round(auction.RoundFirst, maxFen, maxFen/10), maxFen, nil, ""},
		{"deposit exactly 20% of a huge start", round(auction.RoundFirst, start70, dep20), maxFen, nil, ""},
		{"deposit one fen under 5% of a huge start", round(auction.RoundFirst, start70, dep5-1), maxFen, nil, auction.EDepositOutOfRange},
		{"deposit one fen over 20% of a huge start", round(auction.RoundFirst, start70, dep20+1), maxFen, nil, auction.EDepositOutOfRange},
		{"deposit the largest amount", round(auction.RoundFirst, start70, maxFen), maxFen, nil, auction.EDepositOutOfRange},
		{"deposit exactly 5% of a small start", round(auction.RoundFirst, 20, 1), 1, nil, ""},
		{"deposit exactly 20% of a small start", round(auction.RoundFirst, 20, 4), 1, nil, ""},
		{"no deposit fits a start of one fen", round(auction.RoundFirst, 1, 1), 1, nil, auction.EDepositOutOfRange},
		{"second round exactly 80% of the largest first", round(auction.RoundSecond, start80, start80/10), 1, hugeFirst, ""},
		{"second round one fen under 80% of the largest first", round(auction.RoundSecond, start80-1, start80/10), 1, hugeFirst, auction.EPriceCutTooLarge},
		{"second round of one fen after the largest first", round(auction.RoundSecond, 1, 1), 1, hugeFirst, auction.EPriceCutTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, auction.SPC2016.ValidateSchedule(tc.p, tc.appraisal, tc.earlier), tc.code)
		})
	}
}

func TestNotice(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	for _, tc := range []struct {
		round, category string
		spc, demo       time.Duration
	}{
		{auction.RoundFirst, auction.CategoryRealEstate, 30 * day, 30 * time.Minute},
		{auction.RoundFirst, auction.CategoryEquity, 30 * day, 30 * time.Minute},
		{auction.RoundFirst, auction.CategoryOther, 30 * day, 30 * time.Minute},
		{auction.RoundFirst, auction.CategoryVehicle, 15 * day, 15 * time.Minute},
		{auction.RoundFirst, auction.CategoryMovable, 15 * day, 15 * time.Minute},
		{auction.RoundSecond, auction.CategoryRealEstate, 15 * day, 15 * time.Minute},
		{auction.RoundSecond, auction.CategoryEquity, 15 * day, 15 * time.Minute},
		{auction.RoundSecond, auction.CategoryOther, 15 * day, 15 * time.Minute},
		{auction.RoundSecond, auction.CategoryVehicle, 7 * day, 7 * time.Minute},
		{auction.RoundSecond, auction.CategoryMovable, 7 * day, 7 * time.Minute},
		{auction.RoundSale, auction.CategoryRealEstate, 15 * day, 15 * time.Minute},
		{auction.RoundSale, auction.CategoryMovable, 7 * day, 7 * time.Minute},
	} {
		if got := auction.SPC2016.Notice(tc.round, tc.category); got != tc.spc {
			t.Errorf("spc2016 notice %s/%s = %s, want %s", tc.round, tc.category, got, tc.spc)
		}
		if got := auction.Demo.Notice(tc.round, tc.category); got != tc.demo {
			t.Errorf("demo notice %s/%s = %s, want %s", tc.round, tc.category, got, tc.demo)
		}
	}
}

func TestValidatePublish(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	draft := func(round string, startsIn time.Duration) *auction.Auction {
		return &auction.Auction{Round: round, Status: auction.StatusDraft, StartPrice: 700_000_00, StartsAt: t0.Add(startsIn), EndsAt: t0.Add(startsIn + day)}
	}
	for _, tc := range []struct {
		name     string
		a        *auction.Auction
		category string
		code     string
	}{
		{"real estate first round exactly 30 days", draft(auction.RoundFirst, 30*day), auction.CategoryRealEstate, ""},
		{"real estate first round 30 days less a second", draft(auction.RoundFirst, 30*day-time.Second), auction.CategoryRealEstate, auction.EAnnouncementPeriodTooShort},
		{"equity first round 29 days", draft(auction.RoundFirst, 29*day), auction.CategoryEquity, auction.EAnnouncementPeriodTooShort},
		{"other first round 29 days", draft(auction.RoundFirst, 29*day), auction.CategoryOther, auction.EAnnouncementPeriodTooShort},
		{"vehicle first round 15 days", draft(auction.RoundFirst, 15*day), auction.CategoryVehicle, ""},
		{"vehicle first round 14 days", draft(auction.RoundFirst, 14*day), auction.CategoryVehicle, auction.EAnnouncementPeriodTooShort},
		{"movable first round 15 days less a microsecond", draft(auction.RoundFirst, 15*day-time.Microsecond), auction.CategoryMovable, auction.EAnnouncementPeriodTooShort},
		{"real estate second round 15 days", draft(auction.RoundSecond, 15*day), auction.CategoryRealEstate, ""},
		{"real estate second round 14 days", draft(auction.RoundSecond, 14*day), auction.CategoryRealEstate, auction.EAnnouncementPeriodTooShort},
		{"vehicle second round 7 days", draft(auction.RoundSecond, 7*day), auction.CategoryVehicle, ""},
		{"movable second round 6 days", draft(auction.RoundSecond, 6*day), auction.CategoryMovable, auction.EAnnouncementPeriodTooShort},
		{"starts in the past", draft(auction.RoundFirst, -time.Hour), auction.CategoryMovable, auction.EAnnouncementPeriodTooShort},
		{"already announced", func() *auction.Auction {
			a := draft(auction.RoundFirst, 40*day)
			a.Status = auction.StatusAnnounced
			return a
		}(), auction.CategoryRealEstate, auction.EInvalidState},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A second round's history: its failed first round.
			var others []auction.RoundHistory
			if tc.a.Round == auction.RoundSecond {
				others = []auction.RoundHistory{{Round: auction.RoundFirst, Status: auction.StatusFailed, StartPrice: 700_000_00}}
			}
			lot := &auction.Lot{Category: tc.category, AppraisalValue: 1_000_000_00}
			wantCode(t, auction.SPC2016.ValidatePublish(tc.a, lot, others, t0), tc.code)
		})
	}
}

// TestValidatePublishRounds: publishing checks the draft against the lot's
// other rounds as they are at that moment, not as they were when the draft
// was made.
func TestValidatePublishRounds(t *testing.T) {
	t.Parallel()
	lot := &auction.Lot{Category: auction.CategoryRealEstate, AppraisalValue: 1_000_000_00}
	draft := func(round string, start int64) *auction.Auction {
		return &auction.Auction{Round: round, Status: auction.StatusDraft, StartPrice: start, StartsAt: t0.Add(40 * 24 * time.Hour), EndsAt: t0.Add(41 * 24 * time.Hour)}
	}
	h := func(round, status string, start int64) auction.RoundHistory {
		return auction.RoundHistory{Round: round, Status: status, StartPrice: start}
	}
	first, second := auction.RoundFirst, auction.RoundSecond
	for _, tc := range []struct {
		name   string
		a      *auction.Auction
		others []auction.RoundHistory
		code   string
	}{
		{"first round beside other drafts", draft(first, 700_000_00), []auction.RoundHistory{h(first, auction.StatusDraft, 700_000_00), h(first, auction.StatusDraft, 800_000_00)}, ""},
		{"first round while another first is announced", draft(first, 700_000_00), []auction.RoundHistory{h(first, auction.StatusAnnounced, 800_000_00)}, auction.ERoundNotAllowed},
		{"first round while another is bidding", draft(first, 700_000_00), []auction.RoundHistory{h(first, auction.StatusBidding, 800_000_00)}, auction.ERoundNotAllowed},
		{"first round while another is suspended", draft(first, 700_000_00), []auction.RoundHistory{h(first, auction.StatusSuspended, 800_000_00)}, auction.ERoundNotAllowed},
		{"first round after the first failed", draft(first, 700_000_00), []auction.RoundHistory{h(first, auction.StatusFailed, 800_000_00)}, auction.ERoundNotAllowed},
		{"first round after the first sold", draft(first, 700_000_00), []auction.RoundHistory{h(first, auction.StatusSold, 800_000_00)}, auction.ERoundNotAllowed},
		{"first round after the first settled", draft(first, 700_000_00), []auction.RoundHistory{h(first, auction.StatusSettled, 800_000_00)}, auction.ERoundNotAllowed},
		{"first round after the first defaulted", draft(first, 700_000_00), []auction.RoundHistory{h(first, auction.StatusDefaulted, 800_000_00)}, auction.ERoundNotAllowed},
		{"first round after a cancelled first", draft(first, 700_000_00), []auction.RoundHistory{h(first, auction.StatusCancelled, 800_000_00)}, ""},
		{"second round after a failed first", draft(second, 560_000_00), []auction.RoundHistory{h(first, auction.StatusFailed, 700_000_00)}, ""},
		{"second round while another second is announced", draft(second, 560_000_00),
			[]auction.RoundHistory{h(first, auction.StatusFailed, 700_000_00), h(second, auction.StatusAnnounced, 600_000_00)}, auction.ERoundNotAllowed},
		{"second round after another second sold", draft(second, 560_000_00),
			[]auction.RoundHistory{h(first, auction.StatusDefaulted, 700_000_00), h(second, auction.StatusSold, 600_000_00)}, auction.ERoundNotAllowed},
		{"second round after the first sold", draft(second, 560_000_00), []auction.RoundHistory{h(first, auction.StatusSold, 700_000_00)}, auction.ERoundNotAllowed},
		{"second round with no first that ran", draft(second, 560_000_00), []auction.RoundHistory{h(first, auction.StatusCancelled, 700_000_00)}, auction.ERoundNotAllowed},
		{"sale after a failed second", draft(auction.RoundSale, 560_000_00),
			[]auction.RoundHistory{h(first, auction.StatusFailed, 700_000_00), h(second, auction.StatusFailed, 560_000_00)}, ""},
		{"sale while the second is bidding", draft(auction.RoundSale, 560_000_00),
			[]auction.RoundHistory{h(first, auction.StatusFailed, 700_000_00), h(second, auction.StatusBidding, 560_000_00)}, auction.ERoundNotAllowed},
		{"a round that breaks the rules and the notice reports the round", func() *auction.Auction {
			a := draft(first, 700_000_00)
			a.StartsAt = t0
			return a
		}(), []auction.RoundHistory{h(first, auction.StatusAnnounced, 800_000_00)}, auction.ERoundNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, auction.SPC2016.ValidatePublish(tc.a, lot, tc.others, t0), tc.code)
		})
	}
}

func TestCheckOpen(t *testing.T) {
	t.Parallel()
	a := &auction.Auction{Status: auction.StatusBidding, StartsAt: t0, EndsAt: t0.Add(time.Hour)}
	for _, tc := range []struct {
		name   string
		status string
		now    time.Time
		code   string
	}{
		{"at starts_at", auction.StatusBidding, t0, ""},
		{"just before ends_at", auction.StatusBidding, t0.Add(time.Hour - time.Microsecond), ""},
		{"before starts_at", auction.StatusBidding, t0.Add(-time.Microsecond), auction.EAuctionNotOpen},
		{"at ends_at", auction.StatusBidding, t0.Add(time.Hour), auction.EAuctionNotOpen},
		{"after ends_at", auction.StatusBidding, t0.Add(2 * time.Hour), auction.EAuctionNotOpen},
		{"announced", auction.StatusAnnounced, t0.Add(time.Minute), auction.EAuctionNotOpen},
		{"sold", auction.StatusSold, t0.Add(time.Minute), auction.EAuctionNotOpen},
		{"suspended", auction.StatusSuspended, t0.Add(time.Minute), auction.EAuctionNotOpen},
		{"draft", auction.StatusDraft, t0.Add(time.Minute), auction.EAuctionNotOpen},
		{"cancelled", auction.StatusCancelled, t0.Add(time.Minute), auction.EAuctionNotOpen},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := *a
			b.Status = tc.status
			wantCode(t, auction.CheckOpen(&b, tc.now), tc.code)
		})
	}
}

// bidding is an open auction from t0 to t0+24h starting at 1000 in steps of 100.
func bidding(price *int64, leaderReg string, leaderRank *int) *auction.Auction {
	a := &auction.Auction{Round: auction.RoundFirst, Status: auction.StatusBidding, StartPrice: 1000, Increment: 100,
		StartsAt: t0, EndsAt: t0.Add(24 * time.Hour), CurrentPrice: price, LeaderRank: leaderRank}
	if leaderReg != "" {
		a.LeaderRegistration, a.LeaderCode = ptr(leaderReg), ptr("B"+leaderReg)
	}
	return a
}

func TestCheckBid(t *testing.T) {
	t.Parallel()
	mid := t0.Add(time.Hour)
	ordinary := auction.Bidder{RegistrationID: "o", Code: "BO"}
	rank := func(r int) auction.Bidder {
		return auction.Bidder{RegistrationID: "p" + string(rune('0'+r)), Code: "BP", Rank: ptr(r)}
	}
	for _, tc := range []struct {
		name     string
		a        *auction.Auction
		b        auction.Bidder
		amount   int64
		now      time.Time
		code     string
		priority bool
	}{
		{"first bid at the start price", bidding(nil, "", nil), ordinary, 1000, mid, "", false},
		{"first bid above the start on the grid", bidding(nil, "", nil), ordinary, 1500, mid, "", false},
		{"first bid below the start", bidding(nil, "", nil), ordinary, 900, mid, auction.EBidTooLow, false},
		{"first bid off the grid", bidding(nil, "", nil), ordinary, 1050, mid, auction.EBidNotOnIncrement, false},
		{"zero", bidding(nil, "", nil), ordinary, 0, mid, auction.EBidTooLow, false},
		{"negative", bidding(nil, "", nil), ordinary, -100, mid, auction.EBidTooLow, false},
		{"a priority holder's first bid", bidding(nil, "", nil), rank(2), 1000, mid, "", true},
		{"next step", bidding(ptr[int64](1000), "x", nil), ordinary, 1100, mid, "", false},
		{"several steps up", bidding(ptr[int64](1000), "x", nil), ordinary, 1700, mid, "", false},
		{"equal to the current price", bidding(ptr[int64](1000), "x", nil), ordinary, 1000, mid, auction.EBidTooLow, false},
		{"below the current price", bidding(ptr[int64](1500), "x", nil), ordinary, 1200, mid, auction.EBidTooLow, false},
		{"off the grid above the current price", bidding(ptr[int64](1000), "x", nil), ordinary, 1150, mid, auction.EBidNotOnIncrement, false},
		{"the leader bids again", bidding(ptr[int64](1000), "o", nil), ordinary, 1100, mid, auction.EAlreadyLeading, false},
		{"the priority leader bids again at the same price", bidding(ptr[int64](1000), "p1", ptr(1)), rank(1), 1000, mid, auction.EAlreadyLeading, false},
		{"before the start", bidding(nil, "", nil), ordinary, 1000, t0.Add(-time.Second), auction.EAuctionNotOpen, false},
		{"at the end", bidding(nil, "", nil), ordinary, 1000, t0.Add(24 * time.Hour), auction.EAuctionNotOpen, false},
		// Priority match (Arts. 19, 21): rank 1 is best; an equal rank
		// leader keeps the lead (earlier bid wins).
		{"priority matches an ordinary leader", bidding(ptr[int64](1500), "x", nil), rank(2), 1500, mid, "", true},
		{"priority rank 1 matches a rank 2 leader", bidding(ptr[int64](1500), "p2", ptr(2)), rank(1), 1500, mid, "", true},
		{"priority rank 2 cannot match a rank 1 leader", bidding(ptr[int64](1500), "p1", ptr(1)), rank(2), 1500, mid, auction.EBidTooLow, false},
		{"priority cannot match an equal rank leader", bidding(ptr[int64](1500), "q2", ptr(2)), rank(2), 1500, mid, auction.EBidTooLow, false},
		{"priority holder may still outbid a better rank", bidding(ptr[int64](1500), "p1", ptr(1)), rank(2), 1600, mid, "", true},
		{"ordinary bidder cannot match", bidding(ptr[int64](1500), "p2", ptr(2)), ordinary, 1500, mid, auction.EBidTooLow, false},
		{"priority match below the current price", bidding(ptr[int64](1500), "x", nil), rank(1), 1400, mid, auction.EBidTooLow, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := auction.SPC2016.CheckBid(tc.a, tc.b, tc.amount, tc.now)
			wantCode(t, err, tc.code)
			if err != nil {
				return
			}
			if out.Priority != tc.priority {
				t.Errorf("priority = %v, want %v", out.Priority, tc.priority)
			}
			if out.Extended || !out.EndsAt.Equal(tc.a.EndsAt) {
				t.Errorf("a bid hours before the end moved it: %+v", out)
			}
		})
	}
}

// TestCheckBidHugeAmounts: the bid rules are exact for amounts and steps near
// the largest int64; current_price + increment must never wrap around and
// let a lower bid through.
func TestCheckBidHugeAmounts(t *testing.T) {
	t.Parallel()
	mid := t0.Add(time.Hour)
	ordinary := auction.Bidder{RegistrationID: "o", Code: "BO"}
	holder := auction.Bidder{RegistrationID: "p", Code: "BP", Rank: ptr(1)}
	auc := func(start, increment int64, price *int64) *auction.Auction {
		a := bidding(price, "", nil)
		a.StartPrice, a.Increment = start, increment
		if price != nil {
			a.LeaderRegistration, a.LeaderCode = ptr("x"), ptr("BX")
		}
		return a
	}
	const maxFen = math.MaxInt64
	// half is a step that reaches maxFen exactly in two steps from 1.
	const half = (maxFen - 1) / 2
	for _, tc := range []struct {
		name   string
		a      *auction.Auction
		b      auction.Bidder
		amount int64
		code   string
	}{
		{"first bid at the largest amount on the grid", auc(7, 100, nil), ordinary, maxFen, ""},
		{"first bid at the largest amount off the grid", auc(1000, 100, nil), ordinary, maxFen, auction.EBidNotOnIncrement},
		{"first bid at the largest amount with the largest step", auc(1, maxFen-1, nil), ordinary, maxFen, ""},
		{"a step that lands exactly on the largest amount", auc(1, half, ptr[int64](1+half)), ordinary, maxFen, ""},
		{"one step below it", auc(1, half, ptr[int64](1+half)), ordinary, 1 + half, auction.EBidTooLow},
		// 1 + 2^62 + 2^62 is past the largest amount: nothing can outbid it.
		{"a lower bid when the next step overflows", auc(1, 1<<62, ptr[int64](1+1<<62)), ordinary, 1, auction.EBidTooLow},
		{"the current price when the next step overflows", auc(1, 1<<62, ptr[int64](1+1<<62)), ordinary, 1 + 1<<62, auction.EBidTooLow},
		{"the largest amount when the next step overflows", auc(1, 1<<62, ptr[int64](1+1<<62)), ordinary, maxFen, auction.EBidNotOnIncrement},
		{"a priority match when the next step overflows", auc(1, 1<<62, ptr[int64](1+1<<62)), holder, 1 + 1<<62, ""},
		{"a lower bid under the largest step", auc(1, maxFen-1, ptr[int64](maxFen)), ordinary, 1, auction.EBidTooLow},
		{"the largest amount once it leads", auc(7, 100, ptr[int64](maxFen)), ordinary, maxFen, auction.EBidTooLow},
		{"the most negative amount", auc(1000, 100, nil), ordinary, math.MinInt64, auction.EBidTooLow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := auction.SPC2016.CheckBid(tc.a, tc.b, tc.amount, mid)
			wantCode(t, err, tc.code)
		})
	}
}

func TestCheckBidExtension(t *testing.T) {
	t.Parallel()
	end := t0.Add(24 * time.Hour)
	for _, tc := range []struct {
		name     string
		rb       auction.Rulebook
		at       time.Time
		extended bool
		endsAt   time.Time
	}{
		{"six minutes before the end", auction.SPC2016, end.Add(-6 * time.Minute), false, end},
		{"a microsecond before the window", auction.SPC2016, end.Add(-5*time.Minute - time.Microsecond), false, end},
		// At exactly ends_at - 5 min the rule sets ends_at = t + 5 min, which
		// is where it already is: the end does not move, so no extension.
		{"at the start of the window", auction.SPC2016, end.Add(-5 * time.Minute), false, end},
		{"four minutes before the end", auction.SPC2016, end.Add(-4 * time.Minute), true, end.Add(time.Minute)},
		{"in the last microsecond", auction.SPC2016, end.Add(-time.Microsecond), true, end.Add(5*time.Minute - time.Microsecond)},
		{"demo: ten seconds before the end", auction.Demo, end.Add(-10 * time.Second), true, end.Add(5 * time.Second)},
		{"demo: twenty seconds before the end", auction.Demo, end.Add(-20 * time.Second), false, end},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.rb.CheckBid(bidding(nil, "", nil), auction.Bidder{RegistrationID: "o"}, 1000, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if out.Extended != tc.extended || !out.EndsAt.Equal(tc.endsAt) {
				t.Fatalf("got extended=%v ends_at=%s, want %v %s", out.Extended, out.EndsAt, tc.extended, tc.endsAt)
			}
		})
	}
}

func TestCheckBidSaleRound(t *testing.T) {
	t.Parallel()
	// 变卖: a 60-day window at a fixed price; the first full-price bid opens a
	// 24 h bidding window with the usual extension.
	sale := func(price *int64, leader string, ends time.Time) *auction.Auction {
		a := bidding(price, leader, nil)
		a.Round, a.EndsAt = auction.RoundSale, ends
		return a
	}
	windowEnd := t0.Add(60 * 24 * time.Hour)
	at := t0.Add(3 * 24 * time.Hour)
	b := auction.Bidder{RegistrationID: "o", Code: "BO"}

	out, err := auction.SPC2016.CheckBid(sale(nil, "", windowEnd), b, 1000, at)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Extended || !out.EndsAt.Equal(at.Add(24*time.Hour)) {
		t.Fatalf("first sale bid: %+v, want a 24 h window from %s", out, at)
	}
	_, err = auction.SPC2016.CheckBid(sale(nil, "", windowEnd), b, 1100, at)
	wantCode(t, err, auction.EBidNotOnIncrement)
	_, err = auction.SPC2016.CheckBid(sale(nil, "", windowEnd), b, 900, at)
	wantCode(t, err, auction.EBidTooLow)

	// Within the 24 h window bidding goes on as usual.
	ends := at.Add(24 * time.Hour)
	out, err = auction.SPC2016.CheckBid(sale(ptr[int64](1000), "x", ends), b, 1100, at.Add(time.Hour))
	if err != nil || out.Extended {
		t.Fatalf("second sale bid: %+v %v", out, err)
	}
	out, err = auction.SPC2016.CheckBid(sale(ptr[int64](1100), "x", ends), b, 1200, ends.Add(-time.Minute))
	if err != nil || !out.Extended || !out.EndsAt.Equal(ends.Add(4*time.Minute)) {
		t.Fatalf("late sale bid: %+v %v", out, err)
	}
}

func TestDepositOwed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		deposit int64
		claim   *int64
		want    int64
	}{
		{10_000, nil, 10_000},
		{10_000, ptr[int64](0), 10_000},
		{10_000, ptr[int64](3_000), 7_000},
		{10_000, ptr[int64](9_999), 1},
		{10_000, ptr[int64](10_000), 0},
		{10_000, ptr[int64](50_000), 0},
		{0, nil, 0},
	} {
		if got := auction.DepositOwed(tc.deposit, tc.claim); got != tc.want {
			t.Errorf("DepositOwed(%d, %v) = %d, want %d", tc.deposit, tc.claim, got, tc.want)
		}
	}
}

func TestRolesAndCategories(t *testing.T) {
	t.Parallel()
	for _, r := range []string{auction.RoleClerk, auction.RoleFinance, auction.RoleAuditor, auction.RoleAdmin} {
		if !auction.IsStaffRole(r) || !auction.ValidRole(r) {
			t.Errorf("%s should be a valid staff role", r)
		}
	}
	if auction.IsStaffRole(auction.RoleBidder) || !auction.ValidRole(auction.RoleBidder) || auction.ValidRole("root") {
		t.Error("role checks are wrong")
	}
	for c, restricted := range map[string]bool{auction.CategoryRealEstate: true, auction.CategoryVehicle: true,
		auction.CategoryEquity: false, auction.CategoryMovable: false, auction.CategoryOther: false} {
		if !auction.ValidCategory(c) || auction.Restricted(c) != restricted {
			t.Errorf("category %s: valid %v restricted %v", c, auction.ValidCategory(c), auction.Restricted(c))
		}
	}
	if auction.ValidCategory("boat") {
		t.Error("boat is not a category")
	}
}

func TestLookupRulebook(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{"": "spc2016", "spc2016": "spc2016", "demo": "demo"} {
		rb, err := auction.LookupRulebook(name)
		if err != nil || rb.Name != want {
			t.Errorf("LookupRulebook(%q) = %s, %v", name, rb.Name, err)
		}
	}
	if _, err := auction.LookupRulebook("spc2020"); err == nil {
		t.Error("unknown rulebook accepted")
	}
	// The demo is the same law in minutes: every period is the SPC period / 1440.
	if auction.Demo.NoticeLong*1440 != auction.SPC2016.NoticeLong || auction.Demo.MinBidding*1440 != auction.SPC2016.MinBidding ||
		auction.Demo.MinStartPercent != auction.SPC2016.MinStartPercent {
		t.Error("demo rulebook drifted from spc2016")
	}
}

func TestErrorCode(t *testing.T) {
	t.Parallel()
	e := auction.Errorf(auction.EBidTooLow, "the lowest valid bid is %d", 1100)
	if e.Error() != "bid_too_low: the lowest valid bid is 1100" || auction.ErrorCode(e) != auction.EBidTooLow {
		t.Fatalf("Errorf: %v", e)
	}
	if auction.ErrorCode(errPlain("boom")) != auction.EInternal {
		t.Fatal("a plain error is internal")
	}
	f := auction.FieldError("increment", "must be positive")
	if f.Code != auction.EInvalidField || f.Message != "increment: must be positive" {
		t.Fatalf("FieldError: %+v", f)
	}
}

type errPlain string

func (e errPlain) Error() string { return string(e) }

// TestCheckBidCap: a single bid above MaxBidAppraisalMultiple times the
// appraisal is bid_too_high (spc2016: 10), checked before the grid, exact at
// the boundary and for appraisals whose cap passes the largest amount.
func TestCheckBidCap(t *testing.T) {
	t.Parallel()
	mid := t0.Add(time.Hour)
	ordinary := auction.Bidder{RegistrationID: "o", Code: "BO"}
	appraised := func(appraisal int64, price *int64) *auction.Auction {
		a := bidding(price, "", nil)
		a.AppraisalValue = appraisal
		if price != nil {
			a.LeaderRegistration, a.LeaderCode = ptr("x"), ptr("BX")
		}
		return a
	}
	const maxFen = math.MaxInt64
	for _, tc := range []struct {
		name   string
		a      *auction.Auction
		amount int64
		code   string
	}{
		{"exactly ten times the appraisal", appraised(1000, nil), 10_000, ""},
		{"one step above it", appraised(1000, nil), 10_100, auction.EBidTooHigh},
		{"one fen above it, off the grid", appraised(1000, nil), 10_001, auction.EBidTooHigh},
		{"the largest amount", appraised(1000, nil), maxFen, auction.EBidTooHigh},
		{"the largest amount over a leader", appraised(1000, ptr[int64](5000)), maxFen, auction.EBidTooHigh},
		{"an appraisal whose cap passes the largest amount", appraised(maxFen/10+1, nil), maxFen - (maxFen-1000)%100, ""},
		{"the largest appraisal", appraised(maxFen, nil), maxFen - (maxFen-1000)%100, ""},
		{"unknown appraisal: no cap", appraised(0, nil), maxFen - (maxFen-1000)%100, ""},
		{"a low bid is still too low", appraised(1000, ptr[int64](5000)), 5000, auction.EBidTooLow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := auction.SPC2016.CheckBid(tc.a, ordinary, tc.amount, mid)
			wantCode(t, err, tc.code)
		})
	}
	for _, rb := range []auction.Rulebook{auction.SPC2016, auction.Demo} {
		if rb.MaxBidAppraisalMultiple != 10 {
			t.Errorf("%s: cap multiple %d", rb.Name, rb.MaxBidAppraisalMultiple)
		}
	}
	if max, ok := (auction.Rulebook{}).MaxBid(1000); ok {
		t.Errorf("a rulebook without a multiple capped at %d", max)
	}
	if max, ok := auction.SPC2016.MaxBid(maxFen / 10); !ok || max != maxFen/10*10 {
		t.Errorf("cap of the largest exact appraisal: %d %v", max, ok)
	}
}
