package oversight

import (
	"context"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
)

// VerifyUser records that the person behind account userID holds its
// identity number (or the number v names, which replaces the claim). Any
// unverified bidder account claiming the same person loses the claim: its
// number is cleared (kept in id_number_as_typed), it is told so through
// IDClaimReleasedAt, and each release is audited with the verification in
// one transaction. actor is the clerk or admin, or nil for a provider's
// confirmation the bidder asked for. Returns not_found, invalid_field, or
// id_number_taken when another account is already verified as the person.
func (s *Store) VerifyUser(ctx context.Context, actor *auction.User, userID string, v auction.Verification) (*auction.User, error) {
	if v.Method != auction.VerifyDesk && v.Method != auction.VerifyProvider {
		return nil, auction.FieldError("method", "must be desk or provider")
	}
	if err := auction.CheckText("reference", v.Reference, auction.MaxReferenceLength, false); err != nil {
		return nil, err
	}
	if v.Reference == "" {
		return nil, auction.FieldError("reference", "is required (the desk's file number or the provider's transaction id)")
	}
	var replace *auction.Identity
	if v.IDNumber != "" || v.IDType != "" {
		id, err := auction.ParseIdentity("id_number", v.IDType, v.IDNumber, s.db.Clock.Now())
		if err != nil {
			return nil, err
		}
		replace = &id
	}
	actorID, actorRole := "", "system"
	if actor != nil {
		actorID, actorRole = actor.ID, actor.Role
	}
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		// Lock the account together with every other account claiming the
		// person, all in id order: locking the account first would let two
		// desks verifying two claimants of one person each hold one row and
		// wait for the other's (a deadlock). The locks are NO KEY UPDATE, as
		// nothing here changes a key: a row written meanwhile that refers to
		// one of the accounts (an audit entry naming it as the actor, while
		// this transaction waits for the audit log's head) does not wait for
		// them, which would be a deadlock too.
		var claim auction.Identity
		if replace != nil {
			claim = *replace
		} else if err := tx.QueryRow(ctx, `SELECT coalesce(id_type, ''), coalesce(id_number, '') FROM users WHERE id = $1`, userID).
			Scan(&claim.Type, &claim.Number); err != nil {
			return pgtx.Translate(err, "user")
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM users WHERE id = $1 OR (role = 'bidder' AND id_type = $2 AND id_number = $3 AND $3 <> '')
				ORDER BY id FOR NO KEY UPDATE`, userID, claim.Type, claim.Number); err != nil {
			return pgtx.Translate(err, "user")
		}
		u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1 FOR NO KEY UPDATE`, userID))
		if err != nil {
			return pgtx.Translate(err, "user")
		}
		id := auction.Identity{Type: u.IDType, Number: u.IDNumber}
		if replace != nil {
			id = *replace
		}
		if id.Number == "" {
			return auction.FieldError("id_number", "the account holds no identity number; give the number on the documents")
		}
		now := s.db.Clock.Now()
		// Every other account claiming the person (locked above, unless the
		// account's own number changed meanwhile).
		rows, err := tx.Query(ctx, `SELECT id, verified_at IS NOT NULL FROM users
			WHERE id <> $1 AND role = 'bidder' AND id_type = $2 AND id_number = $3 ORDER BY id FOR NO KEY UPDATE`, u.ID, id.Type, id.Number)
		if err != nil {
			return err
		}
		type claimant struct {
			id       string
			verified bool
		}
		others, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (claimant, error) {
			var c claimant
			return c, r.Scan(&c.id, &c.verified)
		})
		if err != nil {
			return err
		}
		var released []string
		for _, o := range others {
			if o.verified {
				return auction.Errorf(auction.EIDNumberTaken, "another account is already verified as this person")
			}
			released = append(released, o.id)
		}
		if len(released) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE users SET id_number_as_typed = coalesce(id_number_as_typed, id_number), id_number = '',
					id_issue = NULL, id_claim_released_at = $2 WHERE id = ANY($1)`, released, now); err != nil {
				return err
			}
			for _, r := range released {
				if _, err := s.db.Audit(ctx, tx, auction.NewAuditEntry{ActorID: actorID, ActorRole: actorRole, Action: "identity claim released", Target: r,
					Detail: map[string]any{"verified_user_id": u.ID, "method": v.Method}}); err != nil {
					return err
				}
			}
		}
		_, err = tx.Exec(ctx, `UPDATE users SET id_type = $2, id_number = $3, id_issue = NULL, id_claim_released_at = NULL,
				verified_at = $4, verified_method = $5, verified_reference = $6, verified_by = $7 WHERE id = $1`,
			u.ID, id.Type, id.Number, now, v.Method, v.Reference, pgtx.Nullable(actorID))
		if pgtx.IsUniqueViolation(err, "users_bidder_person") {
			return auction.Errorf(auction.EIDNumberTaken, "another account claims this person")
		}
		if err != nil {
			return err
		}
		if _, err := s.db.Audit(ctx, tx, auction.NewAuditEntry{ActorID: actorID, ActorRole: actorRole, Action: "identity verified", Target: u.ID,
			Detail: map[string]any{"method": v.Method, "reference": v.Reference, "released_user_ids": append([]string{}, released...)}}); err != nil {
			return err
		}
		// What Authenticate answers for these accounts changed: processes
		// that cache their sessions drop them when this commits.
		_, err = tx.Exec(ctx, `SELECT pg_notify($2, encode(token_hash, 'hex')) FROM tokens
			WHERE user_id = ANY($1) AND revoked_at IS NULL`, append(released, u.ID), TokensChannel)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.User(ctx, userID)
}

const identityColumns = `u.id, u.email, u.role, u.real_name, u.id_type, u.id_number, u.verified_at IS NOT NULL, u.id_issue, u.id_number_as_typed,
	(SELECT h.id FROM users h WHERE u.id_issue = 'duplicate' AND h.id <> u.id AND h.role = 'bidder' AND h.id_type = u.id_type
		AND h.id_number = u.id_number AND h.id_issue IS NULL ORDER BY h.created_at, h.id LIMIT 1)`

func (s *Store) userIdentities(ctx context.Context, where string, args ...any) ([]auction.UserIdentity, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+identityColumns+` FROM users u WHERE `+where+` ORDER BY u.created_at, u.id LIMIT 1000`, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (auction.UserIdentity, error) {
		var u auction.UserIdentity
		return u, r.Scan(&u.ID, &u.Email, &u.Role, &u.RealName, &u.IDType, &u.IDNumber, &u.Verified, &u.Issue, &u.AsTyped, &u.HolderID)
	})
}

// UsersByIDNumber lists the accounts (bidders and staff) whose identity
// number is number in its normal form, however it is typed.
func (s *Store) UsersByIDNumber(ctx context.Context, number string) ([]auction.UserIdentity, error) {
	if len(number) > auction.MaxIDNumberLength {
		return nil, auction.FieldError("id_number", "is longer than %d characters", auction.MaxIDNumberLength)
	}
	n := auction.NormalizeIDNumber(number)
	if n == "" {
		return nil, auction.FieldError("id_number", "is required")
	}
	return s.userIdentities(ctx, `u.id_number = $1`, n)
}

// IdentityIssues lists the accounts the identity review of migration 00008
// flagged (the same person under several bidder accounts, numbers failing
// their check) that no admin has resolved yet. They keep working meanwhile;
// verifying one of a person's accounts resolves them (the others lose the
// claim), as does verifying an invalid one with the number on the documents.
func (s *Store) IdentityIssues(ctx context.Context) ([]auction.UserIdentity, error) {
	return s.userIdentities(ctx, `u.id_issue IS NOT NULL`)
}
