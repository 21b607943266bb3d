package notice_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"gavel/auction/notice"
)

func TestRenderEveryKind(t *testing.T) {
	t.Parallel()
	data := map[string]any{"current_price": 71_000_000.0, "starts_at": "2027-01-07T02:00:00Z", "ends_at": "2027-01-08T02:00:00Z",
		"hammer_price": 71_000_000.0, "deposit_applied": 7_000_000.0, "balance_due": 64_000_000.0, "balance_due_at": "2027-01-18T02:00:00Z",
		"deposit": 7_000_000.0, "amount": 7_000_000.0, "outstanding": 64_000_000.0, "forfeited_deposit": 7_000_000.0}
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range notice.Kinds {
		for _, lang := range []string{notice.LangZH, notice.LangEN} {
			// A notice about the account has no auction, so no title and
			// no link to an auction.
			account := kind == notice.IdentityClaimReleased
			n, title := notice.Notice{Type: kind, Count: 1, Data: data, AuctionID: "1"}, "上海市某区房产"
			if account {
				n.AuctionID, title = "", ""
			}
			txt := notice.Render(n, notice.Context{Title: title, Language: lang, Zone: shanghai, AuctionURL: "http://x/auctions/1", SettingsURL: "http://x/me"})
			all := txt.Subject + txt.Body
			if account && (txt.Subject == "" || strings.Contains(all, "/auctions/") || !strings.Contains(txt.Body, "http://x/me")) {
				t.Errorf("%s/%s: %q / %q", kind, lang, txt.Subject, txt.Body)
			}
			if account {
				continue
			}
			if strings.ContainsAny(all, "{}") || strings.Contains(all, " - ") || !strings.Contains(txt.Subject, "上海市某区房产") || !strings.Contains(txt.Body, "http://x/auctions/1") {
				t.Errorf("%s/%s: %q / %q", kind, lang, txt.Subject, txt.Body)
			}
			if txt.Subject == "上海市某区房产" {
				t.Errorf("%s/%s has no words of its own", kind, lang)
			}
			if strings.Contains(all, "2027-01-07T") {
				t.Errorf("%s/%s shows a raw time: %q", kind, lang, all)
			}
		}
	}
	zh := notice.Render(notice.Notice{Type: notice.OpeningSoon, Data: data}, notice.Context{Title: "T", Zone: shanghai})
	if !strings.Contains(zh.Body, "2027-01-07 10:00 CST") {
		t.Errorf("opening time not in the court's zone: %q", zh.Body)
	}
	many := notice.Render(notice.Notice{Type: notice.Outbid, Count: 3, Data: data}, notice.Context{Title: "T", Language: notice.LangEN})
	if !strings.Contains(many.Body, "outbid 3 times") || !strings.Contains(many.Body, "¥710,000.00") {
		t.Errorf("coalesced outbid: %q", many.Body)
	}
}

func TestMoney(t *testing.T) {
	t.Parallel()
	for fen, want := range map[int64]string{0: "¥0.00", 5: "¥0.05", 123456: "¥1,234.56", -100: "-¥1.00",
		math.MaxInt64: "¥92,233,720,368,547,758.07", math.MinInt64: "-¥92,233,720,368,547,758.08"} {
		if got := notice.Money(fen); got != want {
			t.Errorf("Money(%d) = %q, want %q", fen, got, want)
		}
	}
}
