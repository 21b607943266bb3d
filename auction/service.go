package auction

import (
	"context"
	"time"
)

// Accounts are the people who use Gavel and their sign-ins: bidders sign
// themselves up, staff are created from the command line, and every request
// is authenticated by a token.
type Accounts interface {
	// CreateUser stores a new account. Returns email_taken, id_number_taken,
	// weak_password or invalid_field.
	CreateUser(ctx context.Context, u NewUser) (*User, error)

	// SignUp creates the account of a bidder who registers themselves: beyond
	// what every account needs, a bidder gives a real name, an identity number
	// and a phone. Returns invalid_field, email_taken, id_number_taken or
	// weak_password.
	SignUp(ctx context.Context, u NewUser) (*User, error)

	// VerifyUser records that the person behind an account holds its
	// identity number (or the one v names); unverified bidder accounts
	// claiming the same person lose the claim, audited. actor is nil for a
	// provider's confirmation the bidder asked for. Returns not_found,
	// invalid_field, id_number_taken (another account is verified as the
	// person).
	VerifyUser(ctx context.Context, actor *User, userID string, v Verification) (*User, error)

	// UsersByIDNumber lists the accounts whose identity number is number in
	// its normal form. Returns invalid_field.
	UsersByIDNumber(ctx context.Context, number string) ([]UserIdentity, error)

	// IdentityIssues lists the accounts the identity review of migration
	// 00008 flagged and no admin has resolved.
	// Returns no error code of its own: a failure is the storage's.
	IdentityIssues(ctx context.Context) ([]UserIdentity, error)

	// Login checks credentials; the answer is the same invalid_credentials whether
	// the email is unknown or the password wrong, and takes about as long.
	Login(ctx context.Context, email, password string) (*User, error)

	// User returns an account by id.
	// Returns not_found.
	User(ctx context.Context, id string) (*User, error)

	// CreateToken issues a token for userID; only its hash is stored.
	// Returns no error code of its own: a failure is the storage's.
	CreateToken(ctx context.Context, userID, kind string, ttl time.Duration) (secret string, sess *Session, err error)

	// Authenticate returns the session of a token that exists, is not revoked and
	// has not expired; otherwise unauthenticated.
	Authenticate(ctx context.Context, secret string) (*Session, error)

	// RevokeToken ends a token (logout). The revocation is announced on
	// the tokens channel by the same statement, so in the same transaction: processes
	// that cached the session hear of it exactly when it commits.
	// Returns no error code of its own: a failure is the storage's.
	RevokeToken(ctx context.Context, secret string) error

	// Unexpired tells whether a session that Authenticate returned is still before
	// its expires_at by the same wall clock Authenticate judges it with.
	// It refuses nothing.
	Unexpired(sess *Session) bool
}

// Cases are the enforcement cases and their lots as the court lists them:
// parties, lots with their documents and priority holders, and the public
// corrections of a published lot.
type Cases interface {
	// Cases lists the cases that match, newest first, a page at a time, and
	// whether more match after this page: every case can be reached.
	// Returns no error code of its own: a failure is the storage's.
	Cases(ctx context.Context, f CaseFilter) ([]CaseSummary, bool, error)

	// LastCourt is the court of the case the user opened last ("" when
	// none): a clerk's new case form starts with it.
	// Returns no error code of its own: a failure is the storage's.
	LastCourt(ctx context.Context, userID string) (string, error)

	// Case returns a case with its parties and lots.
	// Returns not_found.
	Case(ctx context.Context, id string) (*Case, error)

	// CreateCase opens a case with its applicants and debtors. Returns case_exists
	// or invalid_field.
	CreateCase(ctx context.Context, by string, c NewCase) (*Case, error)

	// CreateLot lists a lot under a case. Returns not_found or invalid_field.
	CreateLot(ctx context.Context, caseID string, l NewLot) (*Lot, error)

	// Lot returns a lot with its priority holders, documents and auction rounds.
	// Returns not_found.
	Lot(ctx context.Context, id string) (*Lot, error)

	// UpdateLot edits an unpublished lot. Returns not_found, invalid_field, or
	// invalid_state once the lot is published.
	UpdateLot(ctx context.Context, lotID string, e LotEdit) (*Lot, error)

	// DeleteLot deletes an unpublished lot whose rounds are all drafts, with
	// them, its photos, documents and priority holders. Returns not_found or
	// invalid_state.
	DeleteLot(ctx context.Context, lotID string) error

	// AddPriorityHolder records a priority holder on a lot. Returns not_found,
	// invalid_field, or invalid_state when the id number is already a holder.
	AddPriorityHolder(ctx context.Context, lotID string, h NewPriorityHolder) (*PriorityHolder, error)

	// AddDocument stores a photo or document of a lot in the database, so a backup
	// of the database is a backup of everything published with the sale.
	// Returns not_found or invalid_field.
	AddDocument(ctx context.Context, lotID, kind, filename, contentType string, data []byte) (*Document, error)

	// DocumentData returns a document's metadata and bytes.
	// Returns not_found.
	DocumentData(ctx context.Context, id string) (*Document, []byte, error)

	// CorrectLot publishes a correction of a published lot's text: the lot
	// reads the new text, the correction keeps the old, and every round of the
	// lot still running (announced, bidding or suspended) gets a `corrected`
	// event (data: version, reason, fields) for its bidders. Only texts may be
	// corrected; price, deposit, times, category and appraisal stay. Returns
	// not_found, invalid_field (reason, a blank title, nothing changed), or
	// invalid_state when the lot is not published (edit it instead).
	CorrectLot(ctx context.Context, actor *User, lotID, reason string, e LotEdit) (*Correction, []Change, error)

	// Corrections lists a lot's corrections, the first first. Returns not_found.
	Corrections(ctx context.Context, lotID string) ([]Correction, error)

	// CreateLots lists lots under a case in one transaction: all of them or,
	// when one fails its checks, none. Returns not_found or invalid_field (the
	// first problem; NewLot.Problems lists them all beforehand).
	CreateLots(ctx context.Context, caseID string, lots []NewLot) ([]Lot, error)
}

