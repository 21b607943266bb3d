package auction_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gavel/auction"
)

var idNow = time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)

// TestParseIdentity holds the check characters against the standards'
// own examples (GB 11643's 11010519491231002X and 440524188001010014, a
// published GB 32100 code) and each way a number is typed wrongly.
func TestParseIdentity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, idType, in, want, refusal string
	}{
		{"resident, standard example", "", "11010519491231002X", "11010519491231002X", ""},
		{"resident, explicit type", auction.IDResident, "110105198001010091", "110105198001010091", ""},
		{"lower-case x", "", "11010519491231002x", "11010519491231002X", ""},
		{"surrounding white space", "", " \t11010519491231002X\u3000", "11010519491231002X", ""},
		{"zero-width characters", "", "\u200b1101051949\u200d1231002X\ufeff", "11010519491231002X", ""},
		{"full-width digits and x", "", "１１０１０５１９４９１２３１００２ｘ", "11010519491231002X", ""},
		{"wrong check character", "", "110105194912310021", "", "check character does not match"},
		{"one digit mistyped", "", "11010519491231012X", "", "check character does not match"},
		{"15-digit old number", "", "110105491231002", "", "15-digit identity numbers"},
		{"17 digits", "", "11010519491231002", "", "17 digits and a check character"},
		{"letter inside", "", "1101051949A231002X", "", "17 digits and a check character"},
		{"X not last", "", "X10105194912310021", "", "17 digits and a check character"},
		{"no such province", "", "991234199001010010", "", "province code"},
		{"no such date", "", "110105199002300010", "", "birth date"},
		{"born 1880 (right check character)", "", "440524188001010014", "", "not plausible"},
		{"born tomorrow", "", "110105202612080016", "", "not plausible"},
		{"empty", "", " \u200b ", "", "is required"},
		{"control character", "", "11010519491231002X\x00", "", "control characters"},
		{"invalid UTF-8", "", "11010519491231002X\xff", "", "control characters"},
		{"far too long", "", strings.Repeat("1", 12000), "", "longer than"},
		{"company, published example", auction.IDCompany, "91350100M000100Y43", "91350100M000100Y43", ""},
		{"company, lower case", auction.IDCompany, "91350100m000100y43", "91350100M000100Y43", ""},
		{"company, wrong check", auction.IDCompany, "91350100M000100Y44", "", "check character does not match"},
		{"company, letter I", auction.IDCompany, "91350100M000100I43", "", "letters A-H"},
		{"company, region not digits", auction.IDCompany, "9135A100M000100Y43", "", "region"},
		{"company, short", auction.IDCompany, "91350100M000100Y4", "", "18 characters"},
		{"company number as resident", "", "91350100M000100Y43", "", "17 digits"},
		{"passport", auction.IDPassport, "e12345678", "E12345678", ""},
		{"passport, punctuation", auction.IDPassport, "E1234-5678", "", "letters and digits"},
		{"passport, short", auction.IDPassport, "E123", "", "letters and digits"},
		{"hk permit", auction.IDHKMacaoPermit, "h12345678", "H12345678", ""},
		{"macao permit", auction.IDHKMacaoPermit, "M87654321", "M87654321", ""},
		{"hk permit, wrong letter", auction.IDHKMacaoPermit, "A12345678", "", "H or M"},
		{"hk permit, old 11 characters", auction.IDHKMacaoPermit, "H1234567890", "", "H or M"},
		{"taiwan permit", auction.IDTaiwanPermit, "１２３４５６７８", "12345678", ""},
		{"taiwan permit, 10 digits", auction.IDTaiwanPermit, "1234567890", "", "8 digits"},
		{"unknown type", "driving_licence", "11010519491231002X", "", "id_type: must be one of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := auction.ParseIdentity("id_number", tc.idType, tc.in, idNow)
			if tc.refusal == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if id.Number != tc.want {
					t.Fatalf("number %q, want %q", id.Number, tc.want)
				}
				wantType := tc.idType
				if wantType == "" {
					wantType = auction.IDResident
				}
				if id.Type != wantType {
					t.Fatalf("type %q, want %q", id.Type, wantType)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted as %+v", id)
			}
			if auction.ErrorCode(err) != auction.EInvalidField || !strings.Contains(err.Error(), "id_") {
				t.Fatalf("err %v, want invalid_field naming the field", err)
			}
			if !strings.Contains(err.Error(), tc.refusal) {
				t.Fatalf("err %q, want it to say %q", err, tc.refusal)
			}
		})
	}
}

// TestParseIdentityNamesNestedField: a refusal inside a list names the entry.
func TestParseIdentityNamesNestedField(t *testing.T) {
	t.Parallel()
	_, err := auction.ParseIdentity("applicants[2].id_number", "", "123", idNow)
	if err == nil || !strings.HasPrefix(err.(*auction.Error).Message, "applicants[2].id_number: ") {
		t.Fatalf("err %v", err)
	}
	_, err = auction.ParseIdentity("entries[0].id_number", "bogus", "123", idNow)
	if err == nil || !strings.HasPrefix(err.(*auction.Error).Message, "entries[0].id_type: ") {
		t.Fatalf("err %v", err)
	}
}

// TestCheckCharsEveryPosition: changing any one of the first 17 digits of a
// valid number to any other digit changes the check character (MOD 11-2
// catches every single-digit error), so the mistyped number is refused.
func TestCheckCharsEveryPosition(t *testing.T) {
	t.Parallel()
	const valid = "11010519491231002X"
	for i := 0; i < 17; i++ {
		for d := byte('0'); d <= '9'; d++ {
			if d == valid[i] {
				continue
			}
			b := []byte(valid)
			b[i] = d
			if auction.ResidentCheckChar(string(b)) == 'X' {
				t.Fatalf("changing position %d to %c kept the check character", i, d)
			}
		}
	}
	const code = "91350100M000100Y43"
	for i := 0; i < 17; i++ {
		b := []byte(code)
		b[i] = '0'
		if b[i] != code[i] && auction.CreditCheckChar(string(b)) == '3' {
			t.Fatalf("changing position %d kept the company check character", i)
		}
	}
}

// FuzzParseIdentity: whatever is typed, ParseIdentity either refuses it with
// invalid_field or returns a number already in normal form that parses to
// itself, of bounded length and printable ASCII only.
func FuzzParseIdentity(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "11010519491231002x", "１１０１０５１９４９１２３１００２ｘ", "\u200b110105491231002",
		"91350100M000100Y43", "H12345678", "\x00", "\xff", "ﬀ"} {
		f.Add(s, "")
		f.Add(s, auction.IDCompany)
	}
	f.Fuzz(func(t *testing.T, in, idType string) {
		id, err := auction.ParseIdentity("id_number", idType, in, idNow)
		if err != nil {
			if auction.ErrorCode(err) != auction.EInvalidField {
				t.Fatalf("err %v", err)
			}
			return
		}
		if !utf8.ValidString(id.Number) || len(id.Number) > 20 {
			t.Fatalf("%q became %q", in, id.Number)
		}
		for i := 0; i < len(id.Number); i++ {
			if c := id.Number[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
				t.Fatalf("%q became %q", in, id.Number)
			}
		}
		again, err := auction.ParseIdentity("id_number", id.Type, id.Number, idNow)
		if err != nil || again != id {
			t.Fatalf("normal form %q does not parse to itself: %v %v", id.Number, again, err)
		}
	})
}
