package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/court"
	"gavel/auction/postgres/internal/pgtx"
	"gavel/auction/postgres/money"
	"gavel/auction/postgres/oversight"
	"gavel/payments"
)

// Register enters a bidder into an auction. Returns not_found, staff_cannot_bid,
// registration_closed, already_registered, bidder_barred or bidder_restricted.
// A verified applicant of the case owes max(0, deposit - claim), and a
// verified priority holder gets the rank; owing nothing qualifies at once.
// Bars follow the person, verified or not: a number carried by a staff
// account, the defaulter of an earlier round under any account, the
// restriction list. Registering is agreeing to the bidders' notice (竞买须知)
// in force, whose version is recorded with the registration.
func (s *Store) Register(ctx context.Context, u *auction.User, auctionID string) (*auction.Registration, error) {
	return s.RegisterAgreeing(ctx, u, auctionID, nil)
}

// RegisterAgreeing is Register by a bidder who was shown the bidders'
// notice of version notice (nil: not said): a version other than the one in
// force is refused with invalid_field (notice_version), so nobody agrees to
// a text they did not read.
func (s *Store) RegisterAgreeing(ctx context.Context, u *auction.User, auctionID string, notice *int) (*auction.Registration, error) {
	if auction.IsStaffRole(u.Role) {
		return nil, auction.Errorf(auction.EStaffCannotBid, "court and platform staff may not bid")
	}
	var regID, startID string
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		// Who the account is as committed, not as the caller's session
		// remembered it: a verification, or a claim it released, answered
		// by another instance reaches this one's cached sessions only when
		// its announcement arrives.
		cur := *u
		if err := tx.QueryRow(ctx, `SELECT id_type, id_number, verified_at IS NOT NULL FROM users WHERE id = $1`, u.ID).
			Scan(&cur.IDType, &cur.IDNumber, &cur.Verified); err != nil {
			return pgtx.Translate(err, "user")
		}
		u = &cur
		if u.IDNumber == "" {
			// Only an account whose claim a verified person took holds none.
			return auction.FieldError("id_number", "this account holds no identity number (a verified person's claim took it); a court clerk can verify yours")
		}
		// FOR SHARE: registration must not race with the close of the auction.
		var a auction.Auction
		var category string
		err := tx.QueryRow(ctx, `SELECT a.id, a.lot_id, a.case_id, a.status, a.deposit, a.ends_at, l.category
			FROM auctions a JOIN lots l ON l.id = a.lot_id WHERE a.id = $1 FOR SHARE OF a`, auctionID).
			Scan(&a.ID, &a.LotID, &a.CaseID, &a.Status, &a.Deposit, &a.EndsAt, &category)
		if err != nil {
			return pgtx.Translate(err, "auction")
		}
		now := s.db.Clock.Now()
		if (a.Status != auction.StatusAnnounced && a.Status != auction.StatusBidding) || !now.Before(a.EndsAt) {
			return auction.Errorf(auction.ERegistrationClosed, "registration is closed for this auction")
		}
		inForce, err := court.NoticeInForce(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		if notice != nil && (inForce == nil || *inForce != *notice) {
			if inForce == nil {
				return auction.FieldError("notice_version", "this round was published without a bidders' notice")
			}
			return auction.FieldError("notice_version", "the bidders' notice in force is version %d: read it and agree to it", *inForce)
		}
		var agreedAt *time.Time
		if inForce != nil {
			agreedAt = &now
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM registrations WHERE auction_id = $1 AND user_id = $2)`, a.ID, u.ID).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return auction.Errorf(auction.EAlreadyRegistered, "you are already registered for this auction")
		}
		var staff, barred bool
		if err := tx.QueryRow(ctx, `SELECT
				$3 <> '' AND EXISTS (SELECT 1 FROM users s WHERE s.role <> 'bidder' AND s.id_number = $3),
				EXISTS (SELECT 1 FROM auctions a2 JOIN registrations r2 ON r2.id = a2.winner_registration_id JOIN users w ON w.id = r2.user_id
					WHERE a2.lot_id = $1 AND a2.status = 'defaulted' AND (w.id = $2 OR ($3 <> '' AND w.id_number = $3)))`,
			a.LotID, u.ID, u.IDNumber).Scan(&staff, &barred); err != nil {
			return err
		}
		if staff {
			return auction.Errorf(auction.EStaffCannotBid, "court and platform staff may not bid, under any account")
		}
		if barred {
			return auction.Errorf(auction.EBidderBarred, "a buyer who defaulted on this lot may not bid in its later rounds")
		}
		if err := oversight.CheckRestricted(ctx, tx, u, a.ID, category, "registration"); err != nil {
			return err
		}
		// Privileges follow a verified person only: a typed number is a
		// claim anyone who knows it could make.
		var rank *int
		if u.Verified && u.IDNumber != "" {
			err := tx.QueryRow(ctx, `SELECT rank FROM priority_holders WHERE lot_id = $1 AND id_number = $2`, a.LotID, u.IDNumber).Scan(&rank)
			if err != nil && err != pgx.ErrNoRows {
				return err
			}
		}
		var claim *int64
		if u.Verified && u.IDNumber != "" {
			err := tx.QueryRow(ctx, `SELECT sum(claim)::bigint FROM case_parties WHERE case_id = $1 AND kind = 'applicant' AND id_number = $2`, a.CaseID, u.IDNumber).Scan(&claim)
			if err != nil {
				return err
			}
		}
		owed := auction.DepositOwed(a.Deposit, claim)
		status, depStatus := auction.RegistrationPending, auction.DepositPending
		if owed == 0 {
			status, depStatus = auction.RegistrationQualified, auction.DepositHeld
		}
		o := auction.OriginFrom(ctx)
		err = tx.QueryRow(ctx, `INSERT INTO registrations (auction_id, user_id, status, priority_rank, declared_at, created_at, ip, device,
				notice_version, notice_agreed_at)
			VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9) RETURNING id`, a.ID, u.ID, status, rank, now, o.IP, o.Device, inForce, agreedAt).Scan(&regID)
		if pgtx.IsUniqueViolation(err, "") {
			return auction.Errorf(auction.EAlreadyRegistered, "you are already registered for this auction")
		}
		if err != nil {
			return err
		}
		if owed == 0 {
			if err := money.AssignBidderCode(ctx, tx, regID); err != nil {
				return err
			}
		}
		var heldAt *time.Time
		if owed == 0 {
			heldAt = &now
		}
		var depositID string
		err = tx.QueryRow(ctx, `INSERT INTO deposits (registration_id, auction_id, amount, status, provider, pay_reference, held_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, regID, a.ID, owed, depStatus, s.provider, pgtx.RandomCode("GV", 10), heldAt, now).Scan(&depositID)
		if owed > 0 {
			startID = depositID
		}
		return err
	})
	if err != nil {
		return nil, oversight.InterceptedAfter(ctx, s.db, err, u, auctionID, oversight.StageRegistration)
	}
	if startID != "" {
		// After commit: the provider's payment (Stripe's PaymentIntent and
		// its client_secret) is created by a network call, never made while
		// the transaction holds its locks.
		s.startDeposit(ctx, startID)
	}
	return s.Registration(ctx, regID)
}