// Rounds are the auctions a court schedules on a lot and what it does to
// them: publish, suspend, resume, cancel, annul; and the transitions the
// clock makes due (open, close, default), applied by Tick.
type Rounds interface {
	// ScheduleAuction creates a draft round for a lot after checking the rulebook.
	// Returns not_found, invalid_field, round_not_allowed, start_price_too_low,
	// price_cut_too_large, deposit_out_of_range or bidding_period_too_short.
	ScheduleAuction(ctx context.Context, p ScheduleParams) (*Auction, error)

	// UpdateDraft replaces a draft round's terms (p.LotID is ignored: the round
	// stays on its lot), checked again against the rulebook and the lot's other
	// rounds. Returns not_found, invalid_state once published, or the codes of
	// ScheduleAuction.
	UpdateDraft(ctx context.Context, auctionID string, p ScheduleParams) (*Auction, error)

	// DeleteDraft deletes a draft round. Returns not_found or invalid_state.
	DeleteDraft(ctx context.Context, auctionID string) error

	// PublishAuction announces a draft auction. Returns not_found, invalid_state,
	// round_not_allowed (another round of the lot is announced, bidding or
	// suspended, or the lot's rounds have moved on since the draft was made) or
	// announcement_period_too_short.
	PublishAuction(ctx context.Context, id string) (*Auction, error)

	// SuspendAuction stops an announced or bidding auction for the court
	// (暂缓/中止, Art. 29): no registration and no bid is accepted until it is
	// resumed; price, leader, bids and deposits stay as they are. Returns
	// not_found, invalid_field (reason) or invalid_state.
	SuspendAuction(ctx context.Context, p CourtAction) (*Auction, []Event, error)

	// CancelAuction withdraws a round before it closes (撤回): every deposit of
	// it that is held is released for refund within the legal 24 hours, the case
	// system is told (auction.cancelled), and the lot may have a new round of
	// the same kind. Returns not_found, invalid_field (reason) or invalid_state.
	CancelAuction(ctx context.Context, p CourtAction) (*Auction, []Event, error)

	// AnnulAuction sets a completed sale aside (撤销, Art. 31): the buyer's
	// deposit (applied, or forfeited after a default) and every balance payment
	// toward the price leave the case's proceeds and are owed back, listed for
	// finance; the confirmation is withdrawn; the case system is told
	// (auction.annulled); the lot may have a new round of the same kind.
	// Returns not_found, invalid_field (reason) or invalid_state.
	AnnulAuction(ctx context.Context, p CourtAction) (*Auction, []Event, error)

	// ResumeAuction reopens a suspended auction until endsAt, whoever suspended
	// it (the court, or the outage guard after a fault): one that had opened
	// goes back to bidding, one suspended before its start goes back to
	// announced (or to bidding, with its `opened` event, when its start has
	// passed). Price, leader, bids and deposits are as they were. The reason is
	// optional here (API.md's body is {ends_at}); when given it is kept like the
	// others'. Returns the auction and the events for the live feed. Errors:
	// not_found, invalid_state (not suspended), invalid_field (ends_at, reason),
	// bidding_period_too_short (a start that has not opened yet needs a full
	// bidding period).
	ResumeAuction(ctx context.Context, p CourtAction, endsAt time.Time) (*Auction, []Event, error)

	// Due counts the auctions with a transition due at the clock's time. Right
	// after a Tick it is zero unless another ticker (another instance, or this
	// one's scheduler) still holds some of them (Tick skips rows locked by
	// others), or a close still waits for bids received before the end
	// (receivedCondition). The test clock waits for zero so that, when it answers, every
	// transition due by the new time has been applied.
	// Returns no error code of its own: a failure is the storage's.
	Due(ctx context.Context) (int, error)

	// Tick applies every transition due at the clock's current time: opening
	// announced auctions, closing ended ones, defaulting unpaid ones. Due rows
	// are claimed with FOR UPDATE SKIP LOCKED, so any number of instances can tick
	// at once and each transition happens exactly once. It returns what changed
	// so the live feed can be told after commit.
	// Returns no error code of its own: a failure is the storage's.
	Tick(ctx context.Context) ([]Change, error)

	// AuctionDocuments returns a round's documents: for each kind the latest
	// stored version (the published one once the round is published), or for
	// a draft never edited the text written from it now. Returns not_found.
	AuctionDocuments(ctx context.Context, auctionID string) ([]AuctionDocument, error)

	// DocumentVersions lists every stored version of a round's document,
	// oldest first. Returns not_found or invalid_field (kind).
	DocumentVersions(ctx context.Context, auctionID, kind string) ([]AuctionDocument, error)

	// EditAuctionDocument stores a clerk's text of a draft round's document as
	// its next version. Returns not_found, invalid_field (kind, body) or
	// invalid_state once the round is published.
	EditAuctionDocument(ctx context.Context, actor *User, auctionID, kind, body string) (*AuctionDocument, error)

	// Deadlines lists the deadlines of the law still running (Deadline
	// kinds), the soonest first, each with its rule, its due time under the
	// auction's rulebook in the court's calendar, and whether it has passed.
	// A balance is listed from the day before its last day.
	// Returns no error code of its own: a failure is the storage's.
	Deadlines(ctx context.Context) ([]Deadline, error)

	// ActionImpacts returns the impact of a court action on each auction, by
	// id: who and what money it touches.
	// Returns no error code of its own: a failure is the storage's.
	ActionImpacts(ctx context.Context, auctionIDs []string) (map[string]ActionImpact, error)
}

