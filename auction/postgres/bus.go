package postgres

import (
	"context"
	"errors"
	"gavel/auction/postgres/oversight"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Bus carries the live feed between processes sharing the database. The
// payload is tiny (an auction id and its last seq); the events themselves
// are always read from the table, so a lost or coalesced notification costs
// a little latency and never an event.
type Bus struct {
	pool *pgxpool.Pool
}

// NewBus returns the bus of the processes on pool's database.
func NewBus(pool *pgxpool.Pool) *Bus { return &Bus{pool: pool} }

const (
	// liveChannel is the NOTIFY channel every Gavel process listens on.
	liveChannel = "gavel_live"
	// listenerName marks the LISTEN connection in pg_stat_activity.
	listenerName = "gavel-live"
	// idleCheck is how long the LISTEN connection may stay silent before it
	// is made sure to be alive (a dead peer sends no error).
	idleCheck = 30 * time.Second
)

// Notify sends payloads to the other processes in one statement, so one
// commit (each NOTIFY commit takes a database-wide lock). Call it after the
// changes it announces have committed, never inside their transactions.
func (b *Bus) Notify(ctx context.Context, payloads []string) error {
	_, err := b.pool.Exec(ctx, `SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, liveChannel, payloads)
	return err
}

// Listen holds one LISTEN connection on the live channel and oversight.TokensChannel
// until it fails (its error) or ctx ends (nil). Once it listens on both it
// calls listening; then heard for every notification, with tokens true for
// oversight.TokensChannel, on the calling goroutine. The connection is dedicated,
// outside the pool, because it must stay open and idle.
func (b *Bus) Listen(ctx context.Context, listening func(), heard func(tokens bool, payload string)) error {
	cfg := b.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = listenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+liveChannel); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+oversight.TokensChannel); err != nil {
		return err
	}
	listening()
	for {
		wait, cancel := context.WithTimeout(ctx, idleCheck)
		n, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, context.DeadlineExceeded):
			if err := conn.Ping(ctx); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			heard(n.Channel == oversight.TokensChannel, n.Payload)
		}
	}
}

// Seqs returns the last seq of each of the auctions that exists, for the
// backstop poll that catches notifications lost on the way.
func (b *Bus) Seqs(ctx context.Context, ids []string) (map[string]int64, error) {
	rows, err := b.pool.Query(ctx, `SELECT id::text, seq FROM auctions WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, err
	}
	seqs := make(map[string]int64, len(ids))
	var id string
	var seq int64
	_, err = pgx.ForEachRow(rows, []any{&id, &seq}, func() error {
		seqs[id] = seq
		return nil
	})
	return seqs, err
}
