package payments

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// csvOut writes the CSV files finance opens in a spreadsheet program.
type csvOut struct{ *csv.Writer }

func newCSV(w io.Writer) csvOut { return csvOut{csv.NewWriter(w)} }

// row writes one record with every cell made safe (Neutralise). A write
// error is kept by the csv.Writer and reported by Error after Flush.
func (c csvOut) row(cells []string) {
	for i, v := range cells {
		cells[i] = Neutralise(v)
	}
	_ = c.Write(cells)
}

// Neutralise keeps a spreadsheet program from running a cell as a formula
// (CSV injection): a cell that starts with =, +, -, @, a tab or a carriage
// return is prefixed with an apostrophe, which spreadsheets show as text.
// Numbers are left alone (a negative amount is not a formula), so the
// figures still add up in the spreadsheet. References and names come from
// outside (a bank, a bidder) and may start with anything.
func Neutralise(v string) string {
	if v == "" || !strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return v
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "eEnNiI") {
		return v
	}
	return "'" + v
}

// Yuan writes fen as yuan with two decimals ("-1234.50"), exact for every
// int64, as bank files and spreadsheets expect.
func Yuan(fen int64) string {
	sign := ""
	u := uint64(fen)
	if fen < 0 {
		sign, u = "-", uint64(-(fen+1))+1
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}
