package main

import (
	"net/http"
	"regexp"
	"testing"
	"time"
)

// TestTimesInUTCWhateverTheZone: API.md's times are RFC 3339 in UTC even
// when the server's machine runs in another zone; times read back from the
// database included (announced_at, created_at).
func TestTimesInUTCWhateverTheZone(t *testing.T) {
	t.Parallel()
	e := newFaultEnv(t, true)
	starts := e.clock.Now().Add(31 * 24 * time.Hour)
	a := e.auction(t, starts, starts.Add(24*time.Hour))
	c := startChild(t, faultBinary(t), e.dbURL, "shanghai", "TZ=Asia/Shanghai")
	withOffset := regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d"`)
	inUTC := regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"`)
	for _, path := range []string{"/api/v1/auctions/" + a.ID, "/api/v1/cases/" + a.CaseID, "/api/v1/lots/" + a.LotID} {
		r, err := call(c.url, http.MethodGet, path, e.clerk, nil)
		if err != nil || r.status != http.StatusOK {
			t.Fatalf("GET %s: %v %d %s", path, err, r.status, r.raw)
		}
		if m := withOffset.Find(r.raw); m != nil {
			t.Errorf("GET %s: a time with an offset, %s, in %s", path, m, r.raw)
		}
		if !inUTC.Match(r.raw) {
			t.Errorf("GET %s: no time in UTC in %s", path, r.raw)
		}
	}
}
