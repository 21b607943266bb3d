package page

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"gavel/payments"
	"gavel/web/page/i18n"
)

// The reconciliation page shows a card provider's own balance: its totals
// with fees, each difference named, and a provider that could not be read.
func TestReconcileShowsProviderBalance(t *testing.T) {
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	id := int64(7)
	r := &payments.Reconciliation{From: from, To: from.Add(24 * time.Hour), Providers: []payments.ProviderBalance{
		{Provider: "stripe", Transactions: 3, Gross: 700_000, Fees: 8_400, Net: 691_600, Differences: []payments.ProviderDifference{
			{Status: payments.ProviderBookedNotAtProvider, Reference: "re_gavel_1", LedgerTransactionID: &id, LedgerAmount: -700_000},
			{Status: payments.ProviderNotBooked, Reference: "pi_stray", BalanceTransaction: "txn_1", ProviderAmount: 5_000, Fee: 30},
		}},
		{Provider: "unreadable", Error: "timeout", Differences: []payments.ProviderDifference{}},
	}}
	r.Finish()
	for lang, want := range map[string][]string{
		i18n.LangZH: {"已记账，支付机构无此笔", "支付机构有，未记账", "re_gavel_1", "pi_stray", "手续费 ¥84.00", "净额 ¥6,916.00", "未能读取支付机构的余额流水"},
		i18n.LangEN: {"Booked, not at the provider", "At the provider, not booked", "fees ¥84.00", "could not be read"},
	} {
		p := &page{L: i18n.Locale{Lang: lang, Zone: time.UTC}, JS: map[string]any{},
			Data: &reconcileData{R: r, CSV: map[string]string{}, DiffTable: lineTable{L: i18n.Locale{Lang: lang, Zone: time.UTC}}}}
		var buf bytes.Buffer
		if err := templates["reconcile.html"].ExecuteTemplate(&buf, "layout", p); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s: the page lacks %q", lang, w)
			}
		}
	}
	if r.OK {
		t.Error("a reconciliation with provider differences is ok")
	}
}
