package payments

import (
	"io"
	"strconv"
	"time"
)

// Provider record kinds: money movements as the provider saw them (a bank
// transfer finance confirmed, a Stripe payment or refund). Reconciliation
// matches each against the ledger transaction of the same kind.
const (
	RecordDepositReceived  = "deposit_received"
	RecordDepositReturned  = "deposit_returned"
	RecordBalanceReceived  = "balance_received"
	RecordProceedsRemitted = "proceeds_remitted"
	RecordExcessReturned   = "excess_returned"
	RecordBalanceReturned  = "balance_returned"
)

// RecordKindOf is the provider record kind that must match a ledger
// transaction of kind txKind, or "" when that kind moves no money in or out
// of the court's escrow account.
func RecordKindOf(txKind string) string {
	switch txKind {
	case TxDepositHeld:
		return RecordDepositReceived
	case TxDepositRefunded:
		return RecordDepositReturned
	case TxBalanceReceived:
		return RecordBalanceReceived
	case TxProceedsRemitted:
		return RecordProceedsRemitted
	case TxExcessRefunded:
		return RecordExcessReturned
	case TxBalanceReturned:
		return RecordBalanceReturned
	}
	return ""
}

// Reconciliation line statuses.
const (
	LineMatched           = "matched"
	LineMissingAtProvider = "missing_at_provider" // a ledger entry with no provider record
	LineMissingInLedger   = "missing_in_ledger"   // a provider record with no ledger entry
	LineAmountDiffers     = "amount_differs"
)

// Reconciliation proves, for a period, that the books match the money.
type Reconciliation struct {
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	GeneratedAt time.Time `json:"generated_at"`
	Currency    string    `json:"currency"`
	// Accounts are the ledger totals per account for the period; the total
	// row's debits equal its credits and every column but those sums to zero.
	Accounts      []AccountTotal `json:"accounts"`
	AccountsTotal AccountTotal   `json:"accounts_total"`
	// Lines pair every ledger transaction that moved money in or out of the
	// court's escrow in the period with the provider's record of it.
	Lines      []Line    `json:"lines"`
	LinesTotal LineTotal `json:"lines_total"`
	// Differences are the lines that do not match, line by line.
	Differences []Line `json:"differences"`
	// Escrow compares deposit money in escrow at the end of the period per
	// provider: what the ledger says against what the provider records say.
	Escrow      []EscrowTotal `json:"escrow"`
	EscrowTotal EscrowTotal   `json:"escrow_total"`
	// RefundsDue are released deposits not yet paid back.
	RefundsDue      []RefundDue `json:"refunds_due"`
	RefundsDueTotal RefundTotal `json:"refunds_due_total"`
	// Statement are the differences between the ledger's bank movements and
	// the imported bank statements of the period (CompareStatement).
	Statement []StatementDifference `json:"statement"`
	// Providers set the ledger against each card provider's own balance
	// transactions (CompareBalance), fees included.
	Providers []ProviderBalance `json:"providers"`
	// OK is true when nothing differs (the statement and the providers'
	// balances included) and no refund is overdue.
	OK bool `json:"ok"`
}

// AccountTotal is one ledger account over a period. Debits and Credits are
// both positive sums; Net = Debits - Credits; Closing = Opening + Net.
type AccountTotal struct {
	Account string `json:"account"`
	Opening int64  `json:"opening"`
	Debits  int64  `json:"debits"`
	Credits int64  `json:"credits"`
	Net     int64  `json:"net"`
	Closing int64  `json:"closing"`
}

// Line is one money movement seen from both sides.
type Line struct {
	Kind                string    `json:"kind"`
	Provider            string    `json:"provider"`
	DepositID           string    `json:"deposit_id,omitempty"`
	AuctionID           string    `json:"auction_id,omitempty"`
	CaseID              string    `json:"case_id,omitempty"`
	Reference           string    `json:"reference"`
	At                  time.Time `json:"at"`
	LedgerTransactionID *int64    `json:"ledger_transaction_id"`
	ProviderRecordID    *int64    `json:"provider_record_id"`
	// Amounts are signed as they move the court's escrow: money in is
	// positive, money out negative.
	LedgerAmount   int64  `json:"ledger_amount"`
	ProviderAmount int64  `json:"provider_amount"`
	Difference     int64  `json:"difference"`
	Status         string `json:"status"`
}

