package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
)

// The bid queue. Bids on one auction are decided one after another under the
// auction's row lock whatever we do; letting every request open its own
// transaction and wait for that lock makes PostgreSQL hand the lock from
// backend to backend, each waking up, reading the row and writing five
// statements while the others queue behind it (a hot lot with 128 bidders
// gets fewer bids through than one with 8). Instead, each process keeps one
// worker per auction with bids waiting. The worker takes every bid that
// arrived while the previous transaction ran (up to maxBidBatch) and decides
// them in one transaction: lock the row once, read what the bids need in one
// round trip, decide each bid in arrival order against the row as the bids
// before it left it (placeBid), and write all accepted bids, their events and
// their answers in one round trip. The bids that arrived while it ran join
// the transaction before it commits (absorb): on a hot lot they are the rest
// of the crowd bidding the price the batch has just taken, and deciding them
// under the same lock, their reads sent with the batch's writes, answers the
// whole price level at once with the state after it, instead of spending a
// transaction of their own that accepts nothing while the next level's bids
// wait behind it. Each bid still gets its own event, seq and
// answer, exactly as if it had had a transaction of its own; a refused bid
// writes nothing and cannot affect the others. Instances on one database
// still take the row lock, so the outcome stays serialisable across them.

// maxBidBatch bounds the bids one transaction decides: enough to absorb any
// burst a process can parse in the time of one transaction, few enough that
// the row lock is held for a couple of milliseconds at most.
const maxBidBatch = 64

// bidBatchTimeout bounds a batch transaction. It does not follow any one
// request's context: a bidder hanging up must not roll back the others' bids.
const bidBatchTimeout = 10 * time.Second

// auctionQueue holds the requests waiting for each auction's goroutine. The
// bid queue (each auction's worker, drainBids) and the late bids (each
// auction's waiter, waitEarlier, late.go) both run one goroutine per auction
// with requests waiting, which ends when none are left, so idle auctions cost
// nothing. An auction has its goroutine exactly when it has an entry in
// pending; only add creates an entry and only take and drop remove one, so
// a goroutine is started exactly when none runs.
type auctionQueue struct {
	mu      sync.Mutex
	pending map[string][]*bidRequest
}

// add appends reqs to the auction's requests and reports whether the caller
// must start the auction's goroutine: none was running.
func (q *auctionQueue) add(auctionID string, reqs []*bidRequest) (start bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.pending == nil {
		q.pending = map[string][]*bidRequest{}
	}
	waiting, running := q.pending[auctionID]
	q.pending[auctionID] = append(waiting, reqs...)
	return !running
}

// take removes and returns the auction's oldest requests, at most n. When
// none are waiting it removes the entry and returns none: the auction's
// goroutine must then end.
func (q *auctionQueue) take(auctionID string, n int) []*bidRequest {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending[auctionID]) == 0 {
		delete(q.pending, auctionID)
		return nil
	}
	return q.pop(auctionID, n)
}

// takeMore removes and returns the auction's oldest requests, at most n,
// for the goroutine already running: unlike take it never removes the
// entry, so no second goroutine starts while this one still decides.
func (q *auctionQueue) takeMore(auctionID string, n int) []*bidRequest {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.pop(auctionID, n)
}

// pop removes and returns the auction's oldest requests, at most n, leaving
// the entry in place (under q.mu).
func (q *auctionQueue) pop(auctionID string, n int) []*bidRequest {
	waiting := q.pending[auctionID]
	n = min(len(waiting), n)
	if n == 0 {
		return nil
	}
	if n == len(waiting) {
		q.pending[auctionID] = nil
	} else {
		q.pending[auctionID] = waiting[n:]
	}
	return waiting[:n:n]
}

// peek returns a copy of the auction's requests, which stay waiting.
func (q *auctionQueue) peek(auctionID string) []*bidRequest {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.pending[auctionID])
}

// drop removes the auction's requests for which done is true and reports
// whether any are left. When none are, it removes the entry: the auction's
// goroutine must then end.
func (q *auctionQueue) drop(auctionID string, done func(*bidRequest) bool) (left bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	rest := slices.DeleteFunc(q.pending[auctionID], done)
	if len(rest) == 0 {
		delete(q.pending, auctionID)
		return false
	}
	q.pending[auctionID] = rest
	return true
}

type bidRequest struct {
	ctx  context.Context
	p    auction.PlaceBid
	done chan bidAnswer // buffered: the worker never waits for a bidder
	// waited: the bid arrived after the end as stored and has waited for
	// the bids received before it (late.go); it is now decided as the
	// auction stands.
	waited bool
}

