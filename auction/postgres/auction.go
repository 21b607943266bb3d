package postgres

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
)

const auctionColumns = `a.id, a.lot_id, a.case_id, a.round, a.status, a.rulebook, a.currency, a.start_price, a.increment,
	a.deposit, a.starts_at, a.ends_at, a.balance_due_days, a.announced_at, a.opened_at, a.closed_at, a.balance_due_at,
	a.current_price, a.leader_code, a.bid_count, a.seq, a.hammer_price,
	(SELECT r.bidder_code FROM registrations r WHERE r.id = a.winner_registration_id), a.suspended_reason,
	a.leader_rank, a.leader_registration_id::text, a.last_hash`

// row is an auction as the store works on it inside a transaction.
type row struct {
	auction.Auction
	lastHash []byte
}

// scanAuction reads auctionColumns, then any extra columns into extra.
func scanAuction(r pgx.Row, extra ...any) (*row, error) {
	a := &row{}
	dest := append([]any{&a.ID, &a.LotID, &a.CaseID, &a.Round, &a.Status, &a.Rulebook, &a.Currency, &a.StartPrice, &a.Increment,
		&a.Deposit, &a.StartsAt, &a.EndsAt, &a.BalanceDueDays, &a.AnnouncedAt, &a.OpenedAt, &a.ClosedAt, &a.BalanceDueAt,
		&a.CurrentPrice, &a.LeaderCode, &a.BidCount, &a.Seq, &a.HammerPrice, &a.WinnerCode, &a.Suspended,
		&a.LeaderRank, &a.LeaderRegistration, &a.lastHash}, extra...)
	err := r.Scan(dest...)
	a.StartsAt, a.EndsAt = a.StartsAt.UTC(), a.EndsAt.UTC()
	return a, err
}

func (s *Store) auctions(ctx context.Context, where string, args ...any) ([]auction.Auction, error) {
	return s.auctionsIn(ctx, s.pool, where, args...)
}

// auctionsIn is auctions read through q: a transaction reads with its own
// connection rather than waiting for a second one from the pool.
func (s *Store) auctionsIn(ctx context.Context, q querier, where string, args ...any) ([]auction.Auction, error) {
	rows, err := q.Query(ctx, `SELECT `+auctionColumns+` FROM auctions a WHERE `+where+` ORDER BY a.created_at, a.id`, args...)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (auction.Auction, error) {
		a, err := scanAuction(r)
		if err != nil {
			return auction.Auction{}, err
		}
		a.ServerTime = now
		return a.Auction, nil
	})
}

// Auction returns one auction with server_time set.
func (s *Store) Auction(ctx context.Context, id string) (*auction.Auction, error) {
	a, err := scanAuction(s.pool.QueryRow(ctx, `SELECT `+auctionColumns+` FROM auctions a WHERE a.id = $1`, id))
	if err != nil {
		return nil, translate(err, "auction")
	}
	a.ServerTime = s.clock.Now()
	return &a.Auction, nil
}

