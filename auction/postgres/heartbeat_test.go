package postgres_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
)

// guardedWorld is a world whose closing store asks the outage guard of a
// heartbeat, as `gavel serve` wires it.
type guardedWorld struct {
	*auctiontest.World
	guarded *postgres.Store
	hb      *postgres.Heartbeat
	// closed holds, for each call of Hooks.AfterClose, the auctions it got.
	closed [][]string
}

func setupGuarded(t *testing.T) *guardedWorld {
	t.Helper()
	g := &guardedWorld{World: setup(t)}
	g.hb = g.startHeartbeat(t, "first")
	// Guard reads every run from the database, so any heartbeat of the
	// database judges the same way; g.hb is simply the one wired here.
	g.guarded = postgres.New(postgres.Config{Pool: g.Store.Pool(), Clock: g.Clock, Rulebook: auction.SPC2016,
		Hooks: postgres.Hooks{Guard: func(ctx context.Context, tx pgx.Tx, auctions []*auction.Auction) (map[string]*postgres.Outage, error) {
			return g.hb.Guard(ctx, tx, auctions)
		}, AfterClose: func(ctx context.Context, tx pgx.Tx, closed []*auction.Auction) error {
			var ids []string
			for _, a := range closed {
				ids = append(ids, a.ID)
			}
			g.closed = append(g.closed, ids)
			return nil
		}}})
	return g
}

// startHeartbeat starts a run for a new process at the clock's time.
func (g *guardedWorld) startHeartbeat(t *testing.T, name string) *postgres.Heartbeat {
	t.Helper()
	hb := postgres.NewHeartbeat(postgres.HeartbeatConfig{Pool: g.Store.Pool(), Clock: g.Clock, Instance: name})
	if err := hb.Start(g.Ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hb.Stop(g.Ctx) })
	return hb
}

// crash makes every heartbeat session vanish the way a killed process's does:
// PostgreSQL drops the session, the run row stays without stopped_at.
func (g *guardedWorld) crash(t *testing.T) {
	t.Helper()
	if _, err := g.Store.Pool().Exec(g.Ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name LIKE 'gavel-run:%'`); err != nil {
		t.Fatal(err)
	}
	// Termination is asynchronous; wait until the sessions are gone.
	for range 100 {
		var n int
		_ = g.Store.Pool().QueryRow(g.Ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'gavel-run:%'`).Scan(&n)
		if n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("heartbeat sessions survived pg_terminate_backend")
}

