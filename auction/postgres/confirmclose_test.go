package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/postgres"
)

// Confirming a deposit and closing its auction are serialised by the
// auction's row lock: with many confirmations racing the close on two
// instances, after the close no deposit is left held. Every confirmation
// either lands before the close (held, then released or applied by it) or
// after it (released at once).
func TestConfirmRacesClose(t *testing.T) {
	t.Parallel()
	b := setup(t)
	stores := [2]*postgres.Store{b.store, b.twin(t)}
	const auctions, perAuction = 4, 10
	var as []*auction.Auction
	var deposits []string
	for range auctions {
		a := b.mustAuction(t, lotParams{})
		leader := b.mustUser(t, auction.RoleBidder, "", "")
		b.mustQualify(t, leader, a.ID)
		as = append(as, a)
		deposits = append(deposits, b.pendingDeposits(t, a, perAuction)...)
	}
	// Every round was scheduled at the same offset from the same clock,
	// so they share their start and end.
	b.open(t, as[0])
	for _, a := range as {
		if _, err := b.bid(mustLeader(t, b, a), a.ID, a.StartPrice); err != nil {
			t.Fatal(err)
		}
	}
	b.clock.Set(as[0].EndsAt.Add(-time.Millisecond))

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
				b.clock.Set(as[0].EndsAt)
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
		if n, err := b.store.Due(b.ctx); err != nil || n == 0 {
			break
		}
		b.tick(t)
	}
	for _, a := range as {
		got, _ := b.store.Auction(b.ctx, a.ID)
		if got.Status != auction.StatusSold {
			t.Fatalf("auction %s after the close", got.Status)
		}
		ds, err := b.store.Deposits(b.ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Status == auction.DepositHeld || d.Status == auction.DepositPending {
				t.Fatalf("deposit %s is %s after the close", d.ID, d.Status)
			}
		}
	}
	b.wantLedgerBalanced(t)
}

// mustLeader returns the one qualified bidder of a (the first registered).
func mustLeader(t *testing.T, b *bundle, a *auction.Auction) *auction.User {
	t.Helper()
	var id string
	if err := b.store.Pool().QueryRow(b.ctx, `SELECT user_id FROM registrations WHERE auction_id = $1 AND status = 'qualified' ORDER BY created_at LIMIT 1`, a.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	u, err := b.store.User(b.ctx, id)
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
	b := setup(t)
	other := b.twin(t)
	a := b.mustAuction(t, lotParams{})
	leader := b.mustUser(t, auction.RoleBidder, "", "")
	b.mustQualify(t, leader, a.ID)
	late := b.mustUser(t, auction.RoleBidder, "", "")
	reg, err := b.store.Register(b.ctx, late, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	b.open(t, a)
	if _, err := b.bid(leader, a.ID, a.StartPrice); err != nil {
		t.Fatal(err)
	}
	b.clock.Set(a.EndsAt.Add(-time.Second))

	blocker, err := b.store.Pool().Begin(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = blocker.Rollback(context.Background()) }()
	if _, err := blocker.Exec(b.ctx, `INSERT INTO booked_references (kind, reference, entry_id, booked_at)
		VALUES ('deposit_confirmation', 'LATE-TRANSFER', gen_random_uuid(), now())`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := b.store.ConfirmDeposit(context.Background(), reg.Deposit.ID, "LATE-TRANSFER")
		done <- err
	}()
	// Wait until the confirmation waits for the reference.
	for {
		var waiting int
		if err := b.store.Pool().QueryRow(b.ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.clock.Set(a.EndsAt)
	if _, err := other.Tick(b.ctx); err != nil {
		t.Fatal(err)
	}
	if err := blocker.Rollback(b.ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for {
		if n, err := other.Due(b.ctx); err != nil || n == 0 {
			break
		}
		if _, err := other.Tick(b.ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := b.store.Auction(b.ctx, a.ID); got.Status != auction.StatusSold {
		t.Fatalf("auction %s", got.Status)
	}
	if d, _ := b.store.Deposit(b.ctx, reg.Deposit.ID); d.Status != auction.DepositRefundPending {
		t.Fatalf("the late confirmation's deposit is %s after the close, want refund_pending", d.Status)
	}
	b.wantLedgerBalanced(t)
}
