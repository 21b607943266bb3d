package pgtx

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"gavel/auction"
)

// Writes are statements of one transaction sent to PostgreSQL together, in
// one round trip, rather than one after another: a tick writes the closes of
// a whole batch of auctions this way. They run in the order queued, and the
// first that fails aborts the transaction. Case notifications among them get
// their Hooks.Notify once they are written (Flush).
type Writes struct {
	pgx.Batch
	notifications []string
}

// Flush sends the queued statements, then runs Hooks.Notify for each case
// notification among them.
func (db *DB) Flush(ctx context.Context, tx pgx.Tx, w *Writes) error {
	if w.Len() > 0 {
		if err := tx.SendBatch(ctx, &w.Batch).Close(); err != nil {
			return err
		}
	}
	if db.Hooks.Notify != nil {
		for _, id := range w.notifications {
			if err := db.Hooks.Notify(ctx, tx, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// Event chains the next event of a locked auction, as AppendEvent does, and
// queues its insert.
func (w *Writes) Event(a *Row, typ string, at time.Time, data map[string]any) auction.Event {
	prev := a.LastHash
	e, hash := ChainEvent(a, typ, at, data)
	w.Queue(`INSERT INTO auction_events (auction_id, seq, type, at, data, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		a.ID, e.Seq, typ, e.At, e.Data, prev, hash)
	return e
}

// notificationSQL records a notification about an auction. The case number
// in its body is taken from cases by the statement itself, which spares a
// round trip to look it up first.
const notificationSQL = `INSERT INTO case_notifications (id, type, case_id, auction_id, body, created_at)
	SELECT $1, $2, c.id, $4, $5::jsonb || jsonb_build_object('case_number', c.case_number), $6 FROM cases c WHERE c.id = $3`

// Notify queues an outbound case-system notification about a, with the body
// of API.md's case-system webhook, created at now: the time of the state
// change it reports, in whose transaction it is written. Its delivery is a
// durable job (Hooks.Notify), which runs when the writes are flushed.
func (w *Writes) Notify(a *Row, typ string, data map[string]any, now time.Time) {
	id := NewUUID()
	payload := map[string]any{}
	for k, v := range data {
		payload[k] = v
	}
	payload["round"] = a.Round
	payload["lot_id"] = a.LotID
	payload["record_hash"] = HexHash(a.LastHash)
	body := map[string]any{"id": id, "type": typ, "created_at": Stamp(now), "auction_id": a.ID, "data": payload}
	w.Queue(notificationSQL, id, typ, a.CaseID, a.ID, body, now).Exec(func(tag pgconn.CommandTag) error {
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("notification %s: case %s not found", typ, a.CaseID)
		}
		return nil
	})
	w.notifications = append(w.notifications, id)
}

// NotifyCaseOnly records a notification about a whole case (no auction),
// such as proceeds.remitted, with the body of API.md's case-system webhook.
func (db *DB) NotifyCaseOnly(ctx context.Context, tx pgx.Tx, caseID, caseNumber, typ string, data map[string]any) (string, error) {
	id := NewUUID()
	now := db.Clock.Now()
	body := map[string]any{"id": id, "type": typ, "created_at": Stamp(now), "case_number": caseNumber, "auction_id": nil, "data": data}
	if _, err := tx.Exec(ctx, `INSERT INTO case_notifications (id, type, case_id, auction_id, body, created_at) VALUES ($1, $2, $3, NULL, $4, $5)`,
		id, typ, caseID, body, now); err != nil {
		return "", err
	}
	if db.Hooks.Notify != nil {
		return id, db.Hooks.Notify(ctx, tx, id)
	}
	return id, nil
}
