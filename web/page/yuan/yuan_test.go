package yuan_test

import (
	"testing"

	"gavel/web/page/yuan"
)

func TestMoney(t *testing.T) {
	t.Parallel()
	for fen, want := range map[int64]string{
		0: "¥0.00", 5: "¥0.05", 100: "¥1.00", 123456: "¥1,234.56", 100000: "¥1,000.00",
		123456789: "¥1,234,567.89", 70_000_000: "¥700,000.00", -100: "-¥1.00", 99_999_999_999: "¥999,999,999.99",
	} {
		if got := yuan.Format(fen); got != want {
			t.Errorf("yuan.Format(%d) = %q, want %q", fen, got, want)
		}
	}
}

func TestParseYuan(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{
		"0": 0, "1": 100, "1.5": 150, "1.05": 105, "700000": 70_000_000, "700,000.00": 70_000_000,
		" ¥ 1,234.56 ": 123456, "￥12": 1200, "3.": 300, "1，000": 100000,
	} {
		got, ok := yuan.Parse(in)
		if !ok || got != want {
			t.Errorf("yuan.Parse(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "-1", "1.234", "abc", "1e5", ".5", "1.2.3", "12345678901234"} {
		if got, ok := yuan.Parse(in); ok {
			t.Errorf("yuan.Parse(%q) = %d, want refusal", in, got)
		}
	}
	for _, fen := range []int64{0, 1, 50, 150, 105, 70_000_000, 123456} {
		if got, ok := yuan.Parse(yuan.Field(fen)); !ok || got != fen {
			t.Errorf("yuan.Parse(yuan.Field(%d)) = %d, %v", fen, got, ok)
		}
	}
}

func TestAmountInWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fen  int64
		want string
	}{
		{0, "零元整"},
		{1, "壹分"},
		{10, "壹角整"},
		{55, "伍角伍分"},
		{100, "壹元整"},
		{105, "壹元零伍分"},
		{1000, "壹拾元整"},
		{1500, "壹拾伍元整"},
		{10010, "壹佰元零壹角整"},
		{140950, "壹仟肆佰零玖元伍角整"},      // the PBOC rules' ¥1,409.50
		{600714, "陆仟零柒元壹角肆分"},       // ¥6,007.14
		{168032, "壹仟陆佰捌拾元零叁角贰分"},    // ¥1,680.32
		{10700053, "壹拾万柒仟元零伍角叁分"},   // ¥107,000.53
		{32500000, "叁拾贰万伍仟元整"},      // ¥325,000
		{367640000, "叁佰陆拾柒万陆仟肆佰元整"}, // ¥3,676,400
		{100010000, "壹佰万零壹佰元整"},     // ¥1,000,100
		{100001000, "壹佰万零壹拾元整"},     // ¥1,000,010
		{1000000000, "壹仟万元整"},       // ¥10,000,000
		{1000000100, "壹仟万零壹元整"},     // ¥10,000,001
		{10000000000, "壹亿元整"},       // ¥100,000,000
		{10000000100, "壹亿零壹元整"},     // ¥100,000,001
		{10010000000, "壹亿零壹拾万元整"},   // ¥100,100,000
		{17000000000, "壹亿柒仟万元整"},    // ¥170,000,000
		{123456789012, "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元零壹角贰分"},
		{100000000000000, "壹万亿元整"},
		{9223372036854775807, "玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌元零柒分"},
		{-150, "负壹元伍角整"},
	} {
		if got := yuan.InWords(tc.fen); got != tc.want {
			t.Errorf("yuan.InWords(%d) = %s, want %s", tc.fen, got, tc.want)
		}
	}
}
