package postgres_test

import (
	"testing"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/migrations/dbtest"
)

// setup returns a world on a database of the test's own, its clock
// standing at auctiontest.Start.
func setup(t *testing.T) *auctiontest.World {
	t.Helper()
	pool, _ := dbtest.Pool(t)
	return auctiontest.NewWorld(t, pool)
}

// tb is what the assertion helpers need: satisfied by *testing.T and by
// *rapid.T, so property tests check with the same helpers.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// idn is the valid identity number tests know a person key by: the same key
// is the same person wherever it is used (account, applicant, holder, list).
var idn = auctiontest.IDNumber

func wantCode(t tb, err error, code string) {
	t.Helper()
	if got := auction.ErrorCode(err); got != code || err == nil {
		t.Fatalf("want error %s, got %v", code, err)
	}
}
