// Package sms sends user notices as text messages through the court's SMS
// gateway, behind one small interface so each court plugs in its own
// (docs/notices.md says how). Log is the development gateway.
package sms

import (
	"context"
	"log/slog"
	"strings"
	"unicode/utf8"
)

// Provider is an SMS gateway. Send delivers text to phone (as the user gave
// it); an error is retried by the delivery job with backoff, so Send must be
// safe to repeat (gateways that take a client reference should get ref).
type Provider interface {
	// Name names the gateway in logs.
	Name() string
	Send(ctx context.Context, phone, text, ref string) error
}

// Log is the development gateway: it writes each message to the log with
// the phone number masked, and sends nothing.
type Log struct{ Log *slog.Logger }

// Name is "log".
func (Log) Name() string { return "log" }

// Send logs the message with the number masked.
func (l Log) Send(ctx context.Context, phone, text, ref string) error {
	l.Log.InfoContext(ctx, "sms (development gateway: not sent)", "to", Mask(phone), "ref", ref, "text", text)
	return nil
}

// Mask hides a phone number but for its first three and last two digits
// (138******42), so logs can tell messages apart without holding the number.
func Mask(phone string) string {
	n := utf8.RuneCountInString(phone)
	if n <= 5 {
		return strings.Repeat("*", n)
	}
	r := []rune(phone)
	return string(r[:3]) + strings.Repeat("*", n-5) + string(r[n-2:])
}
