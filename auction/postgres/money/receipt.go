package money

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
	"gavel/auction/postgres/oversight"
	"gavel/payments"
)

// ReceiveDeposit records what finance saw arrive for a pending bank
// deposit (by: the finance officer): the amount, the bank reference and
// the paying account. The whole deposit confirms it as ConfirmDeposit
// does; less is a part payment, recorded as such (the deposit stays
// pending and the desk shows it), until the parts add up to the deposit:
// the part that completes them confirms it under its own reference. Returns not_found,
// invalid_field (amount above the deposit, reference, payer fields),
// duplicate_reference (the transfer is recorded or booked already),
// invalid_state (not a pending bank deposit) or deposit_not_pending.
func (s *Store) ReceiveDeposit(ctx context.Context, by, depositID string, r payments.DepositReceipt) (*auction.Deposit, *payments.DepositReceipt, error) {
	var err error
	if r.Reference, err = cleanReference(r.Reference, "the bank transfer's reference"); err != nil {
		return nil, nil, err
	}
	if r.PayerName, err = optionalLine("payer_name", r.PayerName); err != nil {
		return nil, nil, err
	}
	if r.PayerAccount, err = optionalLine("payer_account", r.PayerAccount); err != nil {
		return nil, nil, err
	}
	if r.Amount <= 0 || r.Amount > payments.MaxAmount {
		return nil, nil, auction.FieldError("amount", "must be a positive amount in fen, at most %d", int64(payments.MaxAmount))
	}
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		d, err := lockDeposit(ctx, tx, depositID)
		if err != nil {
			return err
		}
		if d.Provider != payments.ProviderBank {
			return auction.Errorf(auction.EInvalidState, "this deposit is paid through %s, which confirms it; finance records bank transfers only", d.Provider)
		}
		if d.Status != auction.DepositPending {
			return auction.Errorf(auction.EDepositNotPending, "the deposit is %s, not pending", d.Status)
		}
		if r.Amount > d.Amount {
			return auction.FieldError("amount", "is more than the deposit (%d fen): confirm the deposit and pay the excess back", d.Amount)
		}
		if err := lockDepositReference(ctx, tx, r.Reference); err != nil {
			return err
		}
		var booked bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM booked_references WHERE reference = $1 AND kind = $2)`,
			r.Reference, payments.BookDepositConfirmation).Scan(&booked); err != nil {
			return err
		}
		if booked {
			return auction.Errorf(auction.EDuplicateReference, "reference: %s is already booked as a deposit confirmation; nothing was recorded", r.Reference)
		}
		// Parts add up: the one that brings them to the deposit confirms it,
		// as a whole transfer does; one that would take them past it is
		// refused, so no part lies beyond what the deposit asks.
		var parts int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(sum(amount), 0)::bigint FROM deposit_receipts WHERE deposit_id = $1 AND part`, d.ID).Scan(&parts); err != nil {
			return err
		}
		whole := r.Amount == d.Amount || parts+r.Amount == d.Amount
		if !whole && parts+r.Amount > d.Amount {
			return auction.FieldError("amount", "with the parts already recorded (%d fen) it is more than the deposit (%d fen): %d fen are left",
				parts, d.Amount, d.Amount-parts)
		}
		r.DepositID, r.Part, r.RecordedAt = d.ID, !whole, s.db.Clock.Now()
		err = tx.QueryRow(ctx, `INSERT INTO deposit_receipts (deposit_id, reference, amount, part, payer_name, payer_account, recorded_by, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			d.ID, r.Reference, r.Amount, r.Part, r.PayerName, r.PayerAccount, pgtx.Nullable(by), r.RecordedAt).Scan(&r.ID)
		if pgtx.IsUniqueViolation(err, "deposit_receipts_reference_key") {
			return auction.Errorf(auction.EDuplicateReference, "reference: %s is already recorded for a deposit; nothing was recorded", r.Reference)
		}
		if err != nil {
			return err
		}
		if r.PayerAccount != "" {
			// The paying account also feeds the collusion signals.
			if _, err := tx.Exec(ctx, `UPDATE deposits SET payer = $2 WHERE id = $1`, d.ID, oversight.PayerHash(r.PayerAccount)); err != nil {
				return err
			}
		}
		if r.Part {
			return nil
		}
		_, err = s.confirmLocked(ctx, tx, d, r.Reference)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	d, err := s.Deposit(ctx, depositID)
	return d, &r, err
}

// optionalLine is a payer's name or account: may be blank (finance does
// not always see it), otherwise one clean line of at most 140 characters.
func optionalLine(field, s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	return pgtx.CleanLine(field, s, 140)
}

// DepositPayers returns, for the finance desk, each of the deposits with
// its bidder's name, what was received for it and from which account: finance's typed receipts (the account of the one that
// confirmed it, else of the latest part), else the bank statement lines
// matched to it; a confirmed deposit with neither received its amount.
// Before an auction closes its bidders are confidential: each deposit of
// it shown leaves an audit entry (action, target the deposit), as a
// look at one payer does.
func (s *Store) DepositPayers(ctx context.Context, actor *auction.User, action string, depositIDs []string) (map[string]payments.DepositPayer, error) {
	out := map[string]payments.DepositPayer{}
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT d.id::text, d.auction_id::text, a.closed_at IS NULL, u.real_name, d.status, d.amount,
				coalesce(x.received, 0)::bigint + coalesce(l.received, 0)::bigint,
				coalesce(x.payer_name, l.payer_name, ''), coalesce(x.payer_account, l.payer_account, '')
			FROM deposits d JOIN auctions a ON a.id = d.auction_id
			JOIN registrations r ON r.id = d.registration_id JOIN users u ON u.id = r.user_id
			LEFT JOIN LATERAL (SELECT sum(amount) OVER () AS received, nullif(payer_name, '') AS payer_name, nullif(payer_account, '') AS payer_account
				FROM deposit_receipts WHERE deposit_id = d.id ORDER BY part, recorded_at DESC, id LIMIT 1) x ON true
			LEFT JOIN LATERAL (SELECT sum(amount) OVER () AS received, nullif(counterparty_name, '') AS payer_name,
					nullif(counterparty_account, '') AS payer_account
				FROM statement_lines s WHERE s.direction = 'credit' AND s.match_id = d.id AND s.match_kind IN ('deposit', $2)
				  AND NOT EXISTS (SELECT 1 FROM deposit_receipts y WHERE y.reference = s.reference)
				ORDER BY s.booked_on DESC, s.id LIMIT 1) l ON true
			WHERE d.id = ANY($1::uuid[])`, depositIDs, payments.BookDepositConfirmation)
		if err != nil {
			return err
		}
		var p payments.DepositPayer
		var auctionID, status string
		var open bool
		var amount int64
		var secret []payments.DepositPayer
		var secretAuction []string
		_, err = pgx.ForEachRow(rows, []any{&p.DepositID, &auctionID, &open, &p.BidderName, &status, &amount, &p.Received, &p.PayerName, &p.PayerAccount}, func() error {
			if p.Received == 0 && status != auction.DepositPending {
				p.Received = amount
			}
			p.PartReceived = status == auction.DepositPending && p.Received > 0
			out[p.DepositID] = p
			if open {
				secret, secretAuction = append(secret, p), append(secretAuction, auctionID)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i, p := range secret {
			if _, err := s.db.Audit(ctx, tx, auction.NewAuditEntry{ActorID: actor.ID, ActorRole: actor.Role, Action: action, Target: p.DepositID, Status: 200,
				Detail: map[string]any{"auction_id": secretAuction[i], "reason": "finance desk"}}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// lockDepositReference serialises everything that records a bank
// reference for a deposit (a part payment in deposit_receipts, a
// confirmation in booked_references) until the transaction ends, and
// refuses a confirmation whose reference is already a recorded part
// payment: the two tables then never hold one transfer twice, however the
// requests interleave.
func lockDepositReference(ctx context.Context, tx pgx.Tx, reference string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('gavel deposit reference ' || $1, 0))`, reference); err != nil {
		return err
	}
	var part bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM deposit_receipts WHERE reference = $1 AND part)`, reference).Scan(&part); err != nil {
		return err
	}
	if part {
		return auction.Errorf(auction.EDuplicateReference, "reference: %s is already recorded as a part payment of a deposit; nothing was booked", reference)
	}
	return nil
}
