package postgres_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"gavel/auction"
)

func TestBidFlowSoldAndDeposits(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	alice := w.Verified("ID-A", "Alice")
	bob := w.Verified("ID-B", "Bob")
	ra := w.Qualify(alice, a.ID)
	rb := w.Qualify(bob, a.ID)
	w.Open(a)

	w.Bid(alice, a.ID, a.StartPrice)
	_, err := w.TryBid(alice, a.ID, a.StartPrice+a.Increment)
	wantCode(t, err, auction.EAlreadyLeading)
	res, err := w.TryBid(bob, a.ID, a.StartPrice+a.Increment)
	if err != nil {
		t.Fatal(err)
	}
	if *res.Auction.LeaderCode != *rb.BidderCode || *res.Auction.CurrentPrice != a.StartPrice+a.Increment {
		t.Fatalf("leader/price after bob's bid: %+v", res.Auction)
	}
	w.TickAt(a.EndsAt)
	got := w.Auction(a.ID)
	if got.Status != auction.StatusSold || *got.HammerPrice != a.StartPrice+a.Increment || *got.WinnerCode != *rb.BidderCode {
		t.Fatalf("after close: status %s hammer %v winner %v", got.Status, got.HammerPrice, got.WinnerCode)
	}
	deps, err := w.Store.Deposits(w.Ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ra.Deposit.ID: auction.DepositRefundPending, rb.Deposit.ID: auction.DepositApplied}
	for _, d := range deps {
		if want[d.ID] != d.Status {
			t.Errorf("deposit %s: status %s, want %s", d.ID, d.Status, want[d.ID])
		}
	}
	conf, err := w.Store.Confirmation(w.Ctx, a.ID)
	if err != nil || conf.BuyerName != "Bob" {
		t.Fatalf("confirmation: %+v %v", conf, err)
	}
}

// refusalState returns the auction state a refusal carries, failing when it
// carries none.
func refusalState(t testing.TB, err error) *auction.State {
	t.Helper()
	var e *auction.Error
	if !errors.As(err, &e) || e.Auction == nil {
		t.Fatalf("refusal %v carries no auction state", err)
	}
	return e.Auction
}

