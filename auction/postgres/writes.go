package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
)

// writes are statements of one transaction sent to PostgreSQL together, in
// one round trip, rather than one after another: a tick writes the closes of
// a whole batch of auctions this way. They run in the order queued, and the
// first that fails aborts the transaction. Case notifications among them get
// their Hooks.Notify once they are written (flush).
type writes struct {
	pgx.Batch
	notifications []string
}

// flush sends the queued statements, then runs Hooks.Notify for each case
// notification among them.
func (s *Store) flush(ctx context.Context, tx pgx.Tx, w *writes) error {
	if w.Len() > 0 {
		if err := tx.SendBatch(ctx, &w.Batch).Close(); err != nil {
			return err
		}
	}
	if s.hooks.Notify != nil {
		for _, id := range w.notifications {
			if err := s.hooks.Notify(ctx, tx, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// event chains the next event of a locked auction, as appendEvent does, and
// queues its insert.
func (w *writes) event(a *row, typ string, at time.Time, data map[string]any) auction.Event {
	prev := a.lastHash
	e, hash := chainEvent(a, typ, at, data)
	w.Queue(`INSERT INTO auction_events (auction_id, seq, type, at, data, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		a.ID, e.Seq, typ, e.At, e.Data, prev, hash)
	return e
}
