package notice

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Context is what the words of a notice need besides the notice.
type Context struct {
	// Title is the lot's title.
	Title string
	// Language is LangZH or LangEN (anything else reads as LangZH).
	Language string
	// Zone is where times are shown (the court's, Asia/Shanghai by default).
	Zone *time.Location
	// AuctionURL and SettingsURL are the links at the end of an e-mail;
	// UnsubscribeURL, when set, turns this kind of notice off in one click.
	AuctionURL, SettingsURL, UnsubscribeURL string
}

// Text is a notice in words.
type Text struct {
	Subject string
	// Body is the message; its first line says it all (SMS sends it alone).
	Body string
}

// phrase is one kind's words: the subject and the first line, with
// placeholders {title}, {count}, and {name} for a data field (money fields
// in yuan, times in the court's zone).
type phrase struct{ subject, line string }

var phrases = map[string][2]phrase{
	Outbid: {
		{"您的出价已被超越：{title}", "您在「{title}」的领先出价已被超越{times}，当前价 {current_price}。"},
		{"You have been outbid: {title}", "Your leading bid on \"{title}\" was outbid{times}; the price is now {current_price}."}},
	OpeningSoon: {
		{"即将开拍：{title}", "您关注或报名的「{title}」将于 {starts_at} 开始竞价。"},
		{"Opening soon: {title}", "\"{title}\", which you watch or registered for, opens for bidding at {starts_at}."}},
	EndingSoon: {
		{"即将结束：{title}", "「{title}」将于 {ends_at} 结束竞价（出价延时以页面为准）。"},
		{"Ending soon: {title}", "Bidding on \"{title}\" ends at {ends_at} (later if a bid extends it; the page shows the time)."}},
	Won: {
		{"竞买成功：{title}", "恭喜，您以 {hammer_price} 竞得「{title}」。保证金 {deposit_applied} 已抵作价款，请于 {balance_due_at} 前缴清余款 {balance_due}。"},
		{"You won: {title}", "You won \"{title}\" at {hammer_price}. Your deposit of {deposit_applied} counts toward the price; pay the balance of {balance_due} by {balance_due_at}."}},
	Lost: {
		{"竞价结束：{title}", "「{title}」已以 {hammer_price} 成交，您未竞得，保证金 {deposit} 将予退还。"},
		{"Auction ended: {title}", "\"{title}\" sold at {hammer_price} to another bidder; your deposit of {deposit} will be refunded."}},
	DepositHeld: {
		{"保证金已确认：{title}", "您为「{title}」交纳的保证金 {amount} 已确认，您已取得竞买资格。"},
		{"Deposit confirmed: {title}", "Your deposit of {amount} for \"{title}\" is confirmed; you may bid."}},
	DepositRefunded: {
		{"保证金已退还：{title}", "您为「{title}」交纳的保证金 {amount} 已退还。"},
		{"Deposit refunded: {title}", "Your deposit of {amount} for \"{title}\" has been paid back."}},
	BalanceDue: {
		{"余款缴纳提醒：{title}", "请于 {balance_due_at} 前缴清「{title}」的余款 {outstanding}；逾期未缴，保证金不予退还。"},
		{"Balance due: {title}", "Pay the balance of {outstanding} for \"{title}\" by {balance_due_at}; if it is late, the deposit is forfeited."}},
	Defaulted: {
		{"未按期缴清余款：{title}", "「{title}」的余款未在期限内缴清，保证金 {forfeited_deposit} 不予退还。"},
		{"Balance not paid: {title}", "The balance for \"{title}\" was not paid in time; the deposit of {forfeited_deposit} is forfeited."}},
	Suspended: {
		{"暂缓拍卖：{title}", "「{title}」已暂缓，暂缓期间不接受出价，出价与保证金保留。"},
		{"Auction suspended: {title}", "\"{title}\" is suspended; no bids are taken meanwhile, and bids and deposits are kept."}},
	Resumed: {
		{"恢复拍卖：{title}", "「{title}」已恢复竞价，将于 {ends_at} 结束。"},
		{"Auction resumed: {title}", "Bidding on \"{title}\" has resumed and ends at {ends_at}."}},
	Cancelled: {
		{"撤回拍卖：{title}", "「{title}」已撤回，已交保证金将予退还。"},
		{"Auction cancelled: {title}", "\"{title}\" was withdrawn; deposits paid will be refunded."}},
	Annulled: {
		{"拍卖结果撤销：{title}", "「{title}」的拍卖结果已被法院撤销，已付款项将予退还。"},
		{"Auction annulled: {title}", "The court annulled the result of \"{title}\"; what was paid will be refunded."}},
	DepositAwaitingConfirmation: {
		{"待确认保证金：{title}", "「{title}」有一笔保证金 {amount} 待银行到账后确认。"},
		{"Deposit to confirm: {title}", "A deposit of {amount} for \"{title}\" is to be confirmed when the transfer arrives."}},
	RefundOverdue: {
		{"保证金退还逾期：{title}", "「{title}」的一笔保证金 {amount} 释放已超过 24 小时仍未退还。"},
		{"Refund overdue: {title}", "A deposit of {amount} for \"{title}\" was released over 24 hours ago and is not paid back yet."}},
	IdentityClaimReleased: {
		{"身份证件号码认领已解除", "您的账户所填的身份证件号码，已由法院核实为另一账户的本人所有，本账户不再使用该号码，目前不能报名竞买。如该号码确属您本人，请携带身份证件原件到执行法院办理身份核实；如是填写错误，请以本人证件号码重新办理核实。"},
		{"Your identity number claim was released", "The court verified another account as the person whose identity number your account gave, so your account no longer carries that number and cannot register for auctions. If the number is yours, bring your identity document to the enforcing court to have your identity verified; if it was a typing mistake, have your account verified with your own number."}},
}

