package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Pool bounds that make a request fail fast, with 503 service_unavailable,
// when the database is down or hung, instead of holding the bidder (and a
// goroutine, and a socket) until TCP gives up minutes later.
const (
	// ConnectTimeout bounds dialling and the startup handshake of a new
	// connection (connect_timeout), unless the database URL sets one.
	ConnectTimeout = 2 * time.Second
	// AcquireTimeout bounds the wait for a pooled connection: a full pool
	// whose connections are stuck on an unreachable server answers within it.
	AcquireTimeout = 3 * time.Second
)

// FailFast configures a pool so that no request waits on an unreachable
// database for longer than the bounds above: connect_timeout, and a deadline
// on every acquire (which also bounds the liveness ping of an idle
// connection). Queries on a connection already held are bounded by the
// caller's context.
func FailFast(c *pgxpool.Config) {
	if c.ConnConfig.ConnectTimeout == 0 {
		c.ConnConfig.ConnectTimeout = ConnectTimeout
	}
	if c.ConnConfig.Tracer == nil {
		c.ConnConfig.Tracer = acquireBound{AcquireTimeout}
	}
	if c.PingTimeout == 0 {
		c.PingTimeout = ConnectTimeout
	}
}

// acquireBound is a pgxpool.AcquireTracer whose only job is the deadline:
// pgxpool uses the context TraceAcquireStart returns for the whole acquire.
// pgx only takes tracers that trace queries too; those methods do nothing.
type acquireBound struct{ d time.Duration }

var _ pgxpool.AcquireTracer = acquireBound{}

func (acquireBound) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (acquireBound) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

type acquireCancel struct{}

func (b acquireBound) TraceAcquireStart(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireStartData) context.Context {
	ctx, cancel := context.WithTimeout(ctx, b.d)
	return context.WithValue(ctx, acquireCancel{}, cancel)
}

func (acquireBound) TraceAcquireEnd(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireEndData) {
	if cancel, ok := ctx.Value(acquireCancel{}).(context.CancelFunc); ok {
		cancel()
	}
}