// LineTotal sums the lines; Difference = Ledger - Provider.
type LineTotal struct {
	Lines       int   `json:"lines"`
	Differences int   `json:"differences"`
	Ledger      int64 `json:"ledger_amount"`
	Provider    int64 `json:"provider_amount"`
	Difference  int64 `json:"difference"`
}

// EscrowTotal is deposit money in escrow for one provider at a point in time.
type EscrowTotal struct {
	Provider   string `json:"provider"`
	Ledger     int64  `json:"ledger"`
	Records    int64  `json:"provider_records"`
	Difference int64  `json:"difference"`
}

// RefundDue is a released deposit waiting to be paid back. The law gives
// 24 h from the close (Art. 23): past DueBy the refund is overdue, a breach.
type RefundDue struct {
	DepositID        string    `json:"deposit_id"`
	AuctionID        string    `json:"auction_id"`
	BidderCode       string    `json:"bidder_code"`
	Provider         string    `json:"provider"`
	Amount           int64     `json:"amount"`
	PayReference     string    `json:"pay_reference"`
	ConfirmReference string    `json:"confirm_reference"`
	ReleasedAt       time.Time `json:"released_at"`
	DueBy            time.Time `json:"due_by"`
	Overdue          bool      `json:"overdue"`
}

// RefundTotal sums refunds due.
type RefundTotal struct {
	Count         int   `json:"count"`
	Amount        int64 `json:"amount"`
	OverdueCount  int   `json:"overdue_count"`
	OverdueAmount int64 `json:"overdue_amount"`
}

// RefundWindow is how long after the close a non-winner's deposit may be
// held (Art. 23).
const RefundWindow = 24 * time.Hour

// TotalRefunds sums refunds due.
func TotalRefunds(rs []RefundDue) RefundTotal {
	var t RefundTotal
	for _, r := range rs {
		t.Count++
		t.Amount += r.Amount
		if r.Overdue {
			t.OverdueCount++
			t.OverdueAmount += r.Amount
		}
	}
	return t
}

// Match pairs ledger lines with provider lines. Two lines describe the same
// movement when kind, subject (deposit, else auction, else case) and
// reference agree; the n-th ledger line of a key pairs with the n-th provider
// line of that key. Unpaired lines are differences. The result keeps the
// ledger's order, then the unpaired provider lines in theirs.
func Match(ledger, provider []Line) []Line {
	type key struct{ kind, subject, ref string }
	keyOf := func(l Line) key {
		subject := l.DepositID
		if subject == "" {
			subject = l.AuctionID
		}
		if subject == "" {
			subject = l.CaseID
		}
		return key{l.Kind, subject, l.Reference}
	}
	queue := map[key][]int{}
	for i, p := range provider {
		k := keyOf(p)
		queue[k] = append(queue[k], i)
	}
	used := make([]bool, len(provider))
	out := make([]Line, 0, len(ledger)+len(provider))
	for _, l := range ledger {
		k := keyOf(l)
		if q := queue[k]; len(q) > 0 {
			p := provider[q[0]]
			queue[k] = q[1:]
			used[q[0]] = true
			l.ProviderRecordID, l.ProviderAmount = p.ProviderRecordID, p.ProviderAmount
			if l.Provider == "" {
				l.Provider = p.Provider
			}
		}
		out = append(out, settle(l))
	}
	for i, p := range provider {
		if !used[i] {
			out = append(out, settle(p))
		}
	}
	return out
}

func settle(l Line) Line {
	l.Difference = l.LedgerAmount - l.ProviderAmount
	switch {
	case l.ProviderRecordID == nil:
		l.Status = LineMissingAtProvider
	case l.LedgerTransactionID == nil:
		l.Status = LineMissingInLedger
	case l.Difference != 0:
		l.Status = LineAmountDiffers
	default:
		l.Status = LineMatched
	}
	return l
}

