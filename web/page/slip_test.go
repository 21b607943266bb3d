package page_test

import (
	"net/http"
	"strings"
	"testing"

	"gavel/auction"
)

// The bidder's page and the printable payment slip show the court's
// receiving account and the transfer note code; someone else's slip is not
// found; a bidder registering while bidding is open is warned that a
// transfer may not clear in time.
func TestPayInOnPageAndSlip(t *testing.T) {
	t.Parallel()
	w := pageSetup(t, "三居室")
	reg := w.Register(w.bidder, w.a.ID)
	b, _ := w.signedIn(t, w.bidder)
	r := b.get("/auctions/" + w.a.ID)
	checkPage(t, "/auctions/"+w.a.ID, r, reg.Deposit.PayReference, `id="pay-no-account"`, `/registrations/`+reg.ID+`/slip`)
	if strings.Contains(r.body, `id="pay-late"`) {
		t.Fatal("a late-transfer warning before bidding opened")
	}

	if _, err := w.Store.SetCourtAccount(w.Ctx, "", auction.PayTo{CourtName: "北京市第一中级人民法院", AccountName: "北京市第一中级人民法院",
		Bank: "中国建设银行北京分行<b>", AccountNumber: "1100 1001 2345 6789"}); err != nil {
		t.Fatal(err)
	}
	r = b.get("/auctions/" + w.a.ID)
	checkPage(t, "/auctions/"+w.a.ID, r, `<code id="pay-account">1100 1001 2345 6789</code>`, "中国建设银行北京分行&lt;b&gt;")
	if strings.Contains(r.body, `id="pay-no-account"`) {
		t.Fatal("the no-account note beside an account")
	}

	admin, _ := w.signedIn(t, w.User(auction.RoleAdmin, ""))
	checkPage(t, "/admin/court-accounts", admin.get("/admin/court-accounts"), `data-method="PUT"`, "1100 1001 2345 6789")
	if r := b.get("/admin/court-accounts"); r.status != http.StatusForbidden {
		t.Fatalf("a bidder on the accounts page: %d", r.status)
	}

	slip := b.get("/registrations/" + reg.ID + "/slip")
	if slip.status != http.StatusOK || !strings.Contains(slip.body, `data-field="payment_reference">`+reg.Deposit.PayReference) ||
		!strings.Contains(slip.body, `data-field="account_number">1100 1001 2345 6789`) || strings.Contains(slip.body, "late_warning") {
		t.Fatalf("slip: %d\n%s", slip.status, slip.body)
	}
	if cc := slip.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("slip Cache-Control %q", cc)
	}
	other, _ := w.signedIn(t, w.User(auction.RoleBidder, ""))
	if r := other.get("/registrations/" + reg.ID + "/slip"); r.status != http.StatusNotFound {
		t.Fatalf("another bidder's slip: %d", r.status)
	}
	if r := w.browser(t).get("/registrations/" + reg.ID + "/slip"); r.status != http.StatusSeeOther {
		t.Fatalf("signed out: %d", r.status)
	}

	// Bidding open: a new registration is warned.
	w.TickAt(w.a.StartsAt)
	late := w.User(auction.RoleBidder, "")
	lateReg := w.Register(late, w.a.ID)
	lb, _ := w.signedIn(t, late)
	checkPage(t, "/auctions/"+w.a.ID, lb.get("/auctions/"+w.a.ID), `id="pay-late"`)
	if r := lb.get("/registrations/" + lateReg.ID + "/slip"); !strings.Contains(r.body, "late_warning") {
		t.Fatalf("late slip lacks the warning:\n%s", r.body)
	}
}