type bidAnswer struct {
	res *auction.BidResult
	err error
	// late: not decided; the bid waits for the bids received before it.
	late bool
}

// queueBid hands p to its auction's worker, starting one if none runs, and
// waits for the answer.
func (s *Store) queueBid(ctx context.Context, p auction.PlaceBid) (*auction.BidResult, error) {
	r := &bidRequest{ctx: ctx, p: p, done: make(chan bidAnswer, 1)}
	// The queue holds the arrival until the batch has ended, even if the
	// bidder stops waiting: until then the bid may still be accepted.
	p.Arrival.Hold()
	s.enqueueBids(p.AuctionID, r)
	select {
	case a := <-r.done:
		return a.res, a.err
	case <-ctx.Done():
		// The bid may still be decided; a retry with the same key learns how.
		return nil, ctx.Err()
	}
}

// enqueueBids hands requests to their auction's worker, starting one if none
// runs.
func (s *Store) enqueueBids(auctionID string, reqs ...*bidRequest) {
	if s.bids.add(auctionID, reqs) {
		go s.drainBids(auctionID)
	}
}

// drainBids is an auction's worker: it decides waiting bids batch by batch
// and ends when none are left, so idle auctions cost nothing.
func (s *Store) drainBids(auctionID string) {
	for {
		batch := s.bids.take(auctionID, maxBidBatch)
		if len(batch) == 0 {
			return
		}
		decided, late := s.placeBatch(batch, true)
		for _, r := range decided {
			// A late bid keeps its arrival held while it waits.
			if !slices.Contains(late, r) {
				r.p.Arrival.Release()
			}
		}
		s.awaitEarlier(auctionID, late)
	}
}

// placeBatch decides a batch and answers every request in it but the late
// ones (late.go), which it returns unanswered. With absorb (the auction's
// worker) the transaction also takes the bids that arrive while it runs;
// decided is every request answered or returned late, the batch's and those.
func (s *Store) placeBatch(reqs []*bidRequest, absorb bool) (decided, late []*bidRequest) {
	live := liveRequests(reqs)
	if len(live) == 0 {
		return reqs, nil
	}
	// In order of arrival, as far as this batch knows it: of two bids at one
	// price the earlier one wins.
	sortByArrival(live)
	live, joined, answers, err := s.decideBatch(live, absorb)
	decided = slices.Concat(reqs, joined)
	if err == nil {
		for i, r := range live {
			if answers[i].late {
				late = append(late, r)
				continue
			}
			r.done <- answers[i]
		}
		return decided, late
	}
	var de *auction.Error
	var pe *pgconn.PgError
	if len(live) > 1 && errors.As(err, &pe) {
		// The database refused a statement of the batch, which only some
		// request's data can cause: decide each bid alone, so that whatever
		// it was fails only its own bid. (A database that cannot be reached
		// fails them all at once, as it would fail each.)
		for _, r := range live {
			_, l := s.placeBatch([]*bidRequest{r}, false)
			late = append(late, l...)
		}
		return decided, late
	}
	errors.As(err, &de)
	for _, r := range live {
		if de != nil {
			// Each bidder gets an error of their own to add to.
			e := *de
			r.done <- bidAnswer{err: &e}
			continue
		}
		r.done <- bidAnswer{err: err}
	}
	return decided, nil
}

// liveRequests answers the requests whose bidder stopped waiting before their
// batch ran and returns the others.
func liveRequests(reqs []*bidRequest) []*bidRequest {
	live := make([]*bidRequest, 0, len(reqs))
	for _, r := range reqs {
		if err := r.ctx.Err(); err != nil {
			r.done <- bidAnswer{err: err}
			continue
		}
		live = append(live, r)
	}
	return live
}

func sortByArrival(reqs []*bidRequest) {
	slices.SortStableFunc(reqs, func(a, b *bidRequest) int { return a.p.Arrival.At.Compare(b.p.Arrival.At) })
}

// errNothingToWrite rolls back a batch that accepted no bid: an opening done
// for it is left to the scheduler, as a refused bid's would be.
var errNothingToWrite = errors.New("postgres: no bid accepted")

// errKeyRaced rolls back a batch in which an idempotency key turned out to be
// taken meanwhile by the same bidder's bid on another auction.
var errKeyRaced = errors.New("postgres: idempotency key raced")

