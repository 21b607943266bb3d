package request

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"gavel/auction"
)

// Status maps every domain error code to its HTTP status: the one table.
var Status = map[string]int{
	auction.ENotFound:        http.StatusNotFound,
	auction.EInvalidRequest:  http.StatusBadRequest,
	auction.EInvalidField:    http.StatusUnprocessableEntity,
	auction.EUnauthenticated: http.StatusUnauthorized,
	auction.EForbidden:       http.StatusForbidden,
	auction.EInternal:        http.StatusInternalServerError,
	auction.EUnavailable:     http.StatusServiceUnavailable,
	auction.ERateLimited:     http.StatusTooManyRequests,
	"body_too_large":         http.StatusRequestEntityTooLarge,
	"method_not_allowed":     http.StatusMethodNotAllowed,

	auction.EEmailTaken:         http.StatusConflict,
	auction.EWeakPassword:       http.StatusUnprocessableEntity,
	auction.EInvalidCredentials: http.StatusUnauthorized,

	auction.ECaseExists:                 http.StatusConflict,
	auction.EStartPriceTooLow:           http.StatusUnprocessableEntity,
	auction.EPriceCutTooLarge:           http.StatusUnprocessableEntity,
	auction.ERoundNotAllowed:            http.StatusUnprocessableEntity,
	auction.EDepositOutOfRange:          http.StatusUnprocessableEntity,
	auction.EBiddingPeriodTooShort:      http.StatusUnprocessableEntity,
	auction.EAnnouncementPeriodTooShort: http.StatusUnprocessableEntity,
	auction.EInvalidState:               http.StatusConflict,

	auction.EStaffCannotBid:      http.StatusForbidden,
	auction.EBidderRestricted:    http.StatusForbidden,
	auction.EBidderBarred:        http.StatusForbidden,
	auction.EAlreadyRegistered:   http.StatusConflict,
	auction.ERegistrationClosed:  http.StatusConflict,
	auction.EIdempotencyRequired: http.StatusBadRequest,
	auction.EIdempotencyReused:   http.StatusConflict,
	auction.ENotQualified:        http.StatusForbidden,
	auction.EAlreadyLeading:      http.StatusConflict,
	auction.EAuctionNotOpen:      http.StatusConflict,
	auction.EBidTooLow:           http.StatusUnprocessableEntity,
	auction.EBidNotOnIncrement:   http.StatusUnprocessableEntity,

	auction.EDepositNotPending: http.StatusConflict,
	auction.EAuctionNotSold:    http.StatusConflict,
	auction.EOverpayment:       http.StatusUnprocessableEntity,

	auction.EDuplicateReference: http.StatusConflict,

	auction.EIDNumberTaken: http.StatusConflict,
	auction.EBidTooHigh:    http.StatusUnprocessableEntity,
}

// EchoCodes names Echo's own errors (by status) in the same vocabulary.
var EchoCodes = map[int]string{
	http.StatusNotFound:              auction.ENotFound,
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestEntityTooLarge: "body_too_large",
	http.StatusUnauthorized:          auction.EUnauthenticated,
	http.StatusForbidden:             auction.EForbidden,
	http.StatusBadRequest:            auction.EInvalidRequest,
	http.StatusTooManyRequests:       auction.ERateLimited,
	http.StatusServiceUnavailable:    auction.EUnavailable,
}

// ErrorBody is API.md's error answer, {"error":{"code","message"}}, with the
// auction's state on a bid refusal and, beside it, every field problem of
// a request that failed several checks.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Auction *auction.State `json:"auction,omitempty"`
	// Fields lists every problem of a request that failed several checks
	// (the first is error itself), so a form shows them all at once.
	Fields []auction.Problem `json:"fields,omitempty"`
}

// ErrorStatus is the status the server answers for err; unavailable tells
// an outage of the storage (the store's Unavailable).
func ErrorStatus(err error, unavailable func(error) bool) int {
	st, _, _ := Describe(err, unavailable)
	return st
}

// ErrorCode is the error code the server answers for err.
func ErrorCode(err error) string {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if code := EchoCodes[he.Code]; code != "" {
			return code
		}
	}
	return auction.ErrorCode(err)
}

// PageStatus is the code of an error shown as a page (Echo's own errors
// included) and its status in the one table; known is false for an error
// the table does not name.
func PageStatus(err error) (code string, st int, known bool) {
	code = auction.ErrorCode(err)
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code = EchoCodes[he.Code]
	}
	st, known = Status[code]
	return code, st, known
}

// retryable tells a transaction the database aborted for another's sake
// (SQLSTATE class 40: serialization_failure, deadlock_detected): nothing was
// written and the same request sent again succeeds or is refused on its
// merits, so it is no internal error. The database's errors are recognised
// by their SQLState method, which keeps the driver out of the web layer.
func retryable(err error) bool {
	var pe interface{ SQLState() string }
	return errors.As(err, &pe) && strings.HasPrefix(pe.SQLState(), "40")
}

// Fault says whether an answered error was one of the vocabulary's.
type Fault int

const (
	// Refusal is an error of the vocabulary: the client is told its code.
	Refusal Fault = iota
	// Outage is a database that could not be reached: 503, worth a warning.
	Outage
	// Retry is a transaction PostgreSQL aborted to break a deadlock or keep
	// the outcome serialisable: 503, sent again it goes through; worth a
	// warning, but the database is up.
	Retry
	// Internal is anything else: logged, shown as "internal error".
	Internal
)

// Describe is err as a client is told it, over HTTP or the live socket: the
// status, the body and whether the server must log it. unavailable tells an
// outage of the storage, which only the storage's adapter can recognise
// (the store's Unavailable).
func Describe(err error, unavailable func(error) bool) (int, ErrorBody, Fault) {
	var body ErrorBody
	var de *auction.Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &de):
		body.Error.Code, body.Error.Message, body.Auction, body.Fields = de.Code, de.Message, de.Auction, de.Fields
		if st, ok := Status[de.Code]; ok {
			return st, body, Refusal
		}
		return http.StatusInternalServerError, body, Refusal
	case errors.As(err, &he):
		body.Error.Code = EchoCodes[he.Code]
		if body.Error.Code == "" {
			body.Error.Code = strings.ReplaceAll(strings.ToLower(http.StatusText(he.Code)), " ", "_")
		}
		body.Error.Message = fmt.Sprint(he.Message)
		if he.Code == http.StatusNotFound {
			body.Error.Message = "no such route"
		}
		return he.Code, body, Refusal
	case unavailable(err):
		body.Error.Code, body.Error.Message = auction.EUnavailable, "the database is unavailable; try again shortly"
		return http.StatusServiceUnavailable, body, Outage
	case retryable(err):
		body.Error.Code, body.Error.Message = auction.EUnavailable, "a concurrent change kept this from being decided; send it again"
		return http.StatusServiceUnavailable, body, Retry
	}
	body.Error.Code, body.Error.Message = auction.EInternal, "internal error"
	return http.StatusInternalServerError, body, Internal
}
