package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestTestClockMoves: the test clock moves forward by advance_seconds or to
// set, and refuses, naming the field, a move backwards, both or neither, and
// a move too large to represent (which must never wrap around).
func TestTestClockMoves(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	start := s.now()
	r := s.do(t, "POST", "/api/v1/test/clock", s.clerk, map[string]any{"advance_seconds": 90})
	wantStatus(t, r, 200)
	var got struct{ Now time.Time }
	if err := json.Unmarshal(r.body, &got); err != nil || !got.Now.Equal(start.Add(90*time.Second)) {
		t.Fatalf("advance 90 s from %v: %s", start, r)
	}
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"advance_seconds": -1}, "advance_seconds"},
		{map[string]any{"advance_seconds": 10_000_000_000}, "advance_seconds"},
		{map[string]any{"advance_seconds": int64(18446744074)}, "advance_seconds"},
		{map[string]any{"advance_seconds": 1, "set": got.Now.Add(time.Hour).Format(time.RFC3339Nano)}, "advance_seconds"},
		{map[string]any{}, "advance_seconds"},
		{map[string]any{"set": start.Format(time.RFC3339Nano)}, "set"},
	} {
		r := s.do(t, "POST", "/api/v1/test/clock", s.clerk, tc.body)
		wantError(t, r, 422, "invalid_field")
		if !strings.Contains(string(r.body), tc.field) {
			t.Errorf("%v: the message does not name %s: %s", tc.body, tc.field, r)
		}
	}
	if now := s.now(); !now.Equal(got.Now) {
		t.Fatalf("a refused move moved the clock: %v, want %v", now, got.Now)
	}
	// The largest move allowed is a hundred years, and it is forward.
	r = s.do(t, "POST", "/api/v1/test/clock", s.clerk, map[string]any{"advance_seconds": 100 * 365 * 24 * 3600})
	wantStatus(t, r, 200)
	if now := s.now(); !now.After(got.Now.Add(99 * 365 * 24 * time.Hour)) {
		t.Fatalf("after the largest move: %v", now)
	}
}
