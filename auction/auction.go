// Package auction is Gavel's domain: enforcement cases, lots, auction rounds,
// registrations, bids and the rulebook that governs them. It states the rules
// and the interfaces; storage lives in auction/postgres and HTTP in web.
package auction

import (
	"context"
	"time"
)

// Roles. Bidders sign themselves up; every other role is staff, created by the CLI.
const (
	RoleBidder  = "bidder"
	RoleClerk   = "clerk"
	RoleFinance = "finance"
	RoleAuditor = "auditor"
	RoleAdmin   = "admin"
)

// IsStaffRole reports whether role belongs to court or platform staff, who may
// not bid (Art. 34).
func IsStaffRole(role string) bool { return role != RoleBidder }

// ValidRole reports whether role is one of the five known roles.
func ValidRole(role string) bool {
	switch role {
	case RoleBidder, RoleClerk, RoleFinance, RoleAuditor, RoleAdmin:
		return true
	}
	return false
}

// User is an account. RealName, IDNumber and Phone are personal data: they
// are never logged and never appear in a public response.
type User struct {
	ID       string    `json:"id"`
	Email    string    `json:"email"`
	Role     string    `json:"role"`
	RealName string    `json:"-"`
	IDNumber string    `json:"-"`
	Phone    string    `json:"-"`
	Created  time.Time `json:"created_at"`
	// IDType is the kind of document IDNumber comes from (IDResident, ...).
	IDType string `json:"-"`
	// Verified is true once a clerk or a real-name verification provider
	// has checked that the person holds IDNumber; until then the number is
	// a claim, and privileges that follow from it (an applicant's deposit
	// exemption, a priority rank) do not apply.
	Verified bool `json:"verified"`
	// IDClaimReleasedAt is when a verified person's number was taken from
	// this unverified account, which then holds no number: it is told so here.
	IDClaimReleasedAt *time.Time `json:"id_claim_released_at,omitempty"`
}

// Party is an applicant (creditor, with a claim) or a debtor of a case.
type Party struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
	// IDType is the kind of document IDNumber comes from; empty means IDResident.
	IDType string `json:"id_type,omitempty"`
	Claim  *int64 `json:"claim,omitempty"`
}

// Case is an enforcement case (执行案件): the reason a lot is sold.
type Case struct {
	ID         string    `json:"id"`
	CaseNumber string    `json:"case_number"`
	CourtName  string    `json:"court_name"`
	Applicants []Party   `json:"applicants"`
	Debtors    []Party   `json:"debtors"`
	Lots       []Lot     `json:"lots"`
	CreatedAt  time.Time `json:"created_at"`
}

// Lot categories; the category decides notice periods and whether the
// restriction list applies.
const (
	CategoryRealEstate = "real_estate"
	CategoryVehicle    = "vehicle"
	CategoryEquity     = "equity"
	CategoryMovable    = "movable"
	CategoryOther      = "other"
)

// ValidCategory reports whether c is a known lot category.
func ValidCategory(c string) bool {
	switch c {
	case CategoryRealEstate, CategoryVehicle, CategoryEquity, CategoryMovable, CategoryOther:
		return true
	}
	return false
}

// Restricted reports whether persons on the restriction list may not buy a lot
// of this category (real estate and vehicles).
func Restricted(category string) bool {
	return category == CategoryRealEstate || category == CategoryVehicle
}

// Disclosures are what the law requires to be published with a lot.
type Disclosures struct {
	AppraisalReport string `json:"appraisal_report"`
	Encumbrances    string `json:"encumbrances"`
	Occupancy       string `json:"occupancy"`
	TaxTerms        string `json:"tax_terms"`
	Viewing         string `json:"viewing"`
}

