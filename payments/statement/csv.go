package statement

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
)

// csvColumns maps the header names a bank's CSV export uses (English or
// Chinese, case and spaces ignored) to Line's fields. date, amount and
// reference are required; direction may be left out when amounts are
// signed (negative: money out).
var csvColumns = map[string]string{
	"date": "date", "booking_date": "date", "交易日期": "date", "记账日期": "date",
	"amount": "amount", "金额": "amount", "交易金额": "amount",
	"direction": "direction", "借贷标志": "direction", "借贷方向": "direction",
	"reference": "reference", "bank_reference": "reference", "交易流水号": "reference", "流水号": "reference",
	"remittance": "remittance", "附言": "remittance", "摘要": "remittance", "用途": "remittance",
	"counterparty_name": "counterparty_name", "对方户名": "counterparty_name",
	"counterparty_account": "counterparty_account", "对方账号": "counterparty_account",
}

// directions are the direction cells understood: credit (money in) and
// debit (money out).
var directions = map[string]string{
	"c": Credit, "cr": Credit, "crdt": Credit, "credit": Credit, "贷": Credit, "收入": Credit, "贷方": Credit,
	"d": Debit, "dr": Debit, "dbit": Debit, "debit": Debit, "借": Debit, "支出": Debit, "借方": Debit,
}

func parseCSV(b []byte) (*Statement, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, refuse(1, "no header row: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		key := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(h), " ", "_"))
		if f, ok := csvColumns[key]; ok {
			if _, dup := col[f]; dup {
				return nil, refuse(1, "two columns map to %s", f)
			}
			col[f] = i
		}
	}
	for _, need := range []string{"date", "amount", "reference"} {
		if _, ok := col[need]; !ok {
			return nil, refuse(1, "no %s column (see the column mapping in docs/payments.md)", need)
		}
	}
	s := &Statement{Format: "csv"}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, refuse(pe.Line, "%v", pe.Err)
			}
			return nil, refuse(0, "%v", err)
		}
		// FieldPos is only defined for a record read without error.
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		cell := func(f string) string {
			if i, ok := col[f]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		l := Line{No: line, Reference: cell("reference"), Remittance: cell("remittance"),
			CounterpartyName: cell("counterparty_name"), CounterpartyAccount: cell("counterparty_account")}
		amount := cell("amount")
		signed := strings.HasPrefix(amount, "-")
		if l.Amount, err = ParseYuan(strings.TrimPrefix(strings.TrimPrefix(amount, "-"), "+")); err != nil {
			return nil, refuse(line, "amount: %v", err)
		}
		switch d := strings.ToLower(cell("direction")); {
		case d != "":
			dir, ok := directions[d]
			if !ok {
				return nil, refuse(line, "direction %q is neither credit nor debit", d)
			}
			if signed {
				return nil, refuse(line, "a negative amount with a direction column; give one or the other")
			}
			l.Direction = dir
		case signed:
			l.Direction = Debit
		default:
			l.Direction = Credit
		}
		if l.BookedOn, err = parseDate(cell("date")); err != nil {
			return nil, refuse(line, "date: %v", err)
		}
		if err := l.check(); err != nil {
			return nil, err
		}
		s.Lines = append(s.Lines, l)
	}
	return s, nil
}
