package auction

import (
	"unicode"
	"unicode/utf8"
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