// decideBatch runs the batch transaction, again without the requests whose
// key raced (they are refused) until it commits. With absorb, the bids that
// arrived meanwhile join it once (see the top of this file): joined is every
// request it took from the queue, and decided the requests its answers are
// for, the batch's first, then the live ones that joined.
func (s *Store) decideBatch(reqs []*bidRequest, absorb bool) (decided, joined []*bidRequest, answers []bidAnswer, err error) {
	auctionID := reqs[0].p.AuctionID
	if s.beforeBatch != nil {
		s.beforeBatch(auctionID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), bidBatchTimeout)
	defer cancel()
	raced := map[*bidRequest]bool{}
	for {
		var lost []*bidRequest
		err := s.db.InTx(ctx, func(tx pgx.Tx) error {
			t, err := s.beginBids(ctx, tx, reqs)
			if err != nil {
				return err
			}
			answers = make([]bidAnswer, len(reqs))
			if err := s.decideFrom(t, reqs, answers, 0, raced); err != nil {
				return err
			}
			if absorb {
				// Once: the transaction must end for its answers to go.
				absorb = false
				if s.beforeJoin != nil {
					s.beforeJoin(auctionID)
				}
				// Only into an auction in bidding: whether an announced one
				// opens is judged once, by the batch's clock (beginBids),
				// which a bid that arrived after it must not be judged by.
				var took []*bidRequest
				if t.a.Status == auction.StatusBidding {
					took = s.bids.takeMore(auctionID, maxBidBatch)
				}
				joined = append(joined, took...)
				if more := liveRequests(took); len(more) > 0 {
					sortByArrival(more)
					// Theirs from now on, whatever happens next: a failure
					// below is answered to them too (placeBatch).
					from := len(reqs)
					reqs = append(reqs, more...)
					answers = append(answers, make([]bidAnswer, len(more))...)
					// What the batch accepted is written in the round trip
					// that reads what the joining bids need.
					b := &pgx.Batch{}
					if _, err := t.queueFlush(b); err != nil {
						return err
					}
					t.queueFacts(b, auctionID, more)
					if err := tx.SendBatch(ctx, b).Close(); err != nil {
						return err
					}
					// Judged by a clock read after they arrived, as a batch
					// of their own would judge them (MaxBidWait).
					t.now = s.db.Clock.Now()
					if err := s.decideFrom(t, reqs, answers, from, raced); err != nil {
						return err
					}
				}
			}
			if len(t.bids) == 0 {
				return errNothingToWrite
			}
			b := &pgx.Batch{}
			if wrote, err := t.queueFlush(b); err != nil {
				return err
			} else if wrote {
				if err := tx.SendBatch(ctx, b).Close(); err != nil {
					return err
				}
			}
			if lost = t.lostKeys(); len(lost) > 0 {
				return errKeyRaced
			}
			return nil
		})
		switch {
		case err == nil, errors.Is(err, errNothingToWrite):
			return reqs, joined, answers, nil
		case errors.Is(err, errKeyRaced):
			for _, r := range lost {
				raced[r] = true
			}
		default:
			return reqs, joined, nil, err
		}
	}
}

// decideFrom decides reqs[from:] in order against t, into answers.
func (s *Store) decideFrom(t *bidTx, reqs []*bidRequest, answers []bidAnswer, from int, raced map[*bidRequest]bool) error {
	for i := from; i < len(reqs); i++ {
		r := reqs[i]
		if raced[r] {
			answers[i].err = t.refuse(auction.Errorf(auction.EIdempotencyReused, "this Idempotency-Key was already used for another bid"))
			continue
		}
		t.current = r
		res, err := s.placeBid(r.ctx, t, r.p)
		if errors.Is(err, errLate) {
			answers[i].late = true
			continue
		}
		var de *auction.Error
		if err != nil && !errors.As(err, &de) {
			return err
		}
		answers[i] = bidAnswer{res: res, err: err}
	}
	return nil
}

