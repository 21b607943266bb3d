package money

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/casereport"
	"gavel/auction/postgres/internal/pgtx"
	"gavel/payments"
)

// RecordAuctionCost records a cost of an auction round (by: the clerk or
// finance officer). Costs recorded before a default are the first call on
// the forfeited deposit. Returns not_found or invalid_field.
func (s *Store) RecordAuctionCost(ctx context.Context, by, auctionID string, amount int64, description string) (*payments.AuctionCost, error) {
	if amount <= 0 || amount > payments.MaxAmount {
		return nil, auction.FieldError("amount", "must be a positive amount in fen, at most %d", int64(payments.MaxAmount))
	}
	description, err := pgtx.CleanLine("description", description, 500)
	if err != nil {
		return nil, err
	}
	c := &payments.AuctionCost{AuctionID: auctionID, Amount: amount, Description: description, CreatedAt: s.db.Clock.Now()}
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		// The round's total stays one amount (MaxAmount): the default sums
		// its costs into a bigint, which must not overflow. Costs of a
		// round are recorded one at a time (its row lock) so the check holds.
		var costs int64
		err := tx.QueryRow(ctx, `SELECT coalesce((SELECT sum(amount) FROM auction_costs WHERE auction_id = a.id), 0)::bigint
			FROM auctions a WHERE a.id = $1 FOR UPDATE`, auctionID).Scan(&costs)
		if err != nil {
			return pgtx.Translate(err, "auction")
		}
		if amount > payments.MaxAmount-costs {
			return auction.FieldError("amount", "would make the round's costs more than %d fen in all (%d recorded)", int64(payments.MaxAmount), costs)
		}
		return tx.QueryRow(ctx, `INSERT INTO auction_costs (auction_id, amount, description, recorded_by, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, auctionID, amount, description, pgtx.Nullable(by), c.CreatedAt).Scan(&c.ID)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// AuctionCosts lists the costs recorded for an auction round, oldest first.
// Returns not_found.
func (s *Store) AuctionCosts(ctx context.Context, auctionID string) ([]payments.AuctionCost, error) {
	if _, err := s.db.Auction(ctx, auctionID); err != nil {
		return nil, err
	}
	scan := func(r pgx.CollectableRow) (payments.AuctionCost, error) {
		var c payments.AuctionCost
		err := r.Scan(&c.ID, &c.AuctionID, &c.Amount, &c.Description, &c.CreatedAt)
		c.CreatedAt = c.CreatedAt.UTC()
		return c, err
	}
	return pgtx.List(ctx, s.db.Pool, scan, `SELECT id, auction_id, amount, description, created_at FROM auction_costs
		WHERE auction_id = $1 ORDER BY created_at, id`, auctionID)
}

// AllocateForfeit allocates a defaulted round's forfeited deposit in the
// legal order as far as it can be at the default: the round's recorded
// costs first (forfeited -> auction_costs), the rest to the case
// (forfeited -> case_proceeds) as case debt until a re-sale fixes the
// shortfall (ReallocateShortfall). The writes are queued in w.
func AllocateForfeit(ctx context.Context, tx pgx.Tx, w *pgtx.Writes, a *pgtx.Row, depositID string, amount int64, now time.Time) (payments.ForfeitAllocation, error) {
	var costs int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(sum(amount), 0)::bigint FROM auction_costs WHERE auction_id = $1`, a.ID).Scan(&costs); err != nil {
		return payments.ForfeitAllocation{}, err
	}
	al := payments.ForfeitAllocation{AuctionCosts: min(costs, amount)}
	al.CaseDebt = amount - al.AuctionCosts
	w.Record(pgtx.LedgerTx{Kind: payments.TxForfeitAllocated, AuctionID: a.ID, DepositID: depositID, CaseID: a.CaseID,
		Entries: []payments.Entry{
			{Account: payments.AccountForfeited, Amount: amount},
			{Account: payments.AccountAuctionCosts, Amount: -al.AuctionCosts},
			{Account: payments.AccountCaseProceeds, Amount: -al.CaseDebt},
		}}, now)
	w.Queue(`INSERT INTO forfeit_allocations (auction_id, deposit_id, amount, auction_costs, case_debt, allocated_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, a.ID, depositID, amount, al.AuctionCosts, al.CaseDebt, now)
	return al, nil
}

// ReallocateShortfall runs when a round of a lot is sold: every earlier
// defaulted round of the lot whose shortfall is not fixed yet takes it from
// what had gone to the case debt (the defaulted hammer price minus this
// sale's, at most that share), and the case system is told
// (forfeiture.reallocated). Both shares are the case's money, so no ledger
// account changes; the allocation record and the statement do.
func ReallocateShortfall(ctx context.Context, db *pgtx.DB, tx pgx.Tx, sold []*pgtx.Row, now time.Time) error {
	var w pgtx.Writes
	for _, a := range sold {
		if a.Status != auction.StatusSold || a.HammerPrice == nil {
			continue
		}
		rows, err := tx.Query(ctx, `UPDATE forfeit_allocations f
			SET resale_shortfall = least(f.case_debt, greatest(d.hammer_price - $3, 0)),
			    case_debt = f.case_debt - least(f.case_debt, greatest(d.hammer_price - $3, 0)),
			    resale_auction_id = $1, reallocated_at = $4
			FROM auctions d
			WHERE d.id = f.auction_id AND d.lot_id = $2 AND d.id <> $1 AND f.resale_auction_id IS NULL AND d.hammer_price IS NOT NULL
			RETURNING `+reallocatedColumns, a.ID, a.LotID, *a.HammerPrice, now)
		if err != nil {
			return err
		}
		if err := notifyReallocated(&w, rows, a, map[string]any{"resale_hammer_price": *a.HammerPrice}, now); err != nil {
			return err
		}
	}
	return db.Flush(ctx, tx, &w)
}

// RestoreShortfall runs when a sold round is annulled: a shortfall it fixed
// on an earlier defaulted round of the lot (ReallocateShortfall) no longer
// stands, as its price no longer does. The share goes back to the case debt
// until another round of the lot sells and fixes it again, and the case
// system is told (forfeiture.reallocated, with resale_annulled). Both shares
// are the case's money, so no ledger account changes. The writes are queued
// in w.
func RestoreShortfall(ctx context.Context, tx pgx.Tx, w *pgtx.Writes, annulled *pgtx.Row, now time.Time) error {
	rows, err := tx.Query(ctx, `UPDATE forfeit_allocations
		SET case_debt = case_debt + resale_shortfall, resale_shortfall = 0, resale_auction_id = NULL, reallocated_at = NULL
		WHERE resale_auction_id = $1
		RETURNING `+reallocatedColumns, annulled.ID)
	if err != nil {
		return err
	}
	return notifyReallocated(w, rows, annulled, map[string]any{"resale_annulled": true}, now)
}

// reallocatedColumns are the columns of a changed allocation that
// notifyReallocated reads.
const reallocatedColumns = `auction_id::text, deposit_id::text, amount, auction_costs, resale_shortfall, case_debt`

// notifyReallocated tells the case system of each allocation in rows
// (reallocatedColumns) that the round a changed, with what says why.
func notifyReallocated(w *pgtx.Writes, rows pgx.Rows, a *pgtx.Row, why map[string]any, now time.Time) error {
	var defaulted, depositID string
	var amount int64
	var al payments.ForfeitAllocation
	_, err := pgx.ForEachRow(rows, []any{&defaulted, &depositID, &amount, &al.AuctionCosts, &al.ResaleShortfall, &al.CaseDebt}, func() error {
		data := map[string]any{"defaulted_auction_id": defaulted, "deposit_id": depositID, "amount": amount, "allocation": AllocationData(al)}
		for k, v := range why {
			data[k] = v
		}
		w.Notify(a, casereport.NotifyForfeitureReallocated, data, now)
		return nil
	})
	return err
}

// AllocationData is an allocation as events and webhooks carry it.
func AllocationData(al payments.ForfeitAllocation) map[string]any {
	return map[string]any{"auction_costs": al.AuctionCosts, "resale_shortfall": al.ResaleShortfall, "case_debt": al.CaseDebt}
}