func TestBidRefusals(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.AnnouncedOf(auction.NewCase{}, auction.NewLot{Category: auction.CategoryRealEstate})
	alice := w.Verified("ID-RA", "")
	bob := w.Verified("ID-RB", "")
	pending := w.Verified("ID-RP", "")
	stranger := w.Verified("ID-RS", "")
	w.Qualify(alice, a.ID)
	w.Qualify(bob, a.ID)
	w.Register(pending, a.ID)

	// Before starts_at: not open; the state shows what the store holds.
	w.Clock.Set(a.StartsAt.Add(-time.Second))
	_, err := w.TryBid(alice, a.ID, a.StartPrice)
	wantCode(t, err, auction.EAuctionNotOpen)
	if s := refusalState(t, err); s.Status != auction.StatusAnnounced || s.Seq != 0 || s.CurrentPrice != nil || !s.EndsAt.Equal(a.EndsAt) {
		t.Fatalf("state before the start: %+v", s)
	}

	// At starts_at a refused bid must not report the opening it rolled back:
	// a client following seq would otherwise skip the real `opened` event.
	w.Clock.Set(a.StartsAt)
	_, err = w.TryBid(alice, a.ID, a.StartPrice-a.Increment)
	wantCode(t, err, auction.EBidTooLow)
	s := refusalState(t, err)
	stored, _ := w.Store.Auction(w.Ctx, a.ID)
	if s.Seq != stored.Seq || s.Status != stored.Status {
		t.Fatalf("refusal state %+v, stored seq %d status %s", s, stored.Seq, stored.Status)
	}

	for _, tc := range []struct {
		name   string
		u      *auction.User
		amount int64
		code   string
	}{
		{"not registered", stranger, a.StartPrice, auction.ENotQualified},
		{"deposit not held", pending, a.StartPrice, auction.ENotQualified},
		{"below the start price", alice, a.StartPrice - a.Increment, auction.EBidTooLow},
		{"off the increment grid", alice, a.StartPrice + a.Increment/2, auction.EBidNotOnIncrement},
	} {
		_, err := w.TryBid(tc.u, a.ID, tc.amount)
		wantCode(t, err, tc.code)
		if s := refusalState(t, err); s.Seq != stored.Seq {
			t.Errorf("%s: refusal seq %d, stored %d", tc.name, s.Seq, stored.Seq)
		}
	}

	first, err := w.TryBid(alice, a.ID, a.StartPrice)
	if err != nil {
		t.Fatal(err)
	}
	// The first bid opened the auction (seq 1) and is seq 2.
	if first.Bid.Seq != 2 || first.Auction.Seq != 2 || first.Auction.Status != auction.StatusBidding {
		t.Fatalf("first bid: %+v %+v", first.Bid, first.Auction)
	}
	for _, tc := range []struct {
		name   string
		u      *auction.User
		amount int64
		code   string
	}{
		{"leader bids again", alice, a.StartPrice + a.Increment, auction.EAlreadyLeading},
		{"equal to the current price", bob, a.StartPrice, auction.EBidTooLow},
		{"off the grid", bob, a.StartPrice + a.Increment + 1, auction.EBidNotOnIncrement},
	} {
		_, err := w.TryBid(tc.u, a.ID, tc.amount)
		wantCode(t, err, tc.code)
		s := refusalState(t, err)
		if *s.CurrentPrice != a.StartPrice || *s.LeaderCode != first.Bid.BidderCode || s.Seq != 2 || s.Status != auction.StatusBidding {
			t.Errorf("%s: refusal state %+v", tc.name, s)
		}
	}

	// Listed after registering: refused at the bid on a real estate lot.
	if _, err := w.Store.ImportBlacklist(w.Ctx, "api", []auction.BlacklistEntry{{Name: "x", IDNumber: idn("ID-RB"), CaseNumber: "c"}}); err != nil {
		t.Fatal(err)
	}
	_, err = w.TryBid(bob, a.ID, a.StartPrice+a.Increment)
	wantCode(t, err, auction.EBidderRestricted)
	refusalState(t, err)

	// At ends_at: closed to bids even before the scheduler runs.
	w.Clock.Set(a.EndsAt)
	_, err = w.TryBid(alice, a.ID, a.StartPrice+5*a.Increment)
	wantCode(t, err, auction.EAuctionNotOpen)
	refusalState(t, err)

	_, err = w.TryBid(alice, "00000000-0000-0000-0000-000000000000", a.StartPrice)
	wantCode(t, err, auction.ENotFound)
	_, err = w.TryBid(alice, "not-a-uuid", a.StartPrice)
	wantCode(t, err, auction.ENotFound)
}

