package auctiontest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/postgres"
)

// Password is the password of every account a World creates.
const Password = "correct horse battery"

// TB is what a World needs of the test it fails: *testing.T and *testing.B
// have it, and so has a property test's *rapid.T, whose runs build their
// fixtures with the same helpers (World.In).
type TB interface {
	Helper()
	Fatal(args ...any)
}

// World is a store on a test's database (from migrations/dbtest) and the
// clock it runs on: the case -> lot -> auction -> bidders world most tests
// start from, built by the same store calls the API makes. Every helper
// fails the test on an error, so a test reads as its story.
type World struct {
	TB   TB
	Ctx  context.Context
	Pool *pgxpool.Pool
	// Clock is the clock the test moves by hand; nil when the world runs on
	// the shared test clock (WithSharedClock) or on a clock of a store built
	// elsewhere (On).
	Clock *Clock
	Store *postgres.Store
	// Clerk and Finance act for the court in the helpers that need staff.
	Clerk, Finance *auction.User
	// Court is the court of the cases Case opens: a test that sets up a
	// court's receiving account names the court of its cases.
	Court string

	now   func() time.Time
	set   func(time.Time) error
	quick bool
}

// seq makes case numbers, emails and idempotency keys unique across the
// worlds of one test binary.
var seq atomic.Int64

// Next is a number no other call in this test binary returns.
func Next() int64 { return seq.Add(1) }

// Option changes how NewWorld or On builds a world.
type Option func(*options)

type options struct {
	clock  *Clock
	shared *postgres.TestClock
	store  []func(*postgres.Config)
	quick  bool
}

// WithClock runs the world on c instead of a new clock at Start: for a test
// that builds, before the world, something else that reads the clock (a
// notice store, a job runner).
func WithClock(c *Clock) Option { return func(o *options) { o.clock = c } }

// WithSharedClock runs the world on the database's shared test clock, the
// one `serve --test-clock` moves through its route: for a test of a server
// with that route. The world's Clock is then nil; Now and TickAt use c, and
// c never moves backwards.
func WithSharedClock(c *postgres.TestClock) Option { return func(o *options) { o.shared = c } }

// WithStore amends the store's configuration before it is built: for a
// test whose store takes part in more than the auction (a payment provider,
// a job runner's hooks, a wall clock of its own).
func WithStore(f func(*postgres.Config)) Option {
	return func(o *options) { o.store = append(o.store, f) }
}

// WithQuickAccounts makes Account insert each account with one shared hash
// of Password instead of through Store.CreateUser, whose hashing costs some
// 40 ms of CPU an account: for tests that make many accounts which sign in
// by token, not password, and test nothing of sign-up.
func WithQuickAccounts() Option { return func(o *options) { o.quick = true } }

// NewWorld returns a world on pool, a migrated database of the test's own
// (dbtest.Pool), under the SPC 2016 rulebook, its clock standing at Start.
func NewWorld(tb testing.TB, pool *pgxpool.Pool, opts ...Option) *World {
	tb.Helper()
	o := collect(opts)
	cfg := postgres.Config{Pool: pool, Rulebook: auction.SPC2016}
	if o.shared != nil {
		cfg.Clock = o.shared
	} else {
		if o.clock == nil {
			o.clock = NewClock(Start)
		}
		cfg.Clock = o.clock
	}
	for _, f := range o.store {
		f(&cfg)
	}
	return build(tb, postgres.New(cfg), o)
}

// On returns a world over a store built elsewhere: by the program under
// test (cmd/gavel's Main), so that what the helpers do is the program's own
// act, or by a test whose clock is the real time. Its time is the store's;
// TickAt moves it only when it is the Clock given WithClock or the shared
// test clock given WithSharedClock.
func On(tb testing.TB, store *postgres.Store, opts ...Option) *World {
	tb.Helper()
	return build(tb, store, collect(opts))
}

