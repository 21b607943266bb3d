package auction

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. They are the public vocabulary of API.md; the web layer maps
// each one to an HTTP status in a single table.
const (
	ENotFound        = "not_found"
	EInvalidRequest  = "invalid_request"
	EInvalidField    = "invalid_field"
	EUnauthenticated = "unauthenticated"
	EForbidden       = "forbidden"
	EInternal        = "internal"
	EUnavailable     = "service_unavailable"
	ERateLimited     = "rate_limited"

	EEmailTaken         = "email_taken"
	EWeakPassword       = "weak_password"
	EInvalidCredentials = "invalid_credentials"

	ECaseExists                 = "case_exists"
	EStartPriceTooLow           = "start_price_too_low"
	EPriceCutTooLarge           = "price_cut_too_large"
	ERoundNotAllowed            = "round_not_allowed"
	EDepositOutOfRange          = "deposit_out_of_range"
	EBiddingPeriodTooShort      = "bidding_period_too_short"
	EAnnouncementPeriodTooShort = "announcement_period_too_short"
	EInvalidState               = "invalid_state"

	EStaffCannotBid      = "staff_cannot_bid"
	EBidderRestricted    = "bidder_restricted"
	EBidderBarred        = "bidder_barred"
	EAlreadyRegistered   = "already_registered"
	ERegistrationClosed  = "registration_closed"
	EIdempotencyRequired = "idempotency_key_required"
	EIdempotencyReused   = "idempotency_key_reused"
	ENotQualified        = "not_qualified"
	EAlreadyLeading      = "already_leading"
	EAuctionNotOpen      = "auction_not_open"
	EBidTooLow           = "bid_too_low"
	EBidNotOnIncrement   = "bid_not_on_increment"

	EDepositNotPending = "deposit_not_pending"
	EAuctionNotSold    = "auction_not_sold"
	EOverpayment       = "overpayment"

	// EDuplicateReference: the entry's outside reference is already booked
	// for an entry of the same kind; nothing was booked.
	EDuplicateReference = "duplicate_reference"

	EIDNumberTaken = "id_number_taken"
	EBidTooHigh    = "bid_too_high"
)

// Error is Gavel's one domain error: a stable code for programs, a message for
// people, and, for bid refusals, the auction state the client needs to retry.
type Error struct {
	Code    string
	Message string
	Auction *State
	// Fields lists every problem of a request that failed several checks,
	// the first being Code and Message; nil otherwise.
	Fields []Problem
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf builds a domain error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of a domain error, or EInternal for anything else.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// FieldError reports a failed validation of one request field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EInvalidField, Message: field + ": " + fmt.Sprintf(format, args...)}
}

// Problem is one check a request fails: its code, the field it belongs to
// and the message, as the API's error would say it alone.
type Problem struct {
	Code    string `json:"code"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ruleFields names the field each rulebook refusal is about.
var ruleFields = map[string]string{
	EStartPriceTooLow:           "start_price",
	EPriceCutTooLarge:           "start_price",
	ERoundNotAllowed:            "round",
	EDepositOutOfRange:          "deposit",
	EBiddingPeriodTooShort:      "ends_at",
	EAnnouncementPeriodTooShort: "starts_at",
}

// Problems collects every check a request fails, in the order checked, so
// that a form can show all of them at once.
type Problems []Problem

// Add appends err's problem (a domain error; anything else is kept as
// internal).
func (ps *Problems) Add(err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Code: EInternal, Message: "internal error"}
	}
	field := ruleFields[e.Code]
	if e.Code == EInvalidField {
		field, _, _ = strings.Cut(e.Message, ":")
	}
	*ps = append(*ps, Problem{Code: e.Code, Field: field, Message: e.Message})
}

// Err is nil when nothing failed; otherwise the first problem as the error
// (its code and message exactly as if it were the only one, so the answer
// API.md names does not change) carrying the whole list in Fields.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return &Error{Code: ps[0].Code, Message: ps[0].Message, Fields: ps}
}
