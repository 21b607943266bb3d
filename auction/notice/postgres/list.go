package postgres

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"gavel/auction"
	"gavel/auction/notice"
)

// MaxList bounds the notices one List returns; More says when later ones
// exist.
const MaxList = 200

// List is a page of a user's notices (notice.List).
type List = notice.List

// List returns the user's notices with seq > since in increasing seq, after
// numbering those committed since the last call (sequence).
func (s *Store) List(ctx context.Context, userID string, since int64) (*List, error) {
	if since < 0 {
		return nil, auction.FieldError("since", "must be a non-negative integer")
	}
	if err := s.sequence(ctx, userID); err != nil {
		return nil, translate(err, "user")
	}
	rows, err := s.pool.Query(ctx, `SELECT n.id::text, n.seq, n.type, coalesce(n.auction_id::text, ''), n.created_at, n.updated_at, n.read_at, n.count, n.data, coalesce(l.title, ''), `+
		payInColumns+` FROM user_notices n LEFT JOIN auctions a ON a.id = n.auction_id LEFT JOIN lots l ON l.id = a.lot_id `+payInJoin+`
		WHERE n.user_id = $1 AND n.seq > $2 ORDER BY n.seq LIMIT `+strconv.Itoa(MaxList+1), userID, since)
	if err != nil {
		return nil, err
	}
	list := &List{}
	list.Notices, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (notice.Notice, error) {
		var n notice.Notice
		var p payIn
		err := r.Scan(append([]any{&n.ID, &n.Seq, &n.Type, &n.AuctionID, &n.CreatedAt, &n.UpdatedAt, &n.ReadAt, &n.Count, &n.Data, &n.Title}, p.dest()...)...)
		p.fill(&n)
		return n, err
	})
	if err != nil {
		return nil, err
	}
	if len(list.Notices) > MaxList {
		list.Notices, list.More = list.Notices[:MaxList], true
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM user_notices WHERE user_id = $1 AND read_at IS NULL`, userID).Scan(&list.Unread)
	return list, err
}

// sequence gives the user's committed notices that have no seq the next
// numbers, in the order they were written. It holds the user's counter row,
// so two sequencings of one user take turns and a number is never given
// twice; notices committed later get later numbers, so a reader's since
// never skips one.
func (s *Store) sequence(ctx context.Context, userID string) error {
	var waiting bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM user_notices WHERE user_id = $1 AND seq IS NULL)`, userID).Scan(&waiting); err != nil || !waiting {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var last int64
		if err := tx.QueryRow(ctx, `INSERT INTO user_notice_seqs (user_id, last_seq) VALUES ($1, 0)
			ON CONFLICT (user_id) DO UPDATE SET last_seq = user_notice_seqs.last_seq RETURNING last_seq`, userID).Scan(&last); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `WITH numbered AS (
				UPDATE user_notices n SET seq = $2 + p.rn
				FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM user_notices WHERE user_id = $1 AND seq IS NULL) p
				WHERE n.id = p.id AND n.seq IS NULL
				RETURNING n.seq)
			UPDATE user_notice_seqs SET last_seq = coalesce((SELECT max(seq) FROM numbered), last_seq) WHERE user_id = $1`, userID, last)
		return err
	})
}

// MarkRead marks the user's notices up to seq upTo read. Returns
// invalid_field for a negative upTo. Notices committed but not yet
// numbered are numbered first, as a List would: they take numbers after
// every one the reader has seen, so "up to" means the same whether or not
// the reader listed since they came (a huge upTo marks everything).
func (s *Store) MarkRead(ctx context.Context, userID string, upTo int64) error {
	if upTo < 0 {
		return auction.FieldError("up_to_seq", "must be a non-negative integer")
	}
	if err := s.sequence(ctx, userID); err != nil {
		return translate(err, "user")
	}
	_, err := s.pool.Exec(ctx, `UPDATE user_notices SET read_at = $3 WHERE user_id = $1 AND seq <= $2 AND read_at IS NULL`,
		userID, upTo, s.clock.Now())
	return err
}

// Remind adds the time-driven notices due at the clock's time: opening_soon
// (watchers and registered bidders, an hour before), ending_soon (qualified
// bidders, 10 minutes before the end), balance_due (the buyer, 3 days and 1
// day before the deadline, in the rulebook's days) and refund_overdue
// (finance, a released deposit unpaid 24 hours on). Each is claimed once in
// user_notice_reminders, in the statement that writes its notices, so any
// number of instances may remind at once. Only auctions still announced,
// bidding or sold qualify: a cancelled or suspended auction reminds nobody.
// It returns how many notices it wrote.
func (s *Store) Remind(ctx context.Context) (int64, error) {
	now := s.clock.Now()
	names, days := make([]string, len(s.rulebooks)), make([]float64, len(s.rulebooks))
	for i, rb := range s.rulebooks {
		names[i], days[i] = rb.Name, rb.Day.Seconds()
	}
	b := &pgx.Batch{}
	var total int64
	count := func(tag pgconn.CommandTag) error {
		total += tag.RowsAffected()
		return nil
	}
	b.Queue(remindOpeningSQL, now, notice.OpeningSoonBefore).Exec(count)
	b.Queue(remindEndingSQL, now, notice.EndingSoonBefore).Exec(count)
	for _, d := range notice.BalanceReminderDays {
		b.Queue(remindBalanceSQL, now, names, days, d).Exec(count)
	}
	b.Queue(remindRefundSQL, now, notice.RefundOverdueAfter).Exec(count)
	err := s.pool.SendBatch(ctx, b).Close()
	return total, err
}

