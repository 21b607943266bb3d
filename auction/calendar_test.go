package auction_test

import (
	"testing"
	"time"

	"gavel/auction"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	z, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The balance is due at the end of the Nth calendar day after the close, in
// the court's zone; the close's own day does not count.
func TestBalanceDueCalendarDays(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		zone   string
		rb     auction.Rulebook
		closed string
		days   int
		want   string
	}{
		{"afternoon in Shanghai", "Asia/Shanghai", auction.SPC2016, "2026-03-01T06:59:59Z", 10, "2026-03-11T16:00:00Z"},
		{"a second before midnight in Shanghai", "Asia/Shanghai", auction.SPC2016, "2026-03-01T15:59:59.999999Z", 10, "2026-03-11T16:00:00Z"},
		{"midnight in Shanghai starts the next day", "Asia/Shanghai", auction.SPC2016, "2026-03-01T16:00:00Z", 10, "2026-03-12T16:00:00Z"},
		{"after midnight UTC, same day in Shanghai", "Asia/Shanghai", auction.SPC2016, "2026-03-01T00:30:00Z", 10, "2026-03-11T16:00:00Z"},
		{"before midnight UTC, next day in Shanghai", "Asia/Shanghai", auction.SPC2016, "2026-02-28T23:30:00Z", 1, "2026-03-02T16:00:00Z"},
		{"across February", "Asia/Shanghai", auction.SPC2016, "2026-02-25T10:00:00Z", 10, "2026-03-07T16:00:00Z"},
		{"across the year", "Asia/Shanghai", auction.SPC2016, "2026-12-31T17:00:00Z", 1, "2027-01-02T16:00:00Z"},
		{"UTC court", "UTC", auction.SPC2016, "2026-03-01T23:59:00Z", 10, "2026-03-12T00:00:00Z"},
		{"Tokyo court", "Asia/Tokyo", auction.SPC2016, "2026-03-01T14:59:00Z", 1, "2026-03-02T15:00:00Z"},
		{"a day of 23 hours", "Europe/Berlin", auction.SPC2016, "2026-03-20T12:00:00Z", 10, "2026-03-30T22:00:00Z"},
		{"demo counts minutes", "Asia/Shanghai", auction.Demo, "2026-03-01T06:59:59Z", 10, "2026-03-01T07:09:59Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.rb.In(mustZone(t, tc.zone)).BalanceDue(utc(tc.closed), tc.days)
			if !got.Equal(utc(tc.want)) || got.Location() != time.UTC {
				t.Fatalf("BalanceDue(%s, %d) = %s, want %s", tc.closed, tc.days, got, tc.want)
			}
		})
	}
}

// A rulebook without a zone counts in the courts' default zone.
func TestRulebookDefaultZone(t *testing.T) {
	t.Parallel()
	if z := auction.SPC2016.Zone(); z.String() != auction.DefaultZone && z.String() != "CST" {
		t.Fatalf("default zone %s", z)
	}
	if got, want := auction.SPC2016.BalanceDue(utc("2026-03-01T06:59:59Z"), 10), utc("2026-03-11T16:00:00Z"); !got.Equal(want) {
		t.Fatalf("BalanceDue = %s, want %s", got, want)
	}
}

// A notice period of N days runs to the same time of day N calendar days
// later: N×24 h where clocks do not change, one hour less across a change.
func TestNoticeEndsCalendarDays(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		zone      string
		rb        auction.Rulebook
		published string
		notice    time.Duration
		want      string
	}{
		{"Asia/Shanghai", auction.SPC2016, "2026-03-01T15:59:59Z", auction.SPC2016.NoticeLong, "2026-03-31T15:59:59Z"},
		{"Asia/Shanghai", auction.SPC2016, "2026-03-01T16:00:00Z", auction.SPC2016.RenoticeShort, "2026-03-08T16:00:00Z"},
		{"Europe/Berlin", auction.SPC2016, "2026-03-10T12:00:00Z", auction.SPC2016.NoticeLong, "2026-04-09T11:00:00Z"},
		{"Asia/Shanghai", auction.Demo, "2026-03-01T15:59:59Z", auction.Demo.NoticeLong, "2026-03-01T16:29:59Z"},
	} {
		got := tc.rb.In(mustZone(t, tc.zone)).NoticeEnds(utc(tc.published), tc.notice)
		if !got.Equal(utc(tc.want)) {
			t.Errorf("%s %s: NoticeEnds(%s, %s) = %s, want %s", tc.rb.Name, tc.zone, tc.published, tc.notice, got, tc.want)
		}
	}
}

// A sale (变卖) lasts at most 60 days: to the end of the 60th day after the
// day it starts, in the court's zone.
func TestSaleWindowCalendarDays(t *testing.T) {
	t.Parallel()
	earlier := []auction.RoundHistory{{Round: auction.RoundFirst, Status: auction.StatusFailed, StartPrice: 100_00},
		{Round: auction.RoundSecond, Status: auction.StatusFailed, StartPrice: 80_00}}
	rb := auction.SPC2016.In(mustZone(t, "Asia/Shanghai"))
	starts := utc("2026-03-01T02:00:00Z") // 10:00 on 1 March in Shanghai
	for _, tc := range []struct {
		ends string
		code string
	}{
		{"2026-04-30T15:59:59Z", ""}, // 23:59:59 on 30 April, the 60th day
		{"2026-04-30T16:00:00Z", ""}, // its end
		{"2026-04-30T16:00:01Z", auction.EInvalidField},
	} {
		err := rb.ValidateSchedule(auction.ScheduleParams{Round: auction.RoundSale, StartPrice: 80_00, Increment: 1_00, Deposit: 8_00,
			StartsAt: starts, EndsAt: utc(tc.ends)}, 100_00, earlier)
		wantCode(t, err, tc.code)
	}
}
