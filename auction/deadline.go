package auction

import "time"

// Kinds of deadline the law sets after an auction's outcome, watched so that
// the court and finance see them before they pass (GET /deadlines).
const (
	// DeadlineReauction: a failed or defaulted first or second round needs
	// its next round published within 30 days (Art. 26).
	DeadlineReauction = "reauction"
	// DeadlineResume: a suspended auction must be resumed (or ended) within
	// 5 days (Art. 29).
	DeadlineResume = "resume"
	// DeadlineRefund: a released deposit must be paid back within 24 hours
	// of the close (Art. 23).
	DeadlineRefund = "refund"
	// DeadlineBalance: the buyer's balance is due by the end of the
	// balance_due_days-th day after the close; listed from the day before.
	DeadlineBalance = "balance"
)

// Deadline is one time limit of the law running for an auction (and, for a
// refund, one deposit): since when it runs, when it falls due and the rule
// it comes from.
type Deadline struct {
	Kind string `json:"kind"`
	// Rule names the provision, in words for staff.
	Rule       string    `json:"rule"`
	Since      time.Time `json:"since"`
	DueAt      time.Time `json:"due_at"`
	Overdue    bool      `json:"overdue"`
	AuctionID  string    `json:"auction_id"`
	LotID      string    `json:"lot_id"`
	LotTitle   string    `json:"lot_title"`
	CaseID     string    `json:"case_id"`
	CaseNumber string    `json:"case_number"`
	Round      string    `json:"round"`
	Status     string    `json:"status"`
	// DepositID and Amount are set for a refund.
	DepositID *string `json:"deposit_id"`
	Amount    *int64  `json:"amount"`
}

// DeadlineRules are the provisions each kind of deadline comes from.
var DeadlineRules = map[string]string{
	DeadlineReauction: "SPC 2016 Art. 26: the next round within 30 days of a failed or defaulted round",
	DeadlineResume:    "SPC 2016 Art. 29: a suspended auction resumed within 5 days",
	DeadlineRefund:    "SPC 2016 Art. 23: deposits of non-winners returned within 24 hours of the close",
	DeadlineBalance:   "API balance_due_days (Art. 24): the balance paid by the end of the last day, or the deposit is forfeited",
}

// Due completes a deadline of kind reauction, resume or refund from its
// Since: its rule, its due time under the rulebook (the end of the last
// calendar day for day counts; hours for the refund) and whether it has
// passed at now. A balance's due time is the auction's balance_due_at.
func (r Rulebook) Due(d Deadline, now time.Time) Deadline {
	switch d.Kind {
	case DeadlineReauction:
		d.DueAt = r.DeadlineAfter(d.Since, r.ReauctionWithin)
	case DeadlineResume:
		d.DueAt = r.DeadlineAfter(d.Since, r.ResumeWithin)
	case DeadlineRefund:
		d.DueAt = d.Since.Add(r.RefundWithin)
	}
	d.Overdue = !now.Before(d.DueAt)
	d.Rule = DeadlineRules[d.Kind]
	return d
}
