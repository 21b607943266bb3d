package auction

import (
	"context"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Identity document types. A person is the pair (type, normalised number):
// one bidder account per person, and every bar and privilege follows it.
const (
	IDResident      = "resident_id"     // PRC resident identity card (GB 11643), also the HK/Macao/Taiwan residence permits
	IDCompany       = "company"         // unified social credit code of an organisation (GB 32100)
	IDPassport      = "passport"        // a passport of any country
	IDHKMacaoPermit = "hk_macao_permit" // 港澳居民来往内地通行证
	IDTaiwanPermit  = "taiwan_permit"   // 台湾居民来往大陆通行证
)

// IDTypes lists the identity document types in the order forms offer them.
var IDTypes = []string{IDResident, IDCompany, IDPassport, IDHKMacaoPermit, IDTaiwanPermit}

// Identity is a validated identity document number in its one normal form.
type Identity struct {
	Type   string
	Number string
}

// ValidIDType reports whether t is a known identity document type.
func ValidIDType(t string) bool {
	for _, k := range IDTypes {
		if k == t {
			return true
		}
	}
	return false
}

// NormalizeIDNumber is the one normal form of a typed identity number, before
// validation: compatibility forms folded (NFKC: full-width digits and letters
// become ASCII), invisible characters (zero-width spaces and joiners, the byte
// order mark, soft hyphens) and white space removed wherever they are, letters
// upper-cased (the final x of a resident number among them). Numbers are
// stored and compared only in this form. Text that is not valid UTF-8 is
// returned as it is, for ParseIdentity to refuse.
func NormalizeIDNumber(s string) string {
	s = norm.NFKC.String(s)
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r), unicode.Is(unicode.Cf, r):
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// MaxIDNumberLength bounds what any identity number field accepts before
// normalisation, so that no input costs more than a short string to judge.
const MaxIDNumberLength = 64

// ParseIdentity normalises and validates an identity number of type idType
// ("" means resident_id) as entered in field (the name a refusal carries).
// Returns invalid_field naming field. now bounds a resident's birth date.
func ParseIdentity(field, idType, number string, now time.Time) (Identity, error) {
	if idType == "" {
		idType = IDResident
	}
	if !ValidIDType(idType) {
		return Identity{}, FieldError(idTypeField(field), "must be one of %s", strings.Join(IDTypes, ", "))
	}
	if len(number) > MaxIDNumberLength {
		return Identity{}, FieldError(field, "is longer than %d characters", MaxIDNumberLength)
	}
	// Surrounding white space (a tab or line break pasted with the number
	// among it) is trimmed; inside the number a control character is refused.
	if !validText(strings.TrimFunc(number, unicode.IsSpace)) {
		return Identity{}, FieldError(field, "must be text without control characters")
	}
	n := NormalizeIDNumber(number)
	if n == "" {
		return Identity{}, FieldError(field, "is required")
	}
	var msg string
	switch idType {
	case IDResident:
		msg = checkResidentID(n, now)
	case IDCompany:
		msg = checkCreditCode(n)
	case IDPassport:
		msg = checkPattern(n, 5, 20, "5 to 20 letters and digits as printed on the passport", isAlnum)
	case IDHKMacaoPermit:
		if len(n) != 9 || (n[0] != 'H' && n[0] != 'M') || !allDigits(n[1:]) {
			msg = "a Hong Kong or Macao residents' permit number is H or M followed by 8 digits"
		}
	case IDTaiwanPermit:
		msg = checkPattern(n, 8, 8, "a Taiwan residents' permit number is 8 digits", isDigit)
	}
	if msg != "" {
		return Identity{}, FieldError(field, "%s", msg)
	}
	return Identity{Type: idType, Number: n}, nil
}

// idTypeField names the id_type beside an id_number field ("applicants[0].id_number"
// has "applicants[0].id_type").
func idTypeField(field string) string {
	if p, ok := strings.CutSuffix(field, "id_number"); ok {
		return p + "id_type"
	}
	return field + " id_type"
}

// residentWeights are the GB 11643 weights 2^(17-i) mod 11 of the first 17 characters.
var residentWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// residentCheck maps the weighted sum mod 11 to the check character (ISO 7064 MOD 11-2).
const residentCheck = "10X98765432"

// ResidentCheckChar returns the GB 11643 check character of the first 17
// digits of a resident number; tests and fixtures build valid numbers with it.
func ResidentCheckChar(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * residentWeights[i]
	}
	return residentCheck[sum%11]
}

// residentProvinces are the first two digits GB/T 2260 gives provinces (and
// 81, 82, 83 of the residence permits for Hong Kong, Macao and Taiwan residents).
const residentProvinces = " 11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83 "

