// Package statement reads the court account's bank statement: ISO 20022
// camt.053 (the banks' standard end-of-day statement, read with
// encoding/xml) or CSV with the column mapping documented in
// docs/payments.md. It only parses and checks; matching the lines to
// deposits and payments is the store's.
package statement

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Directions of a statement line, as the court's account sees them.
const (
	Credit = "credit" // money in: a deposit, a balance payment
	Debit  = "debit"  // money out: a refund, a remittance
)

// Line is one booked movement of the court's account.
type Line struct {
	// No is where the line is in the file: the CSV line number, or the
	// camt.053 entry's line in the XML.
	No int `json:"no"`
	// Reference is the bank's own reference of the movement, unique per
	// direction in the account: importing the same line twice is noticed
	// by it.
	Reference string    `json:"reference"`
	Direction string    `json:"direction"`
	Amount    int64     `json:"amount"`
	BookedOn  time.Time `json:"booked_on"`
	// Remittance is the payer's note (转账附言): a deposit's payment
	// reference, an auction's, or anything.
	Remittance          string `json:"remittance"`
	CounterpartyName    string `json:"counterparty_name"`
	CounterpartyAccount string `json:"counterparty_account"`
}

// Statement is a parsed statement: its lines and the days it covers.
type Statement struct {
	Format string `json:"format"` // camt.053 or csv
	// From and To are the first and last booking days covered.
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Lines []Line    `json:"lines"`
}

// Error is a refusal of a statement file: the first offending line and why.
// Nothing of a refused file is imported.
type Error struct {
	Line   int
	Reason string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.Reason
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

func refuse(line int, format string, args ...any) *Error {
	return &Error{Line: line, Reason: fmt.Sprintf(format, args...)}
}

// MaxLines bounds one statement: a court account's day, many times over.
const MaxLines = 20000

// Parse reads a statement in either format, told apart by its first
// non-blank character ('<' is camt.053 XML). Returns an *Error for a file
// it refuses.
func Parse(b []byte) (*Statement, error) {
	trimmed := bytes.TrimLeft(b, " \t\r\n\ufeff")
	if len(trimmed) == 0 {
		return nil, refuse(0, "the file is empty")
	}
	if !utf8.Valid(b) {
		return nil, refuse(0, "the file is not UTF-8 text")
	}
	var s *Statement
	var err error
	if trimmed[0] == '<' {
		s, err = parseCamt(b)
	} else {
		s, err = parseCSV(b)
	}
	if err != nil {
		return nil, err
	}
	if len(s.Lines) == 0 {
		return nil, refuse(0, "the statement has no entries")
	}
	if len(s.Lines) > MaxLines {
		return nil, refuse(0, "more than %d entries; split the statement", MaxLines)
	}
	seen := map[string]int{}
	for _, l := range s.Lines {
		key := l.Direction + "\x00" + l.Reference
		if first, ok := seen[key]; ok {
			return nil, refuse(l.No, "reference %s repeats the entry of line %d", l.Reference, first)
		}
		seen[key] = l.No
		if s.From.IsZero() || l.BookedOn.Before(s.From) {
			s.From = l.BookedOn
		}
		if l.BookedOn.After(s.To) {
			s.To = l.BookedOn
		}
	}
	return s, nil
}

// check validates a line's fields once parsed.
func (l *Line) check() error {
	fields := []struct {
		name string
		v    *string
		max  int
	}{{"reference", &l.Reference, 140}, {"remittance", &l.Remittance, 500}, {"counterparty name", &l.CounterpartyName, 200},
		{"counterparty account", &l.CounterpartyAccount, 60}}
	for _, f := range fields {
		*f.v = strings.TrimSpace(*f.v)
		switch {
		case utf8.RuneCountInString(*f.v) > f.max:
			return refuse(l.No, "%s is longer than %d characters", f.name, f.max)
		case strings.IndexFunc(*f.v, unicode.IsControl) >= 0:
			return refuse(l.No, "%s holds control characters", f.name)
		}
	}
	switch {
	case l.Reference == "":
		return refuse(l.No, "no bank reference")
	case l.Amount <= 0:
		return refuse(l.No, "the amount must be above zero")
	case l.BookedOn.IsZero():
		return refuse(l.No, "no booking date")
	}
	return nil
}

// maxFen bounds one line's amount like any amount typed (payments.MaxAmount).
const maxFen = 1_000_000_000_000_000

// ParseYuan reads an amount in yuan with at most two decimals ("1234.5",
// "1,234.50") as exact fen; no floating point touches money.
func ParseYuan(s string) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		return 0, errors.New("no amount")
	}
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || (dot && frac == "") {
		return 0, fmt.Errorf("%q is not an amount in yuan with at most two decimals", s)
	}
	var fen int64
	for _, r := range whole + (frac + "00")[:2] {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%q is not an amount in yuan with at most two decimals", s)
		}
		fen = fen*10 + int64(r-'0')
		if fen > maxFen {
			return 0, fmt.Errorf("%q is more than any transfer", s)
		}
	}
	return fen, nil
}

// parseDate reads YYYY-MM-DD (or YYYYMMDD, or YYYY/MM/DD, or an ISO date
// and time whose date is taken), as the court's calendar day.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if len(s) > 10 && (s[10] == 'T' || s[10] == ' ') {
		s = s[:10]
	}
	for _, layout := range []string{"2006-01-02", "20060102", "2006/01/02", "2006/1/2"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
}
