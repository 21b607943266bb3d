package oversight

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
)

// ImportBlacklist upserts entries from a source (e.g. "api", "csv", "cli").
// A re-listed person who had been removed is listed again. Numbers are
// stored in their one normal form, so a listed number typed with a lower-case
// x, full-width digits or a zero-width space still finds its bidder. Returns
// invalid_field naming the entry, and nothing is imported then.
func (s *Store) ImportBlacklist(ctx context.Context, source string, entries []auction.BlacklistEntry) (int, error) {
	entries = append([]auction.BlacklistEntry(nil), entries...)
	for i := range entries {
		e := &entries[i]
		// Lists arrive as files of any encoding; text columns take UTF-8 only.
		if s := e.Name + e.IDNumber + e.CaseNumber; !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			return 0, auction.FieldError("entries", "entry %d is not UTF-8 text (convert the file to UTF-8)", i)
		}
		if strings.TrimSpace(e.Name) == "" {
			return 0, auction.FieldError("entries", "entry %d needs a name", i)
		}
		id, err := auction.ParseIdentity(fmt.Sprintf("entries[%d].id_number", i), e.IDType, e.IDNumber, s.db.Clock.Now())
		if err != nil {
			return 0, err
		}
		e.IDType, e.IDNumber = id.Type, id.Number
	}
	now := s.db.Clock.Now()
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		for _, e := range entries {
			if _, err := tx.Exec(ctx, `INSERT INTO blacklist (id_number, id_type, name, case_number, source, imported_at) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (id_number) DO UPDATE SET id_type = excluded.id_type, name = excluded.name, case_number = excluded.case_number,
					source = excluded.source, imported_at = excluded.imported_at, removed_at = NULL`,
				e.IDNumber, e.IDType, strings.TrimSpace(e.Name), strings.TrimSpace(e.CaseNumber), source, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(entries), nil
}

// RemoveFromBlacklist takes people off the list (their restriction was
// lifted); numbers are matched in their normal form.
func (s *Store) RemoveFromBlacklist(ctx context.Context, idNumbers []string) (int, error) {
	normal := make([]string, len(idNumbers))
	for i, n := range idNumbers {
		normal[i] = auction.NormalizeIDNumber(n)
	}
	idNumbers = normal
	tag, err := s.db.Pool.Exec(ctx, `UPDATE blacklist SET removed_at = $2 WHERE id_number = ANY($1) AND removed_at IS NULL`, idNumbers, s.db.Clock.Now())
	return int(tag.RowsAffected()), err
}

// CheckRestricted refuses a listed person on a real estate or vehicle lot
// (automatic comparison, automatic interception) with bidder_restricted.
func CheckRestricted(ctx context.Context, tx pgx.Tx, u *auction.User, auctionID, category, stage string) error {
	if !auction.Restricted(category) || u.IDNumber == "" {
		return nil
	}
	var listed bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM blacklist WHERE id_number = $1 AND removed_at IS NULL)`, u.IDNumber).Scan(&listed); err != nil {
		return err
	}
	if listed {
		return auction.Errorf(auction.EBidderRestricted, "persons on the restriction list may not buy real estate or vehicles")
	}
	return nil
}
