package auction

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// validText reports whether s is valid UTF-8 without control characters
// (NUL, C0, DEL, C1). Line breaks and tabs are control characters too: the
// single-line fields that take them would show them nowhere.
func validText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// CheckText returns invalid_field naming field unless s is valid UTF-8 of at
// most max characters without control characters; multiline admits line
// breaks and tabs (descriptions, reasons). It is the one rule for free text
// entering Gavel: text columns take UTF-8 only, and a NUL or an escape
// sequence stored today would reach a page, a print or a CSV tomorrow.
func CheckText(field, s string, max int, multiline bool) error {
	if !utf8.ValidString(s) {
		return FieldError(field, "must be UTF-8 text")
	}
	n := 0
	for _, r := range s {
		n++
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			if r == 0 {
				return FieldError(field, "must not contain a NUL character")
			}
			return FieldError(field, "must not contain control characters")
		}
	}
	if n > max {
		return FieldError(field, "is longer than %d characters", max)
	}
	return nil
}

// MaxEmailLength is the longest address SMTP carries (RFC 5321).
const MaxEmailLength = 254

// NormalizeEmail is the one form an e-mail address is stored and compared
// in: compatibility forms folded (NFKC: a full-width Ａ is A), surrounding
// white space removed, lower-cased. Returns invalid_field naming email for
// anything that is not a plain address, and for look-alike addresses: only
// ASCII letters, digits and the punctuation of addresses, and Chinese
// characters (addresses in Han script), may appear, so that a Cyrillic а or
// a Greek ο cannot pass for a Latin one and an invisible character cannot
// make a second account of the same-looking address.
func NormalizeEmail(s string) (string, error) {
	if len(s) > 4*MaxEmailLength || !utf8.ValidString(s) {
		return "", FieldError("email", "must be an email address")
	}
	s = strings.ToLower(strings.TrimSpace(norm.NFKC.String(s)))
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") || strings.ContainsRune(domain, '@') ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || utf8.RuneCountInString(s) > MaxEmailLength {
		return "", FieldError("email", "must be an email address")
	}
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && (r > ' ' && r < 0x7f) && !strings.ContainsRune(`"(),:;<>[\]`, r):
		case unicode.Is(unicode.Han, r):
		default:
			return "", FieldError("email", "may hold only ASCII letters, digits and . _ + - (or Chinese characters): look-alike and invisible characters are refused")
		}
	}
	return s, nil
}
