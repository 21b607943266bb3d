package postgres_test

import (
	"strings"
	"testing"
	"time"

	"gavel/auction"
	"gavel/migrations"
)

// backfillSQL is migration 00007's statement that registers the references
// booked before it, read from the migration itself.
func backfillSQL(t *testing.T) string {
	t.Helper()
	b, err := migrations.Files.ReadFile("00007_money_once.sql")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	begin, end := strings.Index(s, "-- backfill: begin"), strings.Index(s, "-- backfill: end")
	if begin < 0 || end < begin {
		t.Fatal("migration 00007 lost its backfill markers")
	}
	return s[begin:end]
}

// References repeated before money was booked once: the migration keeps
// every row as it was booked, gives each reference to its earliest entry,
// and lists the later ones for finance in reference_repeats.
func TestReferenceBackfill(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅")
	soldAt(t, w, a)
	deps := pendingDeposits(t, w, w.Announced("住宅"), 2)
	db := w.Store.Pool()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(w.Ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	// What the old code let through: one transfer typed twice, as a
	// balance payment, a remittance and two deposits' confirmations.
	for i, at := range []time.Time{t0.Add(time.Hour), t0} {
		exec(`INSERT INTO balance_payments (auction_id, amount, reference, received_at) VALUES ($1, $2, ' TWICE ', $3)`, a.ID, 1000+i, at)
		exec(`INSERT INTO remittances (case_id, amount, reference, created_at) VALUES ($1, $2, 'R-TWICE', $3)`, a.CaseID, 10+i, at)
		exec(`UPDATE deposits SET confirm_reference = 'C-TWICE', held_at = $2 WHERE id = $1`, deps[i], at)
	}
	var before int
	if err := db.QueryRow(w.Ctx, `SELECT (SELECT count(*) FROM balance_payments) + (SELECT count(*) FROM remittances)`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	exec(`TRUNCATE booked_references, reference_repeats`)
	exec(backfillSQL(t))

	type row struct{ kind, ref string }
	owners := map[row]time.Time{}
	rows, err := db.Query(w.Ctx, `SELECT kind, reference, booked_at FROM booked_references`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r row
		var at time.Time
		if err := rows.Scan(&r.kind, &r.ref, &at); err != nil {
			t.Fatal(err)
		}
		owners[r] = at
	}
	for _, r := range []row{{"balance_payment", "TWICE"}, {"remittance", "R-TWICE"}, {"deposit_confirmation", "C-TWICE"}} {
		if at, ok := owners[r]; !ok || !at.Equal(t0) {
			t.Errorf("%v owned from %v (%v), want the earliest entry, %v", r, at, ok, t0)
		}
	}
	var repeats int
	if err := db.QueryRow(w.Ctx, `SELECT count(*) FROM reference_repeats WHERE booked_at = $1`, t0.Add(time.Hour)).Scan(&repeats); err != nil || repeats != 3 {
		t.Fatalf("%d later entries listed for review (%v), want 3", repeats, err)
	}
	var after int
	if err := db.QueryRow(w.Ctx, `SELECT (SELECT count(*) FROM balance_payments) + (SELECT count(*) FROM remittances)`).Scan(&after); err != nil || after != before {
		t.Fatalf("rows %d -> %d: the migration lost data", before, after)
	}
	// From then on the reference is taken.
	_, err = w.Store.Remit(w.Ctx, "", a.CaseID, 1, "R-TWICE")
	wantCode(t, err, auction.EDuplicateReference)
}
