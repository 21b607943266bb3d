package migrations

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
)

// reviewIdentities brings the identity numbers stored before migration 00008
// to their one normal form with the domain's one validation, which SQL does
// not repeat. Each account not yet checked is judged in order of creation:
// a number that fails is kept (normalised, the original in
// id_number_as_typed) and flagged 'invalid'; a bidder whose person already
// has an older account is flagged 'duplicate'. Flagged accounts keep working
// and stay out of the one-account index until an admin resolves them. Case
// parties, priority holders and the restriction list are normalised in place
// where their number parses, so that bars and privileges compare like with
// like. Running it again finds nothing to do.
func reviewIdentities(ctx context.Context, pool *pgxpool.Pool) error {
	now := time.Now()
	rows, err := pool.Query(ctx, `SELECT id, role, id_number FROM users WHERE NOT id_checked ORDER BY created_at, id`)
	if err != nil {
		return fmt.Errorf("identity review: %w", err)
	}
	type account struct{ id, role, number string }
	accounts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (account, error) {
		var a account
		return a, r.Scan(&a.id, &a.role, &a.number)
	})
	if err != nil {
		return fmt.Errorf("identity review: %w", err)
	}
	for _, a := range accounts {
		if err := reviewAccount(ctx, pool, a.id, a.role, a.number, now); err != nil {
			return fmt.Errorf("identity review: %w", err)
		}
	}
	for _, table := range []string{"case_parties", "priority_holders", "blacklist"} {
		if err := normalizeNumbers(ctx, pool, table, now); err != nil {
			return fmt.Errorf("identity review of %s: %w", table, err)
		}
	}
	return nil
}

// reviewAccount checks one account in its own transaction.
func reviewAccount(ctx context.Context, pool *pgxpool.Pool, id, role, number string, now time.Time) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var issue *string
		normal, idType := auction.NormalizeIDNumber(number), auction.IDResident
		if id, ok := storedIdentity(number, now); ok {
			idType = id.Type
		} else if number != "" {
			s := "invalid"
			issue = &s
		}
		var typed *string
		if normal != number {
			typed = &number
		}
		sp, err := tx.Begin(ctx)
		if err != nil {
			return err
		}
		_, err = sp.Exec(ctx, `UPDATE users SET id_number = $2, id_number_as_typed = coalesce(id_number_as_typed, $3), id_issue = $4, id_type = $5, id_checked = true WHERE id = $1`,
			id, normal, typed, issue, idType)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" && role == auction.RoleBidder {
			// An older account holds this person: this one is the duplicate.
			if err := sp.Rollback(ctx); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE users SET id_number = $2, id_number_as_typed = coalesce(id_number_as_typed, $3), id_issue = 'duplicate', id_checked = true WHERE id = $1`,
				id, normal, typed)
			return err
		}
		if err != nil {
			return err
		}
		return sp.Commit(ctx)
	})
}

// normalizeNumbers rewrites a table's id_number to the normal form where it
// parses as a resident or company number (setting id_type) and the normal form
// is free; other rows are kept as they are.
func normalizeNumbers(ctx context.Context, pool *pgxpool.Pool, table string, now time.Time) error {
	rows, err := pool.Query(ctx, `SELECT ctid::text, id_number FROM `+table)
	if err != nil {
		return err
	}
	type row struct{ ctid, number string }
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.ctid, &x.number)
	})
	if err != nil {
		return err
	}
	for _, r := range all {
		id, ok := storedIdentity(r.number, now)
		if !ok || id.Number == r.number && id.Type == auction.IDResident {
			continue
		}
		_, err = pool.Exec(ctx, `UPDATE `+table+` SET id_number = $2, id_type = $3 WHERE ctid = $1::tid`, r.ctid, id.Number, id.Type)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			continue // the same person is already there in normal form
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// storedIdentity judges a number stored before id_type existed: a resident
// number, else (companies were entered in the same field) a credit code.
func storedIdentity(number string, now time.Time) (auction.Identity, bool) {
	for _, t := range []string{auction.IDResident, auction.IDCompany} {
		if id, err := auction.ParseIdentity("id_number", t, number, now); err == nil {
			return id, true
		}
	}
	return auction.Identity{}, false
}
