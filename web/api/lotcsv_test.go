package api_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"gavel/auction"
	"gavel/web/api"
)

func readCSV(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestParseLotsCSVGood: a good file's rows become lots, Chinese category
// names and yuan amounts included; a byte order mark and CRLF line ends
// are read.
func TestParseLotsCSVGood(t *testing.T) {
	lots, problems, err := api.ParseLotsCSV(readCSV(t, "lots_good.csv"))
	if err != nil || len(problems) != 0 || len(lots) != 3 {
		t.Fatalf("%d lots, problems %v, %v", len(lots), problems, err)
	}
	if l := lots[0]; l.Category != auction.CategoryRealEstate || l.AppraisalValue != 500_000_000 || l.Encumbrances != "设有抵押" || l.Title != "浦东新区某路 100 弄 5 号 1201 室" {
		t.Fatalf("first lot %+v", l)
	}
	if lots[1].AppraisalValue != 10_000_050 || lots[2].AppraisalValue != 120_000_000 {
		t.Fatalf("amounts %d %d", lots[1].AppraisalValue, lots[2].AppraisalValue)
	}
	lots, problems, err = api.ParseLotsCSV(readCSV(t, "lots_bom_crlf.csv"))
	if err != nil || len(problems) != 0 || len(lots) != 1 || lots[0].AppraisalValue != 500000 || lots[0].Title != "办公设备一批" {
		t.Fatalf("BOM and CRLF: %+v %v %v", lots, problems, err)
	}
}

// TestParseLotsCSVErrors: every problem of every row is reported by row
// and column, and no lot is returned.
func TestParseLotsCSVErrors(t *testing.T) {
	lots, problems, err := api.ParseLotsCSV(readCSV(t, "lots_bad.csv"))
	if err != nil || lots != nil {
		t.Fatalf("lots %v, %v", lots, err)
	}
	var got []string
	for _, p := range problems {
		got = append(got, strings.Join([]string{itoa(p.Row), p.Column}, ":"))
	}
	want := "2:title 3:appraisal_yuan 3:category 4:appraisal_yuan 5:appraisal_yuan 6:"
	if strings.Join(got, " ") != want {
		t.Fatalf("problems %s, want %s (%+v)", strings.Join(got, " "), want, problems)
	}
	for _, tc := range []struct{ name, csv, want string }{
		{"unknown column", "title,category,appraisal_value,price\nx,other,1,2\n", "1:price"},
		{"missing columns", "description\nx\n", "1:title 1:category 1:appraisal_value"},
		{"both amounts", "title,category,appraisal_value,appraisal_yuan\nx,other,1,1\n", "1:appraisal_value"},
		{"twice", "title,title,category,appraisal_value\nx,y,other,1\n", "1:title"},
		{"no rows", "title,category,appraisal_value\n", "2:"},
		{"a NUL", "title,category,appraisal_value\na\x00b,other,1\n", "2:title"},
		{"invalid UTF-8", "title,category,appraisal_value\n\xff\xfe,other,1\n", "2:title"},
		{"a bare quote", "title,category,appraisal_value\na\"b,other,1\n", "2:"},
		{"int64 overflow", "title,category,appraisal_value\nx,other,9223372036854775808\n", "2:appraisal_value"},
		{"yuan overflow", "title,category,appraisal_yuan\nx,other,92233720368547758.08\n", "2:appraisal_yuan"},
		{"zero", "title,category,appraisal_value\nx,other,0\n", "2:appraisal_value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lots, problems, err := api.ParseLotsCSV(strings.NewReader(tc.csv))
			var got []string
			for _, p := range problems {
				got = append(got, itoa(p.Row)+":"+p.Column)
			}
			if err != nil || lots != nil || strings.Join(got, " ") != tc.want {
				t.Fatalf("got %v (%+v) %v, want %s", got, problems, err, tc.want)
			}
		})
	}
	if _, _, err := api.ParseLotsCSV(strings.NewReader("")); auction.ErrorCode(err) != auction.EInvalidRequest {
		t.Fatalf("empty file: %v", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