// Finish computes the totals and differences of a report whose rows are set.
func (r *Reconciliation) Finish() {
	r.AccountsTotal = AccountTotal{Account: "TOTAL"}
	for _, a := range r.Accounts {
		r.AccountsTotal.Opening += a.Opening
		r.AccountsTotal.Debits += a.Debits
		r.AccountsTotal.Credits += a.Credits
		r.AccountsTotal.Net += a.Net
		r.AccountsTotal.Closing += a.Closing
	}
	r.LinesTotal = LineTotal{}
	r.Differences = []Line{}
	for _, l := range r.Lines {
		r.LinesTotal.Lines++
		r.LinesTotal.Ledger += l.LedgerAmount
		r.LinesTotal.Provider += l.ProviderAmount
		if l.Status != LineMatched {
			r.LinesTotal.Differences++
			r.Differences = append(r.Differences, l)
		}
	}
	r.LinesTotal.Difference = r.LinesTotal.Ledger - r.LinesTotal.Provider
	r.EscrowTotal = EscrowTotal{Provider: "TOTAL"}
	for _, e := range r.Escrow {
		r.EscrowTotal.Ledger += e.Ledger
		r.EscrowTotal.Records += e.Records
		r.EscrowTotal.Difference += e.Difference
	}
	r.RefundsDueTotal = TotalRefunds(r.RefundsDue)
	if r.Statement == nil {
		r.Statement = []StatementDifference{}
	}
	if r.Providers == nil {
		r.Providers = []ProviderBalance{}
	}
	r.OK = r.LinesTotal.Differences == 0 && r.EscrowTotal.Difference == 0 && r.RefundsDueTotal.OverdueCount == 0 && len(r.Statement) == 0
	for _, p := range r.Providers {
		r.OK = r.OK && p.Error == "" && len(p.Differences) == 0
	}
}

// CSV exports. Each is one rectangular table ending with a TOTAL row, so a
// spreadsheet can check that the totals tie out.

