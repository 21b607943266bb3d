// Package notice is what Gavel tells its users about their auctions: the
// kinds of notice, who gets each and why, and the words of each in Chinese
// and English. Notices are produced by the database in the transaction of
// the change that causes them (migrations/00011_user_notices.sql), listed in
// the app, and delivered by e-mail and SMS (auction/jobs).
//
// These are user notices, not the case notifications Gavel sends to the
// court's case system (auction/postgres/court/case_notification.go).
package notice

import (
	"time"

	"gavel/auction"
)

// Kinds of notice. The first ones are named after the auction event that
// causes them, so an event appended anywhere produces its notice.
const (
	// Outbid: someone bid above the bidder's leading bid. Coalesced per
	// bidder and auction while unread; Count says how many times.
	Outbid = "outbid"
	// OpeningSoon: a watched or registered auction opens within the hour.
	OpeningSoon = "opening_soon"
	// EndingSoon: bidding of an auction the bidder is qualified for ends
	// within 10 minutes.
	EndingSoon = "ending_soon"
	// Won and Lost: the auction closed sold; lost goes to every other
	// qualified bidder.
	Won  = "won"
	Lost = "lost"
	// DepositHeld and DepositRefunded follow the bidder's deposit.
	DepositHeld     = "deposit_held"
	DepositRefunded = "deposit_refunded"
	// BalanceDue reminds the buyer 3 days and 1 day before the deadline.
	BalanceDue = "balance_due"
	// Defaulted: the buyer did not pay the balance in time.
	Defaulted = "defaulted"
	// Suspended, Resumed, Cancelled, Annulled: court actions, to registered
	// bidders and watchers.
	Suspended = "suspended"
	Resumed   = "resumed"
	Cancelled = "cancelled"
	Annulled  = "annulled"
	// DepositAwaitingConfirmation (finance): a bank transfer for a deposit
	// is expected and must be confirmed when it arrives.
	DepositAwaitingConfirmation = "deposit_awaiting_confirmation"
	// RefundOverdue (finance): a released deposit still unpaid 24 hours on,
	// the legal time limit.
	RefundOverdue = "refund_overdue"
	// IdentityClaimReleased: a clerk verified another account as the person
	// whose identity number this account claimed, so the claim was
	// released (migrations/00014_account_notices.sql). It is about the
	// account, not an auction: its AuctionID is empty.
	IdentityClaimReleased = "identity_claim_released"
)

// Kinds lists every kind, in the order the preferences page shows them.
var Kinds = []string{Outbid, OpeningSoon, EndingSoon, Won, Lost, DepositHeld, DepositRefunded, BalanceDue,
	Defaulted, Suspended, Resumed, Cancelled, Annulled, DepositAwaitingConfirmation, RefundOverdue, IdentityClaimReleased}

// IsKind reports whether k is a kind of notice.
func IsKind(k string) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Delivery channels besides the in-app list, which always has every notice.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Channels are the channels a user may turn kinds off on.
var Channels = []string{ChannelEmail, ChannelSMS}

// Languages of e-mail and SMS; zh-CN is the default.
const (
	LangZH = "zh-CN"
	LangEN = "en"
)

// Reminder windows: how long before the moment each time-driven notice is
// produced. Balance reminders count in the rulebook's days.
const (
	OpeningSoonBefore  = time.Hour
	EndingSoonBefore   = 10 * time.Minute
	RefundOverdueAfter = 24 * time.Hour
)

// BalanceReminderDays are the days before the balance deadline on which the
// buyer is reminded.
var BalanceReminderDays = []int{3, 1}

// OutbidMailGap is the least time between two deliveries of outbid notices
// on one auction to one bidder: a bidding war sends one message every few
// minutes saying how many times, not one per bid.
const OutbidMailGap = 5 * time.Minute

// Notice is one item of a user's list. Data carries what the kind needs
// (prices, deadlines); nothing in it names or identifies another bidder.
type Notice struct {
	ID   string `json:"id"`
	Seq  int64  `json:"seq"`
	Type string `json:"type"`
	// AuctionID is empty for a notice about the account (IdentityClaimReleased).
	AuctionID string         `json:"auction_id"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	ReadAt    *time.Time     `json:"read_at"`
	Count     int            `json:"count"`
	Data      map[string]any `json:"data"`
	// Title is the lot's title (public), so a list can name the auction.
	Title string `json:"title"`
	// PayTo is the court's receiving account on the notices that ask for a
	// payment (won, balance_due), when the court has one; PayReference is
	// the transfer note code (转账附言) of the bidder's bank deposit, which
	// the court's statement matches the balance by.
	PayTo        *auction.PayTo `json:"pay_to,omitempty"`
	PayReference string         `json:"pay_reference,omitempty"`
	// Subject and Text are the notice in words, in the language asked for
	// (GET /me/notifications?lang=), filled in by the API.
	Subject string `json:"subject,omitempty"`
	Text    string `json:"text,omitempty"`
}

// Settings are a user's choices about delivery.
type Settings struct {
	Language string `json:"language"`
	// Off lists, per channel, the kinds not to deliver on it.
	Off map[string][]string `json:"off"`
}

// Enabled reports whether kind k goes out on channel ch.
func (s Settings) Enabled(ch, k string) bool {
	for _, x := range s.Off[ch] {
		if x == k {
			return false
		}
	}
	return true
}
