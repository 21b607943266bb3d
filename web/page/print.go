package page

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"gavel/web/page/i18n"
	"gavel/web/page/yuan"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/payments"
	"gavel/web/request"
)

// The printable documents: the case proceeds statement for court staff and
// the public sale confirmation (成交确认书). They are paper first: one
// self-contained HTML file each, no script, no external resource, so that
// what is printed or saved is exactly what the server rendered.
var (
	//go:embed print
	printFS embed.FS

	printCSS = func() template.CSS {
		b, err := printFS.ReadFile("print/print.css")
		if err != nil {
			panic(err)
		}
		return template.CSS(b)
	}()

	// printCSP lets a document load nothing and run nothing; its one inline
	// style is admitted by hash, so a saved copy keeps its layout while an
	// injected <style> or <script> would still be refused.
	printCSP = func() string {
		sum := sha256.Sum256([]byte(printCSS))
		return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
			"img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	}()

	printTemplates = func() map[string]*template.Template {
		funcs := template.FuncMap{
			"css":   func() template.CSS { return printCSS },
			"money": func(fen any) string { return i18n.Locale{}.Money(fen) },
			"words": yuan.InWords,
			"inc":   func(i int) int { return i + 1 },
		}
		out := map[string]*template.Template{}
		for _, name := range []string{"statement.html", "confirmation.html", "error.html", "document.html", "slip.html"} {
			out[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(printFS, "print/base.html", "print/"+name))
		}
		return out
	}()
)

// The printable documents, for PrintHeaders: the statement of a case and
// the confirmation of a sale. They live outside /api/v1: they are pages for
// people and printers, not data.
const (
	DocStatement    = "statement"
	DocConfirmation = "confirmation"
	DocCourt        = "court_document"
)

// PrintHeaders sets the document headers and renders refusals as a printable
// page with the status of the one table (a signed-out visitor of the
// statement is sent to sign in, as on every page).
func (h *Handler) PrintHeaders(doc, cache string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			hd := c.Response().Header()
			hd.Set(echo.HeaderContentSecurityPolicy, printCSP)
			hd.Set(echo.HeaderXContentTypeOptions, "nosniff")
			hd.Set(echo.HeaderCacheControl, cache)
			if err := next(c); err != nil {
				return h.printError(c, doc, err)
			}
			return nil
		}
	}
}

// printMessages explain a refusal to whoever holds the paper.
var printMessages = map[string]string{
	DocStatement + "." + auction.ENotFound:    "未找到该执行案件。",
	DocConfirmation + "." + auction.ENotFound: "本次拍卖尚未成交，暂无成交确认书。成交确认书在竞价结束、拍卖成交后公布。",
	DocCourt + "." + auction.ENotFound:        "未找到该拍卖或该文件。",
	DocSlip + "." + auction.ENotFound:         "未找到您的这笔银行转账保证金。",
	auction.EForbidden:                        "本文件仅供法院工作人员（书记员、财务、审计）查阅。",
	auction.EUnavailable:                      "系统暂时无法读取数据，请稍后再试。",
	auction.ERateLimited:                      "请求过于频繁，请稍后再试。",
	auction.EInternal:                         "系统内部错误，请稍后再试。",
}

func (h *Handler) printError(c echo.Context, doc string, err error) error {
	if c.Response().Committed {
		return nil
	}
	code, st, known := request.PageStatus(err)
	switch {
	case code == auction.EUnauthenticated:
		return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
	case !known && h.store.Unavailable(err):
		code, st = auction.EUnavailable, http.StatusServiceUnavailable
		h.log.Warn("database unavailable", "request_id", request.ID(c), "err", err)
	case !known || code == auction.EInternal:
		code, st = auction.EInternal, http.StatusInternalServerError
		h.log.Error("internal error", "request_id", request.ID(c), "method", c.Request().Method, "route", c.Path(), "err", err)
	}
	msg, ok := printMessages[doc+"."+code]
	if !ok {
		if msg, ok = printMessages[code]; !ok {
			msg = "无法显示此文件。"
		}
	}
	if st == http.StatusServiceUnavailable {
		c.Response().Header().Set("Retry-After", "1")
	}
	return h.renderPrint(c, st, "error.html", &printError{printBase: h.printBase("无法显示文件"), Status: st, Code: code, Message: msg})
}