// bidTx is a batch transaction in progress: the locked auction as the bids
// decided so far left it, what the bids need to know (read once for the
// batch) and the rows to write when the batch is decided.
type bidTx struct {
	a        *pgtx.Row
	category string
	rb       auction.Rulebook
	// now is the time of the batch's decision, read once the row is locked
	// (the opening is judged by it) and again before bids that joined are
	// decided. Each bid is judged at its own arrival.
	now time.Time
	// stored is the state a refusal reports: the auction as it will be
	// stored, which includes an opening only once a bid has been accepted.
	stored *auction.State
	// opened are the events of an opening done for this batch, handed to the
	// first accepted bid (whose answer the live feed publishes).
	opened []auction.Event
	// current is the request being decided.
	current *bidRequest

	priors  map[bidKey]priorAnswer
	bidders map[string]bidderRow
	listed  map[string]bool
	// staff holds the identity numbers of the batch's bidders that a staff
	// account carries too.
	staff map[string]bool

	events  []auction.Event
	hashes  [][]byte
	prevs   [][]byte
	bids    []bidRow
	answers []answerRow
	// flushed counts the events, bids and answers already sent to the
	// database; inserted are the keys whose answers it stored.
	flushed  struct{ events, bids, answers int }
	inserted map[bidKey]bool
}

type bidKey struct{ user, key string }

type priorAnswer struct{ fingerprint, response []byte }

type bidderRow struct {
	auction.Bidder
	regStatus, depStatus string
}

type bidRow struct {
	seq          int64
	registration string
	code         string
	amount       int64
	priority     bool
	placedAt     time.Time
	ip, device   string
}

type answerRow struct {
	req         *bidRequest
	key         bidKey
	fingerprint []byte
	response    []byte
}

// beginBids locks the auction and reads what the batch's bids need (answers
// already given under their keys, the bidders' registrations, the
// restriction list) in the same round trip, then reads the clock and opens
// the auction if its start has come.
func (s *Store) beginBids(ctx context.Context, tx pgx.Tx, reqs []*bidRequest) (*bidTx, error) {
	auctionID := reqs[0].p.AuctionID
	t := newBidTx()
	b := &pgx.Batch{}
	// The lock comes first: the reads after it run once the row is ours.
	b.Queue(pgtx.LockAuctionSQL, auctionID).QueryRow(t.scanAuction)
	t.queueFacts(b, auctionID, reqs)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	a := t.a
	t.stored = a.State()
	t.now = s.db.Clock.Now()
	var err error
	if t.rb, err = auction.LookupRulebook(a.Rulebook); err != nil {
		return nil, err
	}
	// Bidding opens at starts_at even if the scheduler has not run yet.
	if t.opened, err = openIfDue(ctx, tx, a, t.now); err != nil {
		return nil, err
	}
	return t, nil
}

// scanAuction reads the auction with its lot's category and appraisal.
func (t *bidTx) scanAuction(row pgx.Row) error {
	var err error
	var appraisal int64
	t.a, err = pgtx.ScanAuction(row, &t.category, &appraisal)
	if err == nil {
		t.a.AppraisalValue = appraisal
	}
	return pgtx.Translate(err, "auction")
}

func newBidTx() *bidTx {
	return &bidTx{priors: map[bidKey]priorAnswer{}, bidders: map[string]bidderRow{}, listed: map[string]bool{}, staff: map[string]bool{}, inserted: map[bidKey]bool{}}
}

