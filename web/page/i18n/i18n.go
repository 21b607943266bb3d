// Package i18n is how Gavel's pages speak: the message catalogue in Chinese
// (the default) and English, and a Locale that renders messages, money and
// times in a request's language and the court's time zone.
package i18n

import (
	"fmt"
	"gavel/web/page/yuan"
	"strings"
	"time"

	// The zone database is embedded so that Asia/Shanghai (or any --timezone)
	// resolves on machines without system zoneinfo.
	_ "time/tzdata"
)

// Page languages. Chinese is the default: the courts and most bidders read it;
// English is one click away.
const (
	LangZH = "zh-CN"
	LangEN = "en"
)

// LangCookie remembers the chosen language.
const LangCookie = "gavel_lang"

// DefaultTimezone is where the courts are: pages show times in it unless
// `serve --timezone` says otherwise.
const DefaultTimezone = "Asia/Shanghai"

// Locale is how one request renders: its language and the time zone of the
// court. Templates call its methods (.L.T, .L.Money, .L.Time).
type Locale struct {
	Lang string
	Zone *time.Location
}

// T returns the message for key in the locale's language, formatted with args
// when given. An unknown key is returned as is so a gap shows on the page
// instead of breaking it; a test keeps the catalogue complete.
func (l Locale) T(key string, args ...any) string {
	m, ok := catalogue[key]
	if !ok {
		return key
	}
	s := m.zh
	if l.Lang == LangEN {
		s = m.en
	}
	if len(args) > 0 {
		s = fmt.Sprintf(s, args...)
	}
	return s
}

// Money shows an amount in fen as yuan, e.g. ¥1,234,567.89; nil is a dash.
func (l Locale) Money(fen any) string {
	switch v := fen.(type) {
	case int64:
		return yuan.Format(v)
	case *int64:
		if v == nil {
			return "—"
		}
		return yuan.Format(*v)
	case int:
		return yuan.Format(int64(v))
	}
	return "—"
}

// Time shows an instant in the court's time zone; nil or zero is a dash.
func (l Locale) Time(t any) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return "—"
		}
		return v.In(l.Zone).Format("2006-01-02 15:04:05")
	case *time.Time:
		if v == nil || v.IsZero() {
			return "—"
		}
		return v.In(l.Zone).Format("2006-01-02 15:04:05")
	}
	return "—"
}

// ISO is an instant in RFC 3339 UTC for the machine-readable datetime
// attribute of <time> and for the scripts.
func (l Locale) ISO(t any) string {
	switch v := t.(type) {
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	case *time.Time:
		if v != nil {
			return v.UTC().Format(time.RFC3339Nano)
		}
	}
	return ""
}

// Input is an instant as the value of an <input type="datetime-local"> in the
// court's time zone (the page script converts it back with the same zone).
func (l Locale) Input(t time.Time) string { return t.In(l.Zone).Format("2006-01-02T15:04") }

// ZoneLabel names the time zone with its current UTC offset, e.g.
// "Asia/Shanghai (UTC+08:00)".
func (l Locale) ZoneLabel() string {
	return l.Zone.String() + " (UTC" + time.Now().In(l.Zone).Format("-07:00") + ")"
}

// Duration says a rule's duration in whole days, hours, minutes or seconds
// (the demo rulebook counts minutes where the law counts days).
func (l Locale) Duration(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return l.T("dur.days", int(d/(24*time.Hour)))
	case d >= time.Hour && d%time.Hour == 0:
		return l.T("dur.hours", int(d/time.Hour))
	case d >= time.Minute && d%time.Minute == 0:
		return l.T("dur.minutes", int(d/time.Minute))
	}
	return l.T("dur.seconds", int(d/time.Second))
}

// Messages returns the messages the page scripts need, in this language.
func (l Locale) Messages() map[string]string {
	out := map[string]string{}
	for k := range catalogue {
		for _, p := range scriptPrefixes {
			if strings.HasPrefix(k, p) {
				out[k] = l.T(k)
			}
		}
	}
	return out
}

var scriptPrefixes = []string{"js.", "err.", "status.", "dep.", "reg.", "round.", "outcome."}

type text struct{ zh, en string }

