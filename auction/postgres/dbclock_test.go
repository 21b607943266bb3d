package postgres_test

import (
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
)

// skewedClock is a DBClock on a machine whose clock is off by skew.
func skewedClock(t *testing.T, w *auctiontest.World, skew time.Duration) *postgres.DBClock {
	t.Helper()
	c, err := postgres.NewDBClock(w.Ctx, postgres.DBClockConfig{Pool: w.Store.Pool(), Local: func() time.Time { return time.Now().Add(skew) }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func dbNow(t *testing.T, w *auctiontest.World) time.Time {
	t.Helper()
	var now time.Time
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT clock_timestamp()`).Scan(&now); err != nil {
		t.Fatal(err)
	}
	return now
}

// The clock of decisions is the database's, whatever the machine's clock
// says: instances whose clocks are five minutes apart read the same time,
// and each shows its machine's offset.
func TestDBClockIgnoresMachineClock(t *testing.T) {
	t.Parallel()
	w := setup(t)
	// Margins are seconds against a skew of minutes: the test checks which
	// clock is read, not how fast anything is.
	const margin = 5 * time.Second
	for _, skew := range []time.Duration{0, 5 * time.Minute, -5 * time.Minute} {
		c := skewedClock(t, w, skew)
		before := dbNow(t, w)
		now := c.Now()
		after := dbNow(t, w)
		if now.Before(before.Add(-margin)) || now.After(after.Add(margin)) {
			t.Errorf("skew %s: Now() = %s, database between %s and %s", skew, now, before, after)
		}
		if off := c.Offset() + skew; off < -margin || off > margin {
			t.Errorf("skew %s: Offset() = %s, want about %s", skew, c.Offset(), -skew)
		}
		if err := c.Ready(); err != nil {
			t.Errorf("skew %s: not ready after measuring: %v", skew, err)
		}
		if c.Error() > 100*time.Millisecond {
			t.Errorf("skew %s: measurement error %s above the bound", skew, c.Error())
		}
		if later := c.Now(); later.Before(now) {
			t.Errorf("skew %s: time went backwards from %s to %s", skew, now, later)
		}
	}
}

// Two instances whose machine clocks differ by ten minutes open, close and
// take bids exactly as one instance does: the same auction is not opened
// early by the fast one or late by the slow one, not closed early, and a bid
// before the end is accepted by either.
func TestSkewedInstancesDecideAlike(t *testing.T) {
	t.Parallel()
	w := setup(t)
	fast := postgres.New(postgres.Config{Pool: w.Store.Pool(), Clock: skewedClock(t, w, 5*time.Minute), Rulebook: auction.SPC2016})
	slow := postgres.New(postgres.Config{Pool: w.Store.Pool(), Clock: skewedClock(t, w, -5*time.Minute), Rulebook: auction.SPC2016})
	u := w.Verified("", "")

	// An auction made on the test clock, then moved to the database's time.
	at := func(startsIn, endsIn time.Duration) *auction.Auction {
		a := w.Announced("住宅")
		w.Qualify(u, a.ID)
		now := dbNow(t, w)
		if _, err := w.Store.Pool().Exec(w.Ctx, `UPDATE auctions SET starts_at = $2, ends_at = $3 WHERE id = $1`,
			a.ID, now.Add(startsIn), now.Add(endsIn)); err != nil {
			t.Fatal(err)
		}
		return a
	}
	notYet := at(2*time.Minute, time.Hour)   // the fast instance's machine says it has opened
	started := at(-2*time.Minute, time.Hour) // the slow instance's machine says not yet
	ending := at(-time.Hour, 2*time.Minute)  // the fast instance's machine says it has ended
	for _, s := range []*postgres.Store{fast, slow} {
		if _, err := s.Tick(w.Ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		a    *auction.Auction
		want string
	}{{notYet, auction.StatusAnnounced}, {started, auction.StatusBidding}, {ending, auction.StatusBidding}} {
		if got := w.Auction(c.a.ID); got.Status != c.want {
			t.Errorf("auction starting %s, ending %s: status %s, want %s", got.StartsAt, got.EndsAt, got.Status, c.want)
		}
	}
	for name, s := range map[string]*postgres.Store{"fast": fast, "slow": slow} {
		a := started
		if name == "fast" {
			a = ending
		}
		if _, err := s.PlaceBid(w.Ctx, auction.PlaceBid{AuctionID: a.ID, User: u, Amount: a.StartPrice, Key: "skew-" + name}); err != nil {
			t.Errorf("%s instance refused a bid before the end: %v", name, err)
		}
	}
}
