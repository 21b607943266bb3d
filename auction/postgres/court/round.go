package court

import (
	"context"
	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
	"time"

	"github.com/jackc/pgx/v5"
)

// A round from draft to publication: scheduled against the rulebook and the
// lot's earlier rounds, announced with its documents.

// ScheduleAuction creates a draft round for a lot after checking the rulebook.
// Returns not_found, invalid_field, round_not_allowed, start_price_too_low,
// price_cut_too_large, deposit_out_of_range or bidding_period_too_short.
func (s *Store) ScheduleAuction(ctx context.Context, p auction.ScheduleParams) (*auction.Auction, error) {
	var id string
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		var caseID string
		var appraisal int64
		// Lock the lot, as publish does, so that the lot's rounds stay as
		// read until this commits.
		err := tx.QueryRow(ctx, `SELECT case_id, appraisal_value FROM lots WHERE id = $1 FOR UPDATE`, p.LotID).Scan(&caseID, &appraisal)
		if err != nil {
			return pgtx.Translate(err, "lot")
		}
		earlier, err := lotRounds(ctx, tx, p.LotID, "")
		if err != nil {
			return err
		}
		if err := s.db.Rulebook.ValidateSchedule(p, appraisal, earlier); err != nil {
			return err
		}
		days := 10
		if p.BalanceDueDays != nil {
			days = *p.BalanceDueDays
		}
		return tx.QueryRow(ctx, `
			INSERT INTO auctions (lot_id, case_id, round, status, rulebook, start_price, increment, deposit, starts_at, ends_at, balance_due_days, created_at)
			VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			p.LotID, caseID, p.Round, s.db.Rulebook.Name, p.StartPrice, p.Increment, p.Deposit,
			p.StartsAt.UTC().Truncate(time.Microsecond), p.EndsAt.UTC().Truncate(time.Microsecond), days, s.db.Clock.Now()).Scan(&id)
	})
	if err != nil {
		return nil, err
	}
	return s.db.Auction(ctx, id)
}

// PublishAuction announces a draft auction. Returns not_found, invalid_state,
// round_not_allowed (another round of the lot is announced, bidding or
// suspended, or the lot's rounds have moved on since the draft was made) or
// announcement_period_too_short.
func (s *Store) PublishAuction(ctx context.Context, id string) (*auction.Auction, error) {
	a, err := s.publish(ctx, id, false)
	if err == nil {
		// No events: watchers read what changed from the table.
		s.db.Announce(ctx, auction.Change{AuctionID: a.ID})
	}
	return a, err
}

// PublishAuctionBackdated announces a draft as if it had been published a
// full notice period ago. Only the demo seed uses it, so that `make run` has
// auctions bidding at once instead of after a real notice period.
func (s *Store) PublishAuctionBackdated(ctx context.Context, id string) (*auction.Auction, error) {
	return s.publish(ctx, id, true)
}

func (s *Store) publish(ctx context.Context, id string, backdate bool) (*auction.Auction, error) {
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		// Lock the lot first, as ScheduleAuction does: publishes of two drafts
		// of one lot then run one after the other, and the second sees the
		// first announced.
		lot := &auction.Lot{}
		err := tx.QueryRow(ctx, `SELECT l.id, l.appraisal_value FROM lots l JOIN auctions a ON a.lot_id = l.id WHERE a.id = $1 FOR UPDATE OF l`, id).
			Scan(&lot.ID, &lot.AppraisalValue)
		if err != nil {
			return pgtx.Translate(err, "auction")
		}
		a, category, err := pgtx.LockAuctionWithCategory(ctx, tx, id)
		if err != nil {
			return err
		}
		lot.Category = category
		others, err := lotRounds(ctx, tx, lot.ID, id)
		if err != nil {
			return err
		}
		rb, err := s.db.RulebookOf(a.Rulebook)
		if err != nil {
			return err
		}
		now := s.db.Clock.Now()
		if backdate {
			now = a.StartsAt.Add(-rb.Notice(a.Round, category))
		}
		if err := rb.ValidatePublish(&a.Auction, lot, others, now); err != nil {
			return err
		}
		// Publishing is recorded by announced_at (and in the staff audit log),
		// not as an event: the record starts when bidding opens, and a
		// published auction's seq is 0 until then.
		a.Status = auction.StatusAnnounced
		a.AnnouncedAt = &now
		// The documents are published with the round, dated as published.
		if err := s.publishDocuments(ctx, tx, &a.Auction, now); err != nil {
			return err
		}
		return pgtx.SaveAuction(ctx, tx, a)
	})
	if err != nil {
		return nil, err
	}
	return s.db.Auction(ctx, id)
}

// lotRounds reads the rounds of a lot, oldest first, but for the auction
// except (none when ""). The caller holds the lot's row lock, so no other
// round of the lot is scheduled or published until it commits.
func lotRounds(ctx context.Context, tx pgx.Tx, lotID, except string) ([]auction.RoundHistory, error) {
	rows, err := tx.Query(ctx, `SELECT round, status, start_price FROM auctions WHERE lot_id = $1 AND id::text <> $2 ORDER BY created_at, id`, lotID, except)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (auction.RoundHistory, error) {
		var h auction.RoundHistory
		return h, r.Scan(&h.Round, &h.Status, &h.StartPrice)
	})
}
