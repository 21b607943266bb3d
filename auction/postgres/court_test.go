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
	"gavel/payments"
)

type courtFunc = func(context.Context, auction.CourtAction) (*auction.Auction, []auction.Event, error)

// act is a court action by the bundle's clerk.
func (b *bundle) act(id, reason string) auction.CourtAction {
	return auction.CourtAction{AuctionID: id, Actor: b.clerk, Reason: reason}
}

// lastEvent returns the auction's last event, checking the whole record
// still verifies.
func (b *bundle) lastEvent(t *testing.T, id string) auction.Event {
	t.Helper()
	rc, err := b.store.VerifiedRecord(b.ctx, id)
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
// reason, by the bundle's clerk, on the auction.
func (b *bundle) wantAudited(t *testing.T, action, id, reason string) {
	t.Helper()
	b.wantAuditedOn(t, "court "+action, id, reason)
}

// wantAuditedOn checks that the audit log holds action on target with the
// reason (any when ""), by the bundle's clerk.
func (b *bundle) wantAuditedOn(t *testing.T, action, id, reason string) {
	t.Helper()
	page, err := b.store.AuditLog(b.ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if !page.Valid {
		t.Fatalf("audit chain broken: %s", page.Problem)
	}
	for _, e := range page.Entries {
		if e.Action == action && e.Target == id && (reason == "" || e.Detail["reason"] == reason) && e.ActorID == b.clerk.ID {
			return
		}
	}
	t.Fatalf("no audit entry for %s of %s with reason %q", action, id, reason)
}

// notified returns the bodies of the case notifications of type typ about
// the auction.
func (b *bundle) notified(t *testing.T, id, typ string) []map[string]any {
	t.Helper()
	rows, err := b.store.Pool().Query(b.ctx, `SELECT body::text FROM case_notifications WHERE auction_id = $1 AND type = $2`, id, typ)
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
	b := setup(t)
	lot := b.mustLot(t, 100_000_000)
	draft := b.mustDraft(t, lot.ID, auction.RoundFirst, 70_000_000, month)
	announced := b.mustAuction(t, lotParams{})
	missing := "00000000-0000-0000-0000-000000000000"
	for _, tc := range []struct {
		name   string
		do     courtFunc
		id     string
		reason string
		code   string
	}{
		{"suspend a draft", b.store.SuspendAuction, draft.ID, "objection", auction.EInvalidState},
		{"annul a draft", b.store.AnnulAuction, draft.ID, "error", auction.EInvalidState},
		{"annul an announced round", b.store.AnnulAuction, announced.ID, "error", auction.EInvalidState},
		{"suspend without a reason", b.store.SuspendAuction, announced.ID, "", auction.EInvalidField},
		{"suspend with a blank reason", b.store.SuspendAuction, announced.ID, " \t\n ", auction.EInvalidField},
		{"cancel with a blank reason", b.store.CancelAuction, announced.ID, "   ", auction.EInvalidField},
		{"annul with a blank reason", b.store.AnnulAuction, announced.ID, "", auction.EInvalidField},
		{"a NUL in the reason", b.store.SuspendAuction, announced.ID, "a\x00b", auction.EInvalidField},
		{"invalid UTF-8", b.store.SuspendAuction, announced.ID, "a\xffb", auction.EInvalidField},
		{"12,000 characters", b.store.CancelAuction, announced.ID, strings.Repeat("异", 12000), auction.EInvalidField},
		{"an unknown auction", b.store.CancelAuction, missing, "why", auction.ENotFound},
		{"a malformed id", b.store.CancelAuction, "not-a-uuid", "why", auction.ENotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := tc.do(b.ctx, b.act(tc.id, tc.reason))
			wantCode(t, err, tc.code)
		})
	}
	_, _, err := b.store.ResumeAuction(b.ctx, b.act(announced.ID, ""), b.clock.Now().Add(40*24*time.Hour))
	wantCode(t, err, auction.EInvalidState)
	// Nothing refused changed anything.
	b.wantStatus(t, draft.ID, auction.StatusDraft)
	b.wantStatus(t, announced.ID, auction.StatusAnnounced)
}

// TestSuspendAndResumeBidding: a suspended auction takes no bid and no
// registration; resumed, it goes on from the same price and leader.
func TestSuspendAndResumeBidding(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mustAuction(t, lotParams{})
	u1, u2, late := b.mustUser(t, auction.RoleBidder, "", ""), b.mustUser(t, auction.RoleBidder, "", ""), b.mustUser(t, auction.RoleBidder, "", "")
	b.mustQualify(t, u1, a.ID)
	b.mustQualify(t, u2, a.ID)
	b.open(t, a)
	if _, err := b.bid(u1, a.ID, a.StartPrice); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(time.Hour)
	const reason = "案外人提出异议，本院决定暂缓拍卖"
	got, events, err := b.store.SuspendAuction(b.ctx, b.act(a.ID, "  "+reason+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != auction.StatusSuspended || len(events) != 1 || events[0].Type != auction.EventSuspended || events[0].Data["reason"] != reason {
		t.Fatalf("suspended: %s %+v", got.Status, events)
	}
	if e := b.lastEvent(t, a.ID); e.Type != auction.EventSuspended || e.Seq != got.Seq || e.Data["reason"] != reason {
		t.Fatalf("record ends with %+v", e)
	}
	b.wantAudited(t, auction.ActionSuspend, a.ID, reason)
	_, _, err = b.store.SuspendAuction(b.ctx, b.act(a.ID, "again"))
	wantCode(t, err, auction.EInvalidState)

	_, err = b.bid(u2, a.ID, a.StartPrice+a.Increment)
	wantCode(t, err, auction.EAuctionNotOpen)
	if st := refusalState(t, err); st.Status != auction.StatusSuspended {
		t.Fatalf("refusal carries %+v", st)
	}
	_, err = b.store.Register(b.ctx, late, a.ID)
	wantCode(t, err, auction.ERegistrationClosed)
	// The end passes during the suspension: nothing closes it.
	b.clock.Set(a.EndsAt.Add(time.Hour))
	b.tick(t)
	b.wantStatus(t, a.ID, auction.StatusSuspended)

	_, _, err = b.store.ResumeAuction(b.ctx, b.act(a.ID, ""), b.clock.Now().Add(time.Minute))
	wantCode(t, err, auction.EInvalidField)
	endsAt := b.clock.Now().Add(24 * time.Hour)
	got, events, err = b.store.ResumeAuction(b.ctx, b.act(a.ID, "异议已审查"), endsAt)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != auction.StatusBidding || !got.EndsAt.Equal(endsAt) || got.Suspended != "" ||
		*got.CurrentPrice != a.StartPrice || got.BidCount != 1 || len(events) != 1 || events[0].Type != auction.EventResumed ||
		events[0].Data["suspended_reason"] != reason || events[0].Data["reason"] != "异议已审查" {
		t.Fatalf("resumed: %+v %+v", got, events)
	}
	b.wantAudited(t, auction.ActionResume, a.ID, "异议已审查")
	// The deposits are still held and the bidders qualified: they bid on.
	if res, err := b.bid(u2, a.ID, a.StartPrice+a.Increment); err != nil || res.Bid.Seq != got.Seq+1 {
		t.Fatalf("bid after resume: %+v %v", res, err)
	}
	deps, _ := b.store.Deposits(b.ctx, a.ID)
	for _, d := range deps {
		if d.Status != auction.DepositHeld {
			t.Fatalf("deposit %s after a suspension", d.Status)
		}
	}
	b.wantLedgerBalanced(t)
}

// TestSuspendBeforeOpening: an announced auction suspended and resumed
// before its start goes back to announced; resumed after its start, it
// opens at the resumption.
func TestSuspendBeforeOpening(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, after := range []bool{false, true} {
		a := b.mustAuction(t, lotParams{})
		if _, _, err := b.store.SuspendAuction(b.ctx, b.act(a.ID, "objection")); err != nil {
			t.Fatal(err)
		}
		_, err := b.store.Register(b.ctx, b.mustUser(t, auction.RoleBidder, "", ""), a.ID)
		wantCode(t, err, auction.ERegistrationClosed)
		if after {
			b.clock.Set(a.StartsAt.Add(time.Hour))
		}
		b.tick(t)
		b.wantStatus(t, a.ID, auction.StatusSuspended)
		if !after {
			_, _, err := b.store.ResumeAuction(b.ctx, b.act(a.ID, ""), a.StartsAt.Add(time.Hour))
			wantCode(t, err, auction.EBiddingPeriodTooShort)
		}
		endsAt := a.StartsAt.Add(48 * time.Hour)
		if after {
			endsAt = b.clock.Now().Add(24 * time.Hour)
		}
		got, events, err := b.store.ResumeAuction(b.ctx, b.act(a.ID, ""), endsAt)
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
		if got.Status != status || fmt.Sprint(types) != fmt.Sprint(want) || (after && !got.OpenedAt.Equal(b.clock.Now())) {
			t.Fatalf("resumed after=%v: %s %v opened %v", after, got.Status, types, got.OpenedAt)
		}
		b.lastEvent(t, a.ID)
	}
}

// TestCancelFreesDeposits: a cancelled round releases every held deposit
// for refund within 24 hours, tells the case system, keeps the books
// balanced, and lets the lot have a new first round.
func TestCancelFreesDeposits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mustAuction(t, lotParams{})
	u1, u2, u3 := b.mustUser(t, auction.RoleBidder, "", ""), b.mustUser(t, auction.RoleBidder, "", ""), b.mustUser(t, auction.RoleBidder, "", "")
	r1, r2 := b.mustQualify(t, u1, a.ID), b.mustQualify(t, u2, a.ID)
	pending, err := b.store.Register(b.ctx, u3, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	b.open(t, a)
	if _, err := b.bid(u1, a.ID, a.StartPrice); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(time.Hour)
	const reason = "被执行人已履行全部义务，撤回拍卖"
	got, events, err := b.store.CancelAuction(b.ctx, b.act(a.ID, reason))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != auction.StatusCancelled || len(events) != 1 || events[0].Type != auction.EventCancelled ||
		events[0].Data["reason"] != reason || fmt.Sprint(events[0].Data["deposits_released"]) != "2" {
		t.Fatalf("cancelled: %s %+v", got.Status, events)
	}
	b.wantAudited(t, auction.ActionCancel, a.ID, reason)
	if e := b.lastEvent(t, a.ID); e.Type != auction.EventCancelled {
		t.Fatalf("record ends with %s", e.Type)
	}
	deps, _ := b.store.Deposits(b.ctx, a.ID)
	for _, d := range deps {
		want := auction.DepositRefundPending
		if d.ID == pending.Deposit.ID {
			want = auction.DepositPending
		}
		if d.Status != want {
			t.Fatalf("deposit %s is %s, want %s", d.ID, d.Status, want)
		}
	}
	due, err := b.store.RefundsDue(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, r := range due {
		if r.AuctionID == a.ID {
			listed[r.DepositID] = true
			if !r.DueBy.Equal(b.clock.Now().Add(24*time.Hour)) || r.Overdue {
				t.Fatalf("refund due by %v (now %v)", r.DueBy, b.clock.Now())
			}
		}
	}
	if len(listed) != 2 || !listed[r1.Deposit.ID] || !listed[r2.Deposit.ID] {
		t.Fatalf("refunds due %v", listed)
	}
	// Money that arrives after the cancellation goes straight back.
	if d, err := b.store.ConfirmDeposit(b.ctx, pending.Deposit.ID, "LATE-1"); err != nil || d.Status != auction.DepositRefundPending {
		t.Fatalf("late deposit: %+v %v", d, err)
	}
	if n := b.notified(t, a.ID, "auction.cancelled"); len(n) != 1 || n[0]["data"].(map[string]any)["reason"] != reason {
		t.Fatalf("case notifications %v", n)
	}
	_, err = b.bid(u2, a.ID, a.StartPrice+a.Increment)
	wantCode(t, err, auction.EAuctionNotOpen)
	for _, do := range []courtFunc{b.store.CancelAuction, b.store.SuspendAuction, b.store.AnnulAuction} {
		_, _, err := do(b.ctx, b.act(a.ID, "again"))
		wantCode(t, err, auction.EInvalidState)
	}
	if _, err := b.store.MarkRefunded(b.ctx, r1.Deposit.ID, "REFUND-C1"); err != nil {
		t.Fatal(err)
	}
	b.wantLedgerBalanced(t)
	b.wantReconciled(t)
	if p, err := b.store.CaseProceeds(b.ctx, a.CaseID); err != nil || p.TotalReceived != 0 || p.LedgerBalance != 0 {
		t.Fatalf("proceeds after a cancellation: %+v %v", p, err)
	}
	// A new first round of the lot may be scheduled and published.
	next := b.mustDraft(t, a.LotID, auction.RoundFirst, a.StartPrice, month)
	if _, err := b.store.PublishAuction(b.ctx, next.ID); err != nil {
		t.Fatal(err)
	}
}

// TestCancelDraft: a draft is withdrawn without any money moving.
func TestCancelDraft(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lot := b.mustLot(t, 100_000_000)
	draft := b.mustDraft(t, lot.ID, auction.RoundFirst, 70_000_000, month)
	got, events, err := b.store.CancelAuction(b.ctx, b.act(draft.ID, "entered twice"))
	if err != nil || got.Status != auction.StatusCancelled || len(events) != 1 || events[0].Seq != 1 {
		t.Fatalf("cancel a draft: %+v %+v %v", got, events, err)
	}
	_, err = b.store.PublishAuction(b.ctx, draft.ID)
	wantCode(t, err, auction.EInvalidState)
}

// TestAnnulSettledSale: an annulled sale owes back the applied deposit and
// the balance payments; they leave the proceeds, are listed for finance and
// paid back, and the books stay balanced and reconciled.
func TestAnnulSettledSale(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mustAuction(t, lotParams{})
	win, _ := b.soldAndSettled(t, a, true)
	hammer := a.StartPrice + a.Increment
	if p, _ := b.store.CaseProceeds(b.ctx, a.CaseID); p.TotalReceived != hammer {
		t.Fatalf("proceeds before: %+v", p)
	}
	if _, err := b.store.Confirmation(b.ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(48 * time.Hour)
	const reason = "拍卖成交后发现竞买人恶意串通，依法撤销拍卖"
	got, events, err := b.store.AnnulAuction(b.ctx, b.act(a.ID, reason))
	if err != nil {
		t.Fatal(err)
	}
	e := events[0]
	if got.Status != auction.StatusAnnulled || len(events) != 1 || e.Type != auction.EventAnnulled || e.Data["reason"] != reason ||
		fmt.Sprint(e.Data["deposit_owed_back"]) != fmt.Sprint(a.Deposit) || fmt.Sprint(e.Data["balance_owed_back"]) != fmt.Sprint(hammer-a.Deposit) {
		t.Fatalf("annulled: %s %+v", got.Status, events)
	}
	b.wantAudited(t, auction.ActionAnnul, a.ID, reason)
	if b.lastEvent(t, a.ID).Type != auction.EventAnnulled {
		t.Fatal("the record does not end with the annulment")
	}
	_, err = b.store.Confirmation(b.ctx, a.ID)
	wantCode(t, err, auction.ENotFound)
	p, err := b.store.CaseProceeds(b.ctx, a.CaseID)
	if err != nil || p.TotalReceived != 0 || p.LedgerBalance != 0 || p.Items[0].Status != auction.StatusAnnulled ||
		p.Items[0].DepositApplied != 0 || p.Items[0].BalanceReceived != 0 {
		t.Fatalf("proceeds after the annulment: %+v %v", p, err)
	}
	d, _ := b.store.Deposit(b.ctx, win.Deposit.ID)
	if d.Status != auction.DepositRefundPending {
		t.Fatalf("winner's deposit %s", d.Status)
	}
	returns, err := b.store.BalanceReturnsDue(b.ctx)
	if err != nil || len(returns) != 1 || returns[0].Amount != hammer-a.Deposit || returns[0].AuctionID != a.ID {
		t.Fatalf("balance returns %+v %v", returns, err)
	}
	if !b.financeWorkHas(t, a.ID) {
		t.Fatal("the finance desk does not list the annulled sale")
	}
	if n := b.notified(t, a.ID, "auction.annulled"); len(n) != 1 {
		t.Fatalf("case notifications %v", n)
	}
	acc := b.accounts(t, a.ID)
	if acc[payments.AccountCaseProceeds] != 0 || acc[payments.AccountRefundsDue] != -hammer {
		t.Fatalf("accounts after the annulment: %v", acc)
	}
	// Finance pays everything back.
	_, err = b.store.MarkBalanceReturned(b.ctx, returns[0].PaymentID, " ")
	wantCode(t, err, auction.EInvalidField)
	if r, err := b.store.MarkBalanceReturned(b.ctx, returns[0].PaymentID, "RET-1"); err != nil || r.ReturnedAt == nil {
		t.Fatalf("returned: %+v %v", r, err)
	}
	_, err = b.store.MarkBalanceReturned(b.ctx, returns[0].PaymentID, "RET-2")
	wantCode(t, err, auction.EInvalidState)
	if _, err := b.store.MarkRefunded(b.ctx, win.Deposit.ID, "RET-D"); err != nil {
		t.Fatal(err)
	}
	if acc := b.accounts(t, a.ID); acc[payments.AccountRefundsDue] != 0 {
		t.Fatalf("refunds due left: %v", acc)
	}
	if returns, _ := b.store.BalanceReturnsDue(b.ctx); len(returns) != 0 {
		t.Fatalf("still listed: %+v", returns)
	}
	b.wantLedgerBalanced(t)
	b.wantReconciled(t)
	_, _, err = b.store.AnnulAuction(b.ctx, b.act(a.ID, "twice"))
	wantCode(t, err, auction.EInvalidState)
	// The lot may be sold again in a new first round.
	next := b.mustDraft(t, a.LotID, auction.RoundFirst, a.StartPrice, month)
	if _, err := b.store.PublishAuction(b.ctx, next.ID); err != nil {
		t.Fatal(err)
	}
}

// TestAnnulSoldAndDefaulted: a sale annulled before the balance is paid
// owes back the deposit and the part payments; a defaulted sale annulled
// owes back the forfeited deposit and lifts the buyer's bar.
func TestAnnulSoldAndDefaulted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, defaulted := range []bool{false, true} {
		a := b.mustAuction(t, lotParams{})
		_, owed := b.soldAt(t, a)
		if _, _, err := b.store.RecordBalancePayment(b.ctx, b.clerk.ID, a.ID, owed/2, fmt.Sprintf("PART-%v", defaulted)); err != nil {
			t.Fatal(err)
		}
		if defaulted {
			got, _ := b.store.Auction(b.ctx, a.ID)
			b.clock.Set(*got.BalanceDueAt)
			b.tick(t)
			b.wantStatus(t, a.ID, auction.StatusDefaulted)
		}
		if _, _, err := b.store.AnnulAuction(b.ctx, b.act(a.ID, "撤销")); err != nil {
			t.Fatal(err)
		}
		p, _ := b.store.CaseProceeds(b.ctx, a.CaseID)
		if p.TotalReceived != 0 || p.LedgerBalance != 0 || p.Items[0].ForfeitedDeposit != 0 {
			t.Fatalf("defaulted=%v: proceeds %+v", defaulted, p)
		}
		deps, _ := b.store.Deposits(b.ctx, a.ID)
		if len(deps) != 1 || deps[0].Status != auction.DepositRefundPending {
			t.Fatalf("defaulted=%v: deposits %+v", defaulted, deps)
		}
		if acc := b.accounts(t, a.ID); acc[payments.AccountRefundsDue] != -(a.Deposit + owed/2) {
			t.Fatalf("defaulted=%v: accounts %v", defaulted, acc)
		}
		b.wantLedgerBalanced(t)
	}
}

// TestBidsRacingSuspend: bids sent while a clerk suspends are decided
// either before the suspension's event (accepted, with a lower seq) or
// after it (refused with auction_not_open), never accepted after it.
func TestBidsRacingSuspend(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mustAuction(t, lotParams{})
	const bidders = 16
	users := make([]*auction.User, bidders)
	for i := range users {
		users[i] = b.mustUser(t, auction.RoleBidder, "", "")
		b.mustQualify(t, users[i], a.ID)
	}
	b.open(t, a)
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
				res, err := b.store.PlaceBid(b.ctx, auction.PlaceBid{AuctionID: a.ID, User: u, Amount: amount, Key: fmt.Sprintf("race-%d-%d", i, k)})
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
		_, events, err := b.store.SuspendAuction(b.ctx, b.act(a.ID, "objection"))
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
	rc, err := b.store.VerifiedRecord(b.ctx, a.ID)
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
	b := setup(t)
	a := b.mustAuction(t, lotParams{})
	var regs []*auction.Registration
	for range 12 {
		reg, err := b.store.Register(b.ctx, b.mustUser(t, auction.RoleBidder, "", ""), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		regs = append(regs, reg)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, reg := range regs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := b.store.ConfirmDeposit(b.ctx, reg.Deposit.ID, fmt.Sprintf("RACE-%d", i)); err != nil {
				t.Error(err)
			}
		}()
		if i == len(regs)/2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if _, _, err := b.store.CancelAuction(b.ctx, b.act(a.ID, "withdrawn")); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	deps, err := b.store.Deposits(b.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deps {
		if d.Status != auction.DepositRefundPending {
			t.Fatalf("deposit %s is %s after the cancellation", d.ID, d.Status)
		}
	}
	b.wantLedgerBalanced(t)
	b.wantReconciled(t)
}

// TestAnnulWhileExcessRefunded: the court annulling a sale while finance
// records the refund of the buyer's overpayment take the auction's row and
// the payment's in one order: both are done, never a deadlock, and what is
// owed back is owed once.
func TestAnnulWhileExcessRefunded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for round := range 12 {
		a := b.mustAuction(t, lotParams{})
		_, owed := b.soldAt(t, a)
		p, _, err := b.store.RecordBalancePayment(b.ctx, b.clerk.ID, a.ID, owed+5000, fmt.Sprintf("OVER-%d", round))
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
			_, _, annulErr = b.store.AnnulAuction(b.ctx, b.act(a.ID, "撤销"))
		}()
		go func() {
			defer wg.Done()
			<-start
			_, refundErr = b.store.MarkBalanceRefunded(b.ctx, p.ID, fmt.Sprintf("BACK-%d", round))
		}()
		close(start)
		wg.Wait()
		if annulErr != nil || refundErr != nil {
			t.Fatalf("round %d: annul %v, refund %v", round, annulErr, refundErr)
		}
	}
	b.wantLedgerBalanced(t)
}