func TestBidIdempotency(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	other := w.Announced("住宅")
	alice := w.Verified("ID-IA", "")
	bob := w.Verified("ID-IB", "")
	w.Qualify(alice, a.ID)
	w.Qualify(bob, a.ID)
	w.Qualify(alice, other.ID)
	w.Open(a)

	place := func(u *auction.User, auctionID string, amount int64, key string) (*auction.BidResult, error) {
		return w.Store.PlaceBid(w.Ctx, auction.PlaceBid{AuctionID: auctionID, User: u, Amount: amount, Key: key})
	}
	for _, key := range []string{"", string(make([]byte, 101))} {
		_, err := place(alice, a.ID, a.StartPrice, key)
		wantCode(t, err, auction.EIdempotencyRequired)
		refusalState(t, err)
	}
	// 100 characters is the limit, counted in characters, not bytes.
	long := ""
	for range 100 {
		long += "拍"
	}
	first, err := place(alice, a.ID, a.StartPrice, long)
	if err != nil {
		t.Fatal(err)
	}
	// bob outbids; alice's retry of her first bid changes nothing.
	if _, err := place(bob, a.ID, a.StartPrice+a.Increment, "k1"); err != nil {
		t.Fatal(err)
	}
	again, err := place(alice, a.ID, a.StartPrice, long)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(again.Bid, *again.Auction.CurrentPrice, again.Auction.Seq, again.Receipt) != fmt.Sprint(first.Bid, *first.Auction.CurrentPrice, first.Auction.Seq, first.Receipt) {
		t.Fatalf("retry answered %+v, first answer %+v", again, first)
	}
	// The same key with another body.
	_, err = place(alice, a.ID, a.StartPrice+2*a.Increment, long)
	wantCode(t, err, auction.EIdempotencyReused)
	refusalState(t, err)
	// The same key on another auction is another body too.
	w.Open(other)
	_, err = place(alice, other.ID, other.StartPrice, long)
	wantCode(t, err, auction.EIdempotencyReused)
	// Keys belong to one bidder: bob may use alice's key.
	if _, err := place(bob, a.ID, a.StartPrice+a.Increment, long); auction.ErrorCode(err) != auction.EAlreadyLeading {
		t.Fatalf("bob with alice's key: %v", err)
	}
	// A refused bid does not consume its key: fixed and retried, it counts.
	_, err = place(alice, a.ID, a.StartPrice+a.Increment+1, "k-refused")
	wantCode(t, err, auction.EBidNotOnIncrement)
	_, err = place(alice, a.ID, a.StartPrice+a.Increment+1, "k-refused")
	wantCode(t, err, auction.EBidNotOnIncrement)

	bids, err := w.Store.Bids(w.Ctx, a.ID)
	if err != nil || len(bids) != 2 {
		t.Fatalf("bids after retries: %d %v", len(bids), err)
	}
}

