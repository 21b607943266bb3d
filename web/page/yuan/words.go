package yuan

import "strings"

// Chinese capital numerals (大写数字): the only way an amount may be written
// out on a court or bank document, because each character resists being
// altered into another one (一 into 二, 十 into 千).
var (
	capitalDigits = [10]string{"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"}
	capitalPlaces = [4]string{"", "拾", "佰", "仟"}
)

// InWords writes an amount in fen as Chinese capital numerals for the
// 大写 line of a document, e.g. 367640000 -> 叁佰陆拾柒万陆仟肆佰元整.
//
// It follows the writing rules of the People's Bank of China's 支付结算办法
// (Appendix: 正确填写票据和结算凭证的基本规定): 壹拾 for a leading ten; one 零
// for a run of zeros inside the number; 整 after 元 and 角 when no 分
// follows; 零 after 元 when 角 is zero and 分 is not. Where the rules allow
// either form (a zero in the 万 place before a non-zero 仟; a zero in the 元
// place before a non-zero 角) it writes the rules' own first example:
// ¥107,000.53 is 壹拾万柒仟元零伍角叁分 and ¥1,680.32 is 壹仟陆佰捌拾元零叁角贰分.
func InWords(fen int64) string {
	var b strings.Builder
	u := uint64(fen)
	if fen < 0 {
		b.WriteString("负")
		u = -u // two's complement: also right for the smallest int64
	}
	yuan, jiao, fenDigit := u/100, u/10%10, u%10
	if yuan > 0 {
		writeCapital(&b, yuan)
		b.WriteString("元")
	}
	switch {
	case jiao == 0 && fenDigit == 0:
		if yuan == 0 {
			b.WriteString("零元")
		}
		b.WriteString("整")
	case jiao == 0:
		if yuan > 0 {
			b.WriteString("零")
		}
		b.WriteString(capitalDigits[fenDigit] + "分")
	default:
		if yuan%10 == 0 && yuan > 0 {
			b.WriteString("零")
		}
		b.WriteString(capitalDigits[jiao] + "角")
		if fenDigit == 0 {
			b.WriteString("整")
		} else {
			b.WriteString(capitalDigits[fenDigit] + "分")
		}
	}
	return b.String()
}

// writeCapital writes n > 0 in capital numerals: groups of 亿 (10^8) hold
// groups of 万 (10^4), which hold four places. A lower group that does not
// fill its top place is introduced by 零 (壹亿零伍仟, 壹佰万零壹佰); zeros at
// the end of a higher group are not written (壹拾万柒仟, as the rules allow).
func writeCapital(b *strings.Builder, n uint64) {
	const yi, wan = 100_000_000, 10_000
	if n >= yi {
		writeCapital(b, n/yi)
		b.WriteString("亿")
		if lo := n % yi; lo > 0 {
			if lo < yi/10 {
				b.WriteString("零")
			}
			writeCapital(b, lo)
		}
		return
	}
	if n >= wan {
		writeGroup(b, n/wan)
		b.WriteString("万")
		if lo := n % wan; lo > 0 {
			if lo < wan/10 {
				b.WriteString("零")
			}
			writeGroup(b, lo)
		}
		return
	}
	writeGroup(b, n)
}

// writeGroup writes 0 < n < 10,000: zeros inside become one 零, zeros at the
// end are left out (壹仟零伍拾, 叁佰).
func writeGroup(b *strings.Builder, n uint64) {
	digits := [4]uint64{n / 1000, n / 100 % 10, n / 10 % 10, n % 10}
	started, zero := false, false
	for i, d := range digits {
		if d == 0 {
			zero = started
			continue
		}
		if zero {
			b.WriteString("零")
			zero = false
		}
		b.WriteString(capitalDigits[d] + capitalPlaces[3-i])
		started = true
	}
}
