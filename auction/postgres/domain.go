package postgres

import (
	"gavel/auction"
	"gavel/auction/casereport"
	"gavel/payments"
)

// The domain's request and view types, by their names in this package: the
// store's methods take and return them, and the services they implement are
// declared beside them (auction, payments, casereport).
type (
	ActionImpact       = auction.ActionImpact
	AuctionDocument    = auction.AuctionDocument
	AuctionFilter      = auction.AuctionFilter
	AuditEntry         = auction.AuditEntry
	AuditPage          = auction.AuditPage
	BlacklistEntry     = auction.BlacklistEntry
	CaseFilter         = auction.CaseFilter
	CaseSummary        = auction.CaseSummary
	Confirmation       = auction.Confirmation
	Correction         = auction.Correction
	CourtAction        = auction.CourtAction
	DepositPayer       = auction.DepositPayer
	Evidence           = auction.Evidence
	FieldChange        = auction.FieldChange
	FieldProblem       = auction.FieldProblem
	Interception       = auction.Interception
	InterceptionFilter = auction.InterceptionFilter
	Listing            = auction.Listing
	LotEdit            = auction.LotEdit
	NewAuditEntry      = auction.NewAuditEntry
	NewCase            = auction.NewCase
	NewLot             = auction.NewLot
	NewPriorityHolder  = auction.NewPriorityHolder
	NewUser            = auction.NewUser
	Origin             = auction.Origin
	PlaceBid           = auction.PlaceBid
	RecordCheck        = auction.RecordCheck
	Result             = auction.Result
	ResultFilter       = auction.ResultFilter
	Session            = auction.Session
	Signal             = auction.Signal
	AuctionMoney       = payments.AuctionMoney
	BalancePayment     = payments.BalancePayment
	BalanceReturn      = payments.BalanceReturn
	DepositTally       = payments.DepositTally
	LedgerFilter       = payments.LedgerFilter
	LedgerTransaction  = payments.LedgerTransaction
	Proceeds           = payments.Proceeds
	ProceedsItem       = payments.ProceedsItem
	Remittance         = payments.Remittance
	CaseNotification   = casereport.CaseNotification
	DeliveryAttempt    = casereport.DeliveryAttempt
	Arrival            = auction.Arrival
	Arrivals           = auction.Arrivals
	Verification       = auction.Verification
	UserIdentity       = auction.UserIdentity
)

const (
	MaxDocumentSize = auction.MaxDocumentSize
	MaxOffset       = auction.MaxOffset
	TokenAPI        = auction.TokenAPI
	TokenTTL        = auction.TokenTTL
	TokenSession    = auction.TokenSession
	VerifyDesk      = auction.VerifyDesk
	VerifyProvider  = auction.VerifyProvider
	MaxBidWait      = auction.MaxBidWait
)
