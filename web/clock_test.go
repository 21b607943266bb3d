package web_test

import (
	"context"
	noticepg "gavel/auction/notice/postgres"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/postgres"
	"gavel/migrations/dbtest"
	"gavel/web"
)

// /readyz fails and /metrics says so when the clock is not in step with the
// database's; both show a clock that is.
func TestReadyzFollowsClock(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		maxAge time.Duration
		status int
		ready  string
	}{
		{"measured", time.Minute, http.StatusOK, "gavel_clock_ready 1"},
		// A nanosecond after its measurement, the clock is already too old.
		{"stale", time.Nanosecond, http.StatusServiceUnavailable, "gavel_clock_ready 0"},
	} {
		clock, err := postgres.NewDBClock(ctx, postgres.DBClockConfig{Pool: pool, MaxAge: c.maxAge, Local: func() time.Time { return time.Now().Add(time.Hour) }})
		if err != nil {
			t.Fatal(err)
		}
		store := postgres.New(postgres.Config{Pool: pool, Clock: clock, Rulebook: auction.SPC2016})
		srv := web.New(web.Config{Store: store, Log: slog.New(slog.DiscardHandler), NoLimits: true, Clock: clock, Notices: noticepg.New(pool, clock)}).Handler()
		get := func(path string) *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			return rec
		}
		if r := get("/readyz"); r.Code != c.status {
			t.Errorf("%s: /readyz %d %s, want %d", c.name, r.Code, r.Body, c.status)
		}
		m := get("/metrics").Body.String()
		if !strings.Contains(m, c.ready+"\n") || !strings.Contains(m, "gavel_clock_offset_seconds -3") {
			t.Errorf("%s: /metrics lacks %q or an offset of about -3600 s:\n%s", c.name, c.ready, m)
		}
	}
}