// TestBidExtensionEvents: a bid at t in the last 5 minutes appends its bid
// event, then an extended event, and ends_at becomes t + 5 min.
func TestBidExtensionEvents(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	alice := w.Verified("ID-EA", "")
	bob := w.Verified("ID-EB", "")
	w.Qualify(alice, a.ID)
	w.Qualify(bob, a.ID)
	w.Open(a)

	w.Clock.Set(a.EndsAt.Add(-5*time.Minute - time.Second))
	res, err := w.TryBid(alice, a.ID, a.StartPrice)
	if err != nil || len(res.Events) != 1 || !res.Auction.EndsAt.Equal(a.EndsAt) {
		t.Fatalf("bid before the window: %+v %v", res, err)
	}
	at := a.EndsAt.Add(-90 * time.Second)
	w.Clock.Set(at)
	res, err = w.TryBid(bob, a.ID, a.StartPrice+a.Increment)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Auction.EndsAt.Equal(at.Add(5 * time.Minute)) {
		t.Fatalf("ends_at %s, want %s", res.Auction.EndsAt, at.Add(5*time.Minute))
	}
	events, _, err := w.Store.Events(w.Ctx, a.ID, res.Bid.Seq-1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Type != auction.EventBid || events[1].Type != auction.EventExtended ||
		events[0].Seq != res.Bid.Seq || events[1].Seq != res.Bid.Seq+1 || res.Auction.Seq != res.Bid.Seq+1 {
		t.Fatalf("events after a late bid: %+v", events)
	}
	if events[1].Data["ends_at"] != at.Add(5*time.Minute).Format(time.RFC3339Nano) || events[0].Data["ends_at"] != events[1].Data["ends_at"] {
		t.Fatalf("extended data: %v / bid data %v", events[1].Data, events[0].Data)
	}
	// The old end has passed but the extended one has not: bidding goes on.
	w.TickAt(a.EndsAt.Add(time.Minute))
	if _, err := w.TryBid(alice, a.ID, a.StartPrice+2*a.Increment); err != nil {
		t.Fatalf("bid in the extension: %v", err)
	}
	got, _ := w.Store.Auction(w.Ctx, a.ID)
	if !got.EndsAt.Equal(a.EndsAt.Add(6*time.Minute)) || got.Status != auction.StatusBidding {
		t.Fatalf("after a bid in the extension: %s %s", got.Status, got.EndsAt)
	}
	w.TickAt(got.EndsAt)
	got, _ = w.Store.Auction(w.Ctx, a.ID)
	if got.Status != auction.StatusSold || !got.ClosedAt.Equal(a.EndsAt.Add(6*time.Minute)) || *got.HammerPrice != a.StartPrice+2*a.Increment {
		t.Fatalf("close after extensions: %+v", got)
	}
}

// TestPriorityMatch walks the priority rules through the store: matching an
// ordinary leader, a better rank taking over, an equal or worse rank refused.
func TestPriorityMatch(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.AnnouncedOf(auction.NewCase{}, auction.NewLot{})
	for _, h := range []auction.NewPriorityHolder{
		{Name: "甲", IDNumber: idn("PH-1"), Rank: 1}, {Name: "乙", IDNumber: idn("PH-2a"), Rank: 2}, {Name: "丙", IDNumber: idn("PH-2b"), Rank: 2},
	} {
		w.Holder(a.LotID, h)
	}
	ord := w.Verified("ORD", "")
	p1 := w.Verified("PH-1", "")
	p2a := w.Verified("PH-2a", "")
	p2b := w.Verified("PH-2b", "")
	regs := map[*auction.User]*auction.Registration{}
	for _, u := range []*auction.User{ord, p1, p2a, p2b} {
		regs[u] = w.Qualify(u, a.ID)
	}
	if regs[ord].PriorityRank != nil || *regs[p1].PriorityRank != 1 || *regs[p2a].PriorityRank != 2 {
		t.Fatal("priority ranks not matched by id number")
	}
	w.Open(a)
	price := a.StartPrice + 3*a.Increment
	steps := []struct {
		u      *auction.User
		amount int64
		code   string
		leader *auction.User
	}{
		{ord, price, "", ord},
		{p2a, price, "", p2a},                 // rank 2 matches an ordinary leader
		{p2b, price, auction.EBidTooLow, p2a}, // same rank: the earlier bid keeps it
		{ord, price, auction.EBidTooLow, p2a}, // ordinary bidders never match
		{p1, price, "", p1},                   // rank 1 beats rank 2 at equal price
		{p2a, price, auction.EBidTooLow, p1},
		{p2b, price + a.Increment, "", p2b}, // outbidding is open to all
		{p1, price + a.Increment, "", p1},
		{ord, price + 2*a.Increment, "", ord},
		{p2a, price + 2*a.Increment, "", p2a},
	}
	for i, st := range steps {
		res, err := w.TryBid(st.u, a.ID, st.amount)
		if st.code != "" {
			wantCode(t, err, st.code)
		} else if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		var s *auction.State
		if err != nil {
			s = refusalState(t, err)
		} else {
			s = res.Auction
			if res.Bid.Priority != (st.u != ord) {
				t.Errorf("step %d: priority flag %v", i, res.Bid.Priority)
			}
		}
		if *s.LeaderCode != *regs[st.leader].BidderCode {
			t.Fatalf("step %d: leader %s, want %s", i, *s.LeaderCode, *regs[st.leader].BidderCode)
		}
	}
	w.TickAt(a.EndsAt)
	got, _ := w.Store.Auction(w.Ctx, a.ID)
	if got.Status != auction.StatusSold || *got.WinnerCode != *regs[p2a].BidderCode || *got.HammerPrice != price+2*a.Increment {
		t.Fatalf("winner %v at %v, want %s", got.WinnerCode, got.HammerPrice, *regs[p2a].BidderCode)
	}
	bids, _ := w.Store.Bids(w.Ctx, a.ID)
	for i := 1; i < len(bids); i++ {
		if bids[i].Amount < bids[i-1].Amount || bids[i].Seq <= bids[i-1].Seq {
			t.Fatalf("bids out of order: %+v", bids)
		}
	}
}