// Catalogue is what anyone may read about auctions: the public list, an
// auction with its bids and events, its hash-chained record, the confirmation
// of a sale and the results board.
type Catalogue interface {
	// Auction returns one auction with server_time set.
	// Returns not_found.
	Auction(ctx context.Context, id string) (*Auction, error)

	// Listings is the public catalogue: published auctions, filtered, bidding
	// ones first, then by end; and whether more match after this page.
	// Returns no error code of its own: a failure is the storage's.
	Listings(ctx context.Context, f AuctionFilter) ([]Listing, bool, error)

	// Bids returns every accepted bid in seq order.
	// Returns no error code of its own: a failure is the storage's.
	Bids(ctx context.Context, auctionID string) ([]Bid, error)

	// Events returns up to limit events with seq > since, and whether more exist.
	// Returns no error code of its own: a failure is the storage's.
	Events(ctx context.Context, auctionID string, since int64, limit int) ([]Event, bool, error)

	// Record exports the whole hash-chained record of an auction.
	// Returns no error code of its own: a failure is the storage's.
	Record(ctx context.Context, auctionID string) (*Record, error)

	// VerifiedRecord reads an auction's record and checks it beyond the hash
	// chain, in one snapshot so that a bid committing meanwhile is not a false
	// alarm: the chain must end where the auction row says it ends (a deleted
	// or appended tail shows), and the bids table must agree with the bid events
	// (GET /bids and the bid list people see are served from it). Returns
	// not_found.
	VerifiedRecord(ctx context.Context, auctionID string) (*RecordCheck, error)

	// Confirmation returns the sale confirmation of a sold (or settled) auction;
	// not_found before.
	Confirmation(ctx context.Context, auctionID string) (*Confirmation, error)

	// Results lists closed auctions, the latest close first, and whether more
	// match after this page. A cancelled round never closed and is not a result.
	// Returns no error code of its own: a failure is the storage's.
	Results(ctx context.Context, f ResultFilter) ([]Result, bool, error)
}

