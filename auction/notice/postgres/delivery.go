package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/notice"
)

// StaleAfter is how old a notice may be and still be delivered: notices
// written while no mail server was configured are not sent in a flood when
// one is.
const StaleAfter = 24 * time.Hour

// ClaimDue takes up to limit notices whose delivery is due and marks them
// queued in tx, where the caller inserts their delivery jobs: a notice and
// its job commit together, and SKIP LOCKED lets several instances claim at
// once without taking the same one. An outbid notice whose bidder had an
// outbid delivery on the same auction within notice.OutbidMailGap is put
// off to the end of the gap instead; stale ones are skipped.
// It also returns how many it looked at, so a caller knows when none are left.
func (s *Store) ClaimDue(ctx context.Context, tx pgx.Tx, limit int) ([]int64, int, error) {
	now := s.clock.Now()
	rows, err := tx.Query(ctx, `WITH due AS (
			SELECT id, type, user_id, auction_id, updated_at FROM user_notices
			WHERE delivery = 'pending' AND deliver_due_at <= $1
			ORDER BY deliver_due_at, id LIMIT `+strconv.Itoa(limit)+` FOR UPDATE SKIP LOCKED),
		gap AS (
			SELECT due.id, max(o.delivered_at) + $2::interval AS until FROM due
			JOIN user_notices o ON o.user_id = due.user_id AND o.auction_id = due.auction_id AND o.type = 'outbid' AND o.id <> due.id
			WHERE due.type = 'outbid' GROUP BY due.id)
		UPDATE user_notices n SET
			delivery = CASE WHEN due.updated_at < $1::timestamptz - $3::interval THEN 'skipped'
				WHEN gap.until > $1 THEN 'pending' ELSE 'queued' END,
			deliver_due_at = CASE WHEN gap.until > $1 THEN gap.until ELSE n.deliver_due_at END
		FROM due LEFT JOIN gap ON gap.id = due.id
		WHERE n.id = due.id
		RETURNING n.id, n.delivery`, now, notice.OutbidMailGap, StaleAfter)
	if err != nil {
		return nil, 0, err
	}
	var queued []int64
	var id int64
	var state string
	tag, err := pgx.ForEachRow(rows, []any{&id, &state}, func() error {
		if state == "queued" {
			queued = append(queued, id)
		}
		return nil
	})
	return queued, int(tag.RowsAffected()), err
}

// Delivery is what delivering one notice needs: the notice, where to send
// it, the user's choices, and which channels already sent this version.
type Delivery struct {
	notice.Notice
	// Queued is false when the notice is no longer waiting for this
	// delivery (delivered already, or never claimed).
	Queued       bool
	Email, Phone string
	Settings     notice.Settings
	// UnsubscribeKey makes the one-click unsubscribe links.
	UnsubscribeKey string
	// Title is the lot's title, the auction's name for people.
	Title string
	// Sent holds the channels that already sent Count (a retry skips them).
	Sent map[string]bool
}

// Delivery reads notice id for its delivery job, in one round trip (the
// unsubscribe key is made the first time a user is written to).
func (s *Store) Delivery(ctx context.Context, id int64) (*Delivery, error) {
	d := &Delivery{Sent: map[string]bool{}, Settings: notice.Settings{Off: map[string][]string{}}}
	var userID, state string
	var lang, key *string
	var off, sent []string
	var p payIn
	err := s.pool.QueryRow(ctx, `SELECT n.id::text, n.user_id::text, n.type, coalesce(n.auction_id::text, ''), n.created_at, n.updated_at, n.count, n.data,
			n.delivery, u.email, u.phone, coalesce(l.title, ''), st.language, st.unsubscribe_key,
			ARRAY(SELECT o.channel || ':' || o.type FROM user_notice_optouts o WHERE o.user_id = n.user_id),
			ARRAY(SELECT x.channel FROM user_notice_sends x WHERE x.notice_id = n.id AND x.version = n.count), `+payInColumns+`
		FROM user_notices n JOIN users u ON u.id = n.user_id
		LEFT JOIN auctions a ON a.id = n.auction_id LEFT JOIN lots l ON l.id = a.lot_id `+payInJoin+`
		LEFT JOIN user_notice_settings st ON st.user_id = n.user_id
		WHERE n.id = $1`, id).Scan(append([]any{&d.ID, &userID, &d.Type, &d.AuctionID, &d.CreatedAt, &d.UpdatedAt, &d.Count, &d.Data,
		&state, &d.Email, &d.Phone, &d.Title, &lang, &key, &off, &sent}, p.dest()...)...)
	if err != nil {
		return nil, translate(err, "notice")
	}
	p.fill(&d.Notice)
	d.Queued = state == "queued"
	d.Settings.Language = notice.LangZH
	if lang != nil {
		d.Settings.Language = *lang
	}
	for _, o := range off {
		ch, kind, _ := strings.Cut(o, ":")
		d.Settings.Off[ch] = append(d.Settings.Off[ch], kind)
	}
	for _, ch := range sent {
		d.Sent[ch] = true
	}
	if key != nil {
		d.UnsubscribeKey = *key
		return d, nil
	}
	d.UnsubscribeKey, err = s.unsubscribeKey(ctx, s.pool, userID)
	return d, err
}

// RecordSend notes that channel sent version of notice id.
func (s *Store) RecordSend(ctx context.Context, id int64, channel string, version int) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO user_notice_sends (notice_id, channel, version, sent_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, id, channel, version, s.clock.Now())
	return err
}

// FinishDelivery ends the delivery of version of notice id. An outbid
// notice that counted more outbids meanwhile is due again at the end of
// the gap, saying the new count.
func (s *Store) FinishDelivery(ctx context.Context, id int64, version int) error {
	now := s.clock.Now()
	_, err := s.pool.Exec(ctx, `UPDATE user_notices SET delivered_count = $2, delivered_at = $3,
			delivery = CASE WHEN count > $2 THEN 'pending' ELSE 'done' END,
			deliver_due_at = CASE WHEN count > $2 THEN $3::timestamptz + $4::interval ELSE deliver_due_at END
		WHERE id = $1 AND delivery = 'queued'`, id, version, now, notice.OutbidMailGap)
	return err
}

// payInColumns and payInJoin read, beside a notice n of auction a, the
// court's receiving account and the bidder's transfer note code for the
// kinds of notice that ask for a payment; read when the notice is shown or
// sent, so an account the court sets later still appears.
const (
	payInColumns = `ca.court_name, ca.account_name, ca.bank, ca.account_number,
		(SELECT pd.pay_reference FROM registrations pr JOIN deposits pd ON pd.registration_id = pr.id
		 WHERE pr.auction_id = n.auction_id AND pr.user_id = n.user_id AND pd.provider = 'bank' AND pd.amount > 0)`
	payInJoin = `LEFT JOIN cases pc ON pc.id = a.case_id AND n.type IN ('won', 'balance_due')
		LEFT JOIN court_accounts ca ON ca.court_name = pc.court_name`
)

// payIn is what payInColumns read.
type payIn struct{ court, name, bank, number, reference *string }

func (p *payIn) dest() []any { return []any{&p.court, &p.name, &p.bank, &p.number, &p.reference} }

func (p *payIn) fill(n *notice.Notice) {
	if p.court == nil {
		return
	}
	n.PayTo = &auction.PayTo{CourtName: *p.court, AccountName: *p.name, Bank: *p.bank, AccountNumber: *p.number}
	if p.reference != nil {
		n.PayReference = *p.reference
	}
}
