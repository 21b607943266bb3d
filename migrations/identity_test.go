package migrations_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/migrations"
	"gavel/migrations/dbtest"
)

// freshDatabase creates an empty database on the test server, dropped at the end.
func freshDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "gavel_review_" + hex.EncodeToString(b)
	admin, err := pgx.Connect(ctx, dbtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), `DROP DATABASE `+name+` WITH (FORCE)`)
		admin.Close(context.Background())
	})
	u, _ := url.Parse(dbtest.ServerURL())
	u.Path = "/" + name
	return u.String()
}

// TestIdentityReviewKeepsDuplicates: a database that already holds the same
// person under two bidder accounts (typed differently), and numbers that fail
// their check, migrates without losing a row: every account keeps working,
// the later duplicate and the invalid number are flagged for an admin, the
// stored numbers are in normal form with the originals kept, and from then on
// the index refuses a third account for the person.
func TestIdentityReviewKeepsDuplicates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := freshDatabase(t)
	if err := migrations.UpTo(ctx, dbURL, 7); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	insert := func(email, role, number string, minute int) string {
		var id string
		err := pool.QueryRow(ctx, `INSERT INTO users (email, password_hash, role, real_name, id_number, phone, created_at)
			VALUES ($1, 'x', $2, 'n', $3, 'p', '2026-01-01T00:00:00Z'::timestamptz + make_interval(mins => $4)) RETURNING id`,
			email, role, number, minute).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	first := insert("first@example.com", "bidder", "11010519491231002X", 1)
	second := insert("second@example.com", "bidder", " 11010519491231002x\u200b", 2)
	third := insert("third@example.com", "bidder", "１１０１０５１９４９１２３１００２Ｘ", 3)
	bad := insert("bad@example.com", "bidder", "110105194912310021", 4)
	company := insert("co@example.com", "bidder", "91350100m000100y43", 5)
	staff := insert("clerk@example.com", "clerk", "11010519491231002X", 6)
	if _, err := pool.Exec(ctx, `INSERT INTO blacklist (id_number, name, case_number, imported_at) VALUES ('11010519491231002x', 'n', 'c', now())`); err != nil {
		t.Fatal(err)
	}

	if err := migrations.Up(ctx, dbURL, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ number, idType, issue, typed string }{
		first:   {"11010519491231002X", "resident_id", "", ""},
		second:  {"11010519491231002X", "resident_id", "duplicate", " 11010519491231002x\u200b"},
		third:   {"11010519491231002X", "resident_id", "duplicate", "１１０１０５１９４９１２３１００２Ｘ"},
		bad:     {"110105194912310021", "resident_id", "invalid", ""},
		company: {"91350100M000100Y43", "company", "", "91350100m000100y43"},
		staff:   {"11010519491231002X", "resident_id", "", ""},
	}
	for id, w := range want {
		var number, idType, issue, typed string
		if err := pool.QueryRow(ctx, `SELECT id_number, id_type, coalesce(id_issue, ''), coalesce(id_number_as_typed, '') FROM users WHERE id = $1`, id).
			Scan(&number, &idType, &issue, &typed); err != nil {
			t.Fatal(err)
		}
		if number != w.number || idType != w.idType || issue != w.issue || typed != w.typed {
			t.Errorf("%s: got %q %q %q %q, want %+v", id, number, idType, issue, typed, w)
		}
	}
	var listed string
	if err := pool.QueryRow(ctx, `SELECT id_number FROM blacklist`).Scan(&listed); err != nil || listed != "11010519491231002X" {
		t.Fatalf("restriction list entry %q %v", listed, err)
	}
	// Migrating again changes nothing.
	if err := migrations.Up(ctx, dbURL, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	var flagged int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM users WHERE id_issue IS NOT NULL`).Scan(&flagged); err != nil || flagged != 3 {
		t.Fatalf("flagged %d %v", flagged, err)
	}
	_, err = pool.Exec(ctx, `INSERT INTO users (email, password_hash, role, id_number, created_at) VALUES ('fourth@example.com', 'x', 'bidder', '11010519491231002X', now())`)
	if err == nil {
		t.Fatal("a new bidder account for the same person was stored")
	}
}
