package postgres_test

import (
	"fmt"
	"testing"
	"time"

	"gavel/auction"
)

// TestCaseSearch: the clerks' case list finds cases by case number, court
// and party name, and pages through all of them, however many.
func TestCaseSearch(t *testing.T) {
	t.Parallel()
	w := setup(t)
	const n = 23
	for i := 0; i < n; i++ {
		court := "北京市朝阳区人民法院"
		if i%2 == 1 {
			court = "上海市浦东新区人民法院"
		}
		debtor := fmt.Sprintf("被执行人%02d", i)
		if i == 7 {
			debtor = "李四有限公司"
		}
		w.CaseOf(auction.NewCase{CaseNumber: fmt.Sprintf("(2026)搜执%03d号", i), CourtName: court,
			Applicants: []auction.Party{{Name: fmt.Sprintf("申请人%02d", i), IDNumber: idn(fmt.Sprint("A", i)), Claim: ptr(int64(1))}},
			Debtors:    []auction.Party{{Name: debtor, IDNumber: idn(fmt.Sprint("D", i))}}})
		w.Clock.Advance(time.Second)
	}
	// Every case, three to a page, newest first, none twice.
	seen := map[string]bool{}
	var order []string
	for off := 0; ; off += 3 {
		page, more, err := w.Store.Cases(w.Ctx, auction.CaseFilter{CaseNumber: "搜执", Limit: 3, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			if seen[c.ID] {
				t.Fatalf("case %s twice", c.CaseNumber)
			}
			seen[c.ID] = true
			order = append(order, c.CaseNumber)
		}
		if !more {
			break
		}
	}
	if len(seen) != n || order[0] != "(2026)搜执022号" || order[n-1] != "(2026)搜执000号" {
		t.Fatalf("%d cases, order %v", len(seen), order)
	}
	for _, tc := range []struct {
		name string
		f    auction.CaseFilter
		want int
	}{
		{"case number", auction.CaseFilter{CaseNumber: "搜执007"}, 1},
		{"court", auction.CaseFilter{CaseNumber: "搜执", Court: "浦东"}, 11},
		{"debtor's name", auction.CaseFilter{Party: "李四"}, 1},
		{"applicant's name", auction.CaseFilter{Party: "申请人1"}, 10},
		{"all three", auction.CaseFilter{CaseNumber: "搜执", Court: "浦东", Party: "李四"}, 1},
		{"nothing", auction.CaseFilter{Party: "王五"}, 0},
		{"% is text", auction.CaseFilter{CaseNumber: "%"}, 0},
		{"_ is text", auction.CaseFilter{CaseNumber: "搜执_0"}, 0},
		{"a backslash is text", auction.CaseFilter{Court: `\`}, 0},
		{"a NUL", auction.CaseFilter{Party: "李\x00四"}, 1},
		{"not UTF-8", auction.CaseFilter{Court: "\xff浦东"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, more, err := w.Store.Cases(w.Ctx, tc.f)
			if err != nil || more || len(got) != tc.want {
				t.Fatalf("got %d (more %v, %v), want %d", len(got), more, err, tc.want)
			}
		})
	}
}