func collect(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

func build(tb testing.TB, store *postgres.Store, o options) *World {
	tb.Helper()
	w := &World{TB: tb, Ctx: context.Background(), Pool: store.Pool(), Store: store, Court: "北京市第一中级人民法院",
		now: store.Clock().Now, quick: o.quick}
	switch {
	case o.shared != nil:
		w.set = func(t time.Time) error { _, err := o.shared.Set(w.Ctx, t); return err }
	case o.clock != nil:
		w.Clock = o.clock
		w.set = func(t time.Time) error { o.clock.Set(t); return nil }
	default:
		w.set = func(time.Time) error { return errors.New("auctiontest: this world's clock is not one the test moves") }
	}
	w.Clerk = w.User(auction.RoleClerk, "")
	w.Finance = w.User(auction.RoleFinance, "")
	return w
}

// In returns the same world failing tb instead: for the runs of a property
// test, which must fail the run and not the test around it.
func (w *World) In(tb TB) *World {
	c := *w
	c.TB = tb
	return &c
}

// Go returns the same world for a goroutine the test starts: a failure is
// reported with tb.Error, which any goroutine may call, and ends that
// goroutine only; the test checks tb.Failed once they are done.
func (w *World) Go(tb testing.TB) *World { return w.In(goroutineTB{tb}) }

type goroutineTB struct{ testing.TB }

func (g goroutineTB) Fatal(args ...any) {
	g.TB.Helper()
	g.TB.Error(args...)
	runtime.Goexit()
}

// Now is the world's time.
func (w *World) Now() time.Time { return w.now() }

// Account creates the account nu describes, with this world's password and
// a unique email, name and phone unless nu gives its own.
func (w *World) Account(nu auction.NewUser) *auction.User {
	w.TB.Helper()
	n := Next()
	if nu.Email == "" {
		nu.Email = fmt.Sprintf("world%d@example.test", n)
	}
	if nu.RealName == "" {
		nu.RealName = fmt.Sprintf("World %d", n)
	}
	if nu.Phone == "" {
		nu.Phone = fmt.Sprintf("138%08d", n%100_000_000)
	}
	nu.Password = Password
	create := w.Store.CreateUser
	if w.quick {
		create = w.insertUser
	}
	u, err := create(w.Ctx, nu)
	if err != nil {
		w.TB.Fatal(err)
	}
	return u
}

// passwordHash is the hash of Password the quick accounts share.
var passwordHash = sync.OnceValues(func() (string, error) { return auction.HashPassword(Password) })

// insertUser is CreateUser with the shared hash (WithQuickAccounts); it
// checks the identity number as CreateUser does.
func (w *World) insertUser(ctx context.Context, nu auction.NewUser) (*auction.User, error) {
	hash, err := passwordHash()
	if err != nil {
		return nil, err
	}
	u := &auction.User{Role: nu.Role, RealName: nu.RealName, IDType: auction.IDResident, Phone: nu.Phone, Created: w.Now()}
	if u.Email, err = auction.NormalizeEmail(nu.Email); err != nil {
		return nil, err
	}
	if nu.IDNumber != "" {
		id, err := auction.ParseIdentity("id_number", nu.IDType, nu.IDNumber, w.Now())
		if err != nil {
			return nil, err
		}
		u.IDType, u.IDNumber = id.Type, id.Number
	}
	err = w.Pool.QueryRow(ctx, `INSERT INTO users (email, password_hash, role, real_name, id_type, id_number, phone, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, u.Email, hash, u.Role, u.RealName, u.IDType, u.IDNumber, u.Phone, u.Created).Scan(&u.ID)
	return u, err
}

// User creates an account with role. A bidder gets a valid identity
// number of their own, derived from key (IDNumber), so that each bidder is
// a different person.
func (w *World) User(role, key string) *auction.User {
	w.TB.Helper()
	idNumber := ""
	if role == auction.RoleBidder {
		idNumber = IDNumber(fmt.Sprint("world person ", key, Next()))
	}
	return w.Account(auction.NewUser{Role: role, IDNumber: idNumber})
}

// Token creates a token of kind (auction.TokenAPI, auction.TokenSession)
// for u, valid for ttl.
func (w *World) Token(u *auction.User, kind string, ttl time.Duration) string {
	w.TB.Helper()
	token, _, err := w.Store.CreateToken(w.Ctx, u.ID, kind, ttl)
	if err != nil {
		w.TB.Fatal(err)
	}
	return token
}

// Verify marks u's identity verified at the desk, directly: for a test
// whose bidders use what only verified accounts may (an applicant's
// offset, a holder's priority) and that tests nothing of verification,
// which Store.VerifyUser does with its audit entry and notices.
func (w *World) Verify(u *auction.User) {
	w.TB.Helper()
	if _, err := w.Pool.Exec(w.Ctx, `UPDATE users SET verified_at = $2, verified_method = $3, verified_reference = 'test' WHERE id = $1`,
		u.ID, w.Now(), auction.VerifyDesk); err != nil {
		w.TB.Fatal(err)
	}
	u.Verified = true
}

// Person creates a bidder account that claims, unverified, the identity of
// the person key names (IDNumber; a person of their own when key is empty)
// under name (one of its own when empty): for a test of what a person may
// do, where the same key is the same person across accounts, a case's
// applicants, a lot's priority holders and the restriction list.
func (w *World) Person(key, name string) *auction.User {
	w.TB.Helper()
	if key == "" {
		key = fmt.Sprint("world person ", Next())
	}
	return w.Account(auction.NewUser{Role: auction.RoleBidder, IDNumber: IDNumber(key), RealName: name})
}

// Verified is a Person verified at the desk by the world's clerk through
// Store.VerifyUser, with the audit entries and claim releases a
// verification makes: for a test of the store itself, whose bidders are
// verified the way the desk verifies them (Verify skips all that).
func (w *World) Verified(key, name string) *auction.User {
	w.TB.Helper()
	u := w.Person(key, name)
	u, err := w.Store.VerifyUser(w.Ctx, w.Clerk, u.ID, auction.Verification{Method: auction.VerifyDesk, Reference: "desk file " + u.ID})
	if err != nil {
		w.TB.Fatal(err)
	}
	return u
}

// Bidder creates a bidder account, a person of their own.
func (w *World) Bidder() *auction.User {
	return w.User(auction.RoleBidder, "")
}

// Case opens an enforcement case with one applicant (claim in fen) and one
// debtor.
func (w *World) Case(claim int64) *auction.Case {
	w.TB.Helper()
	return w.CaseOf(auction.NewCase{Applicants: []auction.Party{{Name: "某银行", IDType: auction.IDCompany, IDNumber: "91110000100000000R", Claim: &claim}}})
}

// CaseOf opens the case nc describes, with a number of its own, the world's
// court and Case's debtor unless nc gives them: for a test whose parties
// matter (applicants who bid, names a printed notice shows).
func (w *World) CaseOf(nc auction.NewCase) *auction.Case {
	w.TB.Helper()
	if nc.CaseNumber == "" {
		nc.CaseNumber = fmt.Sprintf("(2026)京01执%d号", Next())
	}
	if nc.CourtName == "" {
		nc.CourtName = w.Court
	}
	if nc.Debtors == nil {
		nc.Debtors = []auction.Party{{Name: "刘某", IDNumber: IDNumber("110105198001010099")}}
	}
	c, err := w.Store.CreateCase(w.Ctx, w.Clerk.ID, nc)
	if err != nil {
		w.TB.Fatal(err)
	}
	return c
}

// Lot lists a flat appraised at appraisal fen under the case.
func (w *World) Lot(caseID, title string, appraisal int64) *auction.Lot {
	w.TB.Helper()
	return w.LotOf(caseID, auction.NewLot{Title: title, Description: "两居室", Category: auction.CategoryRealEstate,
		AppraisalValue: appraisal, Location: "北京市", Disclosures: auction.Disclosures{Encumbrances: "抵押，随拍卖涤除", Occupancy: "空置"}})
}

// LotOf lists the lot nl describes under the case: for a test whose lot is
// not a flat (a car, whose notice period is shorter) or says more.
func (w *World) LotOf(caseID string, nl auction.NewLot) *auction.Lot {
	w.TB.Helper()
	l, err := w.Store.CreateLot(w.Ctx, caseID, nl)
	if err != nil {
		w.TB.Fatal(err)
	}
	return l
}

// Holder adds h to the lot's priority holders (a co-owner, a tenant), who
// may match the leading bid at their rank.
func (w *World) Holder(lotID string, h auction.NewPriorityHolder) *auction.PriorityHolder {
	w.TB.Helper()
	p, err := w.Store.AddPriorityHolder(w.Ctx, lotID, h)
	if err != nil {
		w.TB.Fatal(err)
	}
	return p
}

// Car lists a car appraised at ¥100,000 under the case: movable property,
// whose notice period (15 days) is shorter than a flat's.
func (w *World) Car(caseID, title string) *auction.Lot {
	w.TB.Helper()
	return w.LotOf(caseID, auction.NewLot{Title: title, Description: "一辆车", Category: auction.CategoryMovable, AppraisalValue: 10_000_000})
}

// Draft schedules a round of the lot opening at starts, without publishing
// it: bidding for a day, steps of ¥1,000, a deposit of a tenth of the start
// price.
func (w *World) Draft(lotID, round string, start int64, starts time.Time) *auction.Auction {
	w.TB.Helper()
	return w.Schedule(auction.ScheduleParams{LotID: lotID, Round: round, StartPrice: start, StartsAt: starts})
}

// Schedule schedules the round p describes without publishing it, with
// Draft's step, deposit and day of bidding where p leaves them zero: for a
// test whose round differs in more (its end, the balance's due days).
func (w *World) Schedule(p auction.ScheduleParams) *auction.Auction {
	w.TB.Helper()
	if p.Increment == 0 {
		p.Increment = 100_000
	}
	if p.Deposit == 0 {
		p.Deposit = p.StartPrice / 10
	}
	if p.EndsAt.IsZero() {
		p.EndsAt = p.StartsAt.Add(24 * time.Hour)
	}
	a, err := w.Store.ScheduleAuction(w.Ctx, p)
	if err != nil {
		w.TB.Fatal(err)
	}
	return a
}

// Publish publishes a drafted round.
func (w *World) Publish(a *auction.Auction) *auction.Auction {
	w.TB.Helper()
	a, err := w.Store.PublishAuction(w.Ctx, a.ID)
	if err != nil {
		w.TB.Fatal(err)
	}
	return a
}

// Round schedules a round of the lot and publishes it, opening 31 days from
// the clock (past the longest notice), as Draft says.
func (w *World) Round(lotID, round string, start int64) *auction.Auction {
	w.TB.Helper()
	return w.Publish(w.Draft(lotID, round, start, w.Now().Add(31*24*time.Hour).Truncate(time.Second)))
}

// Drafted is a first round of a new flat of a new case, not published:
// appraised at ¥1,000,000, starting at ¥700,000, opening 31 days from the
// clock.
func (w *World) Drafted(title string) *auction.Auction {
	w.TB.Helper()
	c := w.Case(1_000_000)
	return w.Draft(w.Lot(c.ID, title, 100_000_000).ID, auction.RoundFirst, 70_000_000, w.Now().Add(31*24*time.Hour).Truncate(time.Second))
}

// Announced is a Drafted round, published.
func (w *World) Announced(title string) *auction.Auction {
	w.TB.Helper()
	return w.Publish(w.Drafted(title))
}

// AnnouncedOf is a published first round of the lot nl under the case nc,
// as Announced but for what they say: for a test whose parties or lot
// matter (applicants who bid, a category's rules, the appraisal). CaseOf
// fills in the case; the lot is a flat appraised at ¥1,000,000 where nl
// leaves its title, category or appraisal out, and the round starts at 70%
// of the appraisal.
func (w *World) AnnouncedOf(nc auction.NewCase, nl auction.NewLot) *auction.Auction {
	w.TB.Helper()
	if nl.Title == "" {
		nl.Title = "住宅"
	}
	if nl.Category == "" {
		nl.Category = auction.CategoryRealEstate
	}
	if nl.AppraisalValue == 0 {
		nl.AppraisalValue = 100_000_000
	}
	l := w.LotOf(w.CaseOf(nc).ID, nl)
	return w.Publish(w.Draft(l.ID, auction.RoundFirst, nl.AppraisalValue*70/100, w.Now().Add(31*24*time.Hour).Truncate(time.Second)))
}

// AnnouncedCar is a published first round of a new car of a new case,
// starting at ¥70,000 and opening 20 days from the clock.
func (w *World) AnnouncedCar(title string) *auction.Auction {
	w.TB.Helper()
	c := w.Case(1_000_000)
	return w.Publish(w.Draft(w.Car(c.ID, title).ID, auction.RoundFirst, 7_000_000, w.Now().Add(20*24*time.Hour).Truncate(time.Second)))
}

// Bidding is an Announced round, opened: the clock stands at its start.
func (w *World) Bidding(title string) *auction.Auction {
	w.TB.Helper()
	return w.Open(w.Announced(title))
}

// Register registers u for the auction; the deposit is left as the payment
// provider made it.
func (w *World) Register(u *auction.User, auctionID string) *auction.Registration {
	w.TB.Helper()
	reg, err := w.Store.Register(w.Ctx, u, auctionID)
	if err != nil {
		w.TB.Fatal(err)
	}
	return reg
}

// Qualify registers u for the auction and confirms the deposit's transfer
// if one is owed (an applicant's claim may cover it); it returns the
// registration as it is then, with its bidder code.
func (w *World) Qualify(u *auction.User, auctionID string) *auction.Registration {
	w.TB.Helper()
	reg := w.Register(u, auctionID)
	if reg.Status == auction.RegistrationPending {
		if _, err := w.Store.ConfirmDeposit(w.Ctx, reg.Deposit.ID, fmt.Sprintf("BANK-%d", Next())); err != nil {
			w.TB.Fatal(err)
		}
	}
	reg, err := w.Store.Registration(w.Ctx, reg.ID)
	if err != nil {
		w.TB.Fatal(err)
	}
	if reg.BidderCode == nil {
		w.TB.Fatal("a qualified bidder has no bidder code")
	}
	return reg
}

// Tick applies every transition due at the clock's time and returns them,
// for a test of what a tick changes.
func (w *World) Tick() []auction.Change {
	w.TB.Helper()
	changes, err := w.Store.Tick(w.Ctx)
	if err != nil {
		w.TB.Fatal(err)
	}
	return changes
}

// TickAt moves the clock to at and applies every transition then due.
func (w *World) TickAt(at time.Time) {
	w.TB.Helper()
	if err := w.set(at); err != nil {
		w.TB.Fatal(err)
	}
	w.Tick()
}

// tickFrom moves the clock forward to at, unless it is already past it,
// and applies every transition then due.
func (w *World) tickFrom(at time.Time) {
	w.TB.Helper()
	if w.Now().Before(at) {
		if err := w.set(at); err != nil {
			w.TB.Fatal(err)
		}
	}
	w.Tick()
}

// Open moves the clock to the auction's start, unless it is already past
// it, and opens it; it returns the auction as it is now.
func (w *World) Open(a *auction.Auction) *auction.Auction {
	w.TB.Helper()
	w.tickFrom(a.StartsAt)
	return w.Auction(a.ID)
}

// Close moves the clock to the auction's end as it is now (bids near the
// end extend it), unless the clock is already past it, and closes it; it
// returns the auction as it is then.
func (w *World) Close(a *auction.Auction) *auction.Auction {
	w.TB.Helper()
	w.tickFrom(w.Auction(a.ID).EndsAt)
	return w.Auction(a.ID)
}

// Auction reads the auction as it is now.
func (w *World) Auction(id string) *auction.Auction {
	w.TB.Helper()
	a, err := w.Store.Auction(w.Ctx, id)
	if err != nil {
		w.TB.Fatal(err)
	}
	return a
}

// Bid places u's bid of amount under a fresh idempotency key.
func (w *World) Bid(u *auction.User, auctionID string, amount int64) *auction.BidResult {
	w.TB.Helper()
	res, err := w.TryBid(u, auctionID, amount)
	if err != nil {
		w.TB.Fatal(err)
	}
	return res
}

// TryBid places u's bid of amount under a fresh idempotency key and returns
// the store's answer, a refusal included: for a test of what is refused.
func (w *World) TryBid(u *auction.User, auctionID string, amount int64) (*auction.BidResult, error) {
	return w.Store.PlaceBid(w.Ctx, auction.PlaceBid{AuctionID: auctionID, User: u, Amount: amount, Key: fmt.Sprintf("world-%d", Next())})
}