// The reminders. Each claims its subjects (ON CONFLICT DO NOTHING: another
// instance's claim wins) and writes the notices of those it claimed.
const (
	remindOpeningSQL = `WITH due AS (
		INSERT INTO user_notice_reminders (subject, kind, at)
		SELECT a.id, 'opening_soon', $1 FROM auctions a
		WHERE a.status = 'announced' AND a.starts_at > $1 AND a.starts_at <= $1::timestamptz + $2::interval
			AND NOT EXISTS (SELECT 1 FROM user_notice_reminders m WHERE m.subject = a.id AND m.kind = 'opening_soon')
		ON CONFLICT DO NOTHING RETURNING subject)
	INSERT INTO user_notices (user_id, type, auction_id, cause, data, created_at, updated_at, deliver_due_at)
	SELECT u.user_id, 'opening_soon', a.id, 'remind', jsonb_build_object('starts_at', a.starts_at), $1, $1, $1
	FROM (SELECT w.user_id, w.auction_id FROM watchlist w JOIN due ON due.subject = w.auction_id
		UNION SELECT r.user_id, r.auction_id FROM registrations r JOIN due ON due.subject = r.auction_id) u
	JOIN auctions a ON a.id = u.auction_id
	ON CONFLICT DO NOTHING`

	remindEndingSQL = `WITH due AS (
		INSERT INTO user_notice_reminders (subject, kind, at)
		SELECT a.id, 'ending_soon', $1 FROM auctions a
		WHERE a.status = 'bidding' AND a.ends_at > $1 AND a.ends_at <= $1::timestamptz + $2::interval
			AND NOT EXISTS (SELECT 1 FROM user_notice_reminders m WHERE m.subject = a.id AND m.kind = 'ending_soon')
		ON CONFLICT DO NOTHING RETURNING subject)
	INSERT INTO user_notices (user_id, type, auction_id, cause, data, created_at, updated_at, deliver_due_at)
	SELECT r.user_id, 'ending_soon', a.id, 'remind', jsonb_build_object('ends_at', a.ends_at), $1, $1, $1
	FROM due JOIN auctions a ON a.id = due.subject
	JOIN registrations r ON r.auction_id = a.id AND r.bidder_code IS NOT NULL
	ON CONFLICT DO NOTHING`

	remindBalanceSQL = `WITH due AS (
		INSERT INTO user_notice_reminders (subject, kind, at)
		SELECT a.id, 'balance_due_' || $4::int, $1 FROM auctions a
		JOIN unnest($2::text[], $3::float8[]) AS rb(name, day_seconds) ON rb.name = a.rulebook
		WHERE a.status = 'sold' AND a.balance_due_at > $1
			AND a.balance_due_at <= $1::timestamptz + make_interval(secs => rb.day_seconds * $4::int)
			AND NOT EXISTS (SELECT 1 FROM user_notice_reminders m WHERE m.subject = a.id AND m.kind = 'balance_due_' || $4::int)
		ON CONFLICT DO NOTHING RETURNING subject)
	INSERT INTO user_notices (user_id, type, auction_id, cause, data, created_at, updated_at, deliver_due_at)
	SELECT r.user_id, 'balance_due', a.id, 'remind:' || $4::int || 'd',
		jsonb_build_object('balance_due_at', a.balance_due_at, 'days_left', $4::int,
			'outstanding', a.hammer_price - coalesce(d.amount, 0)
				- coalesce((SELECT sum(p.amount - p.excess) FROM balance_payments p WHERE p.auction_id = a.id), 0)),
		$1, $1, $1
	FROM due JOIN auctions a ON a.id = due.subject
	JOIN registrations r ON r.id = a.winner_registration_id
	LEFT JOIN deposits d ON d.registration_id = r.id AND d.status = 'applied'
	ON CONFLICT DO NOTHING`

	remindRefundSQL = `WITH due AS (
		INSERT INTO user_notice_reminders (subject, kind, at)
		SELECT d.id, 'refund_overdue', $1 FROM deposits d
		WHERE d.status = 'refund_pending' AND d.released_at <= $1::timestamptz - $2::interval
			AND NOT EXISTS (SELECT 1 FROM user_notice_reminders m WHERE m.subject = d.id AND m.kind = 'refund_overdue')
		ON CONFLICT DO NOTHING RETURNING subject)
	INSERT INTO user_notices (user_id, type, auction_id, cause, data, created_at, updated_at, deliver_due_at)
	SELECT u.id, 'refund_overdue', d.auction_id, 'deposit:' || d.id,
		jsonb_build_object('deposit_id', d.id, 'amount', d.amount, 'released_at', d.released_at), $1, $1, $1
	FROM due JOIN deposits d ON d.id = due.subject CROSS JOIN users u WHERE u.role = 'finance'
	ON CONFLICT DO NOTHING`
)
