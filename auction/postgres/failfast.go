package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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

// unavailable reports whether err means the database could not be reached or
// could not answer in time, as opposed to a mistake in a request or in Gavel:
// callers answer 503 service_unavailable and the client may retry.
func unavailable(err error) bool {
	if err == nil {
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed),
		errors.As(err, &ce), errors.As(err, &ne), pgconn.Timeout(err):
		return true
	case errors.As(err, &pe):
		// Class 08: connection exception; 57P01..57P03: the server is shutting
		// down, crashed or is starting; 53300: too many connections.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" ||
			pe.Code == "57P03" || pe.Code == "53300"
	}
	// pgx reports a connection it gave up on in words only.
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "failed to connect") ||
		strings.Contains(msg, "failed to deallocate cached statement") || strings.Contains(msg, "connection reset") || strings.Contains(msg, "closed pool")
}
