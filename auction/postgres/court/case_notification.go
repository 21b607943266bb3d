package court

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/casereport"
	"gavel/auction/postgres/internal/pgtx"
)

// NotificationBody returns the exact bytes every delivery of a notification
// sends: the stored body as PostgreSQL renders it, which is the same on every
// read, so a retry carries the same id and a signature over the same bytes.
func (s *Store) NotificationBody(ctx context.Context, id string) ([]byte, error) {
	var body string
	err := s.db.Pool.QueryRow(ctx, `SELECT body::text FROM case_notifications WHERE id = $1`, id).Scan(&body)
	if err != nil {
		return nil, pgtx.Translate(err, "notification")
	}
	return []byte(body), nil
}

// RecordDelivery appends one delivery attempt to a notification's history;
// a 2xx status marks it delivered (the first success is kept).
func (s *Store) RecordDelivery(ctx context.Context, id string, a casereport.DeliveryAttempt) error {
	tag, err := s.db.Pool.Exec(ctx, `WITH n AS (
			UPDATE case_notifications SET attempts = attempts + 1, last_status = $2, last_error = $3,
				delivered_at = CASE WHEN $2::int BETWEEN 200 AND 299 THEN coalesce(delivered_at, $4) ELSE delivered_at END
			WHERE id = $1 RETURNING attempts)
		INSERT INTO case_notification_attempts (notification_id, attempt, manual, status, error, started_at, duration_ms)
		SELECT $1, attempts, $5, $2, $3, $4, $6 FROM n`, id, a.Status, a.Error, a.StartedAt.UTC(), a.Manual, a.DurationMS)
	if err != nil {
		return pgtx.Translate(err, "notification")
	}
	if tag.RowsAffected() == 0 {
		return auction.Errorf(auction.ENotFound, "notification not found")
	}
	return nil
}

const notificationColumns = `n.id, n.type, n.case_id, n.auction_id::text, n.created_at, n.delivered_at, n.attempts, n.last_status, n.last_error, n.body::text,
	coalesce((SELECT json_agg(json_build_object('attempt', h.attempt, 'manual', h.manual, 'status', h.status, 'error', h.error,
		'started_at', h.started_at, 'duration_ms', h.duration_ms) ORDER BY h.id) FROM case_notification_attempts h WHERE h.notification_id = n.id), '[]')`

func scanNotification(r pgx.Row) (casereport.CaseNotification, error) {
	var n casereport.CaseNotification
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
func (s *Store) CaseNotification(ctx context.Context, id string) (*casereport.CaseNotification, error) {
	n, err := scanNotification(s.db.Pool.QueryRow(ctx, `SELECT `+notificationColumns+` FROM case_notifications n WHERE n.id = $1`, id))
	if err != nil {
		return nil, pgtx.Translate(err, "notification")
	}
	return &n, nil
}

// CaseNotifications lists a case's notifications, oldest first, each with
// its delivery history. Returns not_found for an unknown case.
func (s *Store) CaseNotifications(ctx context.Context, caseID string) ([]casereport.CaseNotification, error) {
	var exists bool
	if err := s.db.Pool.QueryRow(ctx, `SELECT true FROM cases WHERE id = $1`, caseID).Scan(&exists); err != nil {
		return nil, pgtx.Translate(err, "case")
	}
	scan := func(r pgx.CollectableRow) (casereport.CaseNotification, error) { return scanNotification(r) }
	return pgtx.List(ctx, s.db.Pool, scan, `SELECT `+notificationColumns+` FROM case_notifications n WHERE n.case_id = $1 ORDER BY n.created_at, n.id`, caseID)
}
