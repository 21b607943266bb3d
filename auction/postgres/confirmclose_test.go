package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
)

// Confirming a deposit and closing its auction are serialised by the
// auction's row lock: with many confirmations racing the close on two
// instances, after the close no deposit is left held. Every confirmation
// either lands before the close (held, then released or applied by it) or
// after it (released at once).
func TestConfirmRacesClose(t *testing.T) {
	t.Parallel()
	w := setup(t)
	stores := [2]*postgres.Store{w.Store, twin(t, w)}
	const auctions, perAuction = 4, 10
	var as []*auction.Auction
	var deposits []string
	for range auctions {
		a := w.Announced("住宅")
		leader := w.Verified("", "")
		w.Qualify(leader, a.ID)
		as = append(as, a)
		deposits = append(deposits, pendingDeposits(t, w, a, perAuction)...)
	}
	// Every round was scheduled at the same offset from the same clock,
	// so they share their start and end.
	w.Open(as[0])
	for _, a := range as {
		w.Bid(mustLeader(t, w, a), a.ID, a.StartPrice)
	}
	w.Clock.Set(as[0].EndsAt.Add(-time.Millisecond))

	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, len(deposits)+2)
	for i, id := range deposits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := stores[i%2].ConfirmDeposit(context.Background(), id, fmt.Sprintf("RACE-%d", i)); err != nil {
				errs <- err
			}
		}()
	}
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if i == 0 {
				w.Clock.Set(as[0].EndsAt)
			}
			for range 20 {
				if _, err := stores[i].Tick(context.Background()); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for {
		if n, err := w.Store.Due(w.Ctx); err != nil || n == 0 {
			break
		}
		w.Tick()
	}
	for _, a := range as {
		got, _ := w.Store.Auction(w.Ctx, a.ID)
		if got.Status != auction.StatusSold {
			t.Fatalf("auction %s after the close", got.Status)
		}
		ds, err := w.Store.Deposits(w.Ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Status == auction.DepositHeld || d.Status == auction.DepositPending {
				t.Fatalf("deposit %s is %s after the close", d.ID, d.Status)
			}
		}
	}
	wantLedgerBalanced(t, w)
}

// mustLeader returns the one qualified bidder of a (the first registered).
func mustLeader(t *testing.T, w *auctiontest.World, a *auction.Auction) *auction.User {
	t.Helper()
	var id string
	if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT user_id FROM registrations WHERE auction_id = $1 AND status = 'qualified' ORDER BY created_at LIMIT 1`, a.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	u, err := w.Store.User(w.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The race made certain: a confirmation that has read the auction as open
// and is still writing when the close runs on another instance. The test
// claims the transfer's reference in a transaction of its own, so the
// confirmation waits right after reading the deposit; the close runs
// meanwhile; then the test gives the reference up. Without the auction's
// lock the close skips the deposit (not yet held) and the confirmation,
// sure the auction is open, then holds it after the close, forever.
func TestConfirmHeldOpenAcrossTheClose(t *testing.T) {
	t.Parallel()
	w := setup(t)
	other := twin(t, w)
	a := w.Announced("住宅")
	leader := w.Verified("", "")
	w.Qualify(leader, a.ID)
	late := w.Verified("", "")
	reg := w.Register(late, a.ID)
	w.Open(a)
	w.Bid(leader, a.ID, a.StartPrice)
	w.Clock.Set(a.EndsAt.Add(-time.Second))

	blocker, err := w.Store.Pool().Begin(w.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = blocker.Rollback(context.Background()) }()
	if _, err := blocker.Exec(w.Ctx, `INSERT INTO booked_references (kind, reference, entry_id, booked_at)
		VALUES ('deposit_confirmation', 'LATE-TRANSFER', gen_random_uuid(), now())`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := w.Store.ConfirmDeposit(context.Background(), reg.Deposit.ID, "LATE-TRANSFER")
		done <- err
	}()
	// Wait until the confirmation waits for the reference.
	for {
		var waiting int
		if err := w.Store.Pool().QueryRow(w.Ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	w.Clock.Set(a.EndsAt)
	if _, err := other.Tick(w.Ctx); err != nil {
		t.Fatal(err)
	}
	if err := blocker.Rollback(w.Ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for {
		if n, err := other.Due(w.Ctx); err != nil || n == 0 {
			break
		}
		if _, err := other.Tick(w.Ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := w.Store.Auction(w.Ctx, a.ID); got.Status != auction.StatusSold {
		t.Fatalf("auction %s", got.Status)
	}
	if d, _ := w.Store.Deposit(w.Ctx, reg.Deposit.ID); d.Status != auction.DepositRefundPending {
		t.Fatalf("the late confirmation's deposit is %s after the close, want refund_pending", d.Status)
	}
	wantLedgerBalanced(t, w)
}
