package auction

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"unicode/utf8"
)

// PlaceBid is a bidder's bid.
type PlaceBid struct {
	AuctionID string
	User      *User
	Amount    int64
	// Key is the bidder's idempotency key: a retry with the same key and body
	// gets the first answer back and places nothing new.
	Key string
	// Arrival is when the server received the bid (Store.Arrive), which is
	// the bid's time; nil means now. PlaceBid does not release it.
	Arrival *Arrival
	// Refused is why the request that carried the bid is not a bid (its
	// body, a missing amount), found by whoever read it. The bid is refused
	// with it after its key is checked, and like every bid refusal with the
	// auction's state.
	Refused error
}

// ValidIdempotencyKey reports whether key is 1 to 100 characters long.
func ValidIdempotencyKey(key string) bool {
	// Stored as text: bytes that are not UTF-8, or a NUL, would fail there.
	return key != "" && utf8.ValidString(key) && !strings.ContainsRune(key, 0) && utf8.RuneCountInString(key) <= 100
}

// IdempotencyKeyRequired is the refusal of a bid without a valid key.
func IdempotencyKeyRequired() *Error {
	return Errorf(EIdempotencyRequired, "an Idempotency-Key header of 1 to 100 characters is required")
}

// Fingerprint identifies the request a key was first used for.
func (p PlaceBid) Fingerprint() []byte {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d", p.AuctionID, p.Amount))
	return h[:]
}
