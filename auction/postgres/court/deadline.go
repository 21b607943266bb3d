package court

import (
	"context"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
)

// deadlinesSQL finds every deadline of the law still running, one row per
// deadline: since when it runs, and what its auction (or deposit) is.
//   - reauction: a failed or defaulted first or second round (since its
//     close, or its default at balance_due_at) while no later round of the
//     lot has been published (a cancelled one does not count);
//   - resume: a suspended auction, since its last suspension;
//   - refund: a released deposit not yet paid back, since the close (or its
//     release without one, or its confirmation after the close), as
//     GET /refunds-due counts it;
//   - balance: a sold auction whose balance is due by the end of tomorrow
//     ($1) in the court's zone.
const deadlinesSQL = `
SELECT 'reauction', CASE WHEN a.status = 'defaulted' THEN a.balance_due_at ELSE a.closed_at END,
       a.id, a.lot_id, l.title, a.case_id, c.case_number, a.round, a.status, a.rulebook, NULL::uuid, NULL::bigint, NULL::timestamptz
FROM auctions a JOIN lots l ON l.id = a.lot_id JOIN cases c ON c.id = a.case_id
WHERE a.status IN ('failed', 'defaulted') AND a.round IN ('first', 'second')
  AND NOT EXISTS (SELECT 1 FROM auctions n WHERE n.lot_id = a.lot_id AND n.id <> a.id
                  AND n.announced_at IS NOT NULL AND n.status <> 'cancelled' AND n.created_at > a.created_at)
UNION ALL
SELECT 'resume', (SELECT max(e.at) FROM auction_events e WHERE e.auction_id = a.id AND e.type = 'suspended'),
       a.id, a.lot_id, l.title, a.case_id, c.case_number, a.round, a.status, a.rulebook, NULL::uuid, NULL::bigint, NULL::timestamptz
FROM auctions a JOIN lots l ON l.id = a.lot_id JOIN cases c ON c.id = a.case_id
WHERE a.status = 'suspended'
UNION ALL
SELECT 'refund', greatest(coalesce(a.closed_at, d.released_at), coalesce(d.held_at, d.released_at)),
       a.id, a.lot_id, l.title, a.case_id, c.case_number, a.round, a.status, a.rulebook, d.id, d.amount, NULL::timestamptz
FROM deposits d JOIN auctions a ON a.id = d.auction_id JOIN lots l ON l.id = a.lot_id JOIN cases c ON c.id = a.case_id
WHERE d.status = 'refund_pending'
UNION ALL
SELECT 'balance', a.closed_at,
       a.id, a.lot_id, l.title, a.case_id, c.case_number, a.round, a.status, a.rulebook, NULL::uuid, NULL::bigint, a.balance_due_at
FROM auctions a JOIN lots l ON l.id = a.lot_id JOIN cases c ON c.id = a.case_id
WHERE a.status = 'sold' AND a.balance_due_at <= $1`

// Deadlines lists the deadlines of the law still running (auction.Deadline
// kinds), the soonest first, each with its rule, its due time under the
// auction's rulebook in the court's calendar, and whether it has passed.
// A balance is listed from the day before its last day.
func (s *Store) Deadlines(ctx context.Context) ([]auction.Deadline, error) {
	now := s.db.Clock.Now()
	local := now.In(s.db.Zone)
	endOfTomorrow := time.Date(local.Year(), local.Month(), local.Day()+2, 0, 0, 0, 0, s.db.Zone)
	rows, err := s.db.Pool.Query(ctx, deadlinesSQL, endOfTomorrow)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auction.Deadline, error) {
		var d auction.Deadline
		var rulebook string
		var since, fixed *time.Time
		if err := r.Scan(&d.Kind, &since, &d.AuctionID, &d.LotID, &d.LotTitle, &d.CaseID, &d.CaseNumber, &d.Round, &d.Status,
			&rulebook, &d.DepositID, &d.Amount, &fixed); err != nil {
			return d, err
		}
		if since != nil {
			d.Since = since.UTC()
		}
		rb, err := s.db.RulebookOf(rulebook)
		if err != nil {
			return d, err
		}
		if fixed != nil {
			// The balance's deadline is the one fixed at the close.
			d.DueAt = fixed.UTC()
		}
		d = rb.Due(d, now)
		return d, nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].DueAt.Before(list[j].DueAt) })
	return list, nil
}
