package auction

import "time"

// DefaultZone is the courts' time zone: day-count deadlines are counted in
// its calendar days unless a deployment names another (gavel serve --timezone).
const DefaultZone = "Asia/Shanghai"

// defaultZone is DefaultZone from the system's zone database, or China
// Standard Time (UTC+8, without daylight saving since 1991) where the
// system has none.
var defaultZone = func() *time.Location {
	if z, err := time.LoadLocation(DefaultZone); err == nil {
		return z
	}
	return time.FixedZone("CST", 8*60*60)
}()

// In returns the rulebook counting its days in zone (nil: DefaultZone).
func (r Rulebook) In(zone *time.Location) Rulebook {
	r.zone = zone
	return r
}

// Zone is the time zone whose calendar days the rulebook counts.
func (r Rulebook) Zone() *time.Location {
	if r.zone == nil {
		return defaultZone
	}
	return r.zone
}

// Days counted by the law are calendar days in the court's time zone, not
// blocks of 24 hours: a balance due ten days after a close at 15:00 is due by
// the end of the tenth day, not at 15:00 on it. As the Civil Procedure Law
// counts periods (Art. 85), the day on which a period starts is not counted.
// A rulebook without calendar days (demo, where a day is a minute) counts
// plain durations.

// DeadlineAfter is the end of a period of days counted from t: the end (the
// next midnight in the court's zone) of the nth calendar day after t's day,
// n being period in the rulebook's days. Periods that are not whole days,
// and every period of a rulebook without calendar days, end at t + period.
func (r Rulebook) DeadlineAfter(t time.Time, period time.Duration) time.Time {
	n, whole := r.wholeDays(period)
	if !whole {
		return t.Add(period)
	}
	zone := r.Zone()
	d := t.In(zone)
	return time.Date(d.Year(), d.Month(), d.Day()+n+1, 0, 0, 0, 0, zone).UTC()
}

// NoticeEnds is when a notice period published at t has run: the same time of
// day n calendar days later in the court's zone. In a zone without daylight
// saving this is t + n×24 h, which is what API.md states
// (announcement_period_too_short when starts_at - now is under the period);
// where clocks change it is still n days on the court's calendar.
func (r Rulebook) NoticeEnds(t time.Time, notice time.Duration) time.Time {
	n, whole := r.wholeDays(notice)
	if !whole {
		return t.Add(notice)
	}
	return t.In(r.Zone()).AddDate(0, 0, n).UTC()
}

// wholeDays is period in the rulebook's days, when the rulebook counts
// calendar days and period is a whole number of them.
func (r Rulebook) wholeDays(period time.Duration) (int, bool) {
	if !r.CalendarDays || r.Day <= 0 || period%r.Day != 0 {
		return 0, false
	}
	return int(period / r.Day), true
}

// BalanceDue is when the balance of an auction closed at closedAt is due:
// the end of its balance_due_days-th day.
func (r Rulebook) BalanceDue(closedAt time.Time, days int) time.Time {
	return r.DeadlineAfter(closedAt, time.Duration(days)*r.Day)
}
