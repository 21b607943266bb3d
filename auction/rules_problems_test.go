package auction_test

import (
	"errors"
	"testing"
	"time"

	"gavel/auction"
)

// A round failing several checks is refused with the first as the error,
// exactly as if it failed that one alone, and every failed check in Fields
// naming its field.
func TestValidateScheduleListsEveryProblem(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC)
	p := auction.ScheduleParams{Round: auction.RoundFirst, StartPrice: 60_000_000, Increment: 0, Deposit: 1,
		StartsAt: start, EndsAt: start.Add(time.Hour)}
	err := auction.SPC2016.ValidateSchedule(p, 100_000_000, nil)
	var e *auction.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v", err)
	}
	if e.Code != auction.EInvalidField || e.Message != "increment: must be a positive amount in fen" {
		t.Errorf("first problem %s %q", e.Code, e.Message)
	}
	want := []auction.Problem{
		{Code: auction.EInvalidField, Field: "increment"},
		{Code: auction.EStartPriceTooLow, Field: "start_price"},
		{Code: auction.EDepositOutOfRange, Field: "deposit"},
		{Code: auction.EBiddingPeriodTooShort, Field: "ends_at"},
	}
	if len(e.Fields) != len(want) {
		t.Fatalf("fields %+v, want %d", e.Fields, len(want))
	}
	for i, w := range want {
		if e.Fields[i].Code != w.Code || e.Fields[i].Field != w.Field || e.Fields[i].Message == "" {
			t.Errorf("field %d: %+v, want %+v", i, e.Fields[i], w)
		}
	}
	// One problem alone is the same error it always was.
	p.Increment, p.Deposit, p.EndsAt = 100_000, 6_000_000, start.Add(24*time.Hour)
	if err := auction.SPC2016.ValidateSchedule(p, 100_000_000, nil); auction.ErrorCode(err) != auction.EStartPriceTooLow {
		t.Errorf("start price alone: %v", err)
	}
	p.StartPrice = 70_000_000
	p.Deposit = 7_000_000
	if err := auction.SPC2016.ValidateSchedule(p, 100_000_000, nil); err != nil {
		t.Errorf("a valid round: %v", err)
	}
}
