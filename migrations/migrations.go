// Package migrations holds Gavel's schema as numbered SQL files and applies them.
//
// Files are embedded so a single binary can migrate any database it is pointed
// at. goose records applied versions in goose_db_version; River's own tables
// (durable jobs) are migrated right after ours by River's migrator so that one
// `gavel migrate` prepares everything.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for goose
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// Files are the numbered migrations, embedded.
//
//go:embed *.sql
var Files embed.FS

// ErrSchemaTooNew is returned when the database was migrated by a newer Gavel.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary knows; upgrade gavel before serving")

// Latest is the highest migration version embedded in this binary.
func Latest() int64 {
	entries, _ := fs.ReadDir(Files, ".")
	var max int64
	for _, e := range entries {
		n, err := strconv.ParseInt(strings.SplitN(e.Name(), "_", 2)[0], 10, 64)
		if err == nil && n > max {
			max = n
		}
	}
	return max
}

// Up applies every pending migration (ours, then River's) and refuses a schema
// newer than Latest. Applying twice is a no-op.
func Up(ctx context.Context, databaseURL string, log *slog.Logger) error {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := upSQL(ctx, db); err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := reviewIdentities(ctx, pool); err != nil {
		return err
	}
	return upRiver(ctx, pool, log)
}

func upSQL(ctx context.Context, db *sql.DB) error {
	// Out of order: numbers are reserved per change and a lower one may
	// land after a higher one was applied; each file stands on its own, so
	// a database that has the higher one still gets the lower one.
	provider, err := goose.NewProvider(goose.DialectPostgres, db, Files, goose.WithLogger(goose.NopLogger()),
		goose.WithAllowOutofOrder(true))
	if err != nil {
		return err
	}
	current, err := provider.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > Latest() {
		return fmt.Errorf("%w (database at %d, binary knows %d)", ErrSchemaTooNew, current, Latest())
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

func upRiver(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: log})
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	return nil
}
