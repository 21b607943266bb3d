// Package dbtest gives each test its own freshly migrated PostgreSQL database,
// cloned from a template (pgtestdb), so tests run in parallel against a real
// server and never see each other's rows.
//
// The server is found through GAVEL_TEST_DATABASE_URL (any database on it;
// default postgres://postgres@127.0.0.1:5432/postgres). `make test` makes sure
// a server is running there.
package dbtest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/peterldowns/pgtestdb"

	"gavel/migrations"
)

// ServerURL is the PostgreSQL server tests run against.
func ServerURL() string {
	if u := os.Getenv("GAVEL_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

type migrator struct{}

// Hash changes whenever a migration file changes, so a stale template is
// never reused.
func (migrator) Hash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.Files, path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:16], err
}

func (migrator) Migrate(ctx context.Context, _ *sql.DB, c pgtestdb.Config) error {
	return migrations.Up(ctx, c.URL(), slog.New(slog.DiscardHandler))
}

// URL creates a fresh migrated database for t and returns its URL; the
// database is dropped when t ends.
func URL(t testing.TB) string {
	t.Helper()
	u, err := url.Parse(ServerURL())
	if err != nil {
		t.Fatalf("GAVEL_TEST_DATABASE_URL: %v", err)
	}
	pw, _ := u.User.Password()
	conf := pgtestdb.Config{
		DriverName: "pgx", Host: u.Hostname(), Port: u.Port(), User: u.User.Username(), Password: pw,
		Database: "postgres", Options: "sslmode=disable", ForceTerminateConnections: true,
	}
	if conf.Port == "" {
		conf.Port = "5432"
	}
	return pgtestdb.Custom(t, conf, migrator{}).URL()
}

// Pool opens a pool on a fresh database, closed when t ends.
func Pool(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	dbURL := URL(t)
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool, dbURL
}
