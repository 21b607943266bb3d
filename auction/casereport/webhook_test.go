package casereport_test

import (
	"errors"
	"testing"
	"time"

	"gavel/auction/casereport"
)

func TestSignatureRoundTrip(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"n1","type":"auction.sold"}`)
	at := time.Unix(1_790_000_000, 0)
	h := casereport.Sign("s3cret", at, body)
	if h != "t=1790000000,v1="+hexHMAC("s3cret", "1790000000."+string(body)) {
		t.Fatalf("header %q", h)
	}
	if err := casereport.VerifySignature("s3cret", h, body, at.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		secret, header string
		body           []byte
		now            time.Time
		want           error
	}{
		"wrong secret":  {"other", h, body, at, casereport.ErrSignatureMismatch},
		"altered body":  {"s3cret", h, []byte(`{"id":"n2","type":"auction.sold"}`), at, casereport.ErrSignatureMismatch},
		"too old":       {"s3cret", h, body, at.Add(10 * time.Minute), casereport.ErrSignatureExpired},
		"no v1":         {"s3cret", "t=1790000000", body, at, casereport.ErrSignatureMalformed},
		"bad hex":       {"s3cret", "t=1790000000,v1=xyz", body, at, casereport.ErrSignatureMalformed},
		"no timestamp":  {"s3cret", "v1=00", body, at, casereport.ErrSignatureMalformed},
		"not key=value": {"s3cret", "garbage", body, at, casereport.ErrSignatureMalformed},
		"other scheme":  {"s3cret", "t=1790000000,v0=" + h[len("t=1790000000,v1="):], body, at, casereport.ErrSignatureMalformed},
	} {
		if err := casereport.VerifySignature(c.secret, c.header, c.body, c.now, 5*time.Minute); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
	// Without a tolerance only the HMAC counts.
	if err := casereport.VerifySignature("s3cret", h, body, at.Add(24*time.Hour), 0); err != nil {
		t.Fatal(err)
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	b := casereport.Backoff{First: 2 * time.Second, Max: time.Minute}
	for attempt := -1; attempt <= 200; attempt++ {
		ceiling := b.Max
		if attempt < 6 {
			ceiling = 2 * time.Second << max(attempt-1, 0)
		}
		for range 20 {
			d := b.Delay(attempt)
			if d > ceiling || d < ceiling*4/5 {
				t.Fatalf("attempt %d: %s outside [%s, %s]", attempt, d, ceiling*4/5, ceiling)
			}
		}
	}
	if d := casereport.CaseWebhookBackoff.Delay(1); d > 5*time.Second {
		t.Fatalf("the first case webhook retry waits %s", d)
	}
	if d := casereport.CaseWebhookBackoff.Delay(1 << 20); d > 10*time.Minute {
		t.Fatalf("a late case webhook retry waits %s", d)
	}
}