type printError struct {
	printBase
	Status  int
	Code    string
	Message string
}

// printBase is what every document shows besides its content: its title and
// the court's clock and zone.
type printBase struct {
	Title     string
	NoIndex   bool
	Generated time.Time
	Zone      *time.Location
}

func (h *Handler) printBase(title string) printBase {
	zone := h.zone
	if zone == nil {
		zone = defaultZone
	}
	return printBase{Title: title, Generated: h.store.Clock().Now(), Zone: zone}
}

// Time writes an instant as a Chinese date and time in the court's zone; nil
// or zero is a dash.
func (b printBase) Time(t any) string {
	switch v := t.(type) {
	case time.Time:
		if !v.IsZero() {
			return v.In(b.Zone).Format("2006年1月2日 15:04:05")
		}
	case *time.Time:
		if v != nil && !v.IsZero() {
			return v.In(b.Zone).Format("2006年1月2日 15:04:05")
		}
	}
	return "—"
}

// Date writes the day of an instant in the court's zone.
func (b printBase) Date(t time.Time) string { return t.In(b.Zone).Format("2006年1月2日") }

// ZoneName says which clock the times are on: 北京时间 for the courts' own
// zone, otherwise the zone's name and offset.
func (b printBase) ZoneName() string {
	if b.Zone.String() == i18n.DefaultTimezone {
		return "北京时间"
	}
	return b.Zone.String() + "，UTC" + b.Generated.In(b.Zone).Format("-07:00")
}

func (h *Handler) renderPrint(c echo.Context, code int, name string, data any) error {
	var buf bytes.Buffer
	if err := printTemplates[name].ExecuteTemplate(&buf, "base", data); err != nil {
		return err
	}
	return c.HTMLBlob(code, buf.Bytes())
}

// roundNames and outcomes are the statement's and the confirmation's words
// for a round and its state.
var (
	roundNames = map[string]string{
		auction.RoundFirst:  "第一次拍卖",
		auction.RoundSecond: "第二次拍卖",
		auction.RoundSale:   "变卖",
	}
	outcomes = map[string]string{
		auction.StatusDraft:     "草稿",
		auction.StatusAnnounced: "公告中",
		auction.StatusBidding:   "竞价中",
		auction.StatusSold:      "成交，待付余款",
		auction.StatusSettled:   "成交，价款已结清",
		auction.StatusFailed:    "流拍",
		auction.StatusDefaulted: "悔拍（逾期未付余款）",
		auction.StatusSuspended: "中止",
		auction.StatusCancelled: "已撤回",
	}
)

// statementDoc is the case proceeds statement. Its rounds and totals are the
// figures of GET /api/v1/cases/{id}/proceeds, laid out for paper, with what
// the API leaves to other calls: the allocation of forfeited deposits, the
// remittances and whether the ledger agrees.
type statementDoc struct {
	printBase
	Case        *auction.Case
	Lots        []statementLot
	Totals      statementRound
	Forfeits    []statementRound
	Unallocated bool
	Remittances []statementRemittance
	Summary     statementSummary
}

type statementLot struct {
	Title     string
	Appraisal int64
	Rounds    []statementRound
}

// statementRound is one auction round: the proceeds item plus what the
// statement explains about it.
type statementRound struct {
	payments.ProceedsItem
	LotTitle    string
	RoundName   string
	Outcome     string
	ClosedAt    *time.Time
	BalanceDue  *time.Time
	Outstanding int64
	// Allocation of a forfeited deposit, in the legal order (Art. 24), as the
	// defaulted event recorded it; Unallocated is what it did not place.
	AuctionCosts    int64
	ResaleShortfall int64
	CaseDebt        int64
	Unallocated     int64
	// Net is what the round brought the case: everything received except
	// the share of a forfeited deposit that pays the auction's costs.
	Net int64
}

