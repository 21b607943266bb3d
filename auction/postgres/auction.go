package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
)

// Auction returns one auction with server_time set.
func (s *Store) Auction(ctx context.Context, id string) (*auction.Auction, error) {
	return s.db.Auction(ctx, id)
}

// Events returns up to limit events with seq > since, and whether more exist.
func (s *Store) Events(ctx context.Context, auctionID string, since int64, limit int) ([]auction.Event, bool, error) {
	if _, err := s.Auction(ctx, auctionID); err != nil {
		return nil, false, err
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT seq, type, at, data::text, prev_hash, hash FROM auction_events WHERE auction_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		auctionID, since, limit+1)
	if err != nil {
		return nil, false, err
	}
	events, err := pgx.CollectRows(rows, pgtx.ScanEvent)
	if err != nil {
		return nil, false, err
	}
	more := len(events) > limit
	if more {
		events = events[:limit]
	}
	return events, more, nil
}

// Record exports the whole hash-chained record of an auction.
func (s *Store) Record(ctx context.Context, auctionID string) (*auction.Record, error) {
	events, _, err := s.Events(ctx, auctionID, 0, 1<<30)
	if err != nil {
		return nil, err
	}
	return &auction.Record{AuctionID: auctionID, Events: events}, nil
}

// Bids returns every accepted bid in seq order.
func (s *Store) Bids(ctx context.Context, auctionID string) ([]auction.Bid, error) {
	if _, err := s.Auction(ctx, auctionID); err != nil {
		return nil, err
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT seq, bidder_code, amount, placed_at, priority FROM bids WHERE auction_id = $1 ORDER BY seq`, auctionID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (auction.Bid, error) {
		var b auction.Bid
		err := r.Scan(&b.Seq, &b.BidderCode, &b.Amount, &b.PlacedAt, &b.Priority)
		b.PlacedAt = b.PlacedAt.UTC()
		return b, err
	})
}

// Listings is the public catalogue: published auctions, filtered, bidding
// ones first, then by end; and whether more match after this page.
func (s *Store) Listings(ctx context.Context, f auction.AuctionFilter) ([]auction.Listing, bool, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT `+pgtx.ListingColumns+`
		FROM auctions a JOIN lots l ON l.id = a.lot_id JOIN cases c ON c.id = a.case_id
		WHERE a.status <> 'draft'
		  AND ($1 = '' OR a.status = $1) AND ($2 = '' OR l.category = $2)
		  AND ($3 = '' OR c.court_name ILIKE '%' || $3 || '%')
		  AND ($4 = '' OR l.title ILIKE '%' || $4 || '%' OR l.description ILIKE '%' || $4 || '%')
		  AND ($5 = 0 OR coalesce(a.current_price, a.start_price) >= $5)
		  AND ($6 = 0 OR coalesce(a.current_price, a.start_price) <= $6)
		ORDER BY (a.status = 'bidding') DESC, a.ends_at, a.id LIMIT $7 OFFSET $8`,
		f.Status, f.Category, f.Court, f.Query, f.MinPrice, f.MaxPrice, f.Limit+1, max(f.Offset, 0))
	list, err := s.db.CollectListings(rows, err)
	if err != nil {
		return nil, false, err
	}
	if len(list) > f.Limit {
		return list[:f.Limit], true, nil
	}
	return list, false, nil
}
