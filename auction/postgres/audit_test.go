package postgres_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres/oversight"
)

// secListed puts a person on the restriction list.
func secListed(t testing.TB, w *auctiontest.World, u *auction.User) {
	t.Helper()
	if _, err := w.Store.ImportBlacklist(w.Ctx, "test", []auction.BlacklistEntry{{Name: u.RealName, IDNumber: u.IDNumber, CaseNumber: "(2025)京01执1号"}}); err != nil {
		t.Fatal(err)
	}
}

func secInterceptions(t testing.TB, w *auctiontest.World, auctionID string) []auction.Interception {
	t.Helper()
	list, _, err := w.Store.Interceptions(w.Ctx, auction.InterceptionFilter{AuctionID: auctionID})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestInterceptionAtRegistration(t *testing.T) {
	t.Parallel()
	w := setup(t)
	house := w.AnnouncedOf(auction.NewCase{}, auction.NewLot{Category: auction.CategoryRealEstate})
	shares := w.AnnouncedOf(auction.NewCase{}, auction.NewLot{Category: auction.CategoryEquity})
	debtor := w.Verified("110101198001010011", "Listed Person")
	secListed(t, w, debtor)

	ctx := auction.WithOrigin(w.Ctx, auction.Origin{IP: "203.0.113.7", Device: auction.DeviceHash("d1")})
	_, err := w.Store.Register(ctx, debtor, house.ID)
	wantCode(t, err, auction.EBidderRestricted)

	// The refused registration left nothing behind but the interception,
	// which was written after the rollback.
	if regs, err := w.Store.UserRegistrations(w.Ctx, debtor.ID); err != nil || len(regs) != 0 {
		t.Fatalf("registrations after refusal: %v %v", regs, err)
	}
	list := secInterceptions(t, w, house.ID)
	if len(list) != 1 {
		t.Fatalf("want 1 interception, got %d", len(list))
	}
	got := list[0]
	if got.Stage != oversight.StageRegistration || got.IDNumber != debtor.IDNumber || got.Name != "Listed Person" ||
		got.LotCategory != auction.CategoryRealEstate || got.IP != "203.0.113.7" || got.ListSource != "test" ||
		got.ListCaseNumber != "(2025)京01执1号" || got.DeclaredAt == nil || !got.DeclaredAt.Equal(w.Clock.Now()) || !got.At.Equal(w.Clock.Now()) {
		t.Fatalf("interception: %+v", got)
	}

	// Equity is not restricted: the same person may register, and nothing is recorded.
	if _, err := w.Store.Register(w.Ctx, debtor, shares.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(secInterceptions(t, w, shares.ID)); n != 0 {
		t.Fatalf("interceptions on an unrestricted lot: %d", n)
	}

	// Taken off the list, the person may register again.
	if _, err := w.Store.RemoveFromBlacklist(w.Ctx, []string{debtor.IDNumber}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.Register(w.Ctx, debtor, house.ID); err != nil {
		t.Fatalf("after removal: %v", err)
	}
	if n := len(secInterceptions(t, w, house.ID)); n != 1 {
		t.Fatalf("interceptions after removal: %d, want still 1", n)
	}
}

func TestInterceptionAtBid(t *testing.T) {
	t.Parallel()
	w := setup(t)
	car := w.AnnouncedOf(auction.NewCase{}, auction.NewLot{Category: auction.CategoryVehicle})
	alice := w.Verified("310101199001010022", "Alice Listed")
	bob := w.Verified("310101199001010033", "Bob")
	ra := w.Qualify(alice, car.ID)
	registeredAt := w.Clock.Now()
	w.Qualify(bob, car.ID)
	w.Open(car)
	w.Bid(bob, car.ID, car.StartPrice)

	// Listed after registering: stopped at the next bid, with the state to retry.
	w.Clock.Advance(time.Minute)
	secListed(t, w, alice)
	_, err := w.TryBid(alice, car.ID, car.StartPrice+car.Increment)
	wantCode(t, err, auction.EBidderRestricted)
	var refusal *auction.Error
	if !errors.As(err, &refusal) || refusal.Auction == nil || refusal.Auction.CurrentPrice == nil || *refusal.Auction.CurrentPrice != car.StartPrice {
		t.Fatalf("refusal carries no or the wrong auction state: %v", err)
	}
	list := secInterceptions(t, w, car.ID)
	if len(list) != 1 || list[0].Stage != oversight.StageBid || list[0].DeclaredAt == nil || !list[0].DeclaredAt.Equal(registeredAt) {
		t.Fatalf("interceptions: %+v", list)
	}
	bids, err := w.Store.Bids(w.Ctx, car.ID)
	if err != nil || len(bids) != 1 {
		t.Fatalf("bids after the refused one: %v %v", bids, err)
	}

	// Removal re-allows the same registration to bid.
	if n, err := w.Store.RemoveFromBlacklist(w.Ctx, []string{alice.IDNumber}); err != nil || n != 1 {
		t.Fatalf("remove: %d %v", n, err)
	}
	res, err := w.TryBid(alice, car.ID, car.StartPrice+car.Increment)
	if err != nil {
		t.Fatalf("after removal: %v", err)
	}
	if res.Bid.BidderCode != *ra.BidderCode {
		t.Fatalf("bid by %s, want %s", res.Bid.BidderCode, *ra.BidderCode)
	}
}

func TestAuditChain(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ctx := auction.WithOrigin(w.Ctx, auction.Origin{IP: "198.51.100.9"})
	// Staff act at the same time: the chain must come out whole, one link
	// per append, never forked.
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for worker := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				_, err := w.Store.Audit(ctx, auction.NewAuditEntry{ActorID: w.Clerk.ID, ActorRole: w.Clerk.Role,
					Action: "POST /api/v1/cases", Target: fmt.Sprintf("w%d-%d", worker, i), Status: 201, Detail: map[string]any{"n": i}})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	page, err := w.Store.AuditLog(w.Ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !page.Valid || page.HeadSeq != workers*each || len(page.Entries) != workers*each {
		t.Fatalf("chain: valid %v head %d entries %d (%s at %d)", page.Valid, page.HeadSeq, len(page.Entries), page.Problem, page.FirstBrokenSeq)
	}
	if e := page.Entries[0]; e.IP != "198.51.100.9" || e.ActorEmail == "" || e.ActorID != w.Clerk.ID {
		t.Fatalf("entry: %+v", e)
	}
	// A page in the middle verifies against the entry before it.
	mid, err := w.Store.AuditLog(w.Ctx, 40, 10)
	if err != nil || !mid.Valid || !mid.More || mid.Entries[0].Seq != 41 {
		t.Fatalf("middle page: %+v %v", mid, err)
	}

	// Append-only: the database refuses edits and deletions.
	if _, err := w.Store.Pool().Exec(w.Ctx, `UPDATE audit_log SET status = 500 WHERE seq = 7`); err == nil {
		t.Fatal("audit_log accepted an UPDATE")
	}
	if _, err := w.Store.Pool().Exec(w.Ctx, `DELETE FROM audit_log WHERE seq = 7`); err == nil {
		t.Fatal("audit_log accepted a DELETE")
	}

	// Someone with the power to switch the trigger off edits one entry: the
	// chain names it.
	if _, err := w.Store.Pool().Exec(w.Ctx, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
		UPDATE audit_log SET target = 'someone-else' WHERE seq = 7;
		DELETE FROM audit_log WHERE seq = 80;
		ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`); err != nil {
		t.Fatal(err)
	}
	page, err = w.Store.AuditLog(w.Ctx, 0, 1000)
	if err != nil || page.Valid || page.FirstBrokenSeq != 7 {
		t.Fatalf("after an edit: valid %v first broken %d (%s), %v", page.Valid, page.FirstBrokenSeq, page.Problem, err)
	}
	// The deleted tail shows on its own page.
	tail, err := w.Store.AuditLog(w.Ctx, 78, 1000)
	if err != nil || tail.Valid || tail.FirstBrokenSeq != 80 {
		t.Fatalf("after a deleted tail: valid %v first broken %d (%s), %v", tail.Valid, tail.FirstBrokenSeq, tail.Problem, err)
	}
}

func TestDepositPayerViewIsAudited(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	alice := w.Person("ID-PAYER", "Alice Payer")
	fin := w.User(auction.RoleFinance, "")
	reg, err := w.Store.Register(w.Ctx, alice, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.Store.ViewDepositPayer(w.Ctx, fin, reg.Deposit.ID)
	if err != nil || p.PayerName != "Alice Payer" || p.Amount != reg.Deposit.Amount {
		t.Fatalf("payer view: %+v %v", p, err)
	}
	page, err := w.Store.AuditLog(w.Ctx, 0, 10)
	if err != nil || len(page.Entries) != 1 {
		t.Fatalf("audit: %+v %v", page, err)
	}
	if e := page.Entries[0]; e.ActorID != fin.ID || e.Target != reg.Deposit.ID || e.Action != "GET /api/v1/deposits/:id/payer" {
		t.Fatalf("audit entry: %+v", e)
	}
	_, err = w.Store.ViewDepositPayer(w.Ctx, fin, "00000000-0000-0000-0000-000000000000")
	wantCode(t, err, auction.ENotFound)
}