type statementRemittance struct {
	payments.Remittance
	Cumulative int64
}

// statementSummary ties the statement out: net proceeds less remittances
// must equal the case's balance in the ledger.
type statementSummary struct {
	TotalReceived int64
	AuctionCosts  int64
	Net           int64
	Remitted      int64
	Expected      int64
	LedgerBalance int64
	Difference    int64
	Ties          bool
}

// CaseStatement is GET /cases/{id}/statement: the printable proceeds
// statement of an enforcement case, for court staff.
func (h *Handler) CaseStatement(c echo.Context) error {
	ctx := c.Request().Context()
	var doc *statementDoc
	// The figures come from several reads; a payment or remittance landing
	// between them would show a difference that is not in the books. Read
	// again before printing one; a difference that stays is real and shown.
	for range 3 {
		var err error
		if doc, err = h.caseStatement(ctx, c.Param("id")); err != nil {
			return err
		}
		if doc.Summary.Ties {
			break
		}
	}
	return h.renderPrint(c, http.StatusOK, "statement.html", doc)
}

func (h *Handler) caseStatement(ctx context.Context, caseID string) (*statementDoc, error) {
	cs, err := h.store.Case(ctx, caseID)
	if err != nil {
		return nil, err
	}
	proceeds, err := h.store.CaseProceeds(ctx, cs.ID)
	if err != nil {
		return nil, err
	}
	remittances, err := h.store.Remittances(ctx, cs.ID)
	if err != nil {
		return nil, err
	}
	doc := &statementDoc{printBase: h.printBase("执行案件拍卖款项结算表 " + cs.CaseNumber), Case: cs}
	doc.NoIndex = true

	auctions := map[string]*auction.Auction{}
	lotIndex := map[string]int{}
	for _, l := range cs.Lots {
		lotIndex[l.ID] = len(doc.Lots)
		doc.Lots = append(doc.Lots, statementLot{Title: l.Title, Appraisal: l.AppraisalValue})
		for i := range l.Auctions {
			auctions[l.Auctions[i].ID] = &l.Auctions[i]
		}
	}
	for _, item := range proceeds.Items {
		r := statementRound{ProceedsItem: item, RoundName: roundNames[item.Round], Outcome: outcomes[item.Status]}
		if a := auctions[item.AuctionID]; a != nil {
			r.ClosedAt, r.BalanceDue = a.ClosedAt, a.BalanceDueAt
		}
		if item.Status == auction.StatusSold && item.HammerPrice != nil {
			r.Outstanding = *item.HammerPrice - item.DepositApplied - item.BalanceReceived
		}
		if item.ForfeitedDeposit > 0 {
			allocateForfeit(&r)
		}
		r.Net = item.DepositApplied + item.BalanceReceived + item.ForfeitedDeposit - r.AuctionCosts
		i, ok := lotIndex[item.LotID]
		if !ok {
			// A lot added after the case was read: list it on its own.
			i = len(doc.Lots)
			lotIndex[item.LotID] = i
			doc.Lots = append(doc.Lots, statementLot{Title: item.LotID})
		}
		r.LotTitle = doc.Lots[i].Title
		doc.Lots[i].Rounds = append(doc.Lots[i].Rounds, r)

		t := &doc.Totals
		t.DepositApplied += r.DepositApplied
		t.BalanceReceived += r.BalanceReceived
		t.ForfeitedDeposit += r.ForfeitedDeposit
		t.AuctionCosts += r.AuctionCosts
		t.ResaleShortfall += r.ResaleShortfall
		t.CaseDebt += r.CaseDebt
		t.Unallocated += r.Unallocated
		t.Net += r.Net
		if r.ForfeitedDeposit > 0 {
			doc.Forfeits = append(doc.Forfeits, r)
			doc.Unallocated = doc.Unallocated || r.Unallocated != 0
		}
	}

	var remitted int64
	for _, m := range remittances {
		remitted += m.Amount
		doc.Remittances = append(doc.Remittances, statementRemittance{Remittance: m, Cumulative: remitted})
	}
	sum := &doc.Summary
	sum.TotalReceived = proceeds.TotalReceived
	sum.AuctionCosts = doc.Totals.AuctionCosts
	sum.Net = sum.TotalReceived - sum.AuctionCosts
	sum.Remitted = remitted
	sum.Expected = sum.Net - sum.Remitted
	sum.LedgerBalance = proceeds.LedgerBalance
	sum.Difference = sum.LedgerBalance - sum.Expected
	sum.Ties = sum.Difference == 0 && doc.Totals.Net == sum.Net
	return doc, nil
}