func idCSV(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

// WriteLinesCSV writes the reconciliation lines, then a TOTAL row whose
// difference column is the sum of the differences.
func WriteLinesCSV(w io.Writer, r *Reconciliation, sheet ...Sheet) error {
	cw := newCSV(w, sheet)
	cw.head("kind", "provider", "deposit_id", "auction_id", "case_id", "reference", "at",
		"ledger_transaction_id", "provider_record_id", "ledger_amount", "provider_amount", "difference", "status")
	for _, l := range r.Lines {
		cw.row([]string{l.Kind, l.Provider, l.DepositID, l.AuctionID, l.CaseID, l.Reference, cw.at(l.At),
			idCSV(l.LedgerTransactionID), idCSV(l.ProviderRecordID), cw.fen(l.LedgerAmount), cw.fen(l.ProviderAmount), cw.fen(l.Difference), l.Status})
	}
	t := r.LinesTotal
	cw.row([]string{cw.total(), "", "", "", "", "", "", "", "", cw.fen(t.Ledger), cw.fen(t.Provider), cw.fen(t.Difference),
		cw.differences(t.Differences)})
	cw.Flush()
	return cw.Error()
}

// WriteAccountsCSV writes the ledger totals per account and a TOTAL row.
func WriteAccountsCSV(w io.Writer, r *Reconciliation, sheet ...Sheet) error {
	cw := newCSV(w, sheet)
	cw.head("account", "opening", "debits", "credits", "net", "closing")
	for _, a := range append(append([]AccountTotal{}, r.Accounts...), r.AccountsTotal) {
		cw.row([]string{cw.label(a.Account), cw.fen(a.Opening), cw.fen(a.Debits), cw.fen(a.Credits), cw.fen(a.Net), cw.fen(a.Closing)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteEscrowCSV writes deposits in escrow per provider and a TOTAL row.
func WriteEscrowCSV(w io.Writer, r *Reconciliation, sheet ...Sheet) error {
	cw := newCSV(w, sheet)
	cw.head("provider", "ledger", "provider_records", "difference")
	for _, e := range append(append([]EscrowTotal{}, r.Escrow...), r.EscrowTotal) {
		cw.row([]string{cw.label(e.Provider), cw.fen(e.Ledger), cw.fen(e.Records), cw.fen(e.Difference)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteRefundsCSV writes refunds due, the file finance hands to the bank,
// then a TOTAL row: the amount column sums them and the overdue column counts
// the overdue ones.
func WriteRefundsCSV(w io.Writer, rs []RefundDue, sheet ...Sheet) error {
	cw := newCSV(w, sheet)
	cw.head("deposit_id", "auction_id", "bidder_code", "provider", "amount", "pay_reference", "confirm_reference",
		"released_at", "due_by", "overdue")
	for _, r := range rs {
		cw.row([]string{r.DepositID, r.AuctionID, r.BidderCode, r.Provider, cw.fen(r.Amount), r.PayReference, r.ConfirmReference,
			cw.at(r.ReleasedAt), cw.at(r.DueBy), cw.yes(r.Overdue)})
	}
	t := TotalRefunds(rs)
	cw.row([]string{cw.total(), "", "", "", cw.fen(t.Amount), "", "", "", "", strconv.Itoa(t.OverdueCount)})
	cw.Flush()
	return cw.Error()
}

// Differences between the ledger and the bank's statement, by name.
const (
	// StatementBookedNotOnStatement: booked in the ledger on a day an
	// imported statement covers, but the bank shows no such movement.
	StatementBookedNotOnStatement = "booked_not_on_statement"
	// StatementNotBooked: on the statement, but nothing is booked with its
	// reference.
	StatementNotBooked = "on_statement_not_booked"
	// StatementAmountDiffers: the same reference, another amount.
	StatementAmountDiffers = "amount_differs"
)

// StatementDifference is one line where the ledger and the bank disagree.
// Amounts are signed as they move the court's account (money in positive).
type StatementDifference struct {
	Status              string     `json:"status"`
	Reference           string     `json:"reference"`
	Kind                string     `json:"kind,omitempty"`
	LedgerTransactionID *int64     `json:"ledger_transaction_id"`
	At                  *time.Time `json:"at"`
	BookedOn            *time.Time `json:"booked_on"`
	LedgerAmount        int64      `json:"ledger_amount"`
	StatementAmount     int64      `json:"statement_amount"`
}

// chinaTime is the zone a bank statement's booking day is in (no summer
// time in China).
var chinaTime = time.FixedZone("CST", 8*3600)

// CompareStatement sets against each other the bank movements of the
// ledger (lines of provider bank with a ledger transaction) and the
// statement lines of the same period, by reference and direction. A ledger
// movement counts only on a day an imported statement covers (covered,
// given the Beijing calendar day), so a day without a statement yet is not
// reported as missing.
func CompareStatement(ledger []Line, statement []StatementLine, covered func(day time.Time) bool) []StatementDifference {
	type key struct{ dir, ref string }
	dir := func(amount int64) string {
		if amount < 0 {
			return "debit"
		}
		return "credit"
	}
	byRef := map[key]*StatementLine{}
	for i := range statement {
		byRef[key{statement[i].Direction, statement[i].Reference}] = &statement[i]
	}
	used := map[key]bool{}
	out := []StatementDifference{}
	for _, l := range ledger {
		if l.Provider != ProviderBank || l.LedgerTransactionID == nil || l.Reference == "" {
			continue
		}
		at := l.At
		k := key{dir(l.LedgerAmount), l.Reference}
		s, ok := byRef[k]
		switch {
		case ok:
			used[k] = true
			amount := s.Amount
			if s.Direction == "debit" {
				amount = -amount
			}
			if amount != l.LedgerAmount {
				day := s.BookedOn
				out = append(out, StatementDifference{Status: StatementAmountDiffers, Reference: l.Reference, Kind: l.Kind,
					LedgerTransactionID: l.LedgerTransactionID, At: &at, BookedOn: &day, LedgerAmount: l.LedgerAmount, StatementAmount: amount})
			}
		case covered(time.Date(at.In(chinaTime).Year(), at.In(chinaTime).Month(), at.In(chinaTime).Day(), 0, 0, 0, 0, time.UTC)):
			out = append(out, StatementDifference{Status: StatementBookedNotOnStatement, Reference: l.Reference, Kind: l.Kind,
				LedgerTransactionID: l.LedgerTransactionID, At: &at, LedgerAmount: l.LedgerAmount})
		}
	}
	for i := range statement {
		s := statement[i]
		if used[key{s.Direction, s.Reference}] {
			continue
		}
		amount := s.Amount
		if s.Direction == "debit" {
			amount = -amount
		}
		day := s.BookedOn
		out = append(out, StatementDifference{Status: StatementNotBooked, Reference: s.Reference, BookedOn: &day, StatementAmount: amount})
	}
	return out
}
