package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"gavel/auction"
	"gavel/auction/auctiontest"
)

// The money pages in Chromium: a bidder sees where to pay and the note
// code when registering; finance's duplicate reference is refused at the
// field; a statement upload confirms the exact transfer and lists the line
// it could not match.
func TestBrowserMoney(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newChrome(t)
	const password = auctiontest.Password // the world's accounts share it
	financeUser := s.world.In(t).User(auction.RoleFinance, "")

	court := fmt.Sprintf("北京市第%d中级人民法院", next())
	if _, err := s.store.SetCourtAccount(s.ctx, "", auction.PayTo{CourtName: court, AccountName: court, Bank: "中国工商银行北京分行营业部",
		AccountNumber: "0200 0010 0900 0123 456"}); err != nil {
		t.Fatal(err)
	}
	w := s.world.In(t)
	w.Court = court
	a := w.AnnouncedCar("二手轿车")

	// Two bidders register and are told where to pay.
	var refs []string
	for _, name := range []string{"alice", "bob"} {
		b := c.tab(t, name, s.url)
		b.signUp(newPerson(), "bidder password 1")
		b.open("/auctions/" + a.ID)
		b.do(click("#declare"), click(`#register button[type="submit"]`), visible("#pay-reference"))
		if got := b.text("#pay-account"); got != "0200 0010 0900 0123 456" {
			t.Fatalf("%s sees account %q", name, got)
		}
		if got := b.text("#pay-bank"); got != "中国工商银行北京分行营业部" {
			t.Fatalf("%s sees bank %q", name, got)
		}
		if href := b.eval(`document.getElementById('pay-slip').getAttribute('href')`); !strings.HasSuffix(href, "/slip") {
			t.Fatalf("%s: slip link %q", name, href)
		}
		b.shot("20-pay-in-" + name)
		refs = append(refs, b.text("#pay-reference"))
	}

	// Finance confirms Alice's transfer, then types the same bank
	// reference for Bob's: refused at the field, nothing booked.
	finance := c.tab(t, "finance", s.url)
	finance.signIn(financeUser.Email, password)
	row := func(ref string) string {
		dep := finance.eval(fmt.Sprintf(`[...document.querySelectorAll('#pending tr[data-deposit]')].find(r => r.textContent.includes(%q)).dataset.deposit`, ref))
		return fmt.Sprintf(`#pending tr[data-deposit="%s"]`, dep)
	}
	alice := row(refs[0])
	finance.do(chromedp.SendKeys(chromedp.CSS(alice+` input[name="reference"]`), "ICBC-DUP-1"), click(alice+" button"),
		chromedp.WaitNotPresent(chromedp.CSS(alice)), ready())
	bob := row(refs[1])
	finance.do(chromedp.SendKeys(chromedp.CSS(bob+` input[name="reference"]`), "ICBC-DUP-1"), click(bob+" button"),
		visible(bob+" .field-error"))
	if msg := finance.text(bob + " .field-error"); msg != "该流水号已入账，未重复记账" {
		t.Errorf("duplicate reference message %q", msg)
	}
	if invalid := finance.eval(`document.querySelector('` + bob + ` input[name="reference"]').getAttribute('aria-invalid')`); invalid != "true" {
		t.Errorf("the reference field is not marked invalid: %q", invalid)
	}
	finance.shot("21-finance-duplicate")

	// The bank's statement: Bob's exact transfer and a stranger's.
	file := filepath.Join(t.TempDir(), "statement.csv")
	csv := "交易日期,交易流水号,借贷标志,金额,对方户名,对方账号,附言\n" +
		"2026-06-02,ICBC-STMT-1,贷,7000.00,某人,6222000011112222," + refs[1] + "\n" +
		"2026-06-02,ICBC-STMT-2,贷,12.00,陌生人,6222000033334444,货款\n"
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	finance.open("/finance")
	finance.do(chromedp.SetUploadFiles(chromedp.CSS(`#statement-form input[name="file"]`), []string{file}),
		click(`#statement-form button[type="submit"]`), visible("#imported"))
	if got := finance.eval(`[...document.querySelectorAll('#imported tr[data-line]')].map(r => r.dataset.line + '=' + r.dataset.status).join(' ')`); got != "ICBC-STMT-1=confirmed ICBC-STMT-2=unmatched" {
		t.Errorf("imported lines: %q", got)
	}
	if got := finance.eval(`[...document.querySelectorAll('#open-lines tr[data-line]')].map(r => r.dataset.line).join(' ')`); got != "ICBC-STMT-2" {
		t.Errorf("lines to resolve: %q", got)
	}
	finance.shot("22-finance-statement")
	if d, _ := s.store.Deposits(s.ctx, a.ID); len(d) != 2 || d[0].Status != auction.DepositHeld || d[1].Status != auction.DepositHeld {
		t.Fatalf("deposits after the statement: %+v", d)
	}

	// An invalid statement is refused with its line, nothing imported.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("date,reference,amount\n2026-06-03,X-1,1.234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	finance.do(chromedp.SetUploadFiles(chromedp.CSS(`#statement-form input[name="file"]`), []string{bad}),
		click(`#statement-form button[type="submit"]`), visible("#statement-form .field-error"))
	if msg := finance.text("#statement-form .field-error"); !strings.Contains(msg, "line 2") {
		t.Errorf("invalid statement message %q", msg)
	}
}
