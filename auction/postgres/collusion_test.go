package postgres_test

import (
	"fmt"
	"reflect"
	"testing"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres/oversight"
)

func TestCollusionSignals(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	from := func(ip, device string) *auctiontest.World {
		c := *w
		c.Ctx = auction.WithOrigin(w.Ctx, auction.Origin{IP: ip, Device: auction.DeviceHash(device)})
		return &c
	}
	users := make([]*auction.User, 4)
	codes := make([]string, 4)
	deposits := make([]string, 4)
	// Registrations: each from its own address; B and C from one device.
	devices := []string{"dev-a", "dev-bc", "dev-bc", "dev-d"}
	for i := range users {
		users[i] = w.Verified(fmt.Sprintf("ID-COL-%d", i), "")
		reg := from(fmt.Sprintf("192.0.2.%d", i+1), devices[i]).Qualify(users[i], a.ID)
		codes[i], deposits[i] = *reg.BidderCode, reg.Deposit.ID
	}
	// A and C paid from the same account (written differently).
	for i, acct := range []string{"6222 0212 3456 7890", "6222000011112222", "62220212 34567890", "6222999988887777"} {
		if err := w.Store.RecordDepositPayer(w.Ctx, deposits[i], acct); err != nil {
			t.Fatal(err)
		}
	}
	w.Open(a)
	// A and B bid from one office address; D bids alone.
	office := from("198.51.100.20", "")
	price := a.StartPrice
	for _, i := range []int{0, 1, 0, 1} {
		office.Bid(users[i], a.ID, price)
		price += a.Increment
	}
	from("192.0.2.4", "dev-d").Bid(users[3], a.ID, price)

	// Before the close identities are confidential: no signals.
	_, err := w.Store.Signals(w.Ctx, a.ID)
	wantCode(t, err, auction.EInvalidState)

	w.TickAt(a.EndsAt)
	signals, err := w.Store.Signals(w.Ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, s := range signals {
		got[s.Kind] = s.BidderCodes
		if len(s.Evidence) == 0 || s.EvidenceTotal < len(s.Evidence) {
			t.Errorf("%s has no evidence: %+v", s.Kind, s)
		}
	}
	sorted := func(cs ...string) []string {
		if cs[0] > cs[1] {
			cs[0], cs[1] = cs[1], cs[0]
		}
		return cs
	}
	want := map[string][]string{
		oversight.SignalSharedIP:     sorted(codes[0], codes[1]),
		oversight.SignalSharedDevice: sorted(codes[1], codes[2]),
		oversight.SignalSharedPayer:  sorted(codes[0], codes[2]),
	}
	if !reflect.DeepEqual(got, want) || len(signals) != 3 {
		t.Fatalf("signals:\n got %v\nwant %v", got, want)
	}
	for _, s := range signals {
		switch s.Kind {
		case oversight.SignalSharedIP:
			if s.Value != "198.51.100.20" || s.EvidenceTotal != 4 {
				t.Errorf("shared IP: %+v", s)
			}
		case oversight.SignalSharedDevice, oversight.SignalSharedPayer:
			if len(s.Value) != 12 {
				t.Errorf("%s should show a short fingerprint, got %q", s.Kind, s.Value)
			}
		}
	}
	// Signals are flags only: the sale stands.
	if got, _ := w.Store.Auction(w.Ctx, a.ID); got.Status != auction.StatusSold {
		t.Fatalf("status after signals: %s", got.Status)
	}
	err = w.Store.RecordDepositPayer(w.Ctx, "00000000-0000-0000-0000-000000000000", "x")
	wantCode(t, err, auction.ENotFound)
}