// catalogue holds every message of the pages in both languages. Keys under
// err. are the refusal codes of API.md; the scripts receive the prefixes in
// scriptPrefixes.
var catalogue = map[string]text{
	"app.name":    {"Gavel 司法拍卖", "Gavel judicial auctions"},
	"app.tagline": {"人民法院网络司法拍卖", "Online judicial auctions of the people's courts"},
	"nav.skip":    {"跳到主要内容", "Skip to main content"},
	"nav.browse":  {"拍卖大厅", "Auctions"},
	"nav.me":      {"我的竞拍", "My auctions"},
	"nav.clerk":   {"案件管理", "Cases"},
	"nav.monitor": {"实时监控", "Live monitor"},
	"nav.finance": {"财务", "Finance"},
	"nav.ledger":  {"账簿", "Ledger"},
	"nav.recon":   {"对账", "Reconciliation"},
	"nav.login":   {"登录", "Sign in"},
	"nav.signup":  {"注册", "Sign up"},
	"nav.logout":  {"退出", "Sign out"},
	"nav.main":    {"主导航", "Main"},
	"nav.other":   {"English", "中文"},
	"nav.signed":  {"已登录：%s", "Signed in as %s"},
	"footer.tz":   {"页面时间均为 %s", "Times are shown in %s"},
	"footer.law":  {"依据《最高人民法院关于人民法院网络司法拍卖若干问题的规定》（法释〔2016〕18号）", "Under the SPC provisions on online judicial auctions (Fa Shi [2016] No. 18)"},

	"dur.days":    {"%d 天", "%d days"},
	"dur.hours":   {"%d 小时", "%d hours"},
	"dur.minutes": {"%d 分钟", "%d minutes"},
	"dur.seconds": {"%d 秒", "%d seconds"},

	"role.bidder":  {"竞买人", "Bidder"},
	"role.clerk":   {"执行书记员", "Enforcement clerk"},
	"role.finance": {"财务人员", "Finance"},
	"role.auditor": {"审计人员", "Auditor"},
	"role.admin":   {"管理员", "Administrator"},

	"status.draft":     {"草稿", "Draft"},
	"status.announced": {"即将开始", "Upcoming"},
	"status.bidding":   {"正在进行", "Bidding"},
	"status.sold":      {"已成交", "Sold"},
	"status.failed":    {"流拍", "No sale"},
	"status.settled":   {"已结清", "Settled"},
	"status.defaulted": {"悔拍", "Defaulted"},
	"status.suspended": {"中止", "Suspended"},
	"status.cancelled": {"已撤回", "Cancelled"},
	"status.annulled":  {"已撤销", "Annulled"},

	"cat.real_estate": {"房产", "Real estate"},
	"cat.vehicle":     {"机动车", "Vehicle"},
	"cat.equity":      {"股权", "Equity"},
	"cat.movable":     {"动产", "Movable property"},
	"cat.other":       {"其他", "Other"},

	"round.first":  {"第一次拍卖", "First round"},
	"round.second": {"第二次拍卖", "Second round"},
	"round.sale":   {"变卖", "Sale at fixed price"},

	"reg.pending_deposit": {"待交保证金", "Deposit due"},
	"reg.qualified":       {"已取得竞买资格", "Qualified"},

	"dep.pending":        {"待到账", "Awaiting payment"},
	"dep.held":           {"已冻结", "Held"},
	"dep.applied":        {"已抵作价款", "Applied to the price"},
	"dep.refund_pending": {"待退还", "Refund due"},
	"dep.refunded":       {"已退还", "Refunded"},
	"dep.forfeited":      {"已没收", "Forfeited"},

	"outcome.won":  {"您已竞得本标的", "You won this lot"},
	"outcome.lost": {"本场拍卖已结束，您未竞得", "The auction has ended; you did not win"},

	// Refusal codes of API.md: every one has a message a person understands.
	"err.not_found":                     {"未找到该内容", "Not found"},
	"err.invalid_request":               {"请求格式有误，请刷新页面后重试", "The request was malformed; reload the page and try again"},
	"err.invalid_field":                 {"填写有误", "Please correct this field"},
	"err.unauthenticated":               {"请先登录", "Please sign in first"},
	"err.forbidden":                     {"您无权进行此操作（如页面已停留较久，请刷新后重试）", "You may not do this (if the page is old, reload it and try again)"},
	"err.internal":                      {"系统出错，请稍后重试", "Something went wrong; please try again"},
	"err.service_unavailable":           {"服务暂时不可用，请稍后重试", "The service is unavailable; try again shortly"},
	"err.rate_limited":                  {"操作过于频繁，请稍候再试", "Too many requests; wait a moment"},
	"err.body_too_large":                {"文件或内容过大", "The upload or request is too large"},
	"err.method_not_allowed":            {"不支持此操作", "This action is not supported"},
	"err.email_taken":                   {"该邮箱已注册，请直接登录", "An account with this email exists; sign in instead"},
	"err.weak_password":                 {"密码至少需要 10 个字符", "A password needs at least 10 characters"},
	"err.invalid_credentials":           {"邮箱或密码错误", "Wrong email or password"},
	"err.case_exists":                   {"该案号已存在", "A case with this number already exists"},
	"err.start_price_too_low":           {"起拍价低于法定下限", "The start price is below the legal minimum"},
	"err.price_cut_too_large":           {"降价幅度超过法定上限", "The price cut is larger than the law allows"},
	"err.round_not_allowed":             {"现在不能安排该轮次：须前一轮流拍或悔拍，且同一标的没有正在公告或竞价的轮次", "This round cannot be scheduled now: the earlier round must have failed or defaulted, and no other round of the lot may be announced or bidding"},
	"err.deposit_out_of_range":          {"保证金超出法定比例", "The deposit is outside the legal range"},
	"err.bidding_period_too_short":      {"竞价时间过短", "The bidding period is too short"},
	"err.announcement_period_too_short": {"公告期不足：开拍时间距今太近，请改期后重新安排", "The notice period is too short: bidding would open too soon; schedule a later start"},
	"err.invalid_state":                 {"当前状态下不能进行此操作", "This is not possible in the current state"},
	"err.staff_cannot_bid":              {"法院及平台工作人员及其近亲属不得竞买", "Court and platform staff and their close relatives may not bid"},
	"err.bidder_restricted":             {"您在限制消费名单中，不得竞买房产或机动车", "You are on the consumption restriction list and may not buy real estate or vehicles"},
	"err.bidder_barred":                 {"您曾对本标的悔拍，不得参加再次拍卖", "You defaulted on an earlier round of this lot and may not bid again"},
	"err.already_registered":            {"您已报名本场拍卖", "You are already registered for this auction"},
	"err.registration_closed":           {"本场拍卖已停止报名", "Registration for this auction is closed"},
	"err.idempotency_key_required":      {"出价请求不完整，请刷新页面后重试", "The bid was incomplete; reload the page and try again"},
	"err.idempotency_key_reused":        {"该出价请求已使用过，请刷新页面后重试", "That bid request was already used; reload the page and try again"},
	"err.not_qualified":                 {"您尚未取得竞买资格：请先报名并交纳保证金", "You are not qualified yet: register and pay the deposit first"},
	"err.already_leading":               {"您已是当前最高出价人，无需再出价", "You already lead; there is no need to bid again"},
	"err.auction_not_open":              {"当前不在竞价时间内", "Bidding is not open now"},
	"err.bid_too_low":                   {"出价过低，当前最低有效出价为 %s", "Too low: the lowest valid bid is %s"},
	"err.bid_not_on_increment":          {"出价须按加价幅度递增，例如 %s", "Bids go up in whole increments, e.g. %s"},
	"err.deposit_not_pending":           {"该保证金不在待确认状态", "This deposit is not awaiting confirmation"},
	"err.auction_not_sold":              {"该拍卖不在待付尾款状态", "This auction is not awaiting the balance"},
	"err.overpayment":                   {"金额超过应付余款", "The amount exceeds what is outstanding"},
	"err.duplicate_reference":           {"该流水号已入账，未重复记账", "This reference is already booked; nothing was booked again"},
	"err.csrf":                          {"页面已过期，请刷新后重试", "The page has expired; reload it and try again"},
	"err.money":                         {"请输入以元为单位的金额，最多两位小数", "Enter an amount in yuan with at most two decimals"},
	"err.email":                         {"请输入有效的邮箱地址", "Enter a valid email address"},
	"err.required":                      {"此项必填", "This field is required"},
	"err.title":                         {"出错了", "Something went wrong"},
	"err.id_number_taken":               {"该证件号码已有竞买账户；一人只能有一个账户。如该号码属于您本人，请持证件到法院窗口核验身份", "A bidder account already claims this identity number; one person has one account. If the number is yours, a court clerk can verify you at the desk"},
	"err.bid_too_high":                  {"出价超过本标的允许的单次最高出价，请核对金额", "Above the highest single bid the rules allow on this lot; check the amount"},
	"err.f.ends_at":                     {"结束时间无效：须晚于开始时间，并留足规定的竞价时间", "The end is not valid: it must be after the start and leave the required bidding time"},
	"err.f.starts_at":                   {"开始时间无效，请重新选择", "The start is not valid; choose it again"},
	"err.f.reason":                      {"请填写理由（不超过 2000 字）", "Give a reason (at most 2,000 characters)"},
	"err.f.title":                       {"请填写标题", "Enter a title"},
	"err.f.category":                    {"请选择标的类别", "Choose a category"},
	"err.f.statement":                   {"对账单有误：", "The statement is not valid:"},
	"err.f.appraisal_value":             {"评估价须为大于零的金额", "The appraisal must be an amount above zero"},
	"err.f.increment":                   {"加价幅度须为大于零的金额", "The increment must be an amount above zero"},
	"err.f.start_price":                 {"起拍价不符合规则", "The start price does not follow the rules"},
	"err.f.balance_due_days":            {"尾款期限须为 1 至 365 日", "The balance is due in 1 to 365 days"},
	"err.f.round":                       {"请选择轮次", "Choose a round"},
	"err.f.reference":                   {"请填写银行流水号", "Enter the bank reference"},
	"err.f.amount":                      {"请输入大于零的金额", "Enter an amount above zero"},
	"err.f.case_number":                 {"请填写案号", "Enter the case number"},
	"err.f.court_name":                  {"请填写法院名称", "Enter the court"},
	"err.f.applicants":                  {"申请执行人信息不完整：每行需填写名称、证件号码和债权金额", "Each applicant needs a name, an ID number and a claim"},
	"err.f.debtors":                     {"被执行人信息不完整：每行需填写名称和证件号码", "Each debtor needs a name and an ID number"},
	"err.f.notice_version":              {"竞买须知已更新，请刷新页面阅读后再报名", "The bidders' notice has changed; reload the page, read it and register again"},
	"err.f.body":                        {"请填写文件内容（不超过 50000 字）", "Enter the text (at most 50,000 characters)"},
	"err.f.rank":                        {"顺位须为 1 或以上", "The rank is 1 or more"},
	"err.f.name":                        {"请填写名称", "Enter a name"},
	"err.f.id_number":                   {"请填写有效的证件号码", "Enter a valid ID number"},

	// The results board (成交公示).
	"nav.results":       {"成交公示", "Results"},
	"results.title":     {"成交公示", "Auction results"},
	"results.intro":     {"已结束的网络司法拍卖：成交价与买受人竞买号。买受人姓名见各拍卖的成交确认书。", "Closed judicial auctions: hammer price and the winner's bidder code. The buyer's name is on each auction's sale confirmation."},
	"results.from":      {"结束日期自", "Closed from"},
	"results.to":        {"结束日期至", "Closed until"},
	"results.closed":    {"竞价结束", "Closed"},
	"results.outcome":   {"结果", "Outcome"},
	"results.hammer":    {"成交价", "Hammer price"},
	"results.winner":    {"买受人竞买号", "Winner's code"},
	"results.none":      {"没有符合条件的拍卖结果", "No results match"},
	"results.bad_day":   {"请输入日期，如 2026-05-01", "Enter a date such as 2026-05-01"},
	"clerk.search":      {"查找案件", "Find cases"},
	"clerk.file_csv":    {"CSV 文件（UTF-8）", "CSV file (UTF-8)"},
	"js.row_problem":    {"第 %s 行 %s：%s", "Row %s %s: %s"},
	"js.earliest_start": {"公告期不足：本轮最早可于 %s 开始竞价", "The notice period is too short: this round may open at %s at the earliest"},
	"js.problems":       {"文件有 %s 处错误，未导入任何标的：", "The file has %s problems; nothing was imported:"},
	"clerk.party":       {"当事人名称", "Party name"},
	"clerk.import":      {"批量导入标的（CSV）", "Import lots (CSV)"},
	"clerk.import_help": {"首行为表头：title、category、appraisal_yuan（或 appraisal_value，单位分）必填；description、location、appraisal_report、encumbrances、occupancy、tax_terms、viewing 可选。任一行有误则全部不导入。", "The first line is the header: title, category and appraisal_yuan (or appraisal_value in fen) are required; description, location, appraisal_report, encumbrances, occupancy, tax_terms, viewing are optional. Nothing is imported if any row is wrong."},

	// Court actions on a round (the clerk's lot page).
	"court.title":           {"法院操作", "Court actions"},
	"court.summary":         {"已报名 %d 人；冻结保证金 %d 份，共 %s", "%d registered; %d deposits held, %s in all"},
	"court.extended":        {"已延时 %d 次", "extended %d times"},
	"court.reason":          {"理由（将公开并记入拍卖记录）", "Reason (published and kept in the record)"},
	"court.new_end":         {"新的竞价结束时间", "New end of bidding"},
	"court.consequences":    {"请确认后果：", "Please confirm the consequences:"},
	"court.suspend":         {"中止拍卖", "Suspend"},
	"court.suspend_confirm": {"确认中止", "Confirm: suspend"},
	"court.suspend_effect":  {"中止期间不接受出价和报名；%d 名竞买人的出价和 %d 份保证金（共 %s）保留，恢复后继续有效。", "No bids or registrations while suspended; the bids of %d bidders and %d deposits (%s) are kept for the resumption."},
	"court.resume":          {"恢复拍卖", "Resume"},
	"court.resume_confirm":  {"确认恢复", "Confirm: resume"},
	"court.resume_effect":   {"恢复后竞价至新的结束时间，%d 名竞买人可继续出价，价格与保证金不变。", "Bidding runs to the new end; %d bidders may bid again, prices and deposits unchanged."},
	"court.cancel":          {"撤回拍卖", "Cancel (withdraw)"},
	"court.cancel_confirm":  {"确认撤回", "Confirm: cancel"},
	"court.cancel_effect":   {"撤回后本轮不可恢复：%d 份保证金（共 %s）将在 24 小时内退还，%d 名竞买人将收到通知，并通知执行案件系统。", "The round ends for good: %d deposits (%s) are refunded within 24 hours, %d bidders are told, and the case system is notified."},
	"court.annul":           {"撤销拍卖", "Annul the sale"},
	"court.annul_confirm":   {"确认撤销", "Confirm: annul"},
	"court.annul_effect":    {"撤销后成交无效：买受人的保证金 %s 和已付余款 %s 将退还并从案款中扣除，成交确认书撤回，并通知执行案件系统。", "The sale is void: the buyer's deposit %s and balance paid %s are owed back and leave the proceeds, the confirmation is withdrawn, and the case system is notified."},
	"court.delete":          {"删除草稿", "Delete draft"},
	"court.delete_confirm":  {"确认删除", "Confirm: delete"},
	"court.delete_effect":   {"草稿尚未发布，删除后不可恢复。", "The draft was never published; it cannot be restored."},

	// Script messages.
	"js.new_bid":       {"新出价 %s，出价人 %s", "New bid %s by %s"},
	"js.you_lead":      {"您当前领先", "You are leading"},
	"js.outbid":        {"您的出价已被超过", "You have been outbid"},
	"js.bid_ok":        {"出价成功：%s", "Bid placed: %s"},
	"js.bid_at":        {"出价 %s", "Bid %s"},
	"js.match_at":      {"行使优先购买权：按 %s 跟价", "Use my priority right: match %s"},
	"js.extended":      {"最后时刻有人出价：结束时间延长至 %s", "A late bid extended the end to %s"},
	"js.opened":        {"竞价已开始", "Bidding has opened"},
	"js.closed_sold":   {"拍卖结束：以 %s 成交，买受人竞买号 %s", "Auction closed: sold for %s to bidder %s"},
	"js.closed_failed": {"拍卖结束：无人出价，流拍", "Auction closed without bids: no sale"},
	"js.suspended":     {"拍卖已中止", "The auction is suspended"},
	"js.resumed":       {"拍卖已恢复", "The auction has resumed"},
	"js.cancelled":     {"法院已撤回本次拍卖，保证金将在24小时内退还", "The court has withdrawn this auction; deposits are refunded within 24 hours"},
	"js.annulled":      {"法院已撤销本次拍卖", "The court has annulled this sale"},
	"js.corrected":     {"法院发布了更正公告（第 %s 号）", "The court published a correction (no. %s)"},
	"js.settled":       {"买受人已付清全部价款", "The buyer has paid in full"},
	"js.defaulted":     {"买受人未按期付款（悔拍）", "The buyer did not pay in time (default)"},
	"js.price_now":     {"当前价", "Current price"},
	"js.price_start":   {"起拍价", "Start price"},
	"js.opening":       {"即将开始…", "Opening…"},
	"js.balance_due":   {"尾款截止 %s", "balance due by %s"},
	"js.countdown":     {"倒计时", "Time left"},
	"js.to_start":      {"距开始", "Opens in"},
	"js.to_end":        {"距结束", "Ends in"},
	"js.closing":       {"正在结束…", "Closing…"},
	"js.ended":         {"已结束", "Ended"},
	"js.days":          {"%s天 ", "%sd "},
	"js.live_ws":       {"实时连接", "Live"},
	"js.live_poll":     {"自动刷新", "Auto-refresh"},
	"js.offline":       {"连接中断，正在重连…", "Connection lost; reconnecting…"},
	"js.working":       {"处理中…", "Working…"},
	"js.saved":         {"已保存", "Saved"},
	"js.me":            {"（我）", " (me)"},
	"js.yes":           {"是", "yes"},
	"js.none":          {"—", "—"},

	// Browse.
	"browse.title":      {"拍卖大厅", "Auctions"},
	"browse.filters":    {"筛选", "Filter"},
	"browse.q":          {"关键词", "Keywords"},
	"browse.status":     {"状态", "Status"},
	"browse.category":   {"类别", "Category"},
	"browse.court":      {"法院", "Court"},
	"browse.min":        {"最低价（元）", "Min price (yuan)"},
	"browse.max":        {"最高价（元）", "Max price (yuan)"},
	"browse.any":        {"全部", "Any"},
	"browse.search":     {"搜索", "Search"},
	"browse.reset":      {"清除", "Clear"},
	"browse.none":       {"没有符合条件的拍卖", "No auctions match"},
	"browse.count":      {"共 %d 场", "%d auctions"},
	"browse.page":       {"第 %d 页，本页 %d 场", "Page %d, %d auctions"},
	"browse.pages":      {"分页", "Pages"},
	"browse.prev":       {"上一页", "Previous page"},
	"browse.next":       {"下一页", "Next page"},
	"browse.price_now":  {"当前价", "Current price"},
	"browse.price_from": {"起拍价", "Start price"},
	"browse.ends":       {"结束", "Ends"},
	"browse.starts":     {"开始", "Opens"},
	"browse.bids":       {"%d 次出价", "%d bids"},

	// Auction page.
	"auction.case":               {"案号", "Case"},
	"auction.court":              {"处置法院", "Court"},
	"auction.location":           {"所在地", "Location"},
	"auction.photos":             {"标的照片", "Photos"},
	"auction.no_photos":          {"暂无照片", "No photos"},
	"auction.live":               {"竞价", "Bidding"},
	"auction.current":            {"当前价", "Current price"},
	"auction.start_price":        {"起拍价", "Start price"},
	"auction.leader":             {"领先竞买号", "Leading bidder"},
	"auction.bid_count":          {"出价次数", "Bids"},
	"auction.watchers":           {"围观人数", "Watching"},
	"auction.ends_at":            {"结束时间", "Ends at"},
	"auction.starts_at":          {"开始时间", "Opens at"},
	"auction.countdown":          {"倒计时", "Time left"},
	"auction.connection":         {"更新方式", "Updates"},
	"auction.bid":                {"出价", "Bid"},
	"auction.bid_amount":         {"自定义出价（元）", "Your amount (yuan)"},
	"auction.bid_custom":         {"按此金额出价", "Bid this amount"},
	"auction.my_code":            {"您的竞买号：%s", "Your bidder code: %s"},
	"auction.my_rank":            {"您是第 %d 顺位优先购买权人", "You hold priority right rank %d"},
	"auction.opens_later":        {"竞价尚未开始，开始后即可出价", "Bidding has not opened yet; you can bid once it opens"},
	"auction.register":           {"报名参拍", "Register to bid"},
	"auction.declare":            {"本人承诺：不是人民法院或拍卖平台工作人员，也不是其近亲属", "I declare that I am neither staff of the court or the platform nor a close relative of such staff"},
	"auction.agree_notice":       {"报名即表示您已阅读并同意本场拍卖的", "Registering means you have read and agree to this auction's"},
	"doc.announcement":           {"拍卖公告", "Auction announcement (拍卖公告)"},
	"draft.edit":                 {"修改本轮草稿（发布前）", "Edit this draft (before publishing)"},
	"correct.title":              {"更正公告", "Publish a correction"},
	"correct.help":               {"标的已公告：文字只能以更正公告的方式公开更正，原文保留；起拍价、保证金和时间不能更正，须撤回后重新公告。", "The lot is published: its text is corrected in public, the old text kept; price, deposit and times cannot be corrected (cancel and announce again)."},
	"correct.effect":             {"更正将公开发布并编号，原文保留在更正记录中，正在进行的拍卖的竞买人会立即看到。", "The correction is published with a number, the old text kept in the record; bidders of running rounds see it at once."},
	"correct.confirm":            {"确认发布更正", "Confirm: publish the correction"},
	"correct.submit":             {"发布更正公告", "Publish the correction"},
	"lotedit.title":              {"编辑标的（尚未公告）", "Edit the lot (not published yet)"},
	"lotedit.save":               {"保存修改", "Save changes"},
	"lotedit.delete":             {"删除标的", "Delete the lot"},
	"lotedit.delete_effect":      {"标的尚未公告，将连同其草稿、照片和优先购买权人一并删除，不可恢复。", "The lot was never published; it is deleted with its drafts, photos and priority holders, for good."},
	"doc.title":                  {"公告与须知", "Announcement and notice"},
	"doc.version":                {"第 %d 版", "version %d"},
	"doc.generated":              {"按本轮自动生成，未保存", "written from the round, not saved yet"},
	"doc.published":              {"已随拍卖发布", "published with the round"},
	"doc.edit":                   {"修改文本（保存为新版本）", "Edit the text (saved as a new version)"},
	"doc.text":                   {"全文", "Full text"},
	"doc.save":                   {"保存新版本", "Save as a new version"},
	"doc.bidder_notice":          {"竞买须知", "Bidders' notice (竞买须知)"},
	"doc.corrections":            {"更正公告", "Corrections"},
	"doc.correction_no":          {"第 %d 号更正", "Correction no. %d"},
	"doc.field_title":            {"标题", "Title"},
	"doc.field_description":      {"介绍", "Description"},
	"doc.field_location":         {"所在地", "Location"},
	"doc.field_appraisal_report": {"评估报告", "Appraisal report"},
	"doc.field_encumbrances":     {"权利负担", "Encumbrances"},
	"doc.field_occupancy":        {"占用情况", "Occupancy"},
	"doc.field_tax_terms":        {"税费承担", "Taxes"},
	"doc.field_viewing":          {"看样安排", "Viewing"},
	"auction.login_to_bid":       {"登录后报名参拍", "Sign in to register"},
	"auction.staff_note":         {"工作人员不得参与竞买", "Staff may not bid"},
	"auction.closed_note":        {"本场拍卖不接受报名", "This auction does not take registrations"},
	"auction.pay_title":          {"请交纳保证金", "Pay your deposit"},
	"auction.pay_amount":         {"保证金金额", "Deposit"},
	"auction.pay_reference":      {"转账附言（必填）", "Transfer reference (required)"},
	"auction.pay_note":           {"请向法院账户转账，并在附言中填写上述编号。财务确认到账后您将获得竞买号，本页会自动更新。", "Transfer the deposit to the court's account with this reference. Once finance confirms it you receive a bidder code; this page updates by itself."},
	"auction.history":            {"出价记录", "Bid history"},
	"auction.h_seq":              {"序号", "No."},
	"auction.h_code":             {"竞买号", "Bidder"},
	"auction.h_amount":           {"出价", "Amount"},
	"auction.h_time":             {"时间", "Time"},
	"auction.h_priority":         {"优先权", "Priority"},
	"auction.no_bids":            {"暂无出价", "No bids yet"},
	"auction.rules":              {"本场规则", "Rules of this round"},
	"auction.round":              {"轮次", "Round"},
	"auction.increment":          {"加价幅度", "Increment"},
	"auction.deposit":            {"保证金", "Deposit"},
	"auction.extension":          {"延时规则", "Extension"},
	"auction.extension_txt":      {"结束前 %s 内有人出价的，结束时间自该出价时起延长 %s", "A bid in the last %s moves the end to %s after that bid"},
	"auction.balance_days":       {"尾款期限", "Balance due"},
	"auction.balance_txt":        {"成交后 %d 日内付清余款，保证金抵作价款", "Pay the rest within %d days of the sale; the deposit counts toward the price"},
	"auction.priority":           {"优先购买权人", "Priority purchase rights"},
	"auction.priority_txt":       {"本标的有 %d 位优先购买权人（顺位：%s），可按同等价格跟价", "%d priority right holders (ranks: %s) may match the top price"},
	"auction.priority_none":      {"无", "None"},
	"auction.refund_txt":         {"未竞得者的保证金在拍卖结束后 24 小时内退还", "Deposits of bidders who do not win are released within 24 hours of the close"},
	"auction.disclosures":        {"标的信息披露", "Disclosures"},
	"auction.d_appraisal":        {"评估报告", "Appraisal report"},
	"auction.d_encumbrance":      {"权利负担", "Encumbrances"},
	"auction.d_occupancy":        {"占用情况", "Occupancy"},
	"auction.d_tax":              {"税费承担", "Taxes and fees"},
	"auction.d_viewing":          {"看样安排", "Viewing"},
	"auction.appraisal":          {"评估价", "Appraisal value"},
	"auction.description":        {"标的介绍", "Description"},
	"auction.documents":          {"相关文件", "Documents"},
	"auction.no_documents":       {"暂无文件", "No documents"},
	"auction.outcome":            {"拍卖结果", "Outcome"},
	"auction.confirmation":       {"网络竞价成交确认书", "Confirmation of sale"},
	"print.confirmation":         {"打印成交确认书", "Print the confirmation of sale"},
	"print.statement":            {"打印案款清单", "Print the proceeds statement"},
	"auction.c_buyer":            {"买受人", "Buyer"},
	"auction.c_code":             {"竞买号", "Bidder code"},
	"auction.c_price":            {"成交价", "Hammer price"},
	"auction.c_closed":           {"成交时间", "Closed at"},
	"auction.c_hash":             {"竞价记录摘要", "Record hash"},
	"auction.record":             {"下载完整竞价记录（可离线校验）", "Download the full bid record (verifiable offline)"},
	"auction.balance_due":        {"尾款截止时间", "Balance due by"},
	"auction.failed_note":        {"本场拍卖无人出价，已流拍", "Nobody bid in this auction"},
	"auction.not_bidding":        {"本场拍卖当前不可出价", "This auction is not taking bids"},

	// Sign in and sign up.
	"login.title":              {"登录", "Sign in"},
	"login.email":              {"邮箱", "Email"},
	"login.password":           {"密码", "Password"},
	"login.submit":             {"登录", "Sign in"},
	"login.no_account":         {"还没有账号？", "No account yet?"},
	"signup.title":             {"注册竞买人账号", "Create a bidder account"},
	"signup.note":              {"实名信息仅用于资格审查和成交确认书，不会公开。", "Your identity is used only to check eligibility and on the confirmation of sale; it is never published."},
	"signup.real_name":         {"真实姓名", "Legal name"},
	"signup.id_number":         {"证件号码", "Identity document number"},
	"signup.id_type":           {"证件类型", "Identity document"},
	"clerk.id_type":            {"证件类型", "Document"},
	"nav.identity":             {"身份核验", "Identity"},
	"identity.title":           {"身份核验", "Identity desk"},
	"identity.note":            {"核对本人证件原件后，按证件号码查找其账户并核验。核验后，申请执行人免交保证金和优先购买权方可适用；其他未核验账户对该号码的主张随即解除。每次查询均记入审计日志。", "With the person's documents in hand, find the accounts by number and verify the right one. Only verified bidders get an applicant's deposit exemption or a priority rank; other unverified accounts lose their claim to the number. Every search is in the audit log."},
	"identity.find":            {"按证件号码查找", "Find by identity number"},
	"identity.search":          {"查找", "Find"},
	"identity.role":            {"角色", "Role"},
	"identity.state":           {"状态", "State"},
	"identity.verified":        {"已核验", "Verified"},
	"identity.claim":           {"未核验", "Claimed, not verified"},
	"identity.verify":          {"核验", "Verify"},
	"identity.reference":       {"核验凭证号", "Desk file number"},
	"identity.confirm":         {"确认已核对本人证件原件？其他未核验账户将失去该号码。", "Have you checked the person's original documents? Other unverified accounts will lose this number."},
	"identity.confirm_button":  {"确认核验", "Confirm verification"},
	"identity.none":            {"没有账户使用该号码", "No account claims this number"},
	"identity.issues":          {"待处理的证件号码", "Identity numbers to resolve"},
	"identity.issues_note":     {"升级时发现的重复或无效号码。这些账户仍可使用；核验正确的账户即可处理。", "Duplicates and invalid numbers found when the database was upgraded. These accounts keep working; verifying the right account resolves them."},
	"identity.no_issues":       {"没有待处理的号码", "Nothing to resolve"},
	"identity.holder":          {"号码所属账户", "Account holding the number"},
	"identity.issue.duplicate": {"重复", "Duplicate"},
	"identity.issue.invalid":   {"号码无效", "Invalid number"},
	"idtype.resident_id":       {"居民身份证", "Resident identity card"},
	"idtype.company":           {"统一社会信用代码（单位）", "Unified social credit code (organisation)"},
	"idtype.passport":          {"护照", "Passport"},
	"idtype.hk_macao_permit":   {"港澳居民来往内地通行证", "Hong Kong/Macao residents' permit"},
	"idtype.taiwan_permit":     {"台湾居民来往大陆通行证", "Taiwan residents' permit"},
	"signup.phone":             {"手机号码", "Mobile phone"},
	"signup.password":          {"密码（至少 10 个字符）", "Password (at least 10 characters)"},
	"signup.submit":            {"注册", "Create account"},
	"signup.have":              {"已有账号？", "Have an account?"},
	"me.title":                 {"我的竞拍", "My auctions"},
	"me.none":                  {"您还没有报名任何拍卖", "You have not registered for any auction"},
	"me.auction":               {"拍卖", "Auction"},
	"me.registration":          {"报名状态", "Registration"},
	"me.code":                  {"竞买号", "Bidder code"},
	"me.deposit":               {"保证金", "Deposit"},
	"me.deposit_status":        {"保证金状态", "Deposit state"},
	"me.reference":             {"转账附言", "Reference"},
	"me.outcome":               {"结果", "Outcome"},
	"me.won":                   {"已竞得", "Won"},
	"me.lost":                  {"未竞得", "Not won"},
	"me.running":               {"进行中", "Running"},
	"me.view":                  {"查看", "View"},

	// Clerks.
	"clerk.cases":          {"执行案件", "Enforcement cases"},
	"clerk.new_case":       {"新建案件", "New case"},
	"clerk.case_number":    {"案号", "Case number"},
	"clerk.court_name":     {"法院", "Court"},
	"clerk.lots":           {"标的数", "Lots"},
	"clerk.no_cases":       {"暂无案件", "No cases yet"},
	"clerk.applicants":     {"申请执行人", "Applicants"},
	"clerk.debtors":        {"被执行人", "Debtors"},
	"clerk.name":           {"名称/姓名", "Name"},
	"clerk.id_number":      {"证件号码", "ID number"},
	"clerk.claim":          {"债权金额（元）", "Claim (yuan)"},
	"clerk.add_row":        {"再添加一行", "Add another"},
	"clerk.create":         {"创建", "Create"},
	"clerk.case":           {"案件", "Case"},
	"clerk.lot_list":       {"标的", "Lots"},
	"clerk.no_lots":        {"本案暂无标的", "No lots in this case yet"},
	"clerk.new_lot":        {"新增标的", "New lot"},
	"clerk.title":          {"标题", "Title"},
	"clerk.description":    {"介绍", "Description"},
	"clerk.category":       {"类别", "Category"},
	"clerk.appraisal":      {"评估价（元）", "Appraisal value (yuan)"},
	"clerk.location":       {"所在地", "Location"},
	"clerk.proceeds":       {"案款情况", "Proceeds"},
	"clerk.total":          {"合计已收", "Total received"},
	"clerk.p_hammer":       {"成交价", "Hammer price"},
	"clerk.p_deposit":      {"保证金抵价", "Deposit applied"},
	"clerk.p_balance":      {"已收尾款", "Balance received"},
	"clerk.p_forfeited":    {"没收保证金", "Forfeited deposit"},
	"clerk.ledger_balance": {"案款账户余额", "Case proceeds account"},
	"clerk.lot":            {"标的", "Lot"},
	"clerk.documents":      {"照片与文件", "Photos and documents"},
	"clerk.upload":         {"上传", "Upload"},
	"clerk.file":           {"文件（JPEG、PNG、WebP 或 PDF，最大 10 MB）", "File (JPEG, PNG, WebP or PDF, up to 10 MB)"},
	"clerk.kind":           {"类型", "Kind"},
	"clerk.kind_photo":     {"照片", "Photo"},
	"clerk.kind_document":  {"文件", "Document"},
	"clerk.holders":        {"优先购买权人", "Priority purchase right holders"},
	"clerk.rank":           {"顺位", "Rank"},
	"clerk.add_holder":     {"添加", "Add"},
	"clerk.no_holders":     {"无", "None"},
	"clerk.rounds":         {"拍卖轮次", "Auction rounds"},
	"clerk.no_rounds":      {"尚未安排拍卖", "No rounds scheduled"},
	"clerk.schedule":       {"安排拍卖", "Schedule a round"},
	"clerk.round":          {"轮次", "Round"},
	"clerk.start_price":    {"起拍价（元）", "Start price (yuan)"},
	"clerk.increment":      {"加价幅度（元）", "Increment (yuan)"},
	"clerk.deposit":        {"保证金（元）", "Deposit (yuan)"},
	"clerk.starts_at":      {"竞价开始", "Bidding opens"},
	"clerk.ends_at":        {"竞价结束", "Bidding ends"},
	"clerk.balance_days":   {"尾款期限（日）", "Balance due (days)"},
	"clerk.save_draft":     {"保存为草稿", "Save as draft"},
	"clerk.publish":        {"发布公告", "Publish"},
	"clerk.public_page":    {"公开页面", "Public page"},
	"clerk.rule_start":     {"第一次拍卖起拍价不低于评估价的 %d%%（%s）；第二次拍卖降价不超过 %d%%；变卖按第二次拍卖起拍价", "A first round starts at %d%% of the appraisal or more (%s); a second round cuts at most %d%%; a sale is at the second round's start price"},
	"clerk.rule_deposit":   {"保证金为起拍价的 %d%%–%d%%", "The deposit is %d%%–%d%% of the start price"},
	"clerk.rule_period":    {"竞价时间不少于 %s", "Bidding lasts at least %s"},
	"clerk.rule_notice":    {"公告期：%s（自发布起至竞价开始）", "Notice: %s from publication to opening"},
	"clerk.details":        {"标的信息", "Lot details"},
	"monitor.title":        {"实时监控", "Live monitor"},
	"js.monitor_extended":  {"已延时 %s 次", "extended %s times"},
	"js.monitor_actions":   {"中止 / 撤回…", "Suspend / cancel…"},
	"monitor.none":         {"当前没有进行中的拍卖", "No auctions are running"},
	"monitor.refreshed":    {"每 2 秒自动刷新", "Refreshes every 2 seconds"},
	"monitor.more":         {"进行中的拍卖超过 500 场，只列出最早结束的 500 场", "More than 500 auctions are running; the 500 ending soonest are listed"},

	// Finance.
	"finance.title":       {"财务工作台", "Finance desk"},
	"finance.pending":     {"待确认保证金", "Deposits to confirm"},
	"finance.no_pending":  {"没有待确认的保证金", "No deposits awaiting confirmation"},
	"finance.refunds":     {"待退还保证金", "Refunds due"},
	"finance.no_refunds":  {"没有待退还的保证金", "No refunds due"},
	"finance.deadline":    {"退还期限", "Deadline"},
	"finance.overdue":     {"已超期", "Overdue"},
	"finance.due_soon":    {"即将到期", "Due soon"},
	"finance.balances":    {"待付尾款", "Balance payments"},
	"finance.no_balances": {"没有待付尾款的拍卖", "No sales awaiting their balance"},
	"finance.outstanding": {"未付余额", "Outstanding"},
	"finance.received":    {"已收", "Received"},
	"finance.due":         {"截止", "Due by"},
	"finance.defaults":    {"悔拍", "Defaults"},
	"finance.no_defaults": {"没有悔拍", "No defaults"},
	"finance.forfeited":   {"没收保证金", "Forfeited deposit"},
	"finance.bank_ref":    {"银行流水号", "Bank reference"},
	"finance.confirm":     {"确认到账", "Confirm receipt"},
	"finance.refunded":    {"标记已退还", "Mark refunded"},
	"finance.record":      {"登记收款", "Record payment"},
	"finance.amount":      {"金额（元）", "Amount (yuan)"},
	"finance.auction":     {"拍卖", "Auction"},
	"finance.deposits":    {"保证金明细", "Deposits"},
	"finance.pay_ref":     {"竞买人附言", "Bidder's reference"},
	"finance.provider":    {"渠道", "Provider"},
	"finance.all":         {"本场全部保证金", "All deposits of this auction"},
	"finance.excesses":    {"待退多付款", "Overpaid balances to pay back"},
	"finance.no_excesses": {"没有待退还的多付款", "No overpaid balances to pay back"},
	"finance.excess_txt":  {"尾款超过应付金额的部分属于买受人，不计入案款，应退还买受人", "The part of a balance payment above what the buyer owed is the buyer's, not the case's: pay it back"},
	"finance.excess":      {"多付金额", "Excess"},
	"finance.paid":        {"到账金额", "Amount received"},
	"finance.received_at": {"到账时间", "Received"},

	// Ledger, reconciliation and remittances (pages_ledger.go).
	"period.from":               {"起始日期", "From"},
	"period.to":                 {"截止日期（含）", "To (inclusive)"},
	"period.bad_date":           {"日期格式应为 YYYY-MM-DD，已显示本月数据", "Dates are YYYY-MM-DD; showing this month instead"},
	"period.inverted":           {"截止日期不能早于起始日期，已显示本月数据", "The end date is before the start date; showing this month instead"},
	"ledger.title":              {"总账", "Ledger"},
	"ledger.filter":             {"筛选总账", "Filter the ledger"},
	"ledger.account":            {"科目", "Account"},
	"ledger.kind":               {"业务类型", "Kind"},
	"ledger.any":                {"全部", "All"},
	"ledger.apply":              {"查询", "Show"},
	"ledger.reset":              {"重置", "Reset"},
	"ledger.totals":             {"各科目合计", "Totals per account"},
	"ledger.period":             {"期间：%s 至 %s", "Period: %s to %s"},
	"ledger.sign":               {"借方为正，贷方为负", "Debits positive, credits negative"},
	"ledger.debit":              {"借方", "Debits"},
	"ledger.credit":             {"贷方", "Credits"},
	"ledger.dr":                 {"借", "Dr"},
	"ledger.cr":                 {"贷", "Cr"},
	"ledger.ties_out":           {"借贷平衡，各科目余额合计为零", "Debits equal credits; the balances sum to zero"},
	"ledger.not_tied":           {"借贷不平衡，请立即核查", "Debits and credits differ: investigate now"},
	"ledger.transactions":       {"记账凭证", "Transactions"},
	"ledger.at":                 {"时间", "Time"},
	"ledger.subject":            {"关联", "Subject"},
	"ledger.case":               {"案件", "Case"},
	"ledger.reference":          {"流水号", "Reference"},
	"ledger.entries":            {"分录", "Entries"},
	"ledger.none":               {"本期间没有记账凭证", "No transactions in this period"},
	"ledger.next":               {"下一页", "Next page"},
	"ledger.json":               {"JSON 数据", "As JSON"},
	"acct.court_escrow":         {"法院保证金账户", "Court escrow"},
	"acct.bidder_deposits":      {"应付竞买人保证金", "Bidder deposits"},
	"acct.refunds_due":          {"应退保证金", "Refunds due"},
	"acct.case_proceeds":        {"应付案款", "Case proceeds"},
	"acct.forfeited_deposits":   {"没收保证金", "Forfeited deposits"},
	"acct.auction_costs":        {"拍卖费用", "Auction costs"},
	"txk.deposit_held":          {"保证金到账", "Deposit held"},
	"txk.deposit_applied":       {"保证金抵作价款", "Deposit applied"},
	"txk.deposit_released":      {"保证金解冻待退", "Deposit released"},
	"txk.deposit_refunded":      {"保证金已退还", "Deposit refunded"},
	"txk.deposit_forfeited":     {"保证金没收", "Deposit forfeited"},
	"txk.forfeiture_allocated":  {"没收保证金分配", "Forfeiture allocated"},
	"txk.balance_received":      {"尾款到账", "Balance received"},
	"txk.proceeds_remitted":     {"案款划付", "Proceeds remitted"},
	"txk.deposit_received":      {"保证金到账", "Deposit received"},
	"txk.deposit_returned":      {"保证金退还", "Deposit returned"},
	"txk.excess_refunded":       {"多付款已退还", "Excess refunded"},
	"txk.excess_returned":       {"多付款退还", "Excess returned"},
	"recon.title":               {"对账", "Reconciliation"},
	"recon.period":              {"对账期间", "Reconciliation period"},
	"recon.summary":             {"对账结果", "Result"},
	"recon.generated":           {"生成于", "Generated"},
	"recon.ok":                  {"账实相符：每笔资金往来均与渠道记录一致，无超期未退保证金", "Everything ties out: every movement matches the provider's record and no refund is overdue"},
	"recon.not_ok":              {"存在差异：%d 笔往来不符，%d 笔保证金超期未退", "Differences: %d movements do not match, %d refunds are overdue"},
	"recon.lines":               {"资金往来笔数", "Movements"},
	"recon.differences":         {"差异明细", "Differences"},
	"recon.no_differences":      {"本期间没有差异", "No differences in this period"},
	"recon.all_lines":           {"全部 %d 笔资金往来", "All %d movements"},
	"recon.no_lines":            {"本期间没有资金往来", "No movements in this period"},
	"recon.escrow_diff":         {"保证金账实差额", "Escrow difference"},
	"recon.opening":             {"期初", "Opening"},
	"recon.net":                 {"净额", "Net"},
	"recon.closing":             {"期末", "Closing"},
	"recon.total":               {"合计", "Total"},
	"recon.escrow":              {"在管保证金与渠道记录", "Deposits held against provider records"},
	"recon.escrow_txt":          {"期末时点保证金账户中各渠道的余额：账簿与银行或支付渠道记录应当一致", "Deposit money in escrow per provider at the end of the period: the ledger and the bank's or provider's records must agree"},
	"recon.no_escrow":           {"没有在管保证金", "No deposit money held"},
	"recon.ledger":              {"账簿", "Ledger"},
	"recon.records":             {"渠道记录", "Provider records"},
	"recon.difference":          {"差额", "Difference"},
	"recon.mismatch":            {"不符", "Mismatch"},
	"recon.refunds_due":         {"待退保证金", "Refunds due"},
	"recon.refunds_txt":         {"未成交竞买人的保证金应在竞价结束后 24 小时内退还（超期标红）", "A non-winner's deposit must be paid back within 24 hours of the close (overdue rows in red)"},
	"recon.overdue_total":       {"%d 笔保证金已超过 24 小时法定退还期限，合计 %s", "%d refunds are past the 24-hour legal deadline, %s in all"},
	"recon.released":            {"解冻时间", "Released"},
	"recon.open_auction":        {"查看拍卖", "Open auction"},
	"recon.matched":             {"一致", "Matched"},
	"recon.missing_at_provider": {"渠道无记录", "Missing at provider"},
	"recon.missing_in_ledger":   {"账簿无记录", "Missing in ledger"},
	"recon.amount_differs":      {"金额不符", "Amount differs"},
	"recon.csv_accounts":        {"下载科目合计 CSV", "Download account totals (CSV)"},
	"recon.csv_escrow":          {"下载保证金对账 CSV", "Download escrow (CSV)"},
	"recon.csv_refunds":         {"下载待退保证金 CSV", "Download refunds due (CSV)"},
	"recon.csv_lines":           {"下载逐笔对账 CSV", "Download movements (CSV)"},
	"remit.title":               {"案款划付 %s", "Proceeds of %s"},
	"remit.case_ledger":         {"本案总账", "This case's ledger"},
	"remit.remitted":            {"已划付", "Remitted"},
	"remit.balance":             {"待划付余额", "Left to remit"},
	"remit.list":                {"划付记录", "Remittances"},
	"remit.none":                {"尚未划付", "Nothing remitted yet"},
	"remit.action":              {"划付案款", "Remit proceeds"},
	"remit.txt":                 {"登记已从法院账户转给执行案件的款项；系统同时通知案件系统", "Record money paid from the court's account to the case; the case system is notified"},
	"remit.nothing":             {"没有可划付的案款", "Nothing is left to remit"},

	"error.back":     {"返回首页", "Back to the auctions"},
	"common.status":  {"状态", "Status"},
	"common.actions": {"操作", "Actions"},
	"common.amount":  {"金额", "Amount"},

	// Watch list and notices (notices.go, devmailbox.go).
	"mailbox.title":           {"开发邮箱", "Development mailbox"},
	"mailbox.about":           {"演示中发出的通知邮件都在这里（仅 --dev-mailbox 时提供，切勿用于生产）。", "Every notice e-mail the demo sent (served only with --dev-mailbox; never in production)."},
	"mailbox.to":              {"收件人", "To"},
	"mailbox.raw":             {"原始邮件", "Raw message"},
	"mailbox.none":            {"还没有邮件", "No e-mail yet"},
	"nav.notices":             {"通知", "Notices"},
	"nav.watchlist":           {"我的关注", "Watch list"},
	"notices.title":           {"通知", "Notices"},
	"notices.read_all":        {"全部标为已读", "Mark all read"},
	"notices.unread":          {"未读", "unread"},
	"notices.none":            {"还没有通知", "No notices yet"},
	"watch.title":             {"我的关注", "My watch list"},
	"watch.price":             {"当前价", "Price"},
	"watch.none":              {"您还没有关注任何拍卖", "You watch no auction yet"},
	"js.watch":                {"☆ 关注", "☆ Watch"},
	"js.unwatch":              {"★ 已关注", "★ Watching"},
	"js.unread_count":         {"%s 条未读", "%s unread"},
	"js.unread":               {"未读", "unread"},
	"notices.settings":        {"通知设置", "Notification settings"},
	"notices.about":           {"站内通知总会保留；以下可选择哪些通知通过邮件或短信发送。", "Every notice stays in the app; choose which also go out by e-mail or SMS."},
	"notices.language":        {"邮件和短信语言", "Language of e-mail and SMS"},
	"notices.kind":            {"通知", "Notice"},
	"notices.email":           {"邮件", "E-mail"},
	"notices.sms":             {"短信", "SMS"},
	"notices.save":            {"保存设置", "Save settings"},
	"kind.outbid":             {"出价被超越", "Outbid"},
	"kind.opening_soon":       {"即将开拍（提前 1 小时）", "Opening soon (an hour before)"},
	"kind.ending_soon":        {"即将结束（提前 10 分钟）", "Ending soon (10 minutes before)"},
	"kind.won":                {"竞买成功", "Won"},
	"kind.lost":               {"未竞得", "Not won"},
	"kind.deposit_held":       {"保证金已确认", "Deposit confirmed"},
	"kind.deposit_refunded":   {"保证金已退还", "Deposit refunded"},
	"kind.balance_due":        {"余款缴纳提醒", "Balance reminders"},
	"kind.defaulted":          {"未按期缴款", "Balance not paid"},
	"kind.suspended":          {"暂缓", "Suspended"},
	"kind.resumed":            {"恢复", "Resumed"},
	"kind.cancelled":          {"撤回", "Cancelled"},
	"kind.annulled":           {"结果撤销", "Annulled"},
	"deadline.title":          {"法定期限", "Legal deadlines"},
	"deadline.txt":            {"按法院所在地日历计算，期间开始当日不计入；到期时间前须完成", "Counted in the court's calendar days, the starting day not counted; each must be done before its due time"},
	"deadline.none":           {"没有正在计算的期限", "No deadline is running"},
	"deadline.kind":           {"期限", "Deadline"},
	"deadline.rule":           {"依据", "Rule"},
	"deadline.due":            {"到期时间", "Due"},
	"deadline.reauction":      {"再次拍卖", "Next round"},
	"deadline.resume":         {"恢复拍卖", "Resume"},
	"deadline.refund":         {"退还保证金", "Refund deposit"},
	"deadline.balance":        {"缴纳余款", "Balance due"},
	"deadline.rule_reauction": {"流拍或悔拍后 30 日内发布下一轮拍卖（司法网拍规定第二十六条）", "Next round published within 30 days of a failed or defaulted round (Art. 26)"},
	"deadline.rule_resume":    {"暂缓拍卖应在 5 日内恢复（第二十九条）", "A suspended auction resumed within 5 days (Art. 29)"},
	"deadline.rule_refund":    {"未成交竞买人的保证金在竞价结束后 24 小时内退还（第二十三条）", "A non-winner's deposit returned within 24 hours of the close (Art. 23)"},
	"deadline.rule_balance":   {"买受人在期限最后一日结束前付清余款，否则保证金不予退还（第二十四条）", "The buyer pays the balance by the end of the last day, or forfeits the deposit (Art. 24)"},
	"js.outbid_now":           {"您的出价已被超过，当前价 %s", "You have been outbid: the price is now %s"},
	"js.won_owe":              {"您以 %s 竞得，应缴余款 %s，请于 %s 前缴清（保证金已抵作价款）。", "You won at %s. Pay the balance of %s by %s (your deposit counts toward the price)."},
	"js.lost_refund":          {"成交价 %s，您未竞得。保证金 %s 将于 %s 前退还。", "Sold at %s to another bidder. Your deposit of %s comes back by %s."},
	"js.confirm_high":         {"出价 %s 远高于下一口价 %s，请核对；确认无误请再次提交。", "%s is far above the next step (%s). Check it; submit again to bid it."},
	"auction.lost_refunded":   {"成交价 %s，您未竞得。保证金 %s 已退还。", "Sold at %s to another bidder. Your deposit of %s has been paid back."},
	"auction.won_settled":     {"您以 %s 竞得，价款已付清。", "You won at %s; the price is paid in full."},
	"auction.won_defaulted":   {"余款未按期缴清，保证金 %s 不予退还。", "The balance was not paid in time; the deposit of %s is forfeited."},
	"browse.more":             {"更多筛选", "More filters"},

	// Pay-in instructions (slip.go).
	"pay.account_name": {"收款人户名", "Account name"},
	"pay.bank":         {"开户行", "Bank"},
	"pay.account":      {"账号", "Account number"},
	"pay.no_account":   {"法院尚未公布收款账户，请先向执行法院确认后再转账。", "The court has not published its account yet: ask the court before you transfer."},
	"pay.slip":         {"打印缴款单", "Print the payment slip"},
	"pay.accounts":     {"法院收款账户", "Courts' receiving accounts"},
	"pay.no_accounts":  {"尚未设置任何法院收款账户", "No court has a receiving account yet"},
	"pay.set_account":  {"设置收款账户", "Set an account"},
	"pay.save":         {"保存", "Save"},
	"nav.accounts":     {"收款账户", "Accounts"},

	// Bank statement import (finance.html).
	"stmt.title":                   {"银行流水导入", "Bank statement"},
	"stmt.about":                   {"上传法院账户的银行对账单（camt.053 XML 或 CSV）。附言与金额都相符的入账自动确认，其余列出待人工处理；同一对账单重复上传不会重复入账。", "Upload the court account's statement (camt.053 XML or CSV). Credits whose note and amount both match are confirmed; the rest are listed for you. Uploading a statement again books nothing twice."},
	"stmt.file":                    {"对账单文件", "Statement file"},
	"stmt.upload":                  {"上传并核对", "Upload and match"},
	"stmt.imported":                {"本次导入", "This import"},
	"stmt.open":                    {"待处理流水", "Lines to resolve"},
	"stmt.none_open":               {"没有待处理的流水", "No lines to resolve"},
	"stmt.booked_on":               {"记账日期", "Booked on"},
	"stmt.direction":               {"借贷", "Direction"},
	"stmt.credit":                  {"贷（收入）", "Credit (in)"},
	"stmt.debit":                   {"借（支出）", "Debit (out)"},
	"stmt.counterparty":            {"对方户名 / 账号", "Counterparty"},
	"stmt.remittance":              {"附言", "Note"},
	"stmt.confirmed":               {"已自动确认", "Confirmed"},
	"stmt.matched":                 {"已入账", "Already booked"},
	"stmt.partial":                 {"金额不符", "Amount differs"},
	"stmt.unmatched":               {"未匹配", "Unmatched"},
	"finance.owed_back":            {"悔拍应退", "Owed back (default)"},
	"js.over_confirm":              {"此笔金额比尚欠余款多 %s，多出部分将作为应退款项入账。确认入账吗？", "This payment is %s more than is still owed; the excess will be booked as owed back. Book it?"},
	"pay.late":                     {"本场拍卖已开始竞价。银行转账到账可能需要时间，可能无法在竞价结束前确认，届时将无法出价，保证金将原路退还。", "Bidding has already begun. A bank transfer may not clear before the close; you could then not bid, and the deposit is paid back."},
	"unsub.title":                  {"退订通知", "Unsubscribe"},
	"unsub.ask":                    {"不再通过%[2]s接收「%[1]s」通知？站内通知仍会保留。", "Stop receiving \"%s\" notices by %s? They stay in the app."},
	"unsub.confirm":                {"确认退订", "Unsubscribe"},
	"unsub.done":                   {"已退订：不再通过%[2]s发送「%[1]s」通知。", "Done: \"%s\" notices no longer go out by %s."},
	"unsub.more":                   {"可随时在此更改：", "Change this at any time in"},
	"pay.balance_title":            {"余款缴入法院账户", "Pay the balance into the court's account"},
	"pay.court":                    {"执行法院", "Court"},
	"kind.identity_claim_released": {"身份证件号码认领解除", "Identity number claim released"},
	"pay.balance_note":             {"转账附言请填写上方的转账附言码，以便法院核对到账。", "Write the transfer note code above on the transfer so the court can match it."},

	// The finance desk: who paid, what arrived, refunds in a batch.
	"finance.bidder":          {"竞买人", "Bidder"},
	"finance.received_amount": {"到账金额", "Received"},
	"finance.payer_name":      {"付款户名", "Payer's name"},
	"finance.payer_account":   {"付款账号", "Paying account"},
	"finance.payee":           {"收款人", "Payee"},
	"finance.part":            {"部分到账，未确认", "Part payment, not confirmed"},
	"finance.pick":            {"选择", "Select"},
	"finance.batch_txt":       {"勾选已在同一批次中退还的保证金，在各行填写退款流水号后一并登记；任一笔被拒绝则都不登记。", "Tick the deposits paid back in one bank batch, type each refund's reference in its row, and record them together; if one is refused none is recorded."},
	"finance.batch_paid":      {"登记所选退款", "Record selected refunds"},
	"js.batch_none":           {"请先勾选要登记的退款", "Tick the refunds to record first"},

	// Reconciliation against the outside truth: the bank's statement and a card provider's balance.
	"recon.outside":                     {"与银行流水及支付机构核对", "Against the bank and the card provider"},
	"recon.outside_txt":                 {"账务与已导入的银行对账单逐笔核对（仅核对对账单覆盖的日期），并与支付机构自身的余额流水逐笔核对（含手续费）。", "The ledger against the imported bank statements, line by line (only on days a statement covers), and against the card provider's own balance transactions, fees included."},
	"recon.no_outside":                  {"没有差异", "No differences"},
	"recon.statement":                   {"对账单", "Statement"},
	"recon.at_provider":                 {"支付机构", "At the provider"},
	"recon.fee":                         {"手续费", "Fee"},
	"recon.provider_error":              {"未能读取支付机构的余额流水，本次对账不成立。", "The provider's balance could not be read; this reconciliation does not hold."},
	"recon.provider_totals":             {"本期支付机构流水 %d 笔：总额 %s，手续费 %s，净额 %s。", "%d movements at the provider this period: gross %s, fees %s, net %s."},
	"recon.out.booked_not_on_statement": {"已记账，对账单无此笔", "Booked, not on the statement"},
	"recon.out.on_statement_not_booked": {"对账单有，未记账", "On the statement, not booked"},
	"recon.out.amount_differs":          {"金额不符", "Amounts differ"},
	"recon.out.booked_not_at_provider":  {"已记账，支付机构无此笔", "Booked, not at the provider"},
	"recon.out.at_provider_not_booked":  {"支付机构有，未记账", "At the provider, not booked"},

	// A statement line's note, read back from payments.ParseNote.
	"stmt.note.booked_differs":  {"已按 %s 入账，对账单为 %s", "Booked as %s, the statement says %s"},
	"stmt.note.no_code":         {"附言中没有转账附言码", "The note quotes no transfer note code"},
	"stmt.note.no_deposit":      {"没有转账附言码为 %s 的保证金", "No deposit has the transfer note code %s"},
	"stmt.note.other_provider":  {"该保证金通过 %s 缴纳", "The deposit is paid through %s"},
	"stmt.note.deposit_differs": {"保证金为 %s，转账为 %s：金额完全一致才能确认保证金", "The deposit is %s, the transfer %s: only the exact amount confirms a deposit"},
	"stmt.note.balance_differs": {"尚欠余款 %s，转账为 %s", "%s is outstanding, the transfer is %s"},
	"stmt.note.deposit_state":   {"该保证金已是「%s」状态", "The deposit is already %s"},
	"stmt.note.debit_unbooked":  {"没有以此流水号记账的退款或案款划付", "No refund or remittance is booked with this reference"},
	"stmt.note.ledger_differs":  {"账务记录 %s 金额为 %s，对账单为 %s", "Ledger transaction %s moved %s, the statement %s"},
	"stmt.note.ledger_tx":       {"账务记录 %s", "Ledger transaction %s"},
}

// Known reports whether key has a message, in both languages.
func Known(key string) bool {
	_, ok := catalogue[key]
	return ok
}
