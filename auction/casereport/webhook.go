package casereport

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Case-system notification types (API.md, "Case-system webhook").
const (
	NotifyAuctionSold      = "auction.sold"
	NotifyAuctionFailed    = "auction.failed"
	NotifyAuctionSettled   = "auction.settled"
	NotifyAuctionDefaulted = "auction.defaulted"
	NotifyDepositForfeited = "deposit.forfeited"
	NotifyProceedsRemitted = "proceeds.remitted"
	// NotifyForfeitureReallocated tells the case system that a re-sale fixed
	// a defaulted round's shortfall, with the forfeited deposit's new
	// allocation.
	NotifyForfeitureReallocated = "forfeiture.reallocated"
)

// SignatureHeader carries a case webhook's signature.
const SignatureHeader = "Gavel-Signature"

// Sign returns the Gavel-Signature header for body sent at t:
// "t=<unix>,v1=<hex>" with hex = HMAC-SHA256(secret, "<t>.<raw body>"), the
// same scheme Stripe uses, so receivers can reuse what they know.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Signature verification failures, for receivers of case webhooks.
var (
	ErrSignatureMalformed = errors.New("casereport: Gavel-Signature is malformed")
	ErrSignatureMismatch  = errors.New("casereport: Gavel-Signature does not match the body (wrong secret or altered body)")
	ErrSignatureExpired   = errors.New("casereport: Gavel-Signature timestamp is outside the tolerance")
)

// VerifySignature checks a Gavel-Signature header the way a case system
// should: the HMAC of "<t>.<body>" under secret must equal one of the v1
// values, and t must be within tolerance of now (zero tolerance skips the
// time check). It is what Gavel's own tests use to play the receiver.
func VerifySignature(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrSignatureMalformed
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil {
				return ErrSignatureMalformed
			}
			sigs = append(sigs, b)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrSignatureMalformed
	}
	want := mac(secret, ts, body)
	matched := false
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			matched = true
		}
	}
	if !matched {
		return ErrSignatureMismatch
	}
	if tolerance > 0 {
		if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
			return ErrSignatureExpired
		}
	}
	return nil
}

// Backoff is an exponential retry schedule with a ceiling.
type Backoff struct {
	// First is the wait after the first failure.
	First time.Duration
	// Max is the longest wait between two attempts.
	Max time.Duration
}

// CaseWebhookBackoff is the contract of API.md: the first retry within 5 s,
// at most 10 minutes apart. Max leaves room for what is added on top of the
// wait: the job scheduler's 5 s sweep, the fetch poll and the 10 s timeout of
// the failed attempt itself.
var CaseWebhookBackoff = Backoff{First: 2 * time.Second, Max: 9*time.Minute + 30*time.Second}

// Delay is the wait after the failed attempt number attempt (1 for the
// first). It doubles each time up to Max, and is shortened by up to a fifth
// at random so that many notifications failing together do not retry in
// lockstep; it never exceeds First*2^(attempt-1) or Max.
func (b Backoff) Delay(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := b.Max
	if attempt <= 40 { // beyond that the shift would overflow; Max long since applies
		if e := b.First << (attempt - 1); e > 0 && e < b.Max {
			d = e
		}
	}
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}
