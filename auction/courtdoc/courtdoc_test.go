package courtdoc_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/courtdoc"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var shanghai = func() *time.Location {
	z, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return z
}()

// fixtures are the rounds the golden files are written from: a first round
// of a flat with priority holders and every disclosure under spc2016, and a
// second round of a car without disclosures under the demo rulebook.
func fixtures() map[string]courtdoc.Input {
	starts := time.Date(2026, 5, 6, 2, 0, 0, 0, time.UTC)
	flat := &auction.Lot{Title: "上海市浦东新区某路 100 弄 5 号 1201 室", Description: "住宅，建筑面积 89.50 平方米。", Category: auction.CategoryRealEstate,
		AppraisalValue: 500_000_000, Location: "上海市浦东新区",
		Disclosures: auction.Disclosures{AppraisalReport: "沪评字（2026）第 12 号", Encumbrances: "该房产设有抵押，拍卖成交后由本院依法涤除。",
			Occupancy: "现由被执行人居住，本院负责腾退交付。", TaxTerms: "过户税费由买卖双方各自承担。", Viewing: "2026年4月20日、4月27日 9:00-11:00 集中看样。"},
		PriorityHolders: []auction.PriorityHolder{{Name: "承租人甲", IDNumber: "310101199001011234", Rank: 1}, {Name: "共有人乙", Rank: 2}}}
	car := &auction.Lot{Title: "沪A·12345 小型轿车", Category: auction.CategoryVehicle, AppraisalValue: 10_000_000}
	return map[string]courtdoc.Input{
		"flat_first": {CourtName: "上海市浦东新区人民法院", CaseNumber: "(2026)沪0115执1234号", Lot: flat, Rulebook: auction.SPC2016, Zone: shanghai,
			Date: time.Date(2026, 4, 1, 1, 30, 0, 0, time.UTC),
			Auction: &auction.Auction{Round: auction.RoundFirst, StartPrice: 350_000_000, Increment: 1_000_000, Deposit: 35_000_000,
				StartsAt: starts, EndsAt: starts.Add(24 * time.Hour), BalanceDueDays: 10}},
		"car_second_demo": {CourtName: "上海市第一中级人民法院", CaseNumber: "(2026)沪01执77号", Lot: car, Rulebook: auction.Demo, Zone: shanghai,
			Date: starts,
			Auction: &auction.Auction{Round: auction.RoundSecond, StartPrice: 5_600_000, Increment: 50_000, Deposit: 560_000,
				StartsAt: starts, EndsAt: starts.Add(time.Hour), BalanceDueDays: 5}},
	}
}

// TestGolden compares each generated document with its golden file under
// testdata/ (go test -run TestGolden -update rewrites them after a
// deliberate change; read the diff before committing it).
func TestGolden(t *testing.T) {
	for name, in := range fixtures() {
		for _, kind := range courtdoc.Kinds {
			t.Run(name+"/"+kind, func(t *testing.T) {
				got, err := courtdoc.Write(kind, in)
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("testdata", name+"."+kind+".golden")
				if *update {
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if got != string(want) {
					t.Errorf("%s differs from %s:\n%s", kind, path, got)
				}
			})
		}
	}
}

// TestNoPersonalData: no party of the case is named or identified, the
// priority holders included; they are counted.
func TestNoPersonalData(t *testing.T) {
	in := fixtures()["flat_first"]
	for _, kind := range courtdoc.Kinds {
		got, err := courtdoc.Write(kind, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"承租人甲", "共有人乙", "310101199001011234"} {
			if strings.Contains(got, secret) {
				t.Fatalf("%s names %q", kind, secret)
			}
		}
	}
	if got, _ := courtdoc.Write(courtdoc.KindAnnouncement, in); !strings.Contains(got, "本标的有2名经本院确认的优先购买权人") {
		t.Fatal("the announcement does not count the priority holders")
	}
}

// TestRulesInTheText: the periods and amounts written are the rulebook's
// and the round's.
func TestRulesInTheText(t *testing.T) {
	for _, tc := range []struct {
		fixture, kind string
		want          []string
	}{
		{"flat_first", courtdoc.KindAnnouncement, []string{"起拍价：3,500,000.00元", "保证金：350,000.00元", "竞价结束前5分钟内", "顺延5分钟",
			"2026年5月6日10时00分", "2026年5月7日10时00分", "被列入失信被执行人名单", "10日内", "第一次拍卖", "2026年4月1日"}},
		{"car_second_demo", courtdoc.KindBidderNotice, []string{"竞价结束前15秒内", "不少于1分钟", "5日内", "在1分钟内退还", "被列入失信被执行人名单"}},
		{"car_second_demo", courtdoc.KindAnnouncement, []string{"第二次拍卖", "本标的无经本院确认的优先购买权人", "本院未发现拍卖标的存在权利负担"}},
	} {
		got, err := courtdoc.Write(tc.kind, fixtures()[tc.fixture])
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s %s lacks %q", tc.fixture, tc.kind, w)
			}
		}
	}
	if _, err := courtdoc.Write("receipt", fixtures()["flat_first"]); err == nil {
		t.Fatal("an unknown kind was written")
	}
}

func TestYuanAndSpan(t *testing.T) {
	for in, want := range map[int64]string{0: "0.00元", 5: "0.05元", 100_000: "1,000.00元", 350_000_000: "3,500,000.00元",
		-1_234_56: "-1,234.56元", -9223372036854775808: "-92,233,720,368,547,758.08元"} {
		if got := courtdoc.Yuan(in); got != want {
			t.Errorf("Yuan(%d) = %s, want %s", in, got, want)
		}
	}
	for in, want := range map[time.Duration]string{30 * 24 * time.Hour: "30日", 24 * time.Hour: "1日", 25 * time.Hour: "25小时",
		5 * time.Minute: "5分钟", 15 * time.Second: "15秒"} {
		if got := courtdoc.Span(in); got != want {
			t.Errorf("Span(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestLay: a written document lays out as heading, ten numbered sections
// and signature; a clerk's text without the usual heading keeps every line.
func TestLay(t *testing.T) {
	body, err := courtdoc.Write(courtdoc.KindAnnouncement, fixtures()["flat_first"])
	if err != nil {
		t.Fatal(err)
	}
	l := courtdoc.Lay("拍卖公告", body)
	headings := 0
	for _, b := range l.Blocks {
		if b.Heading {
			headings++
		}
	}
	if len(l.Head) != 3 || l.Head[0].Text != "上海市浦东新区人民法院" || l.Head[2].Text != "(2026)沪0115执1234号" ||
		len(l.Sign) != 2 || l.Sign[1] != "2026年4月1日" || headings != 10 {
		t.Fatalf("layout: head %+v, sign %v, %d headings", l.Head, l.Sign, headings)
	}
	l = courtdoc.Lay("拍卖公告", "特别提醒\n\n本标的存在欠缴物业费。")
	if len(l.Head) != 1 || len(l.Blocks) != 2 || l.Sign != nil {
		t.Fatalf("a free text: %+v", l)
	}
}
