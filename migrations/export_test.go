package migrations

import (
	"context"
	"database/sql"

	"github.com/pressly/goose/v3"
)

// UpTo applies our migrations up to version, as a database last migrated by
// an older Gavel would be.
func UpTo(ctx context.Context, databaseURL string, version int64) error {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, Files, goose.WithLogger(goose.NopLogger()))
	if err != nil {
		return err
	}
	_, err = provider.UpTo(ctx, version)
	return err
}
