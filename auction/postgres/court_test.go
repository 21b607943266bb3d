package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/payments"
)

type courtFunc = func(context.Context, auction.CourtAction) (*auction.Auction, []auction.Event, error)

// act is a court action by the world's clerk.
func act(w *auctiontest.World, id, reason string) auction.CourtAction {
	return auction.CourtAction{AuctionID: id, Actor: w.Clerk, Reason: reason}
}

// lastEvent returns the auction's last event, checking the whole record
// still verifies.
func lastEvent(t *testing.T, w *auctiontest.World, id string) auction.Event {
	t.Helper()
	rc, err := w.Store.VerifiedRecord(w.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if rc.FirstBrokenSeq != 0 {
		t.Fatalf("record broken at %d: %s", rc.FirstBrokenSeq, rc.Problem)
	}
	if len(rc.Events) == 0 {
		t.Fatal("no events")
	}
	return rc.Events[len(rc.Events)-1]
}

// wantAudited checks that the audit log holds the court action with its
// reason, by the world's clerk, on the auction.
func wantAudited(t *testing.T, w *auctiontest.World, action, id, reason string) {
	t.Helper()
	wantAuditedOn(t, w, "court "+action, id, reason)
}

// wantAuditedOn checks that the audit log holds action on target with the
// reason (any when ""), by the world's clerk.
func wantAuditedOn(t *testing.T, w *auctiontest.World, action, id, reason string) {
	t.Helper()
	page, err := w.Store.AuditLog(w.Ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if !page.Valid {
		t.Fatalf("audit chain broken: %s", page.Problem)
	}
	for _, e := range page.Entries {
		if e.Action == action && e.Target == id && (reason == "" || e.Detail["reason"] == reason) && e.ActorID == w.Clerk.ID {
			return
		}
	}
	t.Fatalf("no audit entry for %s of %s with reason %q", action, id, reason)
}

// notified returns the bodies of the case notifications of type typ about
// the auction.
func notified(t *testing.T, w *auctiontest.World, id, typ string) []map[string]any {
	t.Helper()
	rows, err := w.Store.Pool().Query(w.Ctx, `SELECT body::text FROM case_notifications WHERE auction_id = $1 AND type = $2`, id, typ)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		var raw string
		var m map[string]any
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestCourtActionRefusals(t *testing.T) {
	t.Parallel()
	w := setup(t)
	lot := w.Lot(w.Case(1_000_000).ID, "商铺", 100_000_000)
	draft := w.Draft(lot.ID, auction.RoundFirst, 70_000_000, w.Now().Add(month))
	announced := w.Announced("住宅")
	missing := "00000000-0000-0000-0000-000000000000"
	for _, tc := range []struct {
		name   string
		do     courtFunc
		id     string
		reason string
		code   string
	}{
		{"suspend a draft", w.Store.SuspendAuction, draft.ID, "objection", auction.EInvalidState},
		{"annul a draft", w.Store.AnnulAuction, draft.ID, "error", auction.EInvalidState},
		{"annul an announced round", w.Store.AnnulAuction, announced.ID, "error", auction.EInvalidState},
		{"suspend without a reason", w.Store.SuspendAuction, announced.ID, "", auction.EInvalidField},
		{"suspend with a blank reason", w.Store.SuspendAuction, announced.ID, " \t\n ", auction.EInvalidField},
		{"cancel with a blank reason", w.Store.CancelAuction, announced.ID, "   ", auction.EInvalidField},
		{"annul with a blank reason", w.Store.AnnulAuction, announced.ID, "", auction.EInvalidField},
		{"a NUL in the reason", w.Store.SuspendAuction, announced.ID, "a\x00b", auction.EInvalidField},
		{"invalid UTF-8", w.Store.SuspendAuction, announced.ID, "a\xffb", auction.EInvalidField},
		{"12,000 characters", w.Store.CancelAuction, announced.ID, strings.Repeat("异", 12000), auction.EInvalidField},
		{"an unknown auction", w.Store.CancelAuction, missing, "why", auction.ENotFound},
		{"a malformed id", w.Store.CancelAuction, "not-a-uuid", "why", auction.ENotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := tc.do(w.Ctx, act(w, tc.id, tc.reason))
			wantCode(t, err, tc.code)
		})
	}
	_, _, err := w.Store.ResumeAuction(w.Ctx, act(w, announced.ID, ""), w.Clock.Now().Add(40*24*time.Hour))
	wantCode(t, err, auction.EInvalidState)
	// Nothing refused changed anything.
	wantStatus(t, w, draft.ID, auction.StatusDraft)
	wantStatus(t, w, announced.ID, auction.StatusAnnounced)
}

// TestSuspendAndResumeBidding: a suspended auction takes no bid and no
// registration; resumed, it goes on from the same price and leader.
func TestSuspendAndResumeBidding(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	u1, u2, late := w.Verified("", ""), w.Verified("", ""), w.Verified("", "")
	w.Qualify(u1, a.ID)
	w.Qualify(u2, a.ID)
	w.Open(a)
	w.Bid(u1, a.ID, a.StartPrice)
	w.Clock.Advance(time.Hour)
	const reason = "案外人提出异议，本院决定暂缓拍卖"
	got, events, err := w.Store.SuspendAuction(w.Ctx, act(w, a.ID, "  "+reason+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != auction.StatusSuspended || len(events) != 1 || events[0].Type != auction.EventSuspended || events[0].Data["reason"] != reason {
		t.Fatalf("suspended: %s %+v", got.Status, events)
	}
	if e := lastEvent(t, w, a.ID); e.Type != auction.EventSuspended || e.Seq != got.Seq || e.Data["reason"] != reason {
		t.Fatalf("record ends with %+v", e)
	}
	wantAudited(t, w, auction.ActionSuspend, a.ID, reason)
	_, _, err = w.Store.SuspendAuction(w.Ctx, act(w, a.ID, "again"))
	wantCode(t, err, auction.EInvalidState)

	_, err = w.TryBid(u2, a.ID, a.StartPrice+a.Increment)
	wantCode(t, err, auction.EAuctionNotOpen)
	if st := refusalState(t, err); st.Status != auction.StatusSuspended {
		t.Fatalf("refusal carries %+v", st)
	}
	_, err = w.Store.Register(w.Ctx, late, a.ID)
	wantCode(t, err, auction.ERegistrationClosed)
	// The end passes during the suspension: nothing closes it.
	w.TickAt(a.EndsAt.Add(time.Hour))
	wantStatus(t, w, a.ID, auction.StatusSuspended)

	_, _, err = w.Store.ResumeAuction(w.Ctx, act(w, a.ID, ""), w.Clock.Now().Add(time.Minute))
	wantCode(t, err, auction.EInvalidField)
	endsAt := w.Clock.Now().Add(24 * time.Hour)
	got, events, err = w.Store.ResumeAuction(w.Ctx, act(w, a.ID, "异议已审查"), endsAt)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != auction.StatusBidding || !got.EndsAt.Equal(endsAt) || got.Suspended != "" ||
		*got.CurrentPrice != a.StartPrice || got.BidCount != 1 || len(events) != 1 || events[0].Type != auction.EventResumed ||
		events[0].Data["suspended_reason"] != reason || events[0].Data["reason"] != "异议已审查" {
		t.Fatalf("resumed: %+v %+v", got, events)
	}
	wantAudited(t, w, auction.ActionResume, a.ID, "异议已审查")
	// The deposits are still held and the bidders qualified: they bid on.
	if res, err := w.TryBid(u2, a.ID, a.StartPrice+a.Increment); err != nil || res.Bid.Seq != got.Seq+1 {
		t.Fatalf("bid after resume: %+v %v", res, err)
	}
	deps, _ := w.Store.Deposits(w.Ctx, a.ID)
	for _, d := range deps {
		if d.Status != auction.DepositHeld {
			t.Fatalf("deposit %s after a suspension", d.Status)
		}
	}
	wantLedgerBalanced(t, w)
}

// TestSuspendBeforeOpening: an announced auction suspended and resumed
// before its start goes back to announced; resumed after its start, it
// opens at the resumption.
func TestSuspendBeforeOpening(t *testing.T) {
	t.Parallel()
	w := setup(t)
	for _, after := range []bool{false, true} {
		a := w.Announced("住宅")
		if _, _, err := w.Store.SuspendAuction(w.Ctx, act(w, a.ID, "objection")); err != nil {
			t.Fatal(err)
		}
		_, err := w.Store.Register(w.Ctx, w.Verified("", ""), a.ID)
		wantCode(t, err, auction.ERegistrationClosed)
		if after {
			w.Clock.Set(a.StartsAt.Add(time.Hour))
		}
		w.Tick()
		wantStatus(t, w, a.ID, auction.StatusSuspended)
		if !after {
			_, _, err := w.Store.ResumeAuction(w.Ctx, act(w, a.ID, ""), a.StartsAt.Add(time.Hour))
			wantCode(t, err, auction.EBiddingPeriodTooShort)
		}
		endsAt := a.StartsAt.Add(48 * time.Hour)
		if after {
			endsAt = w.Clock.Now().Add(24 * time.Hour)
		}
		got, events, err := w.Store.ResumeAuction(w.Ctx, act(w, a.ID, ""), endsAt)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{auction.EventResumed}
		status := auction.StatusAnnounced
		if after {
			want, status = append(want, auction.EventOpened), auction.StatusBidding
		}
		types := []string{}
		for _, e := range events {
			types = append(types, e.Type)
		}
		if got.Status != status || fmt.Sprint(types) != fmt.Sprint(want) || (after && !got.OpenedAt.Equal(w.Clock.Now())) {
			t.Fatalf("resumed after=%v: %s %v opened %v", after, got.Status, types, got.OpenedAt)
		}
		lastEvent(t, w, a.ID)
	}
}

// TestCancelFreesDeposits: a cancelled round releases every held deposit
// for refund within 24 hours, tells the case system, keeps the books
// balanced, and lets the lot have a new first round.
func TestCancelFreesDeposits(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	u1, u2, u3 := w.Verified("", ""), w.Verified("", ""), w.Verified("", "")
	r1, r2 := w.Qualify(u1, a.ID), w.Qualify(u2, a.ID)
	pending := w.Register(u3, a.ID)
	w.Open(a)
	w.Bid(u1, a.ID, a.StartPrice)
	w.Clock.Advance(time.Hour)
	const reason = "被执行人已履行全部义务，撤回拍卖"
	got, events, err := w.Store.CancelAuction(w.Ctx, act(w, a.ID, reason))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != auction.StatusCancelled || len(events) != 1 || events[0].Type != auction.EventCancelled ||
		events[0].Data["reason"] != reason || fmt.Sprint(events[0].Data["deposits_released"]) != "2" {
		t.Fatalf("cancelled: %s %+v", got.Status, events)
	}
	wantAudited(t, w, auction.ActionCancel, a.ID, reason)
	if e := lastEvent(t, w, a.ID); e.Type != auction.EventCancelled {
		t.Fatalf("record ends with %s", e.Type)
	}
	deps, _ := w.Store.Deposits(w.Ctx, a.ID)
	for _, d := range deps {
		want := auction.DepositRefundPending
		if d.ID == pending.Deposit.ID {
			want = auction.DepositPending
		}
		if d.Status != want {
			t.Fatalf("deposit %s is %s, want %s", d.ID, d.Status, want)
		}
	}
	due, err := w.Store.RefundsDue(w.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, r := range due {
		if r.AuctionID == a.ID {
			listed[r.DepositID] = true
			if !r.DueBy.Equal(w.Clock.Now().Add(24*time.Hour)) || r.Overdue {
				t.Fatalf("refund due by %v (now %v)", r.DueBy, w.Clock.Now())
			}
		}
	}
	if len(listed) != 2 || !listed[r1.Deposit.ID] || !listed[r2.Deposit.ID] {
		t.Fatalf("refunds due %v", listed)
	}
	// Money that arrives after the cancellation goes straight back.
	if d, err := w.Store.ConfirmDeposit(w.Ctx, pending.Deposit.ID, "LATE-1"); err != nil || d.Status != auction.DepositRefundPending {
		t.Fatalf("late deposit: %+v %v", d, err)
	}
	if n := notified(t, w, a.ID, "auction.cancelled"); len(n) != 1 || n[0]["data"].(map[string]any)["reason"] != reason {
		t.Fatalf("case notifications %v", n)
	}
	_, err = w.TryBid(u2, a.ID, a.StartPrice+a.Increment)
	wantCode(t, err, auction.EAuctionNotOpen)
	for _, do := range []courtFunc{w.Store.CancelAuction, w.Store.SuspendAuction, w.Store.AnnulAuction} {
		_, _, err := do(w.Ctx, act(w, a.ID, "again"))
		wantCode(t, err, auction.EInvalidState)
	}
	if _, err := w.Store.MarkRefunded(w.Ctx, r1.Deposit.ID, "REFUND-C1"); err != nil {
		t.Fatal(err)
	}
	wantLedgerBalanced(t, w)
	wantReconciled(t, w)
	if p, err := w.Store.CaseProceeds(w.Ctx, a.CaseID); err != nil || p.TotalReceived != 0 || p.LedgerBalance != 0 {
		t.Fatalf("proceeds after a cancellation: %+v %v", p, err)
	}
	// A new first round of the lot may be scheduled and published.
	next := w.Draft(a.LotID, auction.RoundFirst, a.StartPrice, w.Now().Add(month))
	w.Publish(next)
}

// TestCancelDraft: a draft is withdrawn without any money moving.
func TestCancelDraft(t *testing.T) {
	t.Parallel()
	w := setup(t)
	lot := w.Lot(w.Case(1_000_000).ID, "商铺", 100_000_000)
	draft := w.Draft(lot.ID, auction.RoundFirst, 70_000_000, w.Now().Add(month))
	got, events, err := w.Store.CancelAuction(w.Ctx, act(w, draft.ID, "entered twice"))
	if err != nil || got.Status != auction.StatusCancelled || len(events) != 1 || events[0].Seq != 1 {
		t.Fatalf("cancel a draft: %+v %+v %v", got, events, err)
	}
	_, err = w.Store.PublishAuction(w.Ctx, draft.ID)
	wantCode(t, err, auction.EInvalidState)
}

// TestAnnulSettledSale: an annulled sale owes back the applied deposit and
// the balance payments; they leave the proceeds, are listed for finance and
// paid back, and the books stay balanced and reconciled.
func TestAnnulSettledSale(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	win, _ := soldAndSettled(t, w, a, true)
	hammer := a.StartPrice + a.Increment
	if p, _ := w.Store.CaseProceeds(w.Ctx, a.CaseID); p.TotalReceived != hammer {
		t.Fatalf("proceeds before: %+v", p)
	}
	if _, err := w.Store.Confirmation(w.Ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	w.Clock.Advance(48 * time.Hour)
	const reason = "拍卖成交后发现竞买人恶意串通，依法撤销拍卖"
	got, events, err := w.Store.AnnulAuction(w.Ctx, act(w, a.ID, reason))
	if err != nil {
		t.Fatal(err)
	}
	e := events[0]
	if got.Status != auction.StatusAnnulled || len(events) != 1 || e.Type != auction.EventAnnulled || e.Data["reason"] != reason ||
		fmt.Sprint(e.Data["deposit_owed_back"]) != fmt.Sprint(a.Deposit) || fmt.Sprint(e.Data["balance_owed_back"]) != fmt.Sprint(hammer-a.Deposit) {
		t.Fatalf("annulled: %s %+v", got.Status, events)
	}
	wantAudited(t, w, auction.ActionAnnul, a.ID, reason)
	if lastEvent(t, w, a.ID).Type != auction.EventAnnulled {
		t.Fatal("the record does not end with the annulment")
	}
	_, err = w.Store.Confirmation(w.Ctx, a.ID)
	wantCode(t, err, auction.ENotFound)
	p, err := w.Store.CaseProceeds(w.Ctx, a.CaseID)
	if err != nil || p.TotalReceived != 0 || p.LedgerBalance != 0 || p.Items[0].Status != auction.StatusAnnulled ||
		p.Items[0].DepositApplied != 0 || p.Items[0].BalanceReceived != 0 {
		t.Fatalf("proceeds after the annulment: %+v %v", p, err)
	}
	d, _ := w.Store.Deposit(w.Ctx, win.Deposit.ID)
	if d.Status != auction.DepositRefundPending {
		t.Fatalf("winner's deposit %s", d.Status)
	}
	returns, err := w.Store.BalanceReturnsDue(w.Ctx)
	if err != nil || len(returns) != 1 || returns[0].Amount != hammer-a.Deposit || returns[0].AuctionID != a.ID {
		t.Fatalf("balance returns %+v %v", returns, err)
	}
	if !financeWorkHas(t, w, a.ID) {
		t.Fatal("the finance desk does not list the annulled sale")
	}
	if n := notified(t, w, a.ID, "auction.annulled"); len(n) != 1 {
		t.Fatalf("case notifications %v", n)
	}
	acc := accounts(t, w, a.ID)
	if acc[payments.AccountCaseProceeds] != 0 || acc[payments.AccountRefundsDue] != -hammer {
		t.Fatalf("accounts after the annulment: %v", acc)
	}
	// Finance pays everything back.
	_, err = w.Store.MarkBalanceReturned(w.Ctx, returns[0].PaymentID, " ")
	wantCode(t, err, auction.EInvalidField)
	if r, err := w.Store.MarkBalanceReturned(w.Ctx, returns[0].PaymentID, "RET-1"); err != nil || r.ReturnedAt == nil {
		t.Fatalf("returned: %+v %v", r, err)
	}
	_, err = w.Store.MarkBalanceReturned(w.Ctx, returns[0].PaymentID, "RET-2")
	wantCode(t, err, auction.EInvalidState)
	if _, err := w.Store.MarkRefunded(w.Ctx, win.Deposit.ID, "RET-D"); err != nil {
		t.Fatal(err)
	}
	if acc := accounts(t, w, a.ID); acc[payments.AccountRefundsDue] != 0 {
		t.Fatalf("refunds due left: %v", acc)
	}
	if returns, _ := w.Store.BalanceReturnsDue(w.Ctx); len(returns) != 0 {
		t.Fatalf("still listed: %+v", returns)
	}
	wantLedgerBalanced(t, w)
	wantReconciled(t, w)
	_, _, err = w.Store.AnnulAuction(w.Ctx, act(w, a.ID, "twice"))
	wantCode(t, err, auction.EInvalidState)
	// The lot may be sold again in a new first round.
	next := w.Draft(a.LotID, auction.RoundFirst, a.StartPrice, w.Now().Add(month))
	w.Publish(next)
}

// TestAnnulSoldAndDefaulted: a sale annulled before the balance is paid
// owes back the deposit and the part payments; a defaulted sale annulled
// owes back the forfeited deposit and lifts the buyer's bar.
func TestAnnulSoldAndDefaulted(t *testing.T) {
	t.Parallel()
	w := setup(t)
	for _, defaulted := range []bool{false, true} {
		a := w.Announced("住宅")
		_, owed := soldAt(t, w, a)
		if _, _, err := w.Store.RecordBalancePayment(w.Ctx, w.Clerk.ID, a.ID, owed/2, fmt.Sprintf("PART-%v", defaulted)); err != nil {
			t.Fatal(err)
		}
		if defaulted {
			got, _ := w.Store.Auction(w.Ctx, a.ID)
			w.TickAt(*got.BalanceDueAt)
			wantStatus(t, w, a.ID, auction.StatusDefaulted)
		}
		if _, _, err := w.Store.AnnulAuction(w.Ctx, act(w, a.ID, "撤销")); err != nil {
			t.Fatal(err)
		}
		p, _ := w.Store.CaseProceeds(w.Ctx, a.CaseID)
		if p.TotalReceived != 0 || p.LedgerBalance != 0 || p.Items[0].ForfeitedDeposit != 0 {
			t.Fatalf("defaulted=%v: proceeds %+v", defaulted, p)
		}
		deps, _ := w.Store.Deposits(w.Ctx, a.ID)
		if len(deps) != 1 || deps[0].Status != auction.DepositRefundPending {
			t.Fatalf("defaulted=%v: deposits %+v", defaulted, deps)
		}
		if acc := accounts(t, w, a.ID); acc[payments.AccountRefundsDue] != -(a.Deposit + owed/2) {
			t.Fatalf("defaulted=%v: accounts %v", defaulted, acc)
		}
		wantLedgerBalanced(t, w)
	}
}

// TestBidsRacingSuspend: bids sent while a clerk suspends are decided
// either before the suspension's event (accepted, with a lower seq) or
// after it (refused with auction_not_open), never accepted after it.
func TestBidsRacingSuspend(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	const bidders = 16
	users := make([]*auction.User, bidders)
	for i := range users {
		users[i] = w.Verified("", "")
		w.Qualify(users[i], a.ID)
	}
	w.Open(a)
	var wg, biddersWG sync.WaitGroup
	var mu sync.Mutex
	var accepted []int64
	refused := 0
	start := make(chan struct{})
	// The clerk suspends once bidding is under way, while bids keep coming
	// (or, should the bidders all stop first, after them).
	someAccepted, biddersDone := make(chan struct{}), make(chan struct{})
	for i, u := range users {
		wg.Add(1)
		biddersWG.Add(1)
		go func() {
			defer wg.Done()
			defer biddersWG.Done()
			<-start
			// Each bidder bids one step above the price it last saw, until
			// bidding is no longer open.
			amount := a.StartPrice
			for k := 0; k < 40; k++ {
				res, err := w.Store.PlaceBid(w.Ctx, auction.PlaceBid{AuctionID: a.ID, User: u, Amount: amount, Key: fmt.Sprintf("race-%d-%d", i, k)})
				mu.Lock()
				code := auction.ErrorCode(err)
				switch {
				case err == nil:
					accepted = append(accepted, res.Bid.Seq)
					if len(accepted) == 3 {
						close(someAccepted)
					}
					amount = *res.Auction.CurrentPrice + a.Increment
				case code == auction.EAuctionNotOpen:
					refused++
				case code == auction.EBidTooLow || code == auction.EAlreadyLeading:
					if e := (*auction.Error)(nil); errors.As(err, &e) && e.Auction != nil && e.Auction.CurrentPrice != nil {
						amount = *e.Auction.CurrentPrice + a.Increment
					}
				default:
					t.Errorf("bid: %v", err)
				}
				mu.Unlock()
				if code == auction.EAuctionNotOpen {
					return
				}
			}
		}()
	}
	go func() {
		biddersWG.Wait()
		close(biddersDone)
	}()
	var suspendSeq int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-someAccepted:
		case <-biddersDone:
		}
		_, events, err := w.Store.SuspendAuction(w.Ctx, act(w, a.ID, "objection"))
		if err != nil {
			t.Error(err)
			return
		}
		suspendSeq = events[0].Seq
	}()
	close(start)
	wg.Wait()
	if suspendSeq == 0 || len(accepted) == 0 {
		t.Fatalf("the suspension (seq %d) and %d accepted bids: nothing raced", suspendSeq, len(accepted))
	}
	for _, seq := range accepted {
		if seq > suspendSeq {
			t.Fatalf("a bid was accepted at seq %d, after the suspension at seq %d", seq, suspendSeq)
		}
	}
	rc, err := w.Store.VerifiedRecord(w.Ctx, a.ID)
	if err != nil || rc.FirstBrokenSeq != 0 {
		t.Fatalf("record: %v %s", err, rc.Problem)
	}
	bids := 0
	for _, e := range rc.Events {
		if e.Type == auction.EventBid {
			bids++
			if e.Seq > suspendSeq {
				t.Fatalf("bid event %d after the suspension %d", e.Seq, suspendSeq)
			}
		}
	}
	if bids != len(accepted) {
		t.Fatalf("%d bid events, %d bids accepted", bids, len(accepted))
	}
	t.Logf("%d bids accepted before the suspension at seq %d, %d refused after it", len(accepted), suspendSeq, refused)
}

// TestCancelRacingDeposits: deposits confirmed while a clerk cancels are
// either held before the cancellation (and released by it) or arrive after
// it (and go straight back): none is left held on a cancelled round.
func TestCancelRacingDeposits(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	var regs []*auction.Registration
	for range 12 {
		reg := w.Register(w.Verified("", ""), a.ID)
		regs = append(regs, reg)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, reg := range regs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := w.Store.ConfirmDeposit(w.Ctx, reg.Deposit.ID, fmt.Sprintf("RACE-%d", i)); err != nil {
				t.Error(err)
			}
		}()
		if i == len(regs)/2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if _, _, err := w.Store.CancelAuction(w.Ctx, act(w, a.ID, "withdrawn")); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	deps, err := w.Store.Deposits(w.Ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deps {
		if d.Status != auction.DepositRefundPending {
			t.Fatalf("deposit %s is %s after the cancellation", d.ID, d.Status)
		}
	}
	wantLedgerBalanced(t, w)
	wantReconciled(t, w)
}

// TestAnnulWhileExcessRefunded: the court annulling a sale while finance
// records the refund of the buyer's overpayment take the auction's row and
// the payment's in one order: both are done, never a deadlock, and what is
// owed back is owed once.
func TestAnnulWhileExcessRefunded(t *testing.T) {
	t.Parallel()
	w := setup(t)
	for round := range 12 {
		a := w.Announced("住宅")
		_, owed := soldAt(t, w, a)
		p, _, err := w.Store.RecordBalancePayment(w.Ctx, w.Clerk.ID, a.ID, owed+5000, fmt.Sprintf("OVER-%d", round))
		if err != nil || p.Excess != 5000 {
			t.Fatalf("overpayment %+v %v", p, err)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		var annulErr, refundErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			_, _, annulErr = w.Store.AnnulAuction(w.Ctx, act(w, a.ID, "撤销"))
		}()
		go func() {
			defer wg.Done()
			<-start
			_, refundErr = w.Store.MarkBalanceRefunded(w.Ctx, p.ID, fmt.Sprintf("BACK-%d", round))
		}()
		close(start)
		wg.Wait()
		if annulErr != nil || refundErr != nil {
			t.Fatalf("round %d: annul %v, refund %v", round, annulErr, refundErr)
		}
	}
	wantLedgerBalanced(t, w)
}
