package payments

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A statement line's note says why it was not matched. It is stored and
// answered in English, written from this catalogue only, so that pages can
// read the note back (ParseNote) and say it in their own language.
type noteFormat struct {
	key, format string
	re          *regexp.Regexp
}

// Note keys.
const (
	NoteBookedDiffers  = "booked_differs"
	NoteNoCode         = "no_code"
	NoteNoDeposit      = "no_deposit"
	NoteOtherProvider  = "other_provider"
	NoteDepositDiffers = "deposit_differs"
	NoteBalanceDiffers = "balance_differs"
	NoteDepositState   = "deposit_state"
	NoteDebitUnbooked  = "debit_unbooked"
	NoteLedgerDiffers  = "ledger_differs"
	NoteLedgerTx       = "ledger_tx"
)

// notes are tried in order: a longer format sharing a prefix comes first.
var notes = compileNotes([][2]string{
	{NoteBookedDiffers, "booked as %d fen, the statement says %d"},
	{NoteNoCode, "the note quotes no payment reference"},
	{NoteNoDeposit, "no deposit has the payment reference %s"},
	{NoteOtherProvider, "the deposit is paid through %s"},
	{NoteDepositDiffers, "the deposit is %d fen, the transfer %d: only the exact amount confirms a deposit"},
	{NoteBalanceDiffers, "%d fen is outstanding, the transfer is %d"},
	{NoteDepositState, "the deposit is %s already"},
	{NoteDebitUnbooked, "no refund or remittance is booked with this reference"},
	{NoteLedgerDiffers, "ledger transaction %s moved %d fen, the statement %d"},
	{NoteLedgerTx, "ledger transaction %s"},
})

func compileNotes(list [][2]string) []noteFormat {
	out := make([]noteFormat, len(list))
	for i, n := range list {
		pattern := regexp.QuoteMeta(n[1])
		pattern = strings.ReplaceAll(pattern, "%d", `(-?\d+)`)
		pattern = strings.ReplaceAll(pattern, "%s", `(.+?)`)
		out[i] = noteFormat{key: n[0], format: n[1], re: regexp.MustCompile("^" + pattern + "$")}
	}
	return out
}

// Note writes the note of key with args (int64 for each %d, string for
// each %s). An unknown key panics: notes come from the catalogue only.
func Note(key string, args ...any) string {
	for _, n := range notes {
		if n.key == key {
			return fmt.Sprintf(n.format, args...)
		}
	}
	panic("payments: unknown note " + key)
}

// ParseNote reads a note back: its key and arguments (int64 for each %d,
// string for each %s). ok is false for a note not from the catalogue
// (e.g. a refusal's message), which is shown as it is.
func ParseNote(note string) (key string, args []any, ok bool) {
	for _, n := range notes {
		m := n.re.FindStringSubmatch(note)
		if m == nil {
			continue
		}
		verbs := regexp.MustCompile(`%[ds]`).FindAllString(n.format, -1)
		for i, v := range verbs {
			if v == "%d" {
				x, err := strconv.ParseInt(m[i+1], 10, 64)
				if err != nil {
					return "", nil, false
				}
				args = append(args, x)
			} else {
				args = append(args, m[i+1])
			}
		}
		return n.key, args, true
	}
	return "", nil, false
}
