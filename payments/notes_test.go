package payments

import (
	"fmt"
	"testing"
)

// Every note of the catalogue reads back as the key and arguments it was
// written from; anything else does not parse.
func TestNotesReadBack(t *testing.T) {
	cases := []struct {
		key  string
		args []any
	}{
		{NoteBookedDiffers, []any{int64(700000), int64(350000)}},
		{NoteNoCode, nil},
		{NoteNoDeposit, []any{"GVABCDEFGHJK"}},
		{NoteOtherProvider, []any{"stripe"}},
		{NoteDepositDiffers, []any{int64(700000), int64(1)}},
		{NoteBalanceDiffers, []any{int64(-5), int64(9223372036854775807)}},
		{NoteDepositState, []any{"held"}},
		{NoteDebitUnbooked, nil},
		{NoteLedgerDiffers, []any{"42", int64(10), int64(20)}},
		{NoteLedgerTx, []any{"42"}},
	}
	if len(cases) != len(notes) {
		t.Fatalf("%d cases for %d notes", len(cases), len(notes))
	}
	for _, c := range cases {
		key, args, ok := ParseNote(Note(c.key, c.args...))
		if !ok || key != c.key || fmt.Sprint(args) != fmt.Sprint(c.args) {
			t.Errorf("%s: read back %s %v %v", c.key, key, args, ok)
		}
	}
	for _, s := range []string{"", "booked as x fen, the statement says 1", "a refusal's own message", "ledger transaction "} {
		if key, _, ok := ParseNote(s); ok {
			t.Errorf("%q parsed as %s", s, key)
		}
	}
}
