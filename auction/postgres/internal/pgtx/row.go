package pgtx

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
)

// AuctionColumns are the columns ScanAuction reads, from auctions a.
const AuctionColumns = `a.id, a.lot_id, a.case_id, a.round, a.status, a.rulebook, a.currency, a.start_price, a.increment,
	a.deposit, a.starts_at, a.ends_at, a.balance_due_days, a.announced_at, a.opened_at, a.closed_at, a.balance_due_at,
	a.current_price, a.leader_code, a.bid_count, a.seq, a.hammer_price,
	(SELECT r.bidder_code FROM registrations r WHERE r.id = a.winner_registration_id), a.suspended_reason,
	a.leader_rank, a.leader_registration_id::text, a.last_hash`

// Row is an auction as the store works on it inside a transaction.
type Row struct {
	auction.Auction
	// LastHash is the hash of the auction's last event, the link the next
	// one chains to (ChainEvent).
	LastHash []byte
}

// ScanAuction reads AuctionColumns, then any extra columns into extra.
func ScanAuction(r pgx.Row, extra ...any) (*Row, error) {
	a := &Row{}
	dest := append([]any{&a.ID, &a.LotID, &a.CaseID, &a.Round, &a.Status, &a.Rulebook, &a.Currency, &a.StartPrice, &a.Increment,
		&a.Deposit, &a.StartsAt, &a.EndsAt, &a.BalanceDueDays, &a.AnnouncedAt, &a.OpenedAt, &a.ClosedAt, &a.BalanceDueAt,
		&a.CurrentPrice, &a.LeaderCode, &a.BidCount, &a.Seq, &a.HammerPrice, &a.WinnerCode, &a.Suspended,
		&a.LeaderRank, &a.LeaderRegistration, &a.LastHash}, extra...)
	err := r.Scan(dest...)
	a.StartsAt, a.EndsAt = a.StartsAt.UTC(), a.EndsAt.UTC()
	return a, err
}

// AuctionsIn reads the auctions matching where through q: a transaction
// reads with its own connection rather than waiting for a second one from
// the pool.
func (db *DB) AuctionsIn(ctx context.Context, q Querier, where string, args ...any) ([]auction.Auction, error) {
	rows, err := q.Query(ctx, `SELECT `+AuctionColumns+` FROM auctions a WHERE `+where+` ORDER BY a.created_at, a.id`, args...)
	if err != nil {
		return nil, err
	}
	now := db.Clock.Now()
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (auction.Auction, error) {
		a, err := ScanAuction(r)
		if err != nil {
			return auction.Auction{}, err
		}
		a.ServerTime = now
		return a.Auction, nil
	})
}

// Auction returns one auction with server_time set.
func (db *DB) Auction(ctx context.Context, id string) (*auction.Auction, error) {
	a, err := ScanAuction(db.Pool.QueryRow(ctx, `SELECT `+AuctionColumns+` FROM auctions a WHERE a.id = $1`, id))
	if err != nil {
		return nil, Translate(err, "auction")
	}
	a.ServerTime = db.Clock.Now()
	return &a.Auction, nil
}

// LockAuctionSQL locks an auction row and reads it with its lot's category.
const LockAuctionSQL = LockAuctionSQLBase + ` WHERE a.id = $1 FOR UPDATE OF a`

// LockAuctionSQLBase reads auctions with their lot's category; callers add
// the condition and the lock.
const LockAuctionSQLBase = `SELECT ` + AuctionColumns + `, l.category, l.appraisal_value FROM auctions a JOIN lots l ON l.id = a.lot_id`

// LockAuctionWithCategory locks an auction row and reads it with its lot's
// category and appraisal.
func LockAuctionWithCategory(ctx context.Context, tx pgx.Tx, id string) (*Row, string, error) {
	var category string
	var appraisal int64
	a, err := ScanAuction(tx.QueryRow(ctx, LockAuctionSQL, id), &category, &appraisal)
	if err != nil {
		return nil, "", Translate(err, "auction")
	}
	a.AppraisalValue = appraisal
	return a, category, nil
}