const registrationColumns = `r.id, r.auction_id, r.user_id, r.status, r.bidder_code, r.priority_rank, r.notice_version,
	d.id, d.amount, d.status, d.provider, d.pay_reference, d.client_secret,
	ca.court_name, ca.account_name, ca.bank, ca.account_number`

// registrationFrom joins a registration to its deposit and to the court
// account its bank transfer goes to (none configured: nulls).
const registrationFrom = ` FROM registrations r JOIN deposits d ON d.registration_id = r.id
	JOIN auctions ra ON ra.id = r.auction_id JOIN cases rc ON rc.id = ra.case_id
	LEFT JOIN court_accounts ca ON ca.court_name = rc.court_name`

func scanRegistration(row pgx.Row) (*auction.Registration, error) {
	r := &auction.Registration{Deposit: &auction.Deposit{}}
	d := r.Deposit
	var court, name, bank, number *string
	err := row.Scan(&r.ID, &r.AuctionID, &r.UserID, &r.Status, &r.BidderCode, &r.PriorityRank, &r.NoticeVersion,
		&d.ID, &d.Amount, &d.Status, &d.Provider, &d.PayReference, &d.ClientSecret, &court, &name, &bank, &number)
	d.RegistrationID, d.AuctionID, d.BidderCode = r.ID, r.AuctionID, r.BidderCode
	if court != nil {
		r.BalancePayTo = &auction.PayTo{CourtName: *court, AccountName: *name, Bank: *bank, AccountNumber: *number}
	}
	// A bank deposit tells its bidder where to pay and what to quote.
	if d.Provider == payments.ProviderBank && d.Amount > 0 {
		d.PaymentReference = d.PayReference
		d.PayTo = r.BalancePayTo
	}
	return r, err
}

// Registration returns one registration with its deposit.
func (s *Store) Registration(ctx context.Context, id string) (*auction.Registration, error) {
	r, err := scanRegistration(s.db.Pool.QueryRow(ctx, `SELECT `+registrationColumns+registrationFrom+` WHERE r.id = $1`, id))
	return r, pgtx.Translate(err, "registration")
}

// UserRegistrations lists a bidder's registrations, newest first.
func (s *Store) UserRegistrations(ctx context.Context, userID string) ([]auction.Registration, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+registrationColumns+registrationFrom+`
		WHERE r.user_id = $1 ORDER BY r.created_at DESC, r.id`, userID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (auction.Registration, error) {
		r, err := scanRegistration(row)
		return *r, err
	})
}

// startDeposit creates the provider's payment for a new deposit, outside any
// transaction (a network call never holds row locks), with the idempotency
// key deposit:<registration id> so a retry never creates a second one. A
// failure is left to the intent sweeper (StartPendingIntents), which retries
// until the intent exists: the registration itself has succeeded.
func (s *Store) startDeposit(ctx context.Context, depositID string) {
	if s.payments.Name() == payments.ProviderBank {
		return // the transfer reference shown at registration is all it takes
	}
	d, err := s.ProviderDeposit(ctx, depositID)
	if err != nil || d.Provider != s.payments.Name() || d.ProviderRef != "" || d.Status != auction.DepositPending {
		return
	}
	_ = s.StartIntent(ctx, s.payments, d)
}
