package court

import (
	"context"
	"gavel/auction"
	"time"

	"github.com/jackc/pgx/v5"
)

// Results lists closed auctions, the latest close first, and whether more
// match after this page. A cancelled round never closed and is not a result.
func (s *Store) Results(ctx context.Context, f auction.ResultFilter) ([]auction.Result, bool, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var from, to *time.Time
	if !f.From.IsZero() {
		from = &f.From
	}
	if !f.To.IsZero() {
		to = &f.To
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT a.id, a.lot_id, l.title, l.category, c.case_number, c.court_name, a.round, a.status,
			a.start_price, a.hammer_price, (SELECT r.bidder_code FROM registrations r WHERE r.id = a.winner_registration_id),
			a.bid_count, a.closed_at
		FROM auctions a JOIN lots l ON l.id = a.lot_id JOIN cases c ON c.id = a.case_id
		WHERE a.closed_at IS NOT NULL AND a.status IN ('sold', 'failed', 'settled', 'defaulted', 'annulled')
		  AND ($1 = '' OR c.court_name ILIKE '%' || $1 || '%')
		  AND ($2::timestamptz IS NULL OR a.closed_at >= $2) AND ($3::timestamptz IS NULL OR a.closed_at < $3)
		ORDER BY a.closed_at DESC, a.id LIMIT $4 OFFSET $5`, likeText(f.Court), from, to, f.Limit+1, max(f.Offset, 0))
	if err != nil {
		return nil, false, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auction.Result, error) {
		var x auction.Result
		err := r.Scan(&x.AuctionID, &x.LotID, &x.Title, &x.Category, &x.CaseNumber, &x.CourtName, &x.Round, &x.Status,
			&x.StartPrice, &x.HammerPrice, &x.WinnerCode, &x.BidCount, &x.ClosedAt)
		x.ClosedAt = x.ClosedAt.UTC()
		x.Outcome = "failed"
		if x.HammerPrice != nil {
			x.Outcome = "sold"
		}
		return x, err
	})
	if err != nil {
		return nil, false, err
	}
	if list == nil {
		list = []auction.Result{}
	}
	if len(list) > f.Limit {
		return list[:f.Limit], true, nil
	}
	return list, false, nil
}
