package payments

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Sheet asks for a CSV file for people rather than programs: amounts in
// yuan with two decimals, times in the court's zone, headers in the
// reader's language (zh or en) and a byte-order mark, without which
// spreadsheet programs misread Chinese text. Without a Sheet a CSV is for
// programs: fen, RFC 3339 in UTC, English keys.
type Sheet struct {
	Lang string
	Zone *time.Location
}

// csvOut writes the CSV files finance opens in a spreadsheet program.
type csvOut struct {
	*csv.Writer
	sheet *Sheet
}

// newCSV starts a CSV file, for people when a sheet style is given.
func newCSV(w io.Writer, sheet []Sheet) csvOut {
	out := csvOut{Writer: csv.NewWriter(w)}
	if len(sheet) > 0 {
		out.sheet = &sheet[0]
		if out.sheet.Zone == nil {
			out.sheet.Zone = chinaTime
		}
		_, _ = io.WriteString(w, "\ufeff")
	}
	return out
}

// head writes the header row: the keys, or their names for people.
func (c csvOut) head(keys ...string) {
	if c.sheet != nil {
		for i, k := range keys {
			if n, ok := csvHeaders[k]; ok {
				keys[i] = n[0]
				if c.sheet.Lang == "en" {
					keys[i] = n[1]
				}
			}
		}
	}
	c.row(keys)
}

// fen writes an amount: fen for programs, yuan for people.
func (c csvOut) fen(n int64) string {
	if c.sheet != nil {
		return Yuan(n)
	}
	return strconv.FormatInt(n, 10)
}

// at writes a time: RFC 3339 in UTC for programs, the court's local time
// for people; empty when zero.
func (c csvOut) at(t time.Time) string {
	switch {
	case t.IsZero():
		return ""
	case c.sheet != nil:
		return t.In(c.sheet.Zone).Format("2006-01-02 15:04:05")
	}
	return t.UTC().Format(time.RFC3339)
}

// total labels a TOTAL row.
func (c csvOut) total() string {
	if c.sheet != nil && c.sheet.Lang != "en" {
		return "合计"
	}
	return "TOTAL"
}

// label writes a row's name: the TOTAL row's in the reader's language.
func (c csvOut) label(name string) string {
	if name == "TOTAL" {
		return c.total()
	}
	return name
}

// differences writes how many lines differ.
func (c csvOut) differences(n int) string {
	if c.sheet != nil && c.sheet.Lang != "en" {
		return strconv.Itoa(n) + " 处差异"
	}
	return strconv.Itoa(n) + " differences"
}

// yes writes a flag.
func (c csvOut) yes(b bool) string {
	switch {
	case c.sheet == nil:
		return strconv.FormatBool(b)
	case c.sheet.Lang == "en" && b:
		return "yes"
	case c.sheet.Lang == "en":
		return "no"
	case b:
		return "是"
	}
	return "否"
}

// csvHeaders are the header names for people, Chinese then English.
var csvHeaders = map[string][2]string{
	"kind": {"类型", "Kind"}, "provider": {"渠道", "Provider"}, "deposit_id": {"保证金编号", "Deposit"},
	"auction_id": {"拍卖编号", "Auction"}, "case_id": {"案件编号", "Case"}, "reference": {"流水号", "Reference"},
	"at": {"时间（北京时间）", "Time (Beijing)"}, "ledger_transaction_id": {"分类账交易号", "Ledger transaction"},
	"provider_record_id": {"渠道记录号", "Provider record"}, "ledger_amount": {"账面金额（元）", "Ledger (yuan)"},
	"provider_amount": {"渠道金额（元）", "Provider (yuan)"}, "difference": {"差额（元）", "Difference (yuan)"},
	"status": {"状态", "Status"}, "account": {"科目", "Account"}, "opening": {"期初（元）", "Opening (yuan)"},
	"debits": {"借方（元）", "Debits (yuan)"}, "credits": {"贷方（元）", "Credits (yuan)"}, "net": {"净额（元）", "Net (yuan)"},
	"closing": {"期末（元）", "Closing (yuan)"}, "ledger": {"账面（元）", "Ledger (yuan)"},
	"provider_records": {"渠道记录（元）", "Provider records (yuan)"}, "bidder_code": {"竞买号", "Bidder code"},
	"amount": {"金额（元）", "Amount (yuan)"}, "pay_reference": {"转账附言", "Payment reference"},
	"confirm_reference": {"到账流水号", "Transfer reference"}, "released_at": {"释放时间（北京时间）", "Released (Beijing)"},
	"due_by": {"退还期限（北京时间）", "Due by (Beijing)"}, "overdue": {"已逾期", "Overdue"},
}

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
