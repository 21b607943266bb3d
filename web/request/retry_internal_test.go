package request

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"gavel/auction"
)

// sqlError is a database error as the driver reports it: its SQLSTATE.
type sqlError struct{ code string }

func (e *sqlError) Error() string    { return "ERROR: (SQLSTATE " + e.code + ")" }
func (e *sqlError) SQLState() string { return e.code }

// A transaction the database aborted for another's sake (a deadlock, a
// serialization failure) is answered 503 service_unavailable, to be sent
// again, and not counted as an outage; any other database error stays an
// internal error.
func TestDescribeRetryableDatabaseErrors(t *testing.T) {
	t.Parallel()
	never := func(error) bool { return false }
	for _, tc := range []struct {
		code   string
		status int
		fault  Fault
		answer string
	}{
		{"40P01", http.StatusServiceUnavailable, Retry, auction.EUnavailable},  // deadlock_detected
		{"40001", http.StatusServiceUnavailable, Retry, auction.EUnavailable},  // serialization_failure
		{"23505", http.StatusInternalServerError, Internal, auction.EInternal}, // unique_violation: a bug, not a race to retry
		{"57014", http.StatusInternalServerError, Internal, auction.EInternal}, // query_canceled
	} {
		err := fmt.Errorf("importing a statement: %w", &sqlError{tc.code})
		st, body, fault := Describe(err, never)
		if st != tc.status || fault != tc.fault || body.Error.Code != tc.answer {
			t.Errorf("SQLSTATE %s: %d %v %q, want %d %v %q", tc.code, st, fault, body.Error.Code, tc.status, tc.fault, tc.answer)
		}
	}
	// An outage is still an outage, whatever else the error says.
	outage := errors.New("conn closed")
	if st, _, fault := Describe(outage, func(error) bool { return true }); st != http.StatusServiceUnavailable || fault != Outage {
		t.Errorf("outage: %d %v", st, fault)
	}
}
