package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/migrations"
	"gavel/migrations/dbtest"
)

// TestCLIUsersAddAndMigrate runs the `gavel` commands as main does, on a
// fresh database named by DATABASE_URL (so it cannot run in parallel).
func TestCLIUsersAddAndMigrate(t *testing.T) {
	dbURL := dbtest.URL(t)
	t.Setenv("DATABASE_URL", dbURL)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)

	// Migrating an up-to-date database is a no-op: same version, same tables.
	schema := func() string {
		var s string
		if err := pool.QueryRow(ctx, `SELECT string_agg(table_name || '.' || column_name, ',' ORDER BY table_name, column_name)
			FROM information_schema.columns WHERE table_schema = 'public'`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		var v, n int64
		if err := pool.QueryRow(ctx, `SELECT max(version_id), count(*) FROM goose_db_version`).Scan(&v, &n); err != nil {
			t.Fatal(err)
		}
		return s + "|" + strings.Repeat("v", int(v)) + "|" + strings.Repeat("n", int(n))
	}
	before := schema()
	for range 2 {
		if err := migrations.Up(ctx, dbURL, nil); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		if err := run(ctx, []string{"migrate"}, strings.NewReader(""), &stdout, &stderr); err != nil {
			t.Fatalf("gavel migrate: %v: %s", err, stderr.String())
		}
	}
	if after := schema(); after != before {
		t.Fatal("migrating twice changed the schema")
	}
	// Accounts the identity review flagged are printed by migrate, by id and
	// what was found, never by number.
	var flagged string
	if err := pool.QueryRow(ctx, `INSERT INTO users (email, password_hash, role, id_number, created_at, id_issue)
		VALUES ('flagged@example.test', 'x', 'bidder', '11010519491231002X', now(), 'duplicate') RETURNING id`).Scan(&flagged); err != nil {
		t.Fatal(err)
	}
	var migOut, migErr bytes.Buffer
	if err := run(ctx, []string{"migrate"}, strings.NewReader(""), &migOut, &migErr); err != nil {
		t.Fatalf("gavel migrate: %v: %s", err, migErr.String())
	}
	if out := migErr.String(); !strings.Contains(out, "1 accounts need an admin") || !strings.Contains(out, flagged+" bidder duplicate") ||
		strings.Contains(out, "11010519491231002X") {
		t.Fatalf("gavel migrate's report of identity issues: %q", out)
	}
	if _, err := pool.Exec(ctx, `UPDATE users SET id_issue = NULL, id_number = '' WHERE id = $1`, flagged); err != nil {
		t.Fatal(err)
	}

	// users add reads the password from the first line of stdin and prints the id.
	var stdout, stderr bytes.Buffer
	err = run(ctx, []string{"users", "add", "--email", "Clerk.Wang@Court.test", "--name", "王书记员", "--role", "clerk", "--id-number", "11010519491231002x"},
		strings.NewReader("a long clerk password\nsecond line is ignored\n"), &stdout, &stderr)
	if err != nil {
		t.Fatalf("users add: %v: %s", err, stderr.String())
	}
	id := strings.TrimSpace(stdout.String())
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(id) {
		t.Fatalf("users add printed %q, want the new id", stdout.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), "a long clerk password") {
		t.Fatal("the password was echoed")
	}
	var role, name, number string
	if err := pool.QueryRow(ctx, `SELECT role, real_name, id_number FROM users WHERE id = $1 AND email = 'clerk.wang@court.test'`, id).Scan(&role, &name, &number); err != nil ||
		role != "clerk" || name != "王书记员" || number != "11010519491231002X" {
		t.Fatalf("stored user: %s %s %s %v", role, name, number, err)
	}
	// The new staff account is in the audit log by id and role, without its
	// name or email.
	var action, actorRole, detail string
	if err := pool.QueryRow(ctx, `SELECT action, actor_role, detail::text FROM audit_log WHERE target = $1`, id).Scan(&action, &actorRole, &detail); err != nil ||
		action != "cli users add" || actorRole != "cli" || !strings.Contains(detail, `"role": "clerk"`) ||
		strings.Contains(strings.ToLower(detail), "clerk.wang") || strings.Contains(detail, "王书记员") {
		t.Fatalf("audit of users add: %s %s %s %v", action, actorRole, detail, err)
	}
	// The password works for login (and is the first line only).
	s := newServerOn(t, dbURL)
	r := s.do(t, "POST", "/api/v1/auth/login", nil, map[string]any{"email": "clerk.wang@court.test", "password": "a long clerk password"})
	wantStatus(t, r, 200)
	if !strings.Contains(string(r.body), `"role":"clerk"`) {
		t.Fatalf("login as the new clerk: %s", r)
	}
	s.m.Close()

	for _, tc := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"users", "add", "--email", "clerk.wang@court.test", "--name", "x", "--role", "clerk"}, "another password\n", auction.EEmailTaken},
		{[]string{"users", "add", "--email", "short@court.test", "--name", "x", "--role", "finance"}, "short\n", auction.EWeakPassword},
		{[]string{"users", "add", "--email", "b@court.test", "--name", "x", "--role", "bidder"}, "a long password\n", "--role"},
		{[]string{"users", "add", "--name", "x", "--role", "clerk"}, "a long password\n", "--email"},
		{[]string{"users", "remove"}, "", "unknown subcommand"},
		{[]string{"users", "add", "--email", "n@court.test", "--name", "x", "--role", "clerk", "--id-number", "110105491231002"}, "a long password\n", "id_number: 15-digit"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(ctx, tc.args, strings.NewReader(tc.stdin), &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) || stdout.Len() != 0 {
			t.Errorf("%v: err %v, stdout %q; want an error mentioning %s", tc.args, err, stdout.String(), tc.want)
		}
	}

	// A schema newer than this binary: migrate and serve refuse it.
	if _, err := pool.Exec(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)`, migrations.Latest()+100); err != nil {
		t.Fatal(err)
	}
	err = run(ctx, []string{"migrate"}, strings.NewReader(""), &stdout, &stderr)
	if !errors.Is(err, migrations.ErrSchemaTooNew) {
		t.Fatalf("migrate on a newer schema: %v", err)
	}
	m := NewMain()
	m.Config.Addr, m.Config.DatabaseURL = "127.0.0.1:0", dbURL
	if err := m.Run(ctx); !errors.Is(err, migrations.ErrSchemaTooNew) {
		t.Fatalf("serve on a newer schema: %v", err)
	}
	m.Close()
}

// newServerOn starts a server on an existing database (no staff accounts).
func newServerOn(t testing.TB, dbURL string) *server {
	t.Helper()
	m, logs := startOn(t, dbURL)
	return &server{m: m, url: m.URL(), store: m.Store(), logs: logs, ctx: context.Background()}
}
