package auction

import "time"

// Clock is the only source of time for rules (bid time, extensions, opening,
// closing, deadlines). Production uses the system clock; --test-clock uses a
// clock kept in the database that only moves when told to.
type Clock interface {
	Now() time.Time
}

// SystemClock reads the machine clock, truncated to PostgreSQL's microsecond
// precision so that a time written and read back compares equal (the auction
// record hashes times).
type SystemClock struct{}

// Now returns the current time in UTC at microsecond precision.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
