package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
)

// Bids that cannot win, decided off the lock. On a hot lot most bids lose:
// every one-click bidder sends the price plus one step, and of the bids that
// arrive together one wins and the rest are too low. Deciding them all in the
// batch under the auction's lock made batches, and so the time between two
// accepted bids, grow with the crowd. So each round of an auction's worker
// (drainBids) splits the waiting bids, in order of arrival, by what the
// committed state the worker last saw (knownAuction) says:
//
//   - the group: the bids at the head of the queue that the rulebook refuses
//     against that state (auction.Rulebook.CheckBid: not open, already
//     leading, too low, off the increments, too high), for a bidder whose
//     registration the worker has seen. The state only ever moves on (a
//     price never falls, a bidder's registration and rank never change), so
//     these bids cannot win; they need no lock and write nothing;
//   - the batch: the bids after them that may win, each above the one
//     before it (one that is not waits: it is decided against the state the
//     batch leaves), decided under the lock as before;
//   - the rest wait for the next round.
//
// The group is decided exactly as the batch would decide it, by placeBid,
// against the auction as committed when it is read (one read, without the
// lock, of the row, the answers stored under the keys, the registrations and
// the restriction list), so every answer is the one the batch would give:
// prior answers under a key, not qualified, restricted, and the rule's own
// refusal with the state as stored. The read runs while the batch decides, on
// its own connection, and the batch commits only after it: the group, which
// arrived first, is decided against the state before the batch, as arrival
// order requires. Should the read find that a group bid could win after all
// (the state moved back: an auction resumed by the court with a later end),
// the batch is rolled back and both are decided again, in order, by a
// batch. The known state never decides anything; when it is wrong, bids only
// take the slower path.

// knownAuction is an auction's committed state as its worker last saw it.
type knownAuction struct {
	a        auction.Auction
	rulebook auction.Rulebook
	// bidders are the registrations the worker has read, by user id: what a
	// bid's refusal by the rules depends on (id, code, rank) never changes.
	bidders map[string]auction.Bidder
}

// maxKnown bounds the auctions whose state a process remembers.
const maxKnown = 10_000

// maxGroup bounds the bids one read decides.
const maxGroup = 1024

// route splits waiting bids (in order of arrival) into the group that k
// refuses whatever happens and the batch after it; a nil k knows nothing,
// so everything goes to the batch as before.
func (k *knownAuction) route(waiting []*bidRequest) (group, batch []*bidRequest) {
	n := min(len(waiting), maxBidBatch)
	if k == nil || k.a.Status != auction.StatusBidding {
		return nil, waiting[:n:n]
	}
	i := 0
	for i < len(waiting) && i < maxGroup && k.refuses(waiting[i]) {
		i++
	}
	j := i
	var top int64
	for j < len(waiting) && j-i < maxBidBatch {
		if amount := waiting[j].p.Amount; j == i || amount > top {
			top = amount
			j++
			continue
		}
		break
	}
	return waiting[:i:i], waiting[i:j:j]
}

// refuses tells whether the rules refuse r against the known state.
func (k *knownAuction) refuses(r *bidRequest) bool {
	b, ok := k.bidders[r.p.User.ID]
	if !ok {
		return false
	}
	_, err := k.rulebook.CheckBid(&k.a, b, r.p.Amount, r.p.Arrival.At)
	return err != nil
}

// remember keeps t's auction as the known state of its auction (under q.mu):
// a nil t forgets it, e.g. after a failed batch.
func (q *bidQueue) remember(auctionID string, t *bidTx) {
	if t == nil || t.a == nil || t.a.Status != auction.StatusBidding {
		delete(q.known, auctionID)
		return
	}
	if q.known == nil || len(q.known) >= maxKnown {
		q.known = map[string]*knownAuction{}
	}
	k := q.known[auctionID]
	if k == nil || k.a.ID != t.a.ID {
		k = &knownAuction{bidders: map[string]auction.Bidder{}}
		q.known[auctionID] = k
	}
	k.a, k.rulebook = t.a.Auction, t.rb
	for user, b := range t.bidders {
		k.bidders[user] = b.Bidder
	}
}