// Bidding is a bidder's way into an auction: registration (with its deposit)
// and bids, each decided by the bid core in one short transaction.
type Bidding interface {
	// Register enters a bidder into an auction. Returns not_found, staff_cannot_bid,
	// registration_closed, already_registered, bidder_barred or bidder_restricted.
	// An applicant of the case owes max(0, deposit - claim); owing nothing
	// qualifies at once.
	Register(ctx context.Context, u *User, auctionID string) (*Registration, error)

	// UserRegistrations lists a bidder's registrations, newest first.
	// Returns no error code of its own: a failure is the storage's.
	UserRegistrations(ctx context.Context, userID string) ([]Registration, error)

	// Arrive stamps a bid received now (see Arrivals): the HTTP handler and the
	// socket call it as soon as they have read the bid, hand it to PlaceBid and
	// release it when answered. It cannot fail.
	Arrive() *Arrival

	// PlaceBid decides a bid: it waits in its auction's queue (queue.go) and is
	// decided by placeBid in a short transaction that locks the auction row,
	// checks the bidder and the rulebook, inserts the bid, appends its events,
	// updates the auction and remembers the answer under the idempotency key.
	// Nothing here calls another system. Refusals (with the auction state):
	// not_found, idempotency_key_reused, not_qualified, bidder_restricted,
	// auction_not_open, already_leading, bid_too_low, bid_not_on_increment, and
	// service_unavailable for a bid that waited longer than MaxBidWait.
	PlaceBid(ctx context.Context, p PlaceBid) (*BidResult, error)

	// RegisterAgreeing is Register by a bidder who was shown the bidders'
	// notice of version notice (nil: not said): a version other than the one in
	// force is refused with invalid_field (notice_version), so nobody agrees to
	// a text they did not read.
	RegisterAgreeing(ctx context.Context, u *User, auctionID string, notice *int) (*Registration, error)

	// RefuseBid is a refusal of a bid decided before the bid core saw it (its
	// key, its request, its sign-in) with the auction's current state added,
	// as every bid refusal carries it, so the client can bid again without
	// another request. err itself is left as it is: a domain error comes back
	// as a copy with the state; an auction that cannot be read adds none.
	// Returns err's code.
	RefuseBid(ctx context.Context, auctionID string, err error) error
}

// Oversight is what the court and auditors watch: the audit log, the
// restriction list and the bidders it stopped, collusion signals, and who
// paid a deposit.
type Oversight interface {
	// Audit appends an entry to the audit log.
	// Returns no error code of its own: a failure is the storage's.
	Audit(ctx context.Context, n NewAuditEntry) (*AuditEntry, error)

	// AuditLog returns up to limit entries after seq since, in order, verified
	// against the chain: the page's first link is checked against the hash of
	// the entry before it, and the last page against the head.
	// Returns no error code of its own: a failure is the storage's.
	AuditLog(ctx context.Context, since int64, limit int) (*AuditPage, error)

	// Interceptions lists recorded interceptions, oldest first.
	// Returns no error code of its own: a failure is the storage's.
	Interceptions(ctx context.Context, f InterceptionFilter) ([]Interception, bool, error)

	// ImportBlacklist upserts entries from a source (e.g. "api", "csv", "cli").
	// A re-listed person who had been removed is listed again. Returns invalid_field.
	ImportBlacklist(ctx context.Context, source string, entries []BlacklistEntry) (int, error)

	// RemoveFromBlacklist takes people off the list (their restriction was lifted).
	// Returns no error code of its own: a failure is the storage's.
	RemoveFromBlacklist(ctx context.Context, idNumbers []string) (int, error)

	// Signals lists the collusion signals of an auction: qualified bidders who
	// registered or bid from the same IP address or device, or whose deposits came
	// from the same account. Only after the close (identities are confidential
	// until then): not_found, invalid_state.
	Signals(ctx context.Context, auctionID string) ([]Signal, error)

	// ViewDepositPayer returns the person behind a deposit and records, in the
	// same transaction, that actor looked: no audit line, no answer. Returns
	// not_found.
	ViewDepositPayer(ctx context.Context, actor *User, depositID string) (*DepositPayer, error)

	// RecordDepositPayer notes the account a deposit was paid from (a bank
	// account number or a card fingerprint) for the shared-payer signal. Returns
	// not_found.
	RecordDepositPayer(ctx context.Context, depositID, account string) error
}

// Services are the domain's services as one store provides them, with what
// every caller needs beside them: the clock and rulebook decisions are made
// by, and how to tell an outage of the storage from a refusal.
type Services interface {
	Accounts
	Cases
	Rounds
	Catalogue
	Bidding
	Oversight
	// Clock is the one clock every decision is made by.
	Clock() Clock
	// Rulebook is the rulebook new auctions are scheduled under.
	Rulebook() Rulebook
	// Ping reports whether the storage answers.
	Ping(ctx context.Context) error
	// Unavailable reports whether err means the storage could not be
	// reached or answer in time (503 service_unavailable, worth a retry)
	// rather than a refusal or a mistake.
	Unavailable(err error) bool
}
