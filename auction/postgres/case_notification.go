package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"gavel/auction"
)

// NotificationBody returns the exact bytes every delivery of a notification
// sends: the stored body as PostgreSQL renders it, which is the same on every
// read, so a retry carries the same id and a signature over the same bytes.
func (s *Store) NotificationBody(ctx context.Context, id string) ([]byte, error) {
	var body string
	err := s.pool.QueryRow(ctx, `SELECT body::text FROM case_notifications WHERE id = $1`, id).Scan(&body)
	if err != nil {
		return nil, translate(err, "notification")
	}
	return []byte(body), nil
}

// RecordDelivery appends one delivery attempt to a notification's history;
// a 2xx status marks it delivered (the first success is kept).
func (s *Store) RecordDelivery(ctx context.Context, id string, a DeliveryAttempt) error {
	tag, err := s.pool.Exec(ctx, `WITH n AS (
			UPDATE case_notifications SET attempts = attempts + 1, last_status = $2, last_error = $3,
				delivered_at = CASE WHEN $2::int BETWEEN 200 AND 299 THEN coalesce(delivered_at, $4) ELSE delivered_at END
			WHERE id = $1 RETURNING attempts)
		INSERT INTO case_notification_attempts (notification_id, attempt, manual, status, error, started_at, duration_ms)
		SELECT $1, attempts, $5, $2, $3, $4, $6 FROM n`, id, a.Status, a.Error, a.StartedAt.UTC(), a.Manual, a.DurationMS)
	if err != nil {
		return translate(err, "notification")
	}
	if tag.RowsAffected() == 0 {
		return auction.Errorf(auction.ENotFound, "notification not found")
	}
	return nil
}

const notificationColumns = `n.id, n.type, n.case_id, n.auction_id::text, n.created_at, n.delivered_at, n.attempts, n.last_status, n.last_error, n.body::text,
	coalesce((SELECT json_agg(json_build_object('attempt', h.attempt, 'manual', h.manual, 'status', h.status, 'error', h.error,
		'started_at', h.started_at, 'duration_ms', h.duration_ms) ORDER BY h.id) FROM case_notification_attempts h WHERE h.notification_id = n.id), '[]')`

func scanNotification(r pgx.Row) (CaseNotification, error) {
	var n CaseNotification
	var body string
	err := r.Scan(&n.ID, &n.Type, &n.CaseID, &n.AuctionID, &n.CreatedAt, &n.DeliveredAt, &n.Attempts, &n.LastStatus, &n.LastError, &body, &n.History)
	n.Body = json.RawMessage(body)
	n.CreatedAt = n.CreatedAt.UTC()
	for i := range n.History {
		n.History[i].StartedAt = n.History[i].StartedAt.UTC()
	}
	return n, err
}

// CaseNotification returns one notification with its delivery history.
func (s *Store) CaseNotification(ctx context.Context, id string) (*CaseNotification, error) {
	n, err := scanNotification(s.pool.QueryRow(ctx, `SELECT `+notificationColumns+` FROM case_notifications n WHERE n.id = $1`, id))
	if err != nil {
		return nil, translate(err, "notification")
	}
	return &n, nil
}

// CaseNotifications lists a case's notifications, oldest first, each with
// its delivery history. Returns not_found for an unknown case.
func (s *Store) CaseNotifications(ctx context.Context, caseID string) ([]CaseNotification, error) {
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT true FROM cases WHERE id = $1`, caseID).Scan(&exists); err != nil {
		return nil, translate(err, "case")
	}
	rows, err := s.pool.Query(ctx, `SELECT `+notificationColumns+` FROM case_notifications n WHERE n.case_id = $1 ORDER BY n.created_at, n.id`, caseID)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CaseNotification, error) { return scanNotification(r) })
	if out == nil {
		out = []CaseNotification{}
	}
	return out, err
}

// notificationSQL records a notification about an auction. The case number
// in its body is taken from cases by the statement itself, which spares a
// round trip to look it up first.
const notificationSQL = `INSERT INTO case_notifications (id, type, case_id, auction_id, body, created_at)
	SELECT $1, $2, c.id, $4, $5::jsonb || jsonb_build_object('case_number', c.case_number), $6 FROM cases c WHERE c.id = $3`

// notify queues an outbound case-system notification about a, with the body
// of API.md's case-system webhook, created at now: the time of the state
// change it reports, in whose transaction it is written. Its delivery is a
// durable job (Hooks.Notify), which runs when the writes are flushed.
func (w *writes) notify(a *row, typ string, data map[string]any, now time.Time) {
	id := newUUID()
	payload := map[string]any{}
	for k, v := range data {
		payload[k] = v
	}
	payload["round"] = a.Round
	payload["lot_id"] = a.LotID
	payload["record_hash"] = hexHash(a.lastHash)
	body := map[string]any{"id": id, "type": typ, "created_at": stamp(now), "auction_id": a.ID, "data": payload}
	w.Queue(notificationSQL, id, typ, a.CaseID, a.ID, body, now).Exec(func(tag pgconn.CommandTag) error {
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("notification %s: case %s not found", typ, a.CaseID)
		}
		return nil
	})
	w.notifications = append(w.notifications, id)
}

// notifyCaseOnly records a notification about a whole case (no auction),
// such as proceeds.remitted, with the body of API.md's case-system webhook.
func (s *Store) notifyCaseOnly(ctx context.Context, tx pgx.Tx, caseID, caseNumber, typ string, data map[string]any) (string, error) {
	id := newUUID()
	now := s.clock.Now()
	body := map[string]any{"id": id, "type": typ, "created_at": stamp(now), "case_number": caseNumber, "auction_id": nil, "data": data}
	if _, err := tx.Exec(ctx, `INSERT INTO case_notifications (id, type, case_id, auction_id, body, created_at) VALUES ($1, $2, $3, NULL, $4, $5)`,
		id, typ, caseID, body, now); err != nil {
		return "", err
	}
	if s.hooks.Notify != nil {
		return id, s.hooks.Notify(ctx, tx, id)
	}
	return id, nil
}