// checkResidentID returns why n is not a GB 11643 resident number, or "".
func checkResidentID(n string, now time.Time) string {
	if len(n) == 15 && allDigits(n) {
		return "15-digit identity numbers are from first-generation cards, no longer valid since 2013; enter the 18-character number of the current card"
	}
	if len(n) != 18 || !allDigits(n[:17]) || !(isDigit(n[17]) || n[17] == 'X') {
		return "a resident identity number is 17 digits and a check character (a digit or X)"
	}
	if !strings.Contains(residentProvinces, " "+n[:2]+" ") {
		return "the first two digits are not a province code"
	}
	birth, err := time.Parse("20060102", n[6:14])
	if err != nil {
		return "digits 7 to 14 are not a birth date"
	}
	if birth.Year() < 1900 || birth.After(now) {
		return "the birth date in digits 7 to 14 is not plausible"
	}
	if ResidentCheckChar(n) != n[17] {
		return "the check character does not match: check every digit against the card"
	}
	return ""
}

// creditAlphabet is the GB 32100 character set (no I, O, S, V, Z); a
// character's value is its index.
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditWeights are the GB 32100 weights 3^i mod 31 of the first 17 characters.
var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// CreditCheckChar returns the GB 32100 check character of the first 17
// characters of a unified social credit code, or 0 if one is outside its alphabet.
func CreditCheckChar(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(creditAlphabet, first17[i])
		if v < 0 {
			return 0
		}
		sum += v * creditWeights[i]
	}
	return creditAlphabet[(31-sum%31)%31]
}

// checkCreditCode returns why n is not a GB 32100 unified social credit code, or "".
func checkCreditCode(n string) string {
	if len(n) != 18 {
		return "a unified social credit code has 18 characters"
	}
	for i := 0; i < 18; i++ {
		if strings.IndexByte(creditAlphabet, n[i]) < 0 {
			return "a unified social credit code uses digits and the letters A-H, J-N, P-R, T, U, W-Y only"
		}
	}
	if !allDigits(n[2:8]) {
		return "characters 3 to 8 of a unified social credit code are the region's digits"
	}
	if CreditCheckChar(n) != n[17] {
		return "the check character does not match: check every character against the licence"
	}
	return ""
}

func checkPattern(n string, min, max int, want string, ok func(byte) bool) string {
	if len(n) < min || len(n) > max {
		return want
	}
	for i := 0; i < len(n); i++ {
		if !ok(n[i]) {
			return want
		}
	}
	return ""
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }
func isAlnum(b byte) bool { return isDigit(b) || (b >= 'A' && b <= 'Z') }

func allDigits(s string) bool { return checkPattern(s, 0, len(s), "x", isDigit) == "" }

// IdentityProvider is a real-name verification service (实名认证) a court
// may contract: it confirms that a real name and an identity number belong
// to one person, so that a bidder is verified without coming to the desk.
type IdentityProvider interface {
	// Verify returns the provider's reference for a confirmation, or
	// invalid_field naming id_number when the provider says name and
	// number do not belong together. Any other error means the provider
	// could not answer.
	Verify(ctx context.Context, realName string, id Identity) (reference string, err error)
}

// Verification is how a person's identity was checked.
type Verification struct {
	// Method is "desk" (a clerk saw the documents) or "provider" (a real-name
	// verification provider confirmed name and number).
	Method string `json:"method"`
	// Reference points at the evidence: the desk's file number, the
	// provider's transaction id.
	Reference string `json:"reference"`
	// IDType and IDNumber, when given, are the number on the documents the
	// clerk checked; they replace the account's claim.
	IDType   string `json:"id_type,omitempty"`
	IDNumber string `json:"id_number,omitempty"`
}

// Verification methods.
const (
	VerifyDesk     = "desk"
	VerifyProvider = "provider"
)

// MaxReferenceLength bounds a verification reference.
const MaxReferenceLength = 200

// IssueKind is Issue, or "" when there is none (for pages).
func (u UserIdentity) IssueKind() string {
	if u.Issue == nil {
		return ""
	}
	return *u.Issue
}

// UserIdentity is an account as a clerk sees it when checking a person.
type UserIdentity struct {
	ID       string `json:"id"`
	Email    string `json:"email"`
	Role     string `json:"role"`
	RealName string `json:"real_name"`
	IDType   string `json:"id_type"`
	IDNumber string `json:"id_number"`
	Verified bool   `json:"verified"`
	// Issue is what the identity review of migration 00008 found
	// ("duplicate", "invalid"), until an admin resolves it.
	Issue *string `json:"id_issue"`
	// AsTyped is the number as it was stored before normalisation.
	AsTyped *string `json:"id_number_as_typed,omitempty"`
	// HolderID, for a duplicate, is the account the person's number is held by.
	HolderID *string `json:"holder_id,omitempty"`
}