func (g *guardedWorld) beat(t *testing.T, hbs ...*postgres.Heartbeat) {
	t.Helper()
	for _, hb := range hbs {
		if err := hb.Beat(g.Ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func (g *guardedWorld) closeTick(t *testing.T) []auction.Change {
	t.Helper()
	changes, err := g.guarded.Tick(g.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	return changes
}

// soldWithBid returns an open auction with one bid by a qualified bidder.
func (g *guardedWorld) soldWithBid(t *testing.T) (*auction.Auction, *auction.User) {
	t.Helper()
	a := g.Announced("住宅")
	u := g.Verified("", "")
	g.Qualify(u, a.ID)
	g.Clock.Set(a.StartsAt)
	g.beat(t, g.hb)
	g.closeTick(t)
	g.Bid(u, a.ID, a.StartPrice)
	return a, u
}

func TestGuardClosesAServedAuction(t *testing.T) {
	t.Parallel()
	g := setupGuarded(t)
	a, _ := g.soldWithBid(t)
	g.Clock.Set(a.EndsAt.Add(-time.Minute))
	g.beat(t, g.hb)
	g.Clock.Set(a.EndsAt.Add(time.Second))
	// No beat since a minute before the end: the run is live (its session is
	// connected and its last beat fresh in real time), so it serves until now.
	g.closeTick(t)
	got, _ := g.Store.Auction(g.Ctx, a.ID)
	if got.Status != auction.StatusSold {
		t.Fatalf("a fully served auction: status %s (%s), want sold", got.Status, got.Suspended)
	}
}

func TestGuardSuspendsAfterACrashInTheFinalWindow(t *testing.T) {
	t.Parallel()
	g := setupGuarded(t)
	a, u := g.soldWithBid(t)
	other := g.Verified("", "")
	g.Qualify(other, a.ID)
	var ledgerBefore, notesBefore int
	_ = g.Store.Pool().QueryRow(g.Ctx, `SELECT count(*) FROM ledger_transactions`).Scan(&ledgerBefore)
	_ = g.Store.Pool().QueryRow(g.Ctx, `SELECT count(*) FROM case_notifications`).Scan(&notesBefore)

	g.Clock.Set(a.EndsAt.Add(-2 * time.Minute))
	g.beat(t, g.hb)
	g.crash(t)
	g.Clock.Set(a.EndsAt.Add(time.Minute)) // down across the end
	g.hb = g.startHeartbeat(t, "restarted")
	changes := g.closeTick(t)
	if len(changes) != 1 || len(changes[0].Events) != 1 || changes[0].Events[0].Type != auction.EventSuspended {
		t.Fatalf("tick after the restart: %+v, want one suspended event", changes)
	}
	got, _ := g.Store.Auction(g.Ctx, a.ID)
	if got.Status != auction.StatusSuspended || got.ClosedAt != nil || got.HammerPrice != nil ||
		!strings.Contains(got.Suspended, "unavailable") {
		t.Fatalf("suspended auction: %+v", got)
	}
	e := changes[0].Events[0]
	if !e.At.Equal(a.EndsAt) || e.Data["unserved_from"] != a.EndsAt.Add(-2*time.Minute).Format(time.RFC3339Nano) ||
		e.Data["unserved_to"] != a.EndsAt.Format(time.RFC3339Nano) || e.Data["reason"] != got.Suspended {
		t.Fatalf("suspended event: %+v", e)
	}
	t.Logf("suspended: %s", got.Suspended)
	deposits, _ := g.Store.Deposits(g.Ctx, a.ID)
	for _, d := range deposits {
		if d.Status != auction.DepositHeld {
			t.Fatalf("a deposit moved on suspension: %+v", d)
		}
	}
	var ledgerAfter, notesAfter int
	_ = g.Store.Pool().QueryRow(g.Ctx, `SELECT count(*) FROM ledger_transactions`).Scan(&ledgerAfter)
	_ = g.Store.Pool().QueryRow(g.Ctx, `SELECT count(*) FROM case_notifications`).Scan(&notesAfter)
	if ledgerAfter != ledgerBefore || notesAfter != notesBefore {
		t.Fatalf("suspension moved money or told the case system: ledger %d -> %d, notifications %d -> %d",
			ledgerBefore, ledgerAfter, notesBefore, notesAfter)
	}
	_, err := g.TryBid(other, a.ID, a.StartPrice+a.Increment)
	wantCode(t, err, auction.EAuctionNotOpen)
	if len(g.closeTick(t)) != 0 {
		t.Fatal("a second tick touched the suspended auction")
	}

	// Resume: refusals first.
	now := g.Clock.Now()
	_, _, err = g.guarded.ResumeAuction(g.Ctx, auction.CourtAction{AuctionID: a.ID}, now.Add(-time.Minute))
	wantCode(t, err, auction.EInvalidField)
	_, _, err = g.guarded.ResumeAuction(g.Ctx, auction.CourtAction{AuctionID: a.ID}, now.Add(4*time.Minute))
	wantCode(t, err, auction.EInvalidField) // under the 5 minute window
	_, _, err = g.guarded.ResumeAuction(g.Ctx, auction.CourtAction{AuctionID: "00000000-0000-0000-0000-000000000000"}, now.Add(time.Hour))
	wantCode(t, err, auction.ENotFound)
	resumed, events, err := g.guarded.ResumeAuction(g.Ctx, auction.CourtAction{AuctionID: a.ID}, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Status != auction.StatusBidding || !resumed.EndsAt.Equal(now.Add(time.Hour)) || resumed.Suspended != "" ||
		len(events) != 1 || events[0].Type != auction.EventResumed || events[0].Seq != resumed.Seq {
		t.Fatalf("resumed: %+v %+v", resumed, events)
	}
	_, _, err = g.guarded.ResumeAuction(g.Ctx, auction.CourtAction{AuctionID: a.ID}, now.Add(2*time.Hour))
	wantCode(t, err, auction.EInvalidState)

	// Bidding goes on where it stopped, then closes normally.
	g.Bid(other, a.ID, a.StartPrice+a.Increment)
	_, err = g.TryBid(u, a.ID, a.StartPrice+a.Increment)
	wantCode(t, err, auction.EBidTooLow)
	g.Clock.Set(resumed.EndsAt)
	g.closeTick(t)
	got, _ = g.Store.Auction(g.Ctx, a.ID)
	if got.Status != auction.StatusSold || *got.HammerPrice != a.StartPrice+a.Increment {
		t.Fatalf("after resumption: %+v", got)
	}
	rec, _ := g.Store.Record(g.Ctx, a.ID)
	if seq, why := rec.Verify(); seq != 0 {
		t.Fatalf("record broken at %d: %s", seq, why)
	}
	var types []string
	for _, e := range rec.Events[len(rec.Events)-4:] {
		types = append(types, e.Type)
	}
	if strings.Join(types, ",") != "suspended,resumed,bid,closed" {
		t.Fatalf("record ends %v", types)
	}
}

func TestGuardIgnoresAnOutageBeforeTheFinalWindow(t *testing.T) {
	t.Parallel()
	g := setupGuarded(t)
	a, _ := g.soldWithBid(t)
	inWindow := g.Announced("住宅") // same times; bids are not needed for the guard
	g.Clock.Set(a.EndsAt.Add(-time.Hour))
	g.beat(t, g.hb)
	g.crash(t)
	g.Clock.Set(a.EndsAt.Add(-6 * time.Minute)) // back one minute before the final 5 minutes
	g.hb = g.startHeartbeat(t, "restarted")
	g.Clock.Set(a.EndsAt)
	g.closeTick(t)
	for _, id := range []string{a.ID, inWindow.ID} {
		got, _ := g.Store.Auction(g.Ctx, id)
		if got.Status == auction.StatusSuspended {
			t.Fatalf("an outage that ended before the final window suspended the auction: %s", got.Suspended)
		}
	}
}

func TestGuardSuspendsWhenTheRestartIsInsideTheWindow(t *testing.T) {
	t.Parallel()
	g := setupGuarded(t)
	a, _ := g.soldWithBid(t)
	g.Clock.Set(a.EndsAt.Add(-10 * time.Minute))
	g.beat(t, g.hb)
	g.crash(t)
	g.Clock.Set(a.EndsAt.Add(-4 * time.Minute)) // back with four minutes to go
	g.hb = g.startHeartbeat(t, "restarted")
	g.Clock.Set(a.EndsAt)
	g.beat(t, g.hb)
	g.closeTick(t)
	got, _ := g.Store.Auction(g.Ctx, a.ID)
	if got.Status != auction.StatusSuspended {
		t.Fatalf("restart four minutes before the end: %s, want suspended", got.Status)
	}
}

func TestGuardTrustsALiveRunThatHasNotBeatenYet(t *testing.T) {
	t.Parallel()
	g := setupGuarded(t)
	a, _ := g.soldWithBid(t)
	first := g.hb
	g.Clock.Set(a.EndsAt.Add(-10 * time.Minute))
	g.beat(t, first) // its run's beat_at lags ten minutes behind
	g.Clock.Set(a.EndsAt.Add(-time.Minute))
	g.hb = g.startHeartbeat(t, "second") // a second process starts within the window
	g.Clock.Set(a.EndsAt)
	g.closeTick(t)
	got, _ := g.Store.Auction(g.Ctx, a.ID)
	if got.Status != auction.StatusSold {
		t.Fatalf("the first process served all along: %s (%s), want sold", got.Status, got.Suspended)
	}
}

func TestGuardDoesNotTrustAStaleRun(t *testing.T) {
	t.Parallel()
	g := setupGuarded(t)
	a, _ := g.soldWithBid(t)
	stalled := postgres.NewHeartbeat(postgres.HeartbeatConfig{Pool: g.Store.Pool(), Clock: g.Clock, Stale: 300 * time.Millisecond})
	g.Clock.Set(a.EndsAt.Add(-20 * time.Minute))
	if err := stalled.Start(g.Ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stalled.Stop(g.Ctx) })
	g.hb.Stop(g.Ctx) // only the stalled process remains
	// The process stalls (its session stays connected) past Stale in real time.
	time.Sleep(400 * time.Millisecond)
	g.Clock.Set(a.EndsAt)
	g.hb = stalled
	g.closeTick(t)
	got, _ := g.Store.Auction(g.Ctx, a.ID)
	if got.Status != auction.StatusSuspended {
		t.Fatalf("a stalled process vouched for the window: %s, want suspended", got.Status)
	}
	// Its next beat starts a new run: the stall is on record as a gap.
	g.beat(t, stalled)
	var runs int
	_ = g.Store.Pool().QueryRow(g.Ctx, `SELECT count(*) FROM service_runs WHERE instance <> 'first'`).Scan(&runs)
	if runs != 2 {
		t.Fatalf("the stalled process has %d runs, want 2", runs)
	}
}

func TestGuardSuspendsOnBidPathFailures(t *testing.T) {
	t.Parallel()
	g := setupGuarded(t)
	unaffected := g.Announced("住宅")
	before := g.Announced("住宅")
	a, _ := g.soldWithBid(t)
	g.Clock.Set(a.EndsAt.Add(-time.Hour))
	g.hb.BidFailed(before.ID, auction.EInternal) // long before the window: harmless
	g.Clock.Set(a.EndsAt.Add(-3 * time.Minute))
	g.hb.BidFailed(a.ID, auction.EUnavailable)
	g.Clock.Set(a.EndsAt)
	g.closeTick(t) // the failure is still only in memory
	got, _ := g.Store.Auction(g.Ctx, a.ID)
	if got.Status != auction.StatusSuspended || !strings.Contains(got.Suspended, auction.EUnavailable) {
		t.Fatalf("bids failing in the final window: %s (%s), want suspended", got.Status, got.Suspended)
	}
	for _, id := range []string{unaffected.ID, before.ID} {
		if got, _ := g.Store.Auction(g.Ctx, id); got.Status != auction.StatusFailed {
			t.Fatalf("an auction whose bids did not fail: %s (%s), want failed", got.Status, got.Suspended)
		}
	}

	// Written with the next beat, the failure is seen by every process.
	later := g.Announced("住宅")
	g.Clock.Set(later.EndsAt.Add(-time.Minute))
	g.hb.BidFailed("", auction.EUnavailable)
	g.beat(t, g.hb)
	var n int
	_ = g.Store.Pool().QueryRow(g.Ctx, `SELECT count(*) FROM service_failures`).Scan(&n)
	if n != 3 {
		t.Fatalf("%d failures on record, want 3", n)
	}
	other := g.startHeartbeat(t, "other")
	g.Clock.Set(later.EndsAt)
	g.hb = other
	g.closeTick(t)
	if got, _ := g.Store.Auction(g.Ctx, later.ID); got.Status != auction.StatusSuspended {
		t.Fatalf("a failure of every auction in the window: %s, want suspended", got.Status)
	}
}

func TestGuardNeedsARunForTheWholeWindow(t *testing.T) {
	t.Parallel()
	g := setupGuarded(t)
	a := g.Announced("住宅")
	g.hb.Stop(g.Ctx) // a clean stop ends the run as surely as a crash
	g.Clock.Set(a.EndsAt)
	g.closeTick(t)
	if got, _ := g.Store.Auction(g.Ctx, a.ID); got.Status != auction.StatusSuspended {
		t.Fatalf("nobody served the window: %s, want suspended", got.Status)
	}
}

func TestAuctionRecordsAreNeverDeleted(t *testing.T) {
	t.Parallel()
	g := setupGuarded(t)
	a, _ := g.soldWithBid(t)
	for _, q := range []string{
		`DELETE FROM auction_events WHERE auction_id = '` + a.ID + `'`,
		`UPDATE auction_events SET type = 'bid' WHERE auction_id = '` + a.ID + `'`,
		`DELETE FROM bids WHERE auction_id = '` + a.ID + `'`,
		`UPDATE bids SET amount = 1 WHERE auction_id = '` + a.ID + `'`,
		`DELETE FROM auctions WHERE id = '` + a.ID + `'`,
		`TRUNCATE auction_events CASCADE`,
		`TRUNCATE bids CASCADE`,
		`TRUNCATE auctions CASCADE`,
	} {
		if _, err := g.Store.Pool().Exec(g.Ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("%s: %v, want refused", q, err)
		}
	}
	rec, _ := g.Store.Record(g.Ctx, a.ID)
	if len(rec.Events) == 0 {
		t.Fatal("the record is gone")
	}
}

// One tick closes auctions with different final windows in one batch; the
// guard judges each by its own window and its own failures only.
func TestGuardJudgesEachAuctionOfABatch(t *testing.T) {
	t.Parallel()
	g := setupGuarded(t)
	at := func(ts time.Time) { // moves the clock; the run beats along
		g.Clock.Set(ts)
		g.beat(t, g.hb)
	}
	first := g.Announced("住宅")
	at(g.Clock.Now().Add(time.Hour))
	later, failing := g.Announced("住宅"), g.Announced("住宅")
	at(g.Clock.Now().Add(time.Hour))
	last := g.Announced("住宅")
	at(last.StartsAt)
	g.closeTick(t) // opens them all

	// Failures written with a beat: each inside another auction's window, or
	// inside the failing auction's own.
	at(first.EndsAt.Add(-time.Minute))
	g.hb.BidFailed(later.ID, auction.EInternal)
	at(later.EndsAt.Add(-3 * time.Minute))
	g.hb.BidFailed(first.ID, auction.EInternal)
	at(later.EndsAt.Add(-2 * time.Minute))
	g.hb.BidFailed(failing.ID, auction.EUnavailable)
	at(later.EndsAt)
	// The only stretch nobody served is in the last auction's window.
	at(last.EndsAt.Add(-4 * time.Minute))
	g.hb.Stop(g.Ctx)
	g.Clock.Set(last.EndsAt.Add(-3 * time.Minute))
	g.hb = g.startHeartbeat(t, "restarted")
	at(last.EndsAt)

	g.closed = nil
	changes := g.closeTick(t)
	if len(changes) != 4 {
		t.Fatalf("one tick changed %d auctions, want 4", len(changes))
	}
	// The hook hears of the closed auctions together, not of the suspended.
	want := []string{first.ID, later.ID}
	sort.Strings(want)
	if len(g.closed) != 1 || strings.Join(g.closed[0], ",") != strings.Join(want, ",") {
		t.Errorf("AfterClose got %v, want once %v", g.closed, want)
	}
	for _, tc := range []struct {
		a      *auction.Auction
		status string
		reason string
		from   time.Time
		to     time.Time
	}{
		{first, auction.StatusFailed, "", time.Time{}, time.Time{}},
		{later, auction.StatusFailed, "", time.Time{}, time.Time{}},
		{failing, auction.StatusSuspended, auction.EUnavailable, later.EndsAt.Add(-2 * time.Minute), later.EndsAt.Add(-2 * time.Minute)},
		{last, auction.StatusSuspended, "unavailable from", last.EndsAt.Add(-4 * time.Minute), last.EndsAt.Add(-3 * time.Minute)},
	} {
		got, _ := g.Store.Auction(g.Ctx, tc.a.ID)
		if got.Status != tc.status || !strings.Contains(got.Suspended, tc.reason) {
			t.Errorf("auction ending %s: %s (%s), want %s (%s)", tc.a.EndsAt, got.Status, got.Suspended, tc.status, tc.reason)
			continue
		}
		if tc.status != auction.StatusSuspended {
			continue
		}
		events, _, _ := g.Store.Events(g.Ctx, tc.a.ID, 0, 100)
		e := events[len(events)-1]
		if e.Type != auction.EventSuspended || e.Data["unserved_from"] != tc.from.Format(time.RFC3339Nano) ||
			e.Data["unserved_to"] != tc.to.Format(time.RFC3339Nano) {
			t.Errorf("auction ending %s: last event %+v, want suspended %s..%s", tc.a.EndsAt, e, tc.from, tc.to)
		}
	}
}
