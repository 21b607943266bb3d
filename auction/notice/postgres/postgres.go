// Package postgres keeps watch lists and user notices in PostgreSQL: the
// outbox the database's triggers write notices into (in the transaction of
// their cause), the reminders the tick adds, the per-user numbering, reading
// and marking read, delivery preferences and the state of each notice's
// e-mail and SMS delivery.
package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/notice"
)

// Store is the notices' PostgreSQL adapter. It shares the database (and the
// clock) of the auction store, whose transactions its triggers join.
type Store struct {
	pool  *pgxpool.Pool
	clock auction.Clock
	// rulebooks give balance reminders the length of a legal day.
	rulebooks []auction.Rulebook
}

// New returns a Store on pool reading time from clock.
func New(pool *pgxpool.Pool, clock auction.Clock) *Store {
	return &Store{pool: pool, clock: clock, rulebooks: []auction.Rulebook{auction.SPC2016, auction.Demo}}
}

// translate turns a missing row or a malformed id (not a uuid, or not
// even UTF-8) into not_found.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.Is(err, pgx.ErrNoRows) || (errors.As(err, &pe) && (pe.Code == "22P02" || pe.Code == "22021")) {
		return auction.Errorf(auction.ENotFound, "%s not found", what)
	}
	return err
}

// Watch puts an auction on the user's watch list; watching it again changes
// nothing. Returns not_found for an unknown auction.
func (s *Store) Watch(ctx context.Context, userID, auctionID string) error {
	var exists bool
	err := s.pool.QueryRow(ctx, `WITH a AS (SELECT id FROM auctions WHERE id = $2),
		ins AS (INSERT INTO watchlist (user_id, auction_id, created_at) SELECT $1, id, $3 FROM a ON CONFLICT DO NOTHING)
		SELECT EXISTS (SELECT 1 FROM a)`, userID, auctionID, s.clock.Now()).Scan(&exists)
	if err = translate(err, "auction"); err == nil && !exists {
		err = auction.Errorf(auction.ENotFound, "auction not found")
	}
	return err
}

// Unwatch takes an auction off the user's watch list (whether or not it was
// on it). Returns not_found for an unknown auction.
func (s *Store) Unwatch(ctx context.Context, userID, auctionID string) error {
	var exists bool
	err := s.pool.QueryRow(ctx, `WITH a AS (SELECT id FROM auctions WHERE id = $2),
		del AS (DELETE FROM watchlist WHERE user_id = $1 AND auction_id IN (SELECT id FROM a))
		SELECT EXISTS (SELECT 1 FROM a)`, userID, auctionID).Scan(&exists)
	if err = translate(err, "auction"); err == nil && !exists {
		err = auction.Errorf(auction.ENotFound, "auction not found")
	}
	return err
}

// MaxWatchlist bounds the auctions GET /me/watchlist lists (newest first).
const MaxWatchlist = 500

// Watchlist returns the ids of the auctions the user watches, most recently
// added first.
func (s *Store) Watchlist(ctx context.Context, userID string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT auction_id::text FROM watchlist WHERE user_id = $1
		ORDER BY created_at DESC, auction_id LIMIT `+strconv.Itoa(MaxWatchlist), userID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// Watching reports whether the user watches the auction.
func (s *Store) Watching(ctx context.Context, userID, auctionID string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM watchlist WHERE user_id = $1 AND auction_id = $2)`, userID, auctionID).Scan(&ok)
	return ok, translate(err, "auction")
}

// Settings returns the user's delivery settings (zh-CN and everything on
// until they choose).
func (s *Store) Settings(ctx context.Context, userID string) (notice.Settings, error) {
	set := notice.Settings{Language: notice.LangZH, Off: map[string][]string{}}
	err := s.pool.QueryRow(ctx, `SELECT language FROM user_notice_settings WHERE user_id = $1`, userID).Scan(&set.Language)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return set, err
	}
	rows, err := s.pool.Query(ctx, `SELECT channel, type FROM user_notice_optouts WHERE user_id = $1 ORDER BY channel, type`, userID)
	if err != nil {
		return set, err
	}
	var ch, kind string
	_, err = pgx.ForEachRow(rows, []any{&ch, &kind}, func() error {
		set.Off[ch] = append(set.Off[ch], kind)
		return nil
	})
	return set, err
}

// SetSettings replaces the user's delivery settings. Returns invalid_field
// for an unknown language, channel or kind.
func (s *Store) SetSettings(ctx context.Context, userID string, set notice.Settings) error {
	if set.Language != notice.LangZH && set.Language != notice.LangEN {
		return auction.FieldError("language", "must be zh-CN or en")
	}
	var chans, kinds []string
	for ch, ks := range set.Off {
		if ch != notice.ChannelEmail && ch != notice.ChannelSMS {
			return auction.FieldError("off", "unknown channel %q", ch)
		}
		for _, k := range ks {
			if !notice.IsKind(k) {
				return auction.FieldError("off", "unknown kind of notice %q", k)
			}
			chans, kinds = append(chans, ch), append(kinds, k)
		}
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := s.unsubscribeKey(ctx, tx, userID); err != nil {
			return err
		}
		b := &pgx.Batch{}
		b.Queue(`UPDATE user_notice_settings SET language = $2, updated_at = $3 WHERE user_id = $1`, userID, set.Language, s.clock.Now())
		b.Queue(`DELETE FROM user_notice_optouts WHERE user_id = $1`, userID)
		b.Queue(`INSERT INTO user_notice_optouts (user_id, channel, type) SELECT $1, c, k FROM unnest($2::text[], $3::text[]) AS o(c, k)
			ON CONFLICT DO NOTHING`, userID, chans, kinds)
		return tx.SendBatch(ctx, b).Close()
	})
}

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// unsubscribeKey returns the key of the user's unsubscribe links, made on
// first use. It is random, not derived from the user's id, so a link names
// nobody and cannot be guessed.
func (s *Store) unsubscribeKey(ctx context.Context, q querier, userID string) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	var key string
	err := q.QueryRow(ctx, `INSERT INTO user_notice_settings (user_id, unsubscribe_key, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET user_id = excluded.user_id RETURNING unsubscribe_key`,
		userID, hex.EncodeToString(b), s.clock.Now()).Scan(&key)
	return key, err
}

// Unsubscribe turns kind off on channel for the user whose link key this is
// (one-click unsubscribe). Returns not_found for an unknown key and
// invalid_field for an unknown kind or channel.
func (s *Store) Unsubscribe(ctx context.Context, key, kind, channel string) error {
	if !notice.IsKind(kind) {
		return auction.FieldError("type", "unknown kind of notice")
	}
	if channel != notice.ChannelEmail && channel != notice.ChannelSMS {
		return auction.FieldError("channel", "must be email or sms")
	}
	var found bool
	err := s.pool.QueryRow(ctx, `WITH u AS (SELECT user_id FROM user_notice_settings WHERE unsubscribe_key = $1),
		ins AS (INSERT INTO user_notice_optouts (user_id, type, channel) SELECT user_id, $2, $3 FROM u ON CONFLICT DO NOTHING)
		SELECT EXISTS (SELECT 1 FROM u)`, key, kind, channel).Scan(&found)
	err = translate(err, "unsubscribe link")
	if err == nil && !found {
		err = auction.Errorf(auction.ENotFound, "unsubscribe link not found")
	}
	return err
}

var _ notice.Service = (*Store)(nil)