// queueFacts queues the reads of what the bids need besides the auction:
// answers already given under their keys, the bidders' registrations and the
// restriction list.
func (t *bidTx) queueFacts(b *pgx.Batch, auctionID string, reqs []*bidRequest) {
	var users, keys, userIDs, idNumbers []string
	seen := map[string]bool{}
	for _, r := range reqs {
		users, keys = append(users, r.p.User.ID), append(keys, r.p.Key)
		if !seen[r.p.User.ID] {
			seen[r.p.User.ID] = true
			userIDs = append(userIDs, r.p.User.ID)
			if r.p.User.IDNumber != "" {
				idNumbers = append(idNumbers, r.p.User.IDNumber)
			}
		}
	}
	// Bids that join the batch are decided by what this read finds, as in
	// a transaction of their own, not by an earlier read of the batch's: a
	// deposit released or a listing lifted since then counts.
	for _, u := range userIDs {
		delete(t.bidders, u)
	}
	for _, id := range idNumbers {
		delete(t.listed, id)
		delete(t.staff, id)
	}
	b.Queue(`SELECT b.user_id::text, b.key, b.fingerprint, b.response FROM bid_requests b
		JOIN unnest($1::uuid[], $2::text[]) AS k(user_id, key) ON b.user_id = k.user_id AND b.key = k.key`, users, keys).
		Query(func(rows pgx.Rows) error {
			var k bidKey
			var p priorAnswer
			_, err := pgx.ForEachRow(rows, []any{&k.user, &k.key, &p.fingerprint, &p.response}, func() error {
				t.priors[k] = p
				return nil
			})
			return err
		})
	b.Queue(`SELECT r.user_id::text, r.id, coalesce(r.bidder_code, ''), r.priority_rank, r.status, d.status
		FROM registrations r JOIN deposits d ON d.registration_id = r.id
		WHERE r.auction_id = $1 AND r.user_id = ANY($2::uuid[])`, auctionID, userIDs).
		Query(func(rows pgx.Rows) error {
			var user string
			var br bidderRow
			_, err := pgx.ForEachRow(rows, []any{&user, &br.RegistrationID, &br.Code, &br.Rank, &br.regStatus, &br.depStatus}, func() error {
				t.bidders[user] = br
				return nil
			})
			return err
		})
	if len(idNumbers) > 0 {
		// Read whatever the lot's category; only real estate and vehicles use it.
		b.Queue(`SELECT id_number FROM blacklist WHERE id_number = ANY($1::text[]) AND removed_at IS NULL`, idNumbers).
			Query(func(rows pgx.Rows) error {
				var id string
				_, err := pgx.ForEachRow(rows, []any{&id}, func() error {
					t.listed[id] = true
					return nil
				})
				return err
			})
		// The staff bar follows the person: a number that became a staff
		// member's after the bidder registered bars their bids too.
		b.Queue(`SELECT id_number FROM users WHERE role <> 'bidder' AND id_number = ANY($1::text[])`, idNumbers).
			Query(func(rows pgx.Rows) error {
				var id string
				_, err := pgx.ForEachRow(rows, []any{&id}, func() error {
					t.staff[id] = true
					return nil
				})
				return err
			})
	}
}

// refuse attaches the state a refusal reports.
func (t *bidTx) refuse(err error) error {
	if e, ok := err.(*auction.Error); ok {
		e.Auction = t.stored
	}
	return err
}

// priorAnswer returns the answer given earlier under p's key (stored, or
// accepted earlier in this batch), or idempotency_key_reused when the key
// was first used for another request.
func (t *bidTx) priorAnswer(p auction.PlaceBid) (*auction.BidResult, error) {
	prior, ok := t.priors[bidKey{p.User.ID, p.Key}]
	if !ok {
		return nil, nil
	}
	if !bytes.Equal(prior.fingerprint, p.Fingerprint()) {
		return nil, auction.Errorf(auction.EIdempotencyReused, "this Idempotency-Key was already used for a different bid")
	}
	var res auction.BidResult
	return &res, json.Unmarshal(prior.response, &res)
}

// qualified returns the bidder when they are registered with a deposit held.
func (t *bidTx) qualified(userID string) (auction.Bidder, bool) {
	b, ok := t.bidders[userID]
	return b.Bidder, ok && b.regStatus == auction.RegistrationQualified && b.depStatus == auction.DepositHeld
}

// staffBar refuses a bidder whose person is also a staff member, as
// Register does. API.md's bid refusals do not list staff_cannot_bid (it is
// registration's code), so the bid answers not_qualified: the registration
// no longer qualifies its holder.
func (t *bidTx) staffBar(u *auction.User) error {
	if u.IDNumber == "" || !t.staff[u.IDNumber] {
		return nil
	}
	return auction.Errorf(auction.ENotQualified, "court and platform staff may not bid, under any account")
}

// restricted refuses a listed person on a real estate or vehicle lot, as
// checkRestricted does, from the list as read for the batch.
func (t *bidTx) restricted(u *auction.User) error {
	if !auction.Restricted(t.category) || u.IDNumber == "" || !t.listed[u.IDNumber] {
		return nil
	}
	return auction.Errorf(auction.EBidderRestricted, "persons on the restriction list may not buy real estate or vehicles")
}

// appendEvent chains the auction's next event; it is written with the batch.
func (t *bidTx) appendEvent(typ string, at time.Time, data map[string]any) auction.Event {
	prev := t.a.LastHash
	e, hash := pgtx.ChainEvent(t.a, typ, at, data)
	t.events, t.hashes, t.prevs = append(t.events, e), append(t.hashes, hash), append(t.prevs, prev)
	return e
}

// takeOpened hands the opening's events to the first accepted bid.
func (t *bidTx) takeOpened() []auction.Event {
	e := t.opened
	t.opened = nil
	return e
}

