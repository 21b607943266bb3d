// Package yuan is how an amount of money, kept in fen, reads on Gavel's
// pages and documents: ¥1,234.56 in a table, 1234.56 in a form field, and
// 壹仟贰佰叁拾肆元伍角陆分 in words on a court document.
package yuan

import (
	"fmt"
	"strconv"
	"strings"
)

// Format writes fen as yuan with thousands separators: ¥1,234,567.89.
func Format(fen int64) string {
	sign := ""
	u := uint64(fen)
	if fen < 0 {
		sign, u = "-", uint64(-fen)
	}
	yuan := strconv.FormatUint(u/100, 10)
	var b strings.Builder
	for i, r := range yuan {
		if i > 0 && (len(yuan)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s¥%s.%02d", sign, b.String(), u%100)
}

// Field is an amount in fen as a plain number of yuan for a form field,
// e.g. 700000 or 700000.5; the page script turns it back into fen.
func Field(fen int64) string {
	s := strconv.FormatInt(fen/100, 10)
	if c := fen % 100; c != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%02d", c), "0")
	}
	return s
}

// Parse reads an amount typed in yuan ("1,234.5", "¥ 700000") into fen.
// It refuses negative numbers and more than two decimals.
func Parse(s string) (int64, bool) {
	s = strings.NewReplacer(",", "", "，", "", " ", "", "¥", "", "￥", "").Replace(strings.TrimSpace(s))
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || len(whole) > 13 {
		return 0, false
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, false
			}
		}
	}
	n, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt((frac + "00")[:2], 10, 64)
	return n*100 + f, true
}
