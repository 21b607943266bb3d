package postgres_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/notice"
	noticepg "gavel/auction/notice/postgres"
	"gavel/auction/postgres"
)

// The user notices are written by the database's triggers in the
// transactions of the auction store; these tests drive the auction store
// and read the notices through the notice store.

func notices(t *testing.T, w *auctiontest.World) *noticepg.Store {
	return noticepg.New(w.Store.Pool(), w.Clock)
}

// mustNotices lists everything the user has (since 0).
func mustNotices(t *testing.T, ns *noticepg.Store, u *auction.User) []notice.Notice {
	t.Helper()
	l, err := ns.List(context.Background(), u.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	return l.Notices
}

// ofType returns the user's notices of one kind.
func ofType(t *testing.T, ns *noticepg.Store, u *auction.User, kind string) []notice.Notice {
	t.Helper()
	var out []notice.Notice
	for _, n := range mustNotices(t, ns, u) {
		if n.Type == kind {
			out = append(out, n)
		}
	}
	return out
}

func TestWatchlist(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ns := notices(t, w)
	a1, a2 := w.Announced("住宅"), w.Announced("住宅")
	u := w.Verified("W1", "")
	for _, id := range []string{a1.ID, a2.ID, a1.ID} { // again: no change
		if err := ns.Watch(w.Ctx, u.ID, id); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := ns.Watchlist(w.Ctx, u.ID)
	if err != nil || len(ids) != 2 {
		t.Fatalf("watchlist = %v, %v; want both auctions once", ids, err)
	}
	if ok, _ := ns.Watching(w.Ctx, u.ID, a1.ID); !ok {
		t.Fatal("Watching(a1) = false after Watch")
	}
	for i := 0; i < 2; i++ {
		if err := ns.Unwatch(w.Ctx, u.ID, a1.ID); err != nil {
			t.Fatal(err)
		}
	}
	if ids, _ = ns.Watchlist(w.Ctx, u.ID); len(ids) != 1 || ids[0] != a2.ID {
		t.Fatalf("after unwatch: %v, want [a2]", ids)
	}
	for _, bad := range []string{"00000000-0000-0000-0000-000000000000", "not-a-uuid", "\x00", strings.Repeat("x", 12000)} {
		wantCode(t, ns.Watch(w.Ctx, u.ID, bad), auction.ENotFound)
		wantCode(t, ns.Unwatch(w.Ctx, u.ID, bad), auction.ENotFound)
		if ok, err := ns.Watching(w.Ctx, u.ID, bad); ok || (err != nil && auction.ErrorCode(err) != auction.ENotFound) {
			t.Fatalf("Watching(%q) = %v, %v", bad[:min(len(bad), 10)], ok, err)
		}
	}
}

func TestNoticeOutbidCoalesced(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ns := notices(t, w)
	a := w.Announced("住宅")
	alice, bob := w.Verified("OA", ""), w.Verified("OB", "")
	w.Qualify(alice, a.ID)
	w.Qualify(bob, a.ID)
	w.Open(a)
	price := a.StartPrice
	mustBid := func(u *auction.User) {
		t.Helper()
		w.Bid(u, a.ID, price)
		price += a.Increment
	}
	mustBid(alice)
	if got := ofType(t, ns, alice, notice.Outbid); len(got) != 0 {
		t.Fatalf("the first bid outbid nobody, yet alice has %v", got)
	}
	mustBid(bob)
	first := ofType(t, ns, alice, notice.Outbid)
	if len(first) != 1 || first[0].Count != 1 || first[0].AuctionID != a.ID {
		t.Fatalf("alice after bob's bid: %+v, want one outbid notice counting 1", first)
	}
	if got := ofType(t, ns, bob, notice.Outbid); len(got) != 0 {
		t.Fatalf("the leader bob was told he was outbid: %v", got)
	}
	mustBid(alice) // bob outbid
	mustBid(bob)   // alice outbid a second time: coalesced into the unread notice
	again := ofType(t, ns, alice, notice.Outbid)
	if len(again) != 1 || again[0].Count != 2 || again[0].ID != first[0].ID || again[0].Seq <= first[0].Seq {
		t.Fatalf("alice after a second outbid: %+v, want the same notice counting 2 under a later seq than %d", again, first[0].Seq)
	}
	// A reader who had seen the first seq learns of the change.
	l, err := ns.List(w.Ctx, alice.ID, first[0].Seq)
	if err != nil || len(l.Notices) != 1 || l.Notices[0].Count != 2 {
		t.Fatalf("since the first seq: %+v, %v", l, err)
	}
	raw, _ := json.Marshal(again[0])
	for _, secret := range []string{bob.ID, bob.Email, "bidder_code", "OB"} {
		if strings.Contains(string(raw), secret) {
			t.Fatalf("outbid notice %s reveals %q", raw, secret)
		}
	}
	// Once read, the next outbid is a new notice.
	if err := ns.MarkRead(w.Ctx, alice.ID, again[0].Seq); err != nil {
		t.Fatal(err)
	}
	mustBid(alice)
	mustBid(bob)
	if got := ofType(t, ns, alice, notice.Outbid); len(got) != 2 || got[1].Count != 1 || got[0].ReadAt == nil || got[1].ReadAt != nil {
		t.Fatalf("after reading, a new outbid: %+v", got)
	}
}

// Many bidders racing on one auction (the bid queue decides them in batches):
// every bidder displaced at some point who does not lead at the end has an
// unread outbid notice, nobody has two unread ones on the auction, and no
// count exceeds the times the bids table shows them displaced.
func TestNoticeOutbidUnderConcurrency(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ns := notices(t, w)
	a := w.Announced("住宅")
	users := make([]*auction.User, 12)
	for i := range users {
		users[i] = w.Verified("", "")
		w.Qualify(users[i], a.ID)
	}
	w.Open(a)
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Add(1)
		go func(u *auction.User) {
			defer wg.Done()
			for i := 0; i < 15; i++ {
				cur, err := w.Store.Auction(w.Ctx, a.ID)
				if err != nil {
					t.Error(err)
					return
				}
				amount := a.StartPrice
				if cur.CurrentPrice != nil {
					amount = *cur.CurrentPrice + a.Increment
				}
				w.TryBid(u, a.ID, amount) // refusals (too low, already leading) are part of the race
			}
		}(u)
	}
	wg.Wait()
	rows, err := w.Store.Pool().Query(w.Ctx, `SELECT r.user_id::text FROM bids b JOIN registrations r ON r.id = b.registration_id
		WHERE b.auction_id = $1 ORDER BY b.seq`, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	order, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(order) < 2 {
		t.Fatalf("bids: %v, %v", order, err)
	}
	displaced := map[string]int{}
	for i := 1; i < len(order); i++ {
		if order[i] != order[i-1] {
			displaced[order[i-1]]++
		}
	}
	leader := order[len(order)-1]
	for _, u := range users {
		got := ofType(t, ns, u, notice.Outbid)
		if len(got) > 1 {
			t.Fatalf("user has %d unread outbid notices on one auction", len(got))
		}
		switch {
		case u.ID != leader && displaced[u.ID] > 0 && len(got) != 1:
			t.Fatalf("a bidder displaced %d times who does not lead has no outbid notice", displaced[u.ID])
		case len(got) == 1 && got[0].Count > displaced[u.ID]:
			t.Fatalf("outbid count %d > %d displacements", got[0].Count, displaced[u.ID])
		}
	}
}

// Notices of one user written by concurrent transactions on many auctions
// are numbered 1, 2, 3... and a reader polling with since while they are
// written sees each exactly once, never skipping one that committed late.
func TestNoticeSeqUnderConcurrency(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ns := notices(t, w)
	u := w.Verified("SEQ", "")
	const n = 16
	deposits := make([]string, n)
	for i := range deposits {
		a := w.Announced("住宅")
		reg := w.Register(u, a.ID)
		deposits[i] = reg.Deposit.ID
	}
	var wg sync.WaitGroup
	for i, id := range deposits {
		wg.Add(1)
		go func(i int, id string) {
			defer wg.Done()
			if _, err := w.Store.ConfirmDeposit(w.Ctx, id, "SEQ-"+id[:8]); err != nil {
				t.Error(err)
			}
		}(i, id)
	}
	seen := map[string]int64{}
	var since int64
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	poll := func() {
		l, err := ns.List(w.Ctx, u.ID, since)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range l.Notices {
			if x.Seq <= since {
				t.Fatalf("seq %d returned for since %d", x.Seq, since)
			}
			if prev, ok := seen[x.ID]; ok {
				t.Fatalf("notice %s seen twice (seq %d and %d)", x.ID, prev, x.Seq)
			}
			seen[x.ID], since = x.Seq, x.Seq
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		poll()
	}
	poll()
	held := 0
	for _, x := range mustNotices(t, ns, u) {
		if x.Type == notice.DepositHeld {
			held++
		}
	}
	if len(seen) != n || held != n {
		t.Fatalf("polled %d notices, %d deposit_held in all; want %d", len(seen), held, n)
	}
	for i, x := range mustNotices(t, ns, u) {
		if x.Seq != int64(i+1) {
			t.Fatalf("notice %d has seq %d; want 1, 2, 3...", i, x.Seq)
		}
	}
}

func TestNoticeCloseAndMoney(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ns := notices(t, w)
	fin := w.User(auction.RoleFinance, "")
	a := w.Announced("住宅")
	winner, loser, idle := w.Verified("CW", ""), w.Verified("CL", ""), w.Verified("CI", "")
	for _, u := range []*auction.User{winner, loser, idle} {
		w.Qualify(u, a.ID)
		if got := ofType(t, ns, u, notice.DepositHeld); len(got) != 1 || got[0].Data["amount"] != float64(a.Deposit) {
			t.Fatalf("deposit_held: %+v", got)
		}
	}
	if got := ofType(t, ns, fin, notice.DepositAwaitingConfirmation); len(got) != 3 {
		t.Fatalf("finance has %d deposits awaiting confirmation, want 3", len(got))
	}
	w.Open(a)
	w.Bid(loser, a.ID, a.StartPrice)
	w.Bid(winner, a.ID, a.StartPrice+a.Increment)
	w.TickAt(a.EndsAt)
	won := ofType(t, ns, winner, notice.Won)
	hammer := a.StartPrice + a.Increment
	if len(won) != 1 || won[0].Data["hammer_price"] != float64(hammer) || won[0].Data["balance_due"] != float64(hammer-a.Deposit) || won[0].Data["balance_due_at"] == nil {
		t.Fatalf("won: %+v", won)
	}
	for _, u := range []*auction.User{loser, idle} {
		if got := ofType(t, ns, u, notice.Lost); len(got) != 1 {
			t.Fatalf("lost: %+v", got)
		}
		if got := ofType(t, ns, u, notice.Won); len(got) != 0 {
			t.Fatalf("a loser won: %+v", got)
		}
	}
	if got := ofType(t, ns, winner, notice.Lost); len(got) != 0 {
		t.Fatalf("the winner lost: %+v", got)
	}
	// The refund: finance is told when it is late, the bidder when it is paid.
	if n, err := ns.Remind(w.Ctx); err != nil || len(ofType(t, ns, fin, notice.RefundOverdue)) != 0 {
		t.Fatalf("refund overdue before 24 h: %d, %v", n, err)
	}
	w.Clock.Advance(notice.RefundOverdueAfter)
	for i := 0; i < 2; i++ {
		if _, err := ns.Remind(w.Ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := ofType(t, ns, fin, notice.RefundOverdue); len(got) != 2 {
		t.Fatalf("refund_overdue: %d notices, want one per released deposit (2)", len(got))
	}
	deps, err := w.Store.Deposits(w.Ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deps {
		if d.Status == auction.DepositRefundPending {
			if _, err := w.Store.MarkRefunded(w.Ctx, d.ID, "REF-"+d.ID[:8]); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, u := range []*auction.User{loser, idle} {
		if got := ofType(t, ns, u, notice.DepositRefunded); len(got) != 1 || got[0].Data["amount"] != float64(a.Deposit) {
			t.Fatalf("deposit_refunded: %+v", got)
		}
	}
	// Balance reminders 3 days and 1 day before the deadline, then the default.
	sold := w.Auction(a.ID)
	due := *sold.BalanceDueAt
	for _, step := range []struct {
		at   time.Time
		want int
	}{
		{due.Add(-3*24*time.Hour - time.Minute), 0},
		{due.Add(-3 * 24 * time.Hour), 1},
		{due.Add(-25 * time.Hour), 1},
		{due.Add(-24 * time.Hour), 2},
		{due.Add(-time.Minute), 2},
	} {
		w.Clock.Set(step.at)
		if _, err := ns.Remind(w.Ctx); err != nil {
			t.Fatal(err)
		}
		got := ofType(t, ns, winner, notice.BalanceDue)
		if len(got) != step.want {
			t.Fatalf("at deadline %v: %d balance reminders, want %d", step.at.Sub(due), len(got), step.want)
		}
		if step.want > 0 && got[0].Data["outstanding"] != float64(hammer-a.Deposit) {
			t.Fatalf("balance_due data: %v", got[0].Data)
		}
	}
	w.TickAt(due)
	if got := ofType(t, ns, winner, notice.Defaulted); len(got) != 1 || got[0].Data["forfeited_deposit"] != float64(a.Deposit) {
		t.Fatalf("defaulted: %+v", got)
	}
	if got := ofType(t, ns, loser, notice.Defaulted); len(got) != 0 {
		t.Fatalf("the loser was told of the default: %+v", got)
	}
}

func TestNoticeReminders(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ns := notices(t, w)
	a := w.Announced("住宅")
	cancelled := w.Announced("住宅")
	watcher, bidder, pending := w.Verified("RW", ""), w.Verified("RB", ""), w.Verified("RP", "")
	for _, id := range []string{a.ID, cancelled.ID} {
		if err := ns.Watch(w.Ctx, watcher.ID, id); err != nil {
			t.Fatal(err)
		}
		w.Qualify(bidder, id)
		w.Register(pending, id)
	}
	if _, _, err := w.Store.CancelAuction(w.Ctx, auction.CourtAction{AuctionID: cancelled.ID, Actor: w.Clerk, Reason: "撤回"}); err != nil {
		t.Fatal(err)
	}
	remind := func() {
		t.Helper()
		if _, err := ns.Remind(w.Ctx); err != nil {
			t.Fatal(err)
		}
	}
	w.Clock.Set(a.StartsAt.Add(-notice.OpeningSoonBefore - time.Second))
	remind()
	if got := ofType(t, ns, watcher, notice.OpeningSoon); len(got) != 0 {
		t.Fatalf("opening_soon more than an hour ahead: %+v", got)
	}
	w.Clock.Set(a.StartsAt.Add(-notice.OpeningSoonBefore))
	remind()
	remind()
	for _, u := range []*auction.User{watcher, bidder, pending} {
		got := ofType(t, ns, u, notice.OpeningSoon)
		if len(got) != 1 || got[0].AuctionID != a.ID {
			t.Fatalf("opening_soon: %+v, want one, for the auction not cancelled", got)
		}
	}
	w.Open(a)
	w.Clock.Set(a.EndsAt.Add(-notice.EndingSoonBefore - time.Second))
	remind()
	if got := ofType(t, ns, bidder, notice.EndingSoon); len(got) != 0 {
		t.Fatalf("ending_soon too early: %+v", got)
	}
	w.Clock.Set(a.EndsAt.Add(-notice.EndingSoonBefore))
	remind()
	remind()
	if got := ofType(t, ns, bidder, notice.EndingSoon); len(got) != 1 {
		t.Fatalf("ending_soon for the qualified bidder: %+v", got)
	}
	for _, u := range []*auction.User{watcher, pending} {
		if got := ofType(t, ns, u, notice.EndingSoon); len(got) != 0 {
			t.Fatalf("ending_soon for someone not qualified: %+v", got)
		}
	}
}

// Two instances reminding at the same moment produce each reminder once.
func TestNoticeRemindersOnce(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	u := w.Verified("RO", "")
	w.Qualify(u, a.ID)
	w.Clock.Set(a.StartsAt.Add(-time.Minute))
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := noticepg.New(w.Store.Pool(), w.Clock).Remind(w.Ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := ofType(t, notices(t, w), u, notice.OpeningSoon); len(got) != 1 {
		t.Fatalf("%d opening_soon notices from 8 concurrent reminders, want 1", len(got))
	}
}

// Court actions come as auction events; whoever appends them (a clerk, or
// the outage guard), registered bidders and watchers are told, with nobody
// calling the notices.
func TestNoticeCourtEvents(t *testing.T) {
	t.Parallel()
	w := setup(t)
	guarded := postgres.New(postgres.Config{Pool: w.Store.Pool(), Clock: w.Clock, Rulebook: auction.SPC2016,
		Hooks: postgres.Hooks{Guard: func(ctx context.Context, tx pgx.Tx, auctions []*auction.Auction) (map[string]*postgres.Outage, error) {
			out := map[string]*postgres.Outage{}
			for _, a := range auctions {
				out[a.ID] = &postgres.Outage{From: a.EndsAt.Add(-time.Minute), To: a.EndsAt, Reason: "outage"}
			}
			return out, nil
		}}})
	ns := notices(t, w)
	a := w.Announced("住宅")
	watcher, bidder, stranger := w.Verified("EW", ""), w.Verified("EB", ""), w.Verified("ES", "")
	if err := ns.Watch(w.Ctx, watcher.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	w.Qualify(bidder, a.ID)
	w.Open(a)
	w.Clock.Set(a.EndsAt)
	if _, err := guarded.Tick(w.Ctx); err != nil { // the outage guard suspends
		t.Fatal(err)
	}
	act := auction.CourtAction{AuctionID: a.ID, Actor: w.Clerk, Reason: "审查"}
	if _, _, err := w.Store.ResumeAuction(w.Ctx, act, w.Clock.Now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Store.SuspendAuction(w.Ctx, act); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Store.CancelAuction(w.Ctx, act); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*auction.User{watcher, bidder} {
		if got := ofType(t, ns, u, notice.Suspended); len(got) != 2 {
			t.Fatalf("suspended (guard, then clerk): %+v", got)
		}
		if got := ofType(t, ns, u, notice.Resumed); len(got) != 1 || got[0].Data["ends_at"] == nil {
			t.Fatalf("resumed: %+v", got)
		}
		if got := ofType(t, ns, u, notice.Cancelled); len(got) != 1 {
			t.Fatalf("cancelled: %+v", got)
		}
	}
	if got := mustNotices(t, ns, stranger); len(got) != 0 {
		t.Fatalf("someone neither watching nor registered was told: %+v", got)
	}
	// Annulled after a sale: the buyer and the watchers hear of it.
	sold := w.Announced("住宅")
	w.Qualify(bidder, sold.ID)
	w.Open(sold)
	w.Bid(bidder, sold.ID, sold.StartPrice)
	w.TickAt(sold.EndsAt)
	if _, _, err := w.Store.AnnulAuction(w.Ctx, auction.CourtAction{AuctionID: sold.ID, Actor: w.Clerk, Reason: "撤销"}); err != nil {
		t.Fatal(err)
	}
	if got := ofType(t, ns, bidder, notice.Annulled); len(got) != 1 || got[0].AuctionID != sold.ID {
		t.Fatalf("annulled: %+v", got)
	}
}

func TestNoticeReadAndRefusals(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ns := notices(t, w)
	u := w.Verified("RR", "")
	for i := 0; i < 3; i++ {
		w.Qualify(u, w.Announced("住宅").ID)
	}
	l, err := ns.List(w.Ctx, u.ID, 0)
	if err != nil || len(l.Notices) != 3 || l.Unread != 3 {
		t.Fatalf("list: %+v, %v", l, err)
	}
	if err := ns.MarkRead(w.Ctx, u.ID, 2); err != nil {
		t.Fatal(err)
	}
	if l, _ = ns.List(w.Ctx, u.ID, 0); l.Unread != 1 || l.Notices[1].ReadAt == nil || l.Notices[2].ReadAt != nil {
		t.Fatalf("after reading up to 2: %+v", l)
	}
	if l, _ = ns.List(w.Ctx, u.ID, 1<<62); len(l.Notices) != 0 {
		t.Fatalf("since far ahead: %+v", l.Notices)
	}
	_, err = ns.List(w.Ctx, u.ID, -1)
	wantCode(t, err, auction.EInvalidField)
	wantCode(t, ns.MarkRead(w.Ctx, u.ID, -1), auction.EInvalidField)
	if err := ns.MarkRead(w.Ctx, u.ID, 1<<62); err != nil {
		t.Fatal(err)
	}
	// Another user's read changes nothing of u's.
	other := w.Verified("RO2", "")
	if err := ns.MarkRead(w.Ctx, other.ID, 1<<62); err != nil {
		t.Fatal(err)
	}
}