// SaveAuction writes back the mutable state of a locked auction.
func SaveAuction(ctx context.Context, tx pgx.Tx, a *Row) error {
	_, err := tx.Exec(ctx, SaveAuctionSQL, SaveAuctionArgs(a)...)
	return err
}

// SaveAuctionSQL and SaveAuctionArgs are SaveAuction's statement, for callers
// that send it in a batch with others (the bid queue).
const SaveAuctionSQL = `
		UPDATE auctions SET status = $2, ends_at = $3, announced_at = $4, opened_at = $5, closed_at = $6, balance_due_at = $7,
			current_price = $8, leader_registration_id = $9, leader_code = $10, leader_rank = $11, bid_count = $12,
			seq = $13, last_hash = $14, hammer_price = $15, suspended_reason = $16
		WHERE id = $1`

// SaveAuctionArgs are SaveAuctionSQL's arguments for a.
func SaveAuctionArgs(a *Row) []any {
	return []any{a.ID, a.Status, a.EndsAt, a.AnnouncedAt, a.OpenedAt, a.ClosedAt, a.BalanceDueAt,
		a.CurrentPrice, a.LeaderRegistration, a.LeaderCode, a.LeaderRank, a.BidCount,
		a.Seq, a.LastHash, a.HammerPrice, a.Suspended}
}

// Stamp is a time as events and webhooks carry it.
func Stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// AppendEvent adds the next event of a locked auction to the record,
// chained to the previous one, and advances a.Seq and a.LastHash (saved by
// SaveAuction).
func AppendEvent(ctx context.Context, tx pgx.Tx, a *Row, typ string, at time.Time, data map[string]any) (auction.Event, error) {
	prev := a.LastHash
	e, hash := ChainEvent(a, typ, at, data)
	if _, err := tx.Exec(ctx, `INSERT INTO auction_events (auction_id, seq, type, at, data, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		a.ID, e.Seq, typ, e.At, e.Data, prev, hash); err != nil {
		a.Seq, a.LastHash = e.Seq-1, prev
		return e, err
	}
	return e, nil
}

// ChainEvent builds the next event of a locked auction, chained to the
// previous one, and advances a.Seq and a.LastHash; the caller writes it (the
// bid queue writes a whole batch's events in one statement).
func ChainEvent(a *Row, typ string, at time.Time, data map[string]any) (auction.Event, []byte) {
	if data == nil {
		data = map[string]any{}
	}
	e := auction.Event{Seq: a.Seq + 1, Type: typ, At: at.UTC(), Data: data, PrevHash: hex.EncodeToString(a.LastHash)}
	hash := auction.EventHash(a.ID, a.LastHash, e)
	e.Hash = hex.EncodeToString(hash)
	a.Seq, a.LastHash = e.Seq, hash
	return e, hash
}

// ScanEvent reads an event stored in auction_events (seq, type, at,
// data::text, prev_hash, hash).
func ScanEvent(r pgx.CollectableRow) (auction.Event, error) {
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

// HexHash is a hash as the record shows it.
func HexHash(h []byte) string { return hex.EncodeToString(h) }

// ListingColumns are a Listing's columns, from auctions a joined with its
// lot l and case c.
const ListingColumns = AuctionColumns + `, l.title, l.category, c.court_name, l.location, c.case_number`

// CollectListings scans the rows of a query of ListingColumns.
func (db *DB) CollectListings(rows pgx.Rows, err error) ([]auction.Listing, error) {
	if err != nil {
		return nil, err
	}
	now := db.Clock.Now()
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (auction.Listing, error) {
		var l auction.Listing
		a, err := ScanAuction(r, &l.Title, &l.Category, &l.CourtName, &l.Location, &l.CaseNumber)
		a.ServerTime = now
		l.Auction = a.Auction
		return l, err
	})
}