// Lot is a seized asset put up for sale in one or more auction rounds.
type Lot struct {
	ID             string      `json:"id"`
	CaseID         string      `json:"case_id"`
	Title          string      `json:"title"`
	Description    string      `json:"description"`
	Category       string      `json:"category"`
	AppraisalValue int64       `json:"appraisal_value"`
	Location       string      `json:"location"`
	Disclosures    Disclosures `json:"disclosures"`
	// PriorityHolders are published by count and rank only; names are shown to staff.
	PriorityHolders []PriorityHolder `json:"priority_holders"`
	Documents       []Document       `json:"documents"`
	Auctions        []Auction        `json:"auctions"`
	CreatedAt       time.Time        `json:"created_at"`
}

// PriorityHolder holds a priority purchase right (优先购买权) confirmed by the court.
type PriorityHolder struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	IDNumber string `json:"-"`
	IDType   string `json:"-"`
	Rank     int    `json:"rank"`
}

// Document is a photo or a disclosure document attached to a lot.
type Document struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int       `json:"size"`
	URL         string    `json:"url"`
	CreatedAt   time.Time `json:"created_at"`
}

// Rounds.
const (
	RoundFirst  = "first"
	RoundSecond = "second"
	RoundSale   = "sale" // 变卖: fixed price sale after a failed second round
)

// Auction statuses.
const (
	StatusDraft     = "draft"
	StatusAnnounced = "announced"
	StatusBidding   = "bidding"
	StatusSold      = "sold"
	StatusFailed    = "failed"
	StatusSettled   = "settled"
	StatusDefaulted = "defaulted"
	StatusSuspended = "suspended"
	StatusCancelled = "cancelled"
	// StatusAnnulled is a sale the court set aside after it was made (撤销):
	// what the buyer paid is owed back and the lot may be sold again.
	StatusAnnulled = "annulled"
)

// Auction is one round of bidding on a lot.
type Auction struct {
	ID             string     `json:"id"`
	LotID          string     `json:"lot_id"`
	CaseID         string     `json:"case_id"`
	Round          string     `json:"round"`
	Status         string     `json:"status"`
	Rulebook       string     `json:"rulebook"`
	Currency       string     `json:"currency"`
	StartPrice     int64      `json:"start_price"`
	Increment      int64      `json:"increment"`
	Deposit        int64      `json:"deposit"`
	StartsAt       time.Time  `json:"starts_at"`
	EndsAt         time.Time  `json:"ends_at"`
	BalanceDueDays int        `json:"balance_due_days"`
	AnnouncedAt    *time.Time `json:"announced_at"`
	OpenedAt       *time.Time `json:"opened_at"`
	ClosedAt       *time.Time `json:"closed_at"`
	BalanceDueAt   *time.Time `json:"balance_due_at"`
	CurrentPrice   *int64     `json:"current_price"`
	LeaderCode     *string    `json:"leader_code"`
	BidCount       int        `json:"bid_count"`
	Seq            int64      `json:"seq"`
	HammerPrice    *int64     `json:"hammer_price"`
	WinnerCode     *string    `json:"winner_code"`
	Suspended      string     `json:"suspended_reason,omitempty"`
	ServerTime     time.Time  `json:"server_time"`

	// LeaderRank is the leader's priority rank (nil when the leader holds none);
	// internal, used to decide whether a priority match is allowed.
	LeaderRank *int `json:"-"`
	// LeaderRegistration is internal: the registration that currently leads.
	LeaderRegistration *string `json:"-"`
	// AppraisalValue is the lot's (internal; loaded where bids are decided),
	// which the rulebook's cap on a single bid is a multiple of.
	AppraisalValue int64 `json:"-"`
}

// State is the part of an auction a bidder needs to bid again: sent with every
// bid answer and every bid refusal.
type State struct {
	CurrentPrice *int64    `json:"current_price"`
	LeaderCode   *string   `json:"leader_code"`
	EndsAt       time.Time `json:"ends_at"`
	Seq          int64     `json:"seq"`
	Status       string    `json:"status"`
}

// State returns the bidder-facing state of a.
func (a *Auction) State() *State {
	return &State{CurrentPrice: a.CurrentPrice, LeaderCode: a.LeaderCode, EndsAt: a.EndsAt, Seq: a.Seq, Status: a.Status}
}

