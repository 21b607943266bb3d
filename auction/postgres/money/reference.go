package money

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
)

// bookReference claims an outside reference for one entry of a kind inside
// tx, before anything of the entry is written, and returns the entry's id
// (entryID, or a new one when it is empty). The claim is the primary key of
// booked_references: a reference already booked for the kind, or being
// booked by a transaction that then commits, fails here with
// duplicate_reference, and the caller's transaction books nothing. The
// claim is made first so that a repeated request is told it is a duplicate
// rather than, say, that the deposit is no longer pending.
func bookReference(ctx context.Context, tx pgx.Tx, kind, reference, entryID string, at any) (string, error) {
	err := tx.QueryRow(ctx, `INSERT INTO booked_references (kind, reference, entry_id, booked_at)
		VALUES ($1, $2, coalesce($3::uuid, gen_random_uuid()), $4) RETURNING entry_id::text`,
		kind, reference, pgtx.Nullable(entryID), at).Scan(&entryID)
	if pgtx.IsUniqueViolation(err, "booked_references_pkey") {
		return "", auction.Errorf(auction.EDuplicateReference,
			"reference: %s is already booked as a %s; nothing was booked", reference, strings.ReplaceAll(kind, "_", " "))
	}
	return entryID, pgtx.Translate(err, "entry")
}

// cleanReference trims a typed reference and refuses an empty one or one
// no bank or provider would issue (over 140 characters, control
// characters, invalid UTF-8). what says whose reference it is.
func cleanReference(reference, what string) (string, error) {
	if strings.TrimSpace(reference) == "" {
		return "", auction.FieldError("reference", "is required (%s)", what)
	}
	return pgtx.CleanLine("reference", reference, 140)
}
