package statement

import (
	"os"
	"strings"
	"testing"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseCamt053(t *testing.T) {
	s, err := Parse(read(t, "camt053.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Format != "camt.053" || len(s.Lines) != 4 {
		t.Fatalf("%s with %d lines, want camt.053 with 4 (the pending entry skipped)", s.Format, len(s.Lines))
	}
	l := s.Lines[0]
	if l.Reference != "ICBC20260601000101" || l.Direction != Credit || l.Amount != 7_000_000 || l.Remittance != "{{PAYREF1}}" ||
		l.CounterpartyName != "张三" || l.CounterpartyAccount != "6222020200112233445" || l.BookedOn.Format("2006-01-02") != "2026-06-01" || l.No != 9 {
		t.Fatalf("first line %+v", l)
	}
	if l := s.Lines[2]; l.Amount != 123_456 {
		t.Fatalf("1234.56 yuan read as %d fen", l.Amount)
	}
	if l := s.Lines[3]; l.Direction != Debit || l.CounterpartyName != "赵六" {
		t.Fatalf("debit line %+v", l)
	}
}

func TestParseCSV(t *testing.T) {
	s, err := Parse(read(t, "statement.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Format != "csv" || len(s.Lines) != 3 || s.Lines[0].Amount != 7_000_000 || s.Lines[0].No != 2 || s.Lines[2].Direction != Debit ||
		s.Lines[1].Amount != 6_999_999 || s.Lines[0].CounterpartyAccount != "6216610100012345" {
		t.Fatalf("%+v", s)
	}
	// Signed amounts without a direction column, and a BOM.
	s, err = Parse([]byte("\ufeffdate,reference,amount\n2026-06-03,A,12.5\n2026-06-03,B,-3\n"))
	if err != nil || s.Lines[0].Amount != 1250 || s.Lines[0].Direction != Credit || s.Lines[1].Direction != Debit || s.Lines[1].Amount != 300 {
		t.Fatalf("%+v %v", s, err)
	}
}

// Invalid files are refused with the line and the reason.
func TestParseRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"too many decimals", read(t, "invalid_amount.csv"), "line 3: amount"},
		{"currency", read(t, "invalid_currency.xml"), `line 5: the amount is in "USD"`},
		{"empty", []byte(" \n"), "empty"},
		{"no header columns", []byte("foo,bar\n1,2\n"), "line 1: no date column"},
		{"bad direction", []byte("date,reference,direction,amount\n2026-06-01,A,sideways,1\n"), "line 2: direction"},
		{"bad date", []byte("date,reference,amount\n01/06/2026,A,1\n"), "line 2: date"},
		{"zero", []byte("date,reference,amount\n2026-06-01,A,0\n"), "line 2: the amount must be above zero"},
		{"no reference", []byte("date,reference,amount\n2026-06-01,,1\n"), "line 2: no bank reference"},
		{"repeated reference", []byte("date,reference,amount\n2026-06-01,A,1\n2026-06-01,A,2\n"), "line 3: reference A repeats the entry of line 2"},
		{"huge", []byte("date,reference,amount\n2026-06-01,A,92233720368547758.07\n"), "line 2: amount"},
		{"NUL", []byte("date,reference,amount\n2026-06-01,A\x00B,1\n"), "line 2: reference holds control characters"},
		{"invalid UTF-8", []byte("date,reference,amount\n2026-06-01,\xff,1\n"), "not UTF-8"},
		{"broken XML", []byte("<Document><BkToCstmrStmt><Ntry>"), "line 1: unreadable entry"},
		{"broken XML outside an entry", []byte("<Document><BkToCstmrStmt></Document>"), "not well-formed XML"},
		{"not camt", []byte("<Document><Other/></Document>"), "not a camt.053"},
		{"long", []byte("date,reference,amount\n2026-06-01," + strings.Repeat("R", 12000) + ",1\n"), "line 2: reference is longer"},
	} {
		_, err := Parse(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		if _, ok := err.(*Error); err != nil && !ok {
			t.Errorf("%s: %T is not a statement error", tc.name, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("date,reference,amount\n2026-06-01,A,1\n"))
	f.Add([]byte("<Document><BkToCstmrStmt><Stmt><Ntry><Amt Ccy=\"CNY\">1</Amt></Ntry></Stmt></BkToCstmrStmt></Document>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			return
		}
		for _, l := range s.Lines {
			if l.Amount <= 0 || l.Reference == "" || (l.Direction != Credit && l.Direction != Debit) {
				t.Fatalf("accepted a bad line %+v", l)
			}
		}
	})
}