// allocateForfeit shows how a forfeited deposit was allocated, as the
// store's allocation record says (costs at the default, the re-sale
// shortfall once a later round sold); what it did not place is unallocated.
func allocateForfeit(r *statementRound) {
	r.Unallocated = r.ForfeitedDeposit
	if al := r.ForfeitAllocation; al != nil {
		r.AuctionCosts, r.ResaleShortfall, r.CaseDebt = al.AuctionCosts, al.ResaleShortfall, al.CaseDebt
		r.Unallocated = r.ForfeitedDeposit - al.AuctionCosts - al.ResaleShortfall - al.CaseDebt
	}
}

// confirmationDoc is the sale confirmation (成交确认书), published after the
// close with the buyer's name (Art. 22).
type confirmationDoc struct {
	printBase
	Conf           *auction.Confirmation
	Court          string
	CaseNumber     string
	LotTitle       string
	Location       string
	Round          string
	DepositApplied int64
	Balance        int64
	BalanceDueAt   *time.Time
	Settled        bool
	// Seq is the number of the record's last event, whose hash is
	// Conf.RecordHash.
	Seq int64
}

// ConfirmationPrint is GET /auctions/{id}/confirmation/print: the
// printable sale confirmation, public once the auction is sold; a 404 page
// before (and after a default, which voids the sale).
func (h *Handler) ConfirmationPrint(c echo.Context) error {
	ctx := c.Request().Context()
	var (
		a    *auction.Auction
		conf *auction.Confirmation
		last auction.Event
	)
	// The hash and the event count come from separate reads; a settlement
	// between them appends an event. Read again until they agree.
	for range 3 {
		var err error
		if conf, err = h.store.Confirmation(ctx, c.Param("id")); err != nil {
			return err
		}
		if a, err = h.store.Auction(ctx, conf.AuctionID); err != nil {
			return err
		}
		events, _, err := h.store.Events(ctx, a.ID, a.Seq-1, 1)
		if err != nil {
			return err
		}
		if len(events) == 1 {
			last = events[0]
		}
		if last.Hash == conf.RecordHash {
			break
		}
	}
	if last.Hash != conf.RecordHash {
		return auction.Errorf(auction.EUnavailable, "the auction record is changing; try again")
	}
	cs, err := h.store.Case(ctx, a.CaseID)
	if err != nil {
		return err
	}
	doc := &confirmationDoc{printBase: h.printBase("网络司法拍卖成交确认书"), Conf: conf, Court: cs.CourtName, CaseNumber: cs.CaseNumber,
		Round: roundNames[a.Round], BalanceDueAt: a.BalanceDueAt, Settled: a.Status == auction.StatusSettled, Seq: last.Seq}
	for _, l := range cs.Lots {
		if l.ID == a.LotID {
			doc.LotTitle, doc.Location = l.Title, l.Location
		}
	}
	deposits, err := h.store.Deposits(ctx, a.ID)
	if err != nil {
		return err
	}
	for _, d := range deposits {
		if d.Status == auction.DepositApplied && d.BidderCode != nil && *d.BidderCode == conf.BidderCode {
			doc.DepositApplied += d.Amount
		}
	}
	doc.Balance = conf.HammerPrice - doc.DepositApplied
	return h.renderPrint(c, http.StatusOK, "confirmation.html", doc)
}