// ScheduleAuction creates a draft round for a lot after checking the rulebook.
// Returns not_found, invalid_field, round_not_allowed, start_price_too_low,
// price_cut_too_large, deposit_out_of_range or bidding_period_too_short.
func (s *Store) ScheduleAuction(ctx context.Context, p auction.ScheduleParams) (*auction.Auction, error) {
	var id string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var caseID string
		var appraisal int64
		// Lock the lot, as publish does, so that the lot's rounds stay as
		// read until this commits.
		err := tx.QueryRow(ctx, `SELECT case_id, appraisal_value FROM lots WHERE id = $1 FOR UPDATE`, p.LotID).Scan(&caseID, &appraisal)
		if err != nil {
			return translate(err, "lot")
		}
		earlier, err := lotRounds(ctx, tx, p.LotID, "")
		if err != nil {
			return err
		}
		if err := s.rulebook.ValidateSchedule(p, appraisal, earlier); err != nil {
			return err
		}
		days := 10
		if p.BalanceDueDays != nil {
			days = *p.BalanceDueDays
		}
		return tx.QueryRow(ctx, `
			INSERT INTO auctions (lot_id, case_id, round, status, rulebook, start_price, increment, deposit, starts_at, ends_at, balance_due_days, created_at)
			VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			p.LotID, caseID, p.Round, s.rulebook.Name, p.StartPrice, p.Increment, p.Deposit,
			p.StartsAt.UTC().Truncate(time.Microsecond), p.EndsAt.UTC().Truncate(time.Microsecond), days, s.clock.Now()).Scan(&id)
	})
	if err != nil {
		return nil, err
	}
	return s.Auction(ctx, id)
}

// PublishAuction announces a draft auction. Returns not_found, invalid_state,
// round_not_allowed (another round of the lot is announced, bidding or
// suspended, or the lot's rounds have moved on since the draft was made) or
// announcement_period_too_short.
func (s *Store) PublishAuction(ctx context.Context, id string) (*auction.Auction, error) {
	a, err := s.publish(ctx, id, false)
	if err == nil {
		// No events: watchers read what changed from the table.
		s.announce(ctx, auction.Change{AuctionID: a.ID})
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// Lock the lot first, as ScheduleAuction does: publishes of two drafts
		// of one lot then run one after the other, and the second sees the
		// first announced.
		lot := &auction.Lot{}
		err := tx.QueryRow(ctx, `SELECT l.id, l.appraisal_value FROM lots l JOIN auctions a ON a.lot_id = l.id WHERE a.id = $1 FOR UPDATE OF l`, id).
			Scan(&lot.ID, &lot.AppraisalValue)
		if err != nil {
			return translate(err, "auction")
		}
		a, category, err := lockAuctionWithCategory(ctx, tx, id)
		if err != nil {
			return err
		}
		lot.Category = category
		others, err := lotRounds(ctx, tx, lot.ID, id)
		if err != nil {
			return err
		}
		rb, err := s.rulebookOf(a.Rulebook)
		if err != nil {
			return err
		}
		now := s.clock.Now()
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
		return saveAuction(ctx, tx, a)
	})
	if err != nil {
		return nil, err
	}
	return s.Auction(ctx, id)
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

// lockAuctionSQL locks an auction row and reads it with its lot's category.
const lockAuctionSQL = lockAuctionSQLBase + ` WHERE a.id = $1 FOR UPDATE OF a`

// lockAuctionSQLBase reads auctions with their lot's category; callers add
// the condition and the lock.
const lockAuctionSQLBase = `SELECT ` + auctionColumns + `, l.category, l.appraisal_value FROM auctions a JOIN lots l ON l.id = a.lot_id`

func lockAuctionWithCategory(ctx context.Context, tx pgx.Tx, id string) (*row, string, error) {
	var category string
	var appraisal int64
	a, err := scanAuction(tx.QueryRow(ctx, lockAuctionSQL, id), &category, &appraisal)
	if err != nil {
		return nil, "", translate(err, "auction")
	}
	a.AppraisalValue = appraisal
	return a, category, nil
}

// saveAuction writes back the mutable state of a locked auction.
func saveAuction(ctx context.Context, tx pgx.Tx, a *row) error {
	_, err := tx.Exec(ctx, saveAuctionSQL, saveAuctionArgs(a)...)
	return err
}

// saveAuctionSQL and saveAuctionArgs are saveAuction's statement, for callers
// that send it in a batch with others (the bid queue).
const saveAuctionSQL = `
		UPDATE auctions SET status = $2, ends_at = $3, announced_at = $4, opened_at = $5, closed_at = $6, balance_due_at = $7,
			current_price = $8, leader_registration_id = $9, leader_code = $10, leader_rank = $11, bid_count = $12,
			seq = $13, last_hash = $14, hammer_price = $15, suspended_reason = $16
		WHERE id = $1`

func saveAuctionArgs(a *row) []any {
	return []any{a.ID, a.Status, a.EndsAt, a.AnnouncedAt, a.OpenedAt, a.ClosedAt, a.BalanceDueAt,
		a.CurrentPrice, a.LeaderRegistration, a.LeaderCode, a.LeaderRank, a.BidCount,
		a.Seq, a.lastHash, a.HammerPrice, a.Suspended}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// appendEvent adds the next event of a locked auction to the record,
// chained to the previous one, and advances a.Seq and a.lastHash (saved by
// saveAuction).
func appendEvent(ctx context.Context, tx pgx.Tx, a *row, typ string, at time.Time, data map[string]any) (auction.Event, error) {
	prev := a.lastHash
	e, hash := chainEvent(a, typ, at, data)
	if _, err := tx.Exec(ctx, `INSERT INTO auction_events (auction_id, seq, type, at, data, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		a.ID, e.Seq, typ, e.At, e.Data, prev, hash); err != nil {
		a.Seq, a.lastHash = e.Seq-1, prev
		return e, err
	}
	return e, nil
}

// chainEvent builds the next event of a locked auction, chained to the
// previous one, and advances a.Seq and a.lastHash; the caller writes it (the
// bid queue writes a whole batch's events in one statement).
func chainEvent(a *row, typ string, at time.Time, data map[string]any) (auction.Event, []byte) {
	if data == nil {
		data = map[string]any{}
	}
	e := auction.Event{Seq: a.Seq + 1, Type: typ, At: at.UTC(), Data: data, PrevHash: hex.EncodeToString(a.lastHash)}
	hash := auction.EventHash(a.ID, a.lastHash, e)
	e.Hash = hex.EncodeToString(hash)
	a.Seq, a.lastHash = e.Seq, hash
	return e, hash
}

// Events returns up to limit events with seq > since, and whether more exist.
func (s *Store) Events(ctx context.Context, auctionID string, since int64, limit int) ([]auction.Event, bool, error) {
	if _, err := s.Auction(ctx, auctionID); err != nil {
		return nil, false, err
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, type, at, data::text, prev_hash, hash FROM auction_events WHERE auction_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		auctionID, since, limit+1)
	if err != nil {
		return nil, false, err
	}
	events, err := pgx.CollectRows(rows, scanEvent)
	if err != nil {
		return nil, false, err
	}
	more := len(events) > limit
	if more {
		events = events[:limit]
	}
	return events, more, nil
}

func scanEvent(r pgx.CollectableRow) (auction.Event, error) {
	var e auction.Event
	var data string
	var prev, hash []byte
	if err := r.Scan(&e.Seq, &e.Type, &e.At, &data, &prev, &hash); err != nil {
		return e, err
	}
	m, err := auction.DecodeData([]byte(data))
	e.Data, e.PrevHash, e.Hash, e.At = m, hex.EncodeToString(prev), hex.EncodeToString(hash), e.At.UTC()
	return e, err
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
	rows, err := s.pool.Query(ctx, `SELECT seq, bidder_code, amount, placed_at, priority FROM bids WHERE auction_id = $1 ORDER BY seq`, auctionID)
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

// listingColumns are a Listing's columns, from auctions a joined with its
// lot l and case c.
const listingColumns = auctionColumns + `, l.title, l.category, c.court_name, l.location, c.case_number`

// Listings is the public catalogue: published auctions, filtered, bidding
// ones first, then by end; and whether more match after this page.
func (s *Store) Listings(ctx context.Context, f AuctionFilter) ([]Listing, bool, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	rows, err := s.pool.Query(ctx, `SELECT `+listingColumns+`
		FROM auctions a JOIN lots l ON l.id = a.lot_id JOIN cases c ON c.id = a.case_id
		WHERE a.status <> 'draft'
		  AND ($1 = '' OR a.status = $1) AND ($2 = '' OR l.category = $2)
		  AND ($3 = '' OR c.court_name ILIKE '%' || $3 || '%')
		  AND ($4 = '' OR l.title ILIKE '%' || $4 || '%' OR l.description ILIKE '%' || $4 || '%')
		  AND ($5 = 0 OR coalesce(a.current_price, a.start_price) >= $5)
		  AND ($6 = 0 OR coalesce(a.current_price, a.start_price) <= $6)
		ORDER BY (a.status = 'bidding') DESC, a.ends_at, a.id LIMIT $7 OFFSET $8`,
		f.Status, f.Category, f.Court, f.Query, f.MinPrice, f.MaxPrice, f.Limit+1, max(f.Offset, 0))
	list, err := s.collectListings(rows, err)
	if err != nil {
		return nil, false, err
	}
	if len(list) > f.Limit {
		return list[:f.Limit], true, nil
	}
	return list, false, nil
}

// collectListings scans the rows of a query of listingColumns.
func (s *Store) collectListings(rows pgx.Rows, err error) ([]Listing, error) {
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Listing, error) {
		var l Listing
		a, err := scanAuction(r, &l.Title, &l.Category, &l.CourtName, &l.Location, &l.CaseNumber)
		a.ServerTime = now
		l.Auction = a.Auction
		return l, err
	})
}

func hexHash(h []byte) string { return hex.EncodeToString(h) }