// moneyFields are the data fields that hold fen.
var moneyFields = map[string]bool{"current_price": true, "hammer_price": true, "deposit_applied": true, "balance_due": true,
	"deposit": true, "amount": true, "outstanding": true, "forfeited_deposit": true}

// Render puts notice n into words.
func Render(n Notice, c Context) Text {
	lang := 0
	if c.Language == LangEN {
		lang = 1
	}
	if c.Zone == nil {
		c.Zone = time.UTC
	}
	p := phrases[n.Type][lang]
	if p.subject == "" { // a kind without words yet still says what it is about
		p = phrase{"{title}", n.Type}
	}
	fill := func(s string) string {
		var b strings.Builder
		for {
			i := strings.IndexByte(s, '{')
			j := strings.IndexByte(s, '}')
			if i < 0 || j < i {
				b.WriteString(s)
				return b.String()
			}
			b.WriteString(s[:i])
			b.WriteString(field(n, c, lang, s[i+1:j]))
			s = s[j+1:]
		}
	}
	line := fill(p.line)
	if (n.Type == Won || n.Type == BalanceDue) && n.PayTo != nil {
		line += payInLine(n, lang)
	}
	footer := fmt.Sprintf([2]string{"查看拍卖：%s\n通知设置：%s\n", "See the auction: %s\nNotification settings: %s\n"}[lang], c.AuctionURL, c.SettingsURL)
	if n.AuctionID == "" { // about the account: no auction to see
		footer = fmt.Sprintf([2]string{"通知设置：%s\n", "Notification settings: %s\n"}[lang], c.SettingsURL)
	}
	if c.UnsubscribeURL != "" {
		footer += fmt.Sprintf([2]string{"不再接收此类邮件：%s\n", "Stop e-mails of this kind: %s\n"}[lang], c.UnsubscribeURL)
	}
	return Text{Subject: fill(p.subject), Body: line + "\n\n" + footer}
}

// field is the value of placeholder name.
func field(n Notice, c Context, lang int, name string) string {
	switch name {
	case "title":
		return c.Title
	case "times":
		if n.Count <= 1 {
			return ""
		}
		return fmt.Sprintf([2]string{"（共 %d 次）", " %d times"}[lang], n.Count)
	}
	v := n.Data[name]
	switch x := v.(type) {
	case float64:
		if moneyFields[name] {
			return Money(int64(x))
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.In(c.Zone).Format("2006-01-02 15:04 MST")
		}
		return x
	}
	return "-"
}

// Money formats fen as yuan: ¥1,234,567.89.
func Money(fen int64) string {
	neg := fen < 0
	u := uint64(fen)
	if neg {
		u = -u
	}
	digits := []byte(strconv.FormatUint(u/100, 10))
	out := make([]byte, 0, len(digits)+len(digits)/3)
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, d)
	}
	sign := map[bool]string{true: "-"}[neg]
	return fmt.Sprintf("%s¥%s.%02d", sign, out, u%100)
}

// payInLine tells a buyer where the balance goes: the court's account and,
// for a bank deposit, the transfer note code to quote.
func payInLine(n Notice, lang int) string {
	p := n.PayTo
	s := fmt.Sprintf([2]string{"收款账户：%s，户名 %s，开户行 %s，账号 %s。", " Pay into the account of %s: %s, %s, account number %s."}[lang],
		p.CourtName, p.AccountName, p.Bank, p.AccountNumber)
	if n.PayReference != "" {
		s += fmt.Sprintf([2]string{"转账附言请填写 %s。", " Write %s as the transfer note."}[lang], n.PayReference)
	}
	return s
}