// Registration statuses.
const (
	RegistrationPending   = "pending_deposit"
	RegistrationQualified = "qualified"
)

// Registration is a bidder's entry into one auction. BidderCode is the only
// identity the public ever sees.
type Registration struct {
	ID           string   `json:"id"`
	AuctionID    string   `json:"auction_id"`
	Status       string   `json:"status"`
	BidderCode   *string  `json:"bidder_code"`
	PriorityRank *int     `json:"priority_rank"`
	Deposit      *Deposit `json:"deposit"`
	// NoticeVersion is the version of the bidders' notice (竞买须知) the
	// bidder agreed to by registering; null for a round published without one.
	NoticeVersion *int   `json:"notice_version"`
	UserID        string `json:"-"`
	// BalancePayTo is the court's account a winner pays the balance into,
	// whatever paid the deposit; nil when the court has none configured.
	BalancePayTo *PayTo `json:"balance_pay_to,omitempty"`
}

// Deposit statuses.
const (
	DepositPending       = "pending"
	DepositHeld          = "held"
	DepositApplied       = "applied"
	DepositRefundPending = "refund_pending"
	DepositRefunded      = "refunded"
	DepositForfeited     = "forfeited"
)

// Deposit is the security a bidder pays to qualify (保证金).
type Deposit struct {
	ID             string  `json:"id"`
	RegistrationID string  `json:"registration_id"`
	AuctionID      string  `json:"auction_id"`
	BidderCode     *string `json:"bidder_code"`
	Amount         int64   `json:"amount"`
	Status         string  `json:"status"`
	Provider       string  `json:"provider"`
	// PayReference is what the bidder writes on the bank transfer.
	PayReference string `json:"pay_reference,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	// PaymentReference is PayReference again, under the name the
	// registration answer gives it beside PayTo; both are set for a bank
	// deposit shown to its bidder.
	PaymentReference string `json:"payment_reference,omitempty"`
	// PayTo is the court's account the transfer goes to; nil when the
	// deposit is not paid by transfer or the court has none configured.
	PayTo *PayTo `json:"pay_to,omitempty"`
}

// Bid is an accepted bid as published.
type Bid struct {
	Seq        int64     `json:"seq"`
	BidderCode string    `json:"bidder_code"`
	Amount     int64     `json:"amount"`
	PlacedAt   time.Time `json:"placed_at"`
	Priority   bool      `json:"priority"`
}

// Event types of the auction record.
const (
	EventOpened    = "opened"
	EventBid       = "bid"
	EventExtended  = "extended"
	EventClosed    = "closed"
	EventSettled   = "settled"
	EventDefaulted = "defaulted"
	EventSuspended = "suspended"
	EventResumed   = "resumed"
	EventCancelled = "cancelled"
	EventAnnulled  = "annulled"
	// EventCorrected: the court published a correction (更正公告) of the lot's text.
	EventCorrected = "corrected"
)

// Event is one state change of an auction; seq counts 1, 2, 3 ... per auction.
// Hash chains each event to the one before it (see Record).
type Event struct {
	Seq      int64          `json:"seq"`
	Type     string         `json:"type"`
	At       time.Time      `json:"at"`
	Data     map[string]any `json:"data"`
	PrevHash string         `json:"prev_hash"`
	Hash     string         `json:"hash"`
}

// BidResult is the answer to an accepted bid.
type BidResult struct {
	Bid     Bid    `json:"bid"`
	Auction *State `json:"auction"`
	// Receipt is the hash of the bid's event in the auction record.
	Receipt string `json:"receipt"`
	// Events are the events the bid appended (the bid and maybe an extension),
	// handed to the live feed without another database read.
	Events []Event `json:"-"`
}

// Change is what one transaction appended to one auction's record; the live
// feed is told about it after commit.
type Change struct {
	AuctionID string
	Events    []Event
}

// Publisher is told about every change after its transaction commits, so
// watchers see it (locally at once, on other instances through the
// database). It never waits for a watcher.
type Publisher interface {
	Publish(ctx context.Context, changes ...Change)
}