// errWouldAccept is placeBid's answer, in a group, to a bid it would accept.
var errWouldAccept = errors.New("postgres: the bid may win")

// decideRound decides a round's group and batch and answers them. It
// returns the bids decided, those to decide again (at the head of the
// queue) and the transaction whose state the worker should know next.
func (s *Store) decideRound(auctionID string, group, batch []*bidRequest) (decided, requeue []*bidRequest, known *bidTx) {
	if len(group) == 0 {
		t, _ := s.placeGated(batch, nil)
		return batch, nil, t
	}
	// The group's connection is taken before the batch takes its own, so
	// that a batch waiting for its group never holds the last connection.
	ctx, cancel := context.WithTimeout(context.Background(), bidBatchTimeout)
	defer cancel()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		// Decide everything as a batch, in order.
		all := append(group, batch...)
		t, _ := s.placeGated(all, nil)
		return all, nil, t
	}
	read := make(chan groupRead, 1)
	go func() {
		defer conn.Release()
		read <- s.readGroup(ctx, conn.Conn(), auctionID, group)
	}()
	var g groupRead
	gotRead := false
	gate := func() bool {
		g, gotRead = <-read, true
		return g.err != nil || g.wins < 0
	}
	t, again := s.placeGated(batch, gate)
	if again {
		// A bid of the group may win: the group and the batch, in order,
		// are decided again by batches, knowing nothing.
		return nil, append(group, batch...), nil
	}
	if !gotRead {
		// The batch failed before its commit, or was decided bid by bid.
		g = <-read
		if g.err == nil && g.wins >= 0 {
			return batch, group, nil
		}
	}
	s.answerGroup(group, g)
	known = t
	switch {
	case len(batch) == 0:
		known = g.t
	case t != nil && g.t != nil:
		for user, b := range g.t.bidders {
			if _, ok := t.bidders[user]; !ok {
				t.bidders[user] = b
			}
		}
	}
	return append(group, batch...), nil, known
}

// groupRead is a group decided against the auction as read without the lock.
type groupRead struct {
	t       *bidTx
	answers []bidAnswer
	// wins is the index of the first bid that could win, -1 when none.
	wins int
	err  error
}

// readGroup reads the auction and what the group's bids need in one round
// trip, without locking anything, and decides each bid.
func (s *Store) readGroup(ctx context.Context, conn *pgx.Conn, auctionID string, group []*bidRequest) groupRead {
	t := newBidTx()
	t.refuseOnly = true
	b := &pgx.Batch{}
	b.Queue(lockAuctionSQLBase+` WHERE a.id = $1`, auctionID).QueryRow(t.scanAuction)
	t.queueFacts(b, auctionID, group)
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return groupRead{err: err, wins: -1}
	}
	var err error
	if t.rb, err = auction.LookupRulebook(t.a.Rulebook); err != nil {
		return groupRead{err: err, wins: -1}
	}
	t.stored = t.a.State()
	t.now = s.clock.Now()
	g := groupRead{t: t, answers: make([]bidAnswer, len(group)), wins: -1}
	if t.a.Status == auction.StatusAnnounced && !t.now.Before(t.a.StartsAt) {
		// Only a batch opens an auction.
		g.wins = 0
		return g
	}
	for i, r := range group {
		t.current = r
		res, err := s.placeBid(r.ctx, t, r.p)
		var de *auction.Error
		switch {
		case errors.Is(err, errWouldAccept):
			g.wins = i
			return g
		case err != nil && !errors.As(err, &de):
			g.err = err
			return g
		}
		g.answers[i] = bidAnswer{res: res, err: err}
	}
	return g
}

// answerGroup answers the group's bids as read (or with the read's error).
func (s *Store) answerGroup(group []*bidRequest, g groupRead) {
	s.bids.grouped.Add(int64(len(group)))
	for i, r := range group {
		switch {
		case r.ctx.Err() != nil:
			r.done <- bidAnswer{err: r.ctx.Err()}
		case g.err != nil:
			r.done <- bidAnswer{err: g.err}
		default:
			r.done <- g.answers[i]
		}
	}
}
