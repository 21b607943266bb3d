package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestFirstGap(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	for _, tc := range []struct {
		name     string
		spans    []span
		gap      bool
		from, to int
	}{
		{"no runs", nil, true, 0, 5},
		{"one run covers", []span{{at(-60), at(10)}}, false, 0, 0},
		{"runs touch", []span{{at(-60), at(2)}, {at(2), at(10)}}, false, 0, 0},
		{"runs overlap out of order", []span{{at(1), at(10)}, {at(-5), at(3)}}, false, 0, 0},
		{"gap in the middle", []span{{at(-60), at(1)}, {at(3), at(10)}}, true, 1, 3},
		{"starts late", []span{{at(2), at(10)}}, true, 0, 2},
		{"ends early", []span{{at(-60), at(4)}}, true, 4, 5},
		{"run before the window only", []span{{at(-60), at(-1)}}, true, 0, 5},
		{"a run inside a longer one", []span{{at(-60), at(10)}, {at(1), at(2)}}, false, 0, 0},
		{"the later gap is not the first", []span{{at(-1), at(1)}, {at(2), at(3)}, {at(4), at(9)}}, true, 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, to, gap := firstGap(at(0), at(5), tc.spans)
			if gap != tc.gap || (gap && (!from.Equal(at(tc.from)) || !to.Equal(at(tc.to)))) {
				t.Fatalf("firstGap = %v %v..%v, want %v %v..%v", gap, from, to, tc.gap, at(tc.from), at(tc.to))
			}
		})
	}
}

func TestUnavailable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("something else"), false},
		{&pgconn.PgError{Code: "23505"}, false},
		{&pgconn.PgError{Code: "40001"}, false},
		{context.DeadlineExceeded, true},
		{fmt.Errorf("acquire: %w", context.DeadlineExceeded), true},
		{io.ErrUnexpectedEOF, true},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{&pgconn.PgError{Code: "57P01"}, true},
		{&pgconn.PgError{Code: "57P03"}, true},
		{&pgconn.PgError{Code: "08006"}, true},
		{&pgconn.PgError{Code: "53300"}, true},
		{errors.New("conn closed"), true},
		{errors.New("closed pool"), true},
	} {
		if got := unavailable(tc.err); got != tc.want {
			t.Errorf("unavailable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
