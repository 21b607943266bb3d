package auction

import (
	"testing"
	"time"
)

func TestValidateResume(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	opened := now.Add(-time.Hour)
	suspended := &Auction{Status: StatusSuspended, OpenedAt: &opened}
	// Suspended while announced, bidding due to open in two hours.
	early := &Auction{Status: StatusSuspended, StartsAt: now.Add(2 * time.Hour)}
	// Suspended while announced; the start passed during the suspension.
	late := &Auction{Status: StatusSuspended, StartsAt: now.Add(-2 * time.Hour)}
	for _, tc := range []struct {
		name   string
		a      *Auction
		endsAt time.Time
		want   string
	}{
		{"resumes", suspended, now.Add(time.Hour), ""},
		{"exactly one window away", suspended, now.Add(5 * time.Minute), ""},
		{"not suspended", &Auction{Status: StatusBidding}, now.Add(time.Hour), EInvalidState},
		{"sold", &Auction{Status: StatusSold}, now.Add(time.Hour), EInvalidState},
		{"no end", suspended, time.Time{}, EInvalidField},
		{"in the past", suspended, now.Add(-time.Second), EInvalidField},
		{"now", suspended, now, EInvalidField},
		{"under one window", suspended, now.Add(5*time.Minute - time.Second), EInvalidField},
		{"never opened: a full period from the start", early, now.Add(26 * time.Hour), ""},
		{"never opened: short of a period from the start", early, now.Add(26*time.Hour - time.Second), EBiddingPeriodTooShort},
		{"start passed: a full period from now", late, now.Add(24 * time.Hour), ""},
		{"start passed: short of a period from now", late, now.Add(24*time.Hour - time.Second), EBiddingPeriodTooShort},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := SPC2016.ValidateResume(tc.a, tc.endsAt, now)
			switch {
			case err == nil && tc.want != "":
				t.Fatalf("accepted, want %s", tc.want)
			case err != nil && ErrorCode(err) != tc.want:
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}
