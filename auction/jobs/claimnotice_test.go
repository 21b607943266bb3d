package jobs_test

import (
	"io"
	"mime/quotedprintable"
	"strings"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/notice"
)

// A person whose identity claim is released when a clerk verifies the real
// owner is told once, in the app and by e-mail, with what to do; the
// message names no auction and carries no personal data.
func TestClaimReleasedNotice(t *testing.T) {
	t.Parallel()
	m := newMailEnv(t, false, nil)
	number := auctiontest.IDNumber("claimed person")
	squatter := m.Account(auction.NewUser{Role: auction.RoleBidder, IDNumber: number})
	owner := m.Bidder()
	if _, err := m.Store.VerifyUser(m.Ctx, m.Clerk, owner.ID, auction.Verification{Method: auction.VerifyDesk, Reference: "窗口 2026-7",
		IDNumber: number}); err != nil {
		t.Fatal(err)
	}
	l, err := m.notices.List(m.Ctx, squatter.ID, 0)
	if err != nil || len(l.Notices) != 1 {
		t.Fatalf("the released account's notices: %+v %v", l, err)
	}
	n := l.Notices[0]
	if n.Type != notice.IdentityClaimReleased || n.AuctionID != "" || n.Seq != 1 || l.Unread != 1 {
		t.Fatalf("notice %+v", n)
	}
	if l, err := m.notices.List(m.Ctx, owner.ID, 0); err != nil || len(l.Notices) != 0 {
		t.Fatalf("the verified owner was told: %+v %v", l, err)
	}
	if n := m.relay(t); n != 1 {
		t.Fatalf("relayed %d notices, want 1", n)
	}
	m.settle(t)
	msgs := m.box.Wait(1, 5*time.Second)
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != squatter.Email {
		t.Fatalf("messages: %+v", msgs)
	}
	p, err := msgs[0].Parsed()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(p.Body))
	if subject := decodeHeader(t, p.Header.Get("Subject")); subject != "身份证件号码认领已解除" {
		t.Errorf("subject %q", subject)
	}
	for _, want := range []string{"执行法院", "核实"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	for _, never := range []string{"/auctions/", number, owner.Email, owner.RealName} {
		if strings.Contains(string(body), never) {
			t.Errorf("body contains %q:\n%s", never, body)
		}
	}
	// Verifying again releases nothing new: no second notice.
	if _, err := m.Store.VerifyUser(m.Ctx, m.Clerk, owner.ID, auction.Verification{Method: auction.VerifyDesk, Reference: "窗口 2026-8"}); err != nil {
		t.Fatal(err)
	}
	if l, err := m.notices.List(m.Ctx, squatter.ID, 0); err != nil || len(l.Notices) != 1 {
		t.Fatalf("after a second verification: %+v %v", l, err)
	}
}
