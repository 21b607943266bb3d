// Package courtdoc writes the documents a court publishes with an auction
// round: the auction announcement (拍卖公告) and the bidders' notice (竞买须知),
// in Chinese, from the lot, the round and the rulebook, so that what the
// documents promise is what the rules enforce. A clerk may edit the text
// before publishing; the store keeps every version.
//
// The documents name no party: neither the applicants nor the debtors, nor
// any priority holder, are named or identified (the SPC 2016 provisions,
// Art. 13, ask for the property, prices, deposit, conditions, known defects,
// rights and duties, times, platform and court; none asks for a party's
// personal data). Priority holders are announced by number only.
package courtdoc

import (
	"bytes"
	"embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"time"

	// The zone database is embedded so that the courts' zone resolves on
	// machines without system zoneinfo.
	_ "time/tzdata"

	"gavel/auction"
)

// DefaultZone is the courts' time zone unless configured otherwise.
var DefaultZone = func() *time.Location {
	z, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return z
}()

// Document kinds.
const (
	KindAnnouncement = "announcement"  // 拍卖公告
	KindBidderNotice = "bidder_notice" // 竞买须知
)

// Kinds are the documents published with every round, in order.
var Kinds = []string{KindAnnouncement, KindBidderNotice}

// ValidKind reports whether kind is a document of a round.
func ValidKind(kind string) bool { return kind == KindAnnouncement || kind == KindBidderNotice }

// Titles are the documents' titles.
var Titles = map[string]string{KindAnnouncement: "拍卖公告", KindBidderNotice: "竞买须知"}

// Input is what a document is written from.
type Input struct {
	CourtName  string
	CaseNumber string
	Lot        *auction.Lot
	Auction    *auction.Auction
	Rulebook   auction.Rulebook
	// Zone is the court's time zone, for the times written out.
	Zone *time.Location
	// Date is the document's date (the publication's).
	Date time.Time
	// Platform names the platform in the text.
	Platform string
}

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"yuan":       Yuan,
	"round":      roundName,
	"category":   categoryName,
	"span":       Span,
	"percent":    func(p int64) string { return strconv.FormatInt(p, 10) + "%" },
	"restricted": auction.Restricted,
	"trim":       strings.TrimSpace,
	"when":       When,
	"day":        Day,
}).ParseFS(templateFS, "templates/*.tmpl"))

// Write writes the document of kind for in: the text as published, one
// paragraph a line, headings as their own lines.
func Write(kind string, in Input) (string, error) {
	if !ValidKind(kind) {
		return "", fmt.Errorf("courtdoc: unknown kind %q", kind)
	}
	if in.Zone == nil {
		in.Zone = time.UTC
	}
	if in.Platform == "" {
		in.Platform = "Gavel 网络司法拍卖平台"
	}
	var b bytes.Buffer
	err := templates.ExecuteTemplate(&b, kind+".tmpl", struct {
		Input
		Extension, ExtensionWindow, MinBidding, RefundWindow, GuardWindow string
		Holders                                                           int
	}{in, Span(in.Rulebook.Extension), Span(in.Rulebook.ExtensionWindow), Span(in.Rulebook.MinBidding),
		Span(in.Rulebook.RefundWithin), Span(in.Rulebook.OutageGuardWindow), len(in.Lot.PriorityHolders)})
	if err != nil {
		return "", err
	}
	return tidy(b.String()), nil
}

// tidy drops the template's blank runs: one blank line between paragraphs
// at most, none at the ends.
func tidy(s string) string {
	var out []string
	blank := true
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			if !blank {
				out = append(out, "")
			}
			blank = true
			continue
		}
		out = append(out, l)
		blank = false
	}
	return strings.TrimSpace(strings.Join(out, "\n")) + "\n"
}

// Yuan writes an amount in fen as yuan with thousands separators, e.g.
// 70000000 -> 700,000.00元.
func Yuan(fen int64) string {
	sign, u := "", uint64(fen)
	if fen < 0 {
		sign, u = "-", -u
	}
	digits := strconv.FormatUint(u/100, 10)
	for i := len(digits) - 3; i > 0; i -= 3 {
		digits = digits[:i] + "," + digits[i:]
	}
	return fmt.Sprintf("%s%s.%02d元", sign, digits, u%100)
}

// Span writes a period in the largest whole unit: 30日, 24小时, 5分钟, 15秒.
func Span(d time.Duration) string {
	switch {
	case d > 0 && d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "日"
	case d > 0 && d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "小时"
	case d > 0 && d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "分钟"
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + "秒"
}

// When writes an instant in zone as 2026年4月1日10时00分.
func When(t time.Time, zone *time.Location) string {
	return t.In(zone).Format("2006年1月2日15时04分")
}

// Day writes a date in zone as 2026年4月1日.
func Day(t time.Time, zone *time.Location) string {
	return t.In(zone).Format("2006年1月2日")
}

func roundName(round string) string {
	switch round {
	case auction.RoundFirst:
		return "第一次拍卖"
	case auction.RoundSecond:
		return "第二次拍卖"
	}
	return "变卖"
}

func categoryName(c string) string {
	return map[string]string{auction.CategoryRealEstate: "不动产", auction.CategoryVehicle: "机动车",
		auction.CategoryEquity: "股权", auction.CategoryMovable: "动产", auction.CategoryOther: "其他财产权"}[c]
}

// Line is one line of a laid-out document.
type Line struct {
	Text string
	// Class names the heading line's role: court, title or doc-ref.
	Class string
	// Heading marks a numbered section heading (一、…).
	Heading bool
}

// Layout is a document's text in its parts, for printing.
type Layout struct {
	// Head is the heading: the court, the title and the case number.
	Head []Line
	// Blocks are the section headings and paragraphs.
	Blocks []Line
	// Sign is the signature: the court and the date.
	Sign []string
}

// sectionHeading is a numbered section heading of a court document: 一、…
var sectionHeading = regexp.MustCompile(`^[一二三四五六七八九十]+、\S{1,20}$`)

// Lay splits a document's text into its parts. The text is the one Write
// writes or a clerk's edit of it: the first three lines are the heading when
// the second is the title; the last two the signature when the second last
// is the court.
func Lay(title, body string) Layout {
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	var d Layout
	if len(lines) >= 3 && lines[1] == title {
		d.Head = []Line{{Text: lines[0], Class: "court"}, {Text: lines[1], Class: "title"}, {Text: lines[2], Class: "doc-ref"}}
		if n := len(lines); n >= 5 && lines[n-2] == lines[0] {
			d.Sign = lines[n-2:]
			lines = lines[:n-2]
		}
		lines = lines[3:]
	} else {
		d.Head = []Line{{Text: title, Class: "title"}}
	}
	for _, l := range lines {
		d.Blocks = append(d.Blocks, Line{Text: l, Heading: sectionHeading.MatchString(l)})
	}
	return d
}