// accept records an accepted bid and the answer kept under its key; later
// bids of the batch see both.
func (t *bidTx) accept(p auction.PlaceBid, bid bidRow, answer []byte) {
	k := bidKey{p.User.ID, p.Key}
	t.priors[k] = priorAnswer{fingerprint: p.Fingerprint(), response: answer}
	t.bids = append(t.bids, bid)
	t.answers = append(t.answers, answerRow{req: t.current, key: k, fingerprint: p.Fingerprint(), response: answer})
	t.stored = t.a.State()
}

// queueFlush queues the writes of what the batch decided since the last
// flush (events, bids, answers and the auction row) and reports whether
// there were any. The answers' keys that the database stored are noted in
// t.inserted as the batch is read (lostKeys).
func (t *bidTx) queueFlush(b *pgx.Batch) (bool, error) {
	a := t.a
	events, bids, answers := t.events[t.flushed.events:], t.bids[t.flushed.bids:], t.answers[t.flushed.answers:]
	if len(bids) == 0 {
		return false, nil
	}
	hashes, prevs := t.hashes[t.flushed.events:], t.prevs[t.flushed.events:]
	n := len(events)
	seqs, types, ats, data := make([]int64, n), make([]string, n), make([]time.Time, n), make([]string, n)
	for i, e := range events {
		raw, err := json.Marshal(e.Data)
		if err != nil {
			return false, err
		}
		seqs[i], types[i], ats[i], data[i] = e.Seq, e.Type, e.At, string(raw)
	}
	m := len(bids)
	bseqs, regs, codes, amounts, prio, placed, ips, devices := make([]int64, m), make([]string, m), make([]string, m), make([]int64, m), make([]bool, m), make([]time.Time, m), make([]string, m), make([]string, m)
	for i, b := range bids {
		bseqs[i], regs[i], codes[i], amounts[i], prio[i], placed[i], ips[i], devices[i] = b.seq, b.registration, b.code, b.amount, b.priority, b.placedAt, b.ip, b.device
	}
	k := len(answers)
	users, keys, fps, responses := make([]string, k), make([]string, k), make([][]byte, k), make([]string, k)
	for i, r := range answers {
		users[i], keys[i], fps[i], responses[i] = r.key.user, r.key.key, r.fingerprint, string(r.response)
	}
	t.flushed.events, t.flushed.bids, t.flushed.answers = len(t.events), len(t.bids), len(t.answers)
	b.Queue(`INSERT INTO auction_events (auction_id, seq, type, at, data, prev_hash, hash)
		SELECT $1, e.seq, e.type, e.at, e.data::jsonb, e.prev_hash, e.hash
		FROM unnest($2::bigint[], $3::text[], $4::timestamptz[], $5::text[], $6::bytea[], $7::bytea[]) AS e(seq, type, at, data, prev_hash, hash)`,
		a.ID, seqs, types, ats, data, prevs, hashes)
	b.Queue(`INSERT INTO bids (auction_id, seq, registration_id, bidder_code, amount, priority, placed_at, ip, device)
		SELECT $1, b.seq, b.registration_id::uuid, b.bidder_code, b.amount, b.priority, b.placed_at, b.ip, b.device
		FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::boolean[], $7::timestamptz[], $8::text[], $9::text[])
			AS b(seq, registration_id, bidder_code, amount, priority, placed_at, ip, device)`,
		a.ID, bseqs, regs, codes, amounts, prio, placed, ips, devices)
	b.Queue(`INSERT INTO bid_requests (user_id, key, fingerprint, auction_id, response, created_at)
		SELECT r.user_id, r.key, r.fingerprint, $1, r.response::jsonb, $2
		FROM unnest($3::uuid[], $4::text[], $5::bytea[], $6::text[]) AS r(user_id, key, fingerprint, response)
		ON CONFLICT (user_id, key) DO NOTHING
		RETURNING user_id::text, key`,
		a.ID, t.now, users, keys, fps, responses).
		Query(func(rows pgx.Rows) error {
			var k bidKey
			_, err := pgx.ForEachRow(rows, []any{&k.user, &k.key}, func() error {
				t.inserted[k] = true
				return nil
			})
			return err
		})
	b.Queue(pgtx.SaveAuctionSQL, pgtx.SaveAuctionArgs(a)...)
	return true, nil
}

// lostKeys returns the accepted requests whose key another transaction took
// meanwhile (the database did not store their answers): the batch must then
// be rolled back and decided again.
func (t *bidTx) lostKeys() []*bidRequest {
	var lost []*bidRequest
	for _, r := range t.answers {
		if !t.inserted[r.key] {
			lost = append(lost, r.req)
		}
	}
	return lost
}
