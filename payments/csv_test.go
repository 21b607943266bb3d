package payments

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"
)

func TestNeutralise(t *testing.T) {
	for in, want := range map[string]string{
		"":                         "",
		"ICBC-001":                 "ICBC-001",
		"=HYPERLINK(\"http://x\")": "'=HYPERLINK(\"http://x\")",
		"+1+cmd|' /C calc'!A0":     "'+1+cmd|' /C calc'!A0",
		"-2+3":                     "'-2+3",
		"@SUM(A1:A9)":              "'@SUM(A1:A9)",
		"\t=1":                     "'\t=1",
		"\r=1":                     "'\r=1",
		"-1000":                    "-1000",
		"+12.50":                   "+12.50",
		"-inf":                     "'-inf",
		"-1e9":                     "'-1e9",
		"转账=1":                     "转账=1",
		"a=1":                      "a=1",
	} {
		if got := Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every CSV export neutralises outside text: a reference a bank or a typist
// made up cannot become a formula in finance's spreadsheet.
func TestCSVExportsNeutraliseFormulas(t *testing.T) {
	evil := "=HYPERLINK(\"http://evil\",\"x\")"
	r := &Reconciliation{Lines: []Line{{Kind: RecordBalanceReceived, Provider: ProviderBank, Reference: evil, At: time.Unix(0, 0),
		LedgerAmount: -5, ProviderAmount: -5, Status: LineMatched}}}
	var b bytes.Buffer
	if err := WriteLinesCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[1][5] != "'"+evil || rows[1][9] != "-5" {
		t.Fatalf("line row %q", rows[1])
	}
	b.Reset()
	if err := WriteRefundsCSV(&b, []RefundDue{{PayReference: "@x", ConfirmReference: "+1+1", Amount: 10}}); err != nil {
		t.Fatal(err)
	}
	rows, err = csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[1][5] != "'@x" || rows[1][6] != "'+1+1" || rows[1][4] != "10" {
		t.Fatalf("refund row %q", rows[1])
	}
}

func TestYuan(t *testing.T) {
	for fen, want := range map[int64]string{0: "0.00", 5: "0.05", 123456: "1234.56", -150: "-1.50",
		9223372036854775807: "92233720368547758.07", -9223372036854775808: "-92233720368547758.08"} {
		if got := Yuan(fen); got != want {
			t.Errorf("Yuan(%d) = %q, want %q", fen, got, want)
		}
	}
}
