package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
	"gavel/auction/postgres/money"
	"gavel/payments"
)

// tickBatch is how many due auctions one transaction handles: large enough
// that a close storm of thousands finishes in seconds, small enough that each
// transaction holds its row locks briefly.
const tickBatch = 100

// dueConditions select the auctions with a transition due at $1, in the
// order Tick applies them: opening, closing, defaulting.
var dueConditions = []string{
	`a.status = 'announced' AND a.starts_at <= $1`,
	`a.status = 'bidding' AND a.ends_at <= $1`,
	`a.status = 'sold' AND a.balance_due_at <= $1`,
}

// receivedCondition holds the close of an auction back until every bid
// received before its end has been decided (arrival.go): every process that
// is running (not stopped, beat within MaxBidWait) has published a horizon at
// or past ends_at. Once MaxBidWait has passed since ends_at nothing can still
// be accepted, so the close waits no longer: a process that stopped beating
// holds no auction open. $2 is MaxBidWait. The horizons are read once per
// statement, not per auction.
const receivedCondition = `a.ends_at <= greatest($1 - $2::interval, coalesce((
	SELECT min(r.received_through) FROM ` + runningRuns + ` r), 'infinity'))`

// runningRuns are the runs of the processes still running, as the close
// and a late bid (late.go) count them: not stopped, beat within MaxBidWait
// ($2).
const runningRuns = `(SELECT * FROM service_runs WHERE stopped_at IS NULL AND beat_wall >= clock_timestamp() - $2::interval)`

// Due counts the auctions with a transition due at the clock's time. Right
// after a Tick it is zero unless another ticker (another instance, or this
// one's scheduler) still holds some of them (Tick skips rows locked by
// others), or a close still waits for bids received before the end
// (receivedCondition). The test clock waits for zero so that, when it answers, every
// transition due by the new time has been applied.
func (s *Store) Due(ctx context.Context) (int, error) {
	var n int
	err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM auctions a WHERE (`+strings.Join(dueConditions, `) OR (`)+`)`, s.db.Clock.Now()).Scan(&n)
	return n, err
}

// Tick applies every transition due at the clock's current time: opening
// announced auctions, closing ended ones, defaulting unpaid ones. Due rows
// are claimed with FOR UPDATE SKIP LOCKED, so any number of instances can tick
// at once and each transition happens exactly once. It returns what changed
// so the live feed can be told after commit.
func (s *Store) Tick(ctx context.Context) ([]auction.Change, error) {
	// What committed is announced even when a later batch failed.
	changes, err := s.tick(ctx)
	s.db.Announce(ctx, changes...)
	return changes, err
}

func (s *Store) tick(ctx context.Context) ([]auction.Change, error) {
	now := s.db.Clock.Now()
	var changes []auction.Change
	for _, step := range []struct {
		query string
		args  []any
		apply func(context.Context, pgx.Tx, []*pgtx.Row, time.Time) ([]auction.Change, error)
	}{
		{dueConditions[0], []any{now}, eachAuction(openIfDue)},
		{dueConditions[1] + ` AND ` + receivedCondition, []any{now, auction.MaxBidWait}, s.closeAuctions},
		{dueConditions[2], []any{now}, eachAuction(s.defaultAuction)},
	} {
		for {
			var batch []auction.Change
			err := s.db.InTx(ctx, func(tx pgx.Tx) error {
				rows, err := tx.Query(ctx, `SELECT `+pgtx.AuctionColumns+` FROM auctions a WHERE `+step.query+`
					ORDER BY a.id LIMIT `+strconv.Itoa(tickBatch)+` FOR UPDATE SKIP LOCKED`, step.args...)
				if err != nil {
					return err
				}
				due, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*pgtx.Row, error) { return pgtx.ScanAuction(r) })
				if err != nil {
					return err
				}
				batch, err = step.apply(ctx, tx, due, now)
				return err
			})
			if err != nil {
				return changes, err
			}
			changes = append(changes, batch...)
			if len(batch) < tickBatch {
				break
			}
		}
	}
	return changes, nil
}

// eachAuction applies a transition to the claimed auctions one at a time,
// saving each.
func eachAuction(apply func(context.Context, pgx.Tx, *pgtx.Row, time.Time) ([]auction.Event, error)) func(context.Context, pgx.Tx, []*pgtx.Row, time.Time) ([]auction.Change, error) {
	return func(ctx context.Context, tx pgx.Tx, due []*pgtx.Row, now time.Time) ([]auction.Change, error) {
		changes := make([]auction.Change, 0, len(due))
		for _, a := range due {
			events, err := apply(ctx, tx, a, now)
			if err != nil {
				return nil, err
			}
			if err := pgtx.SaveAuction(ctx, tx, a); err != nil {
				return nil, err
			}
			changes = append(changes, auction.Change{AuctionID: a.ID, Events: events})
		}
		return changes, nil
	}
}

// openIfDue moves an announced auction whose start has come to bidding.
func openIfDue(ctx context.Context, tx pgx.Tx, a *pgtx.Row, now time.Time) ([]auction.Event, error) {
	if a.Status != auction.StatusAnnounced || now.Before(a.StartsAt) {
		return nil, nil
	}
	a.Status = auction.StatusBidding
	at := a.StartsAt
	a.OpenedAt = &at
	e, err := pgtx.AppendEvent(ctx, tx, a, auction.EventOpened, at, map[string]any{"ends_at": pgtx.Stamp(a.EndsAt)})
	if err != nil {
		return nil, err
	}
	return []auction.Event{e}, nil
}

// closeAuctions closes a claimed batch of ended auctions (closeAuction), but
// suspends instead those whose final window was not fully served
// (Hooks.Guard). What the closes need is read for the whole batch at once
// and every write is sent in one round trip, so that a close storm costs a
// few round trips per batch rather than a dozen per auction.
func (s *Store) closeAuctions(ctx context.Context, tx pgx.Tx, due []*pgtx.Row, now time.Time) ([]auction.Change, error) {
	if len(due) == 0 {
		return nil, nil
	}
	var outages map[string]*Outage
	if s.hooks.Guard != nil {
		var err error
		if outages, err = s.hooks.Guard(ctx, tx, auctionsOf(due)); err != nil {
			return nil, err
		}
	}
	var closing []*pgtx.Row
	for _, a := range due {
		if outages[a.ID] == nil {
			closing = append(closing, a)
		}
	}
	held, err := money.HeldDeposits(ctx, tx, closing)
	if err != nil {
		return nil, err
	}
	var w pgtx.Writes
	changes := make([]auction.Change, 0, len(due))
	for _, a := range due {
		var e auction.Event
		var err error
		if o := outages[a.ID]; o != nil {
			e, err = suspendAuction(&w, a, o)
		} else {
			e, err = closeAuction(&w, a, held[a.ID], now, s.db.Zone)
		}
		if err != nil {
			return nil, err
		}
		w.Queue(pgtx.SaveAuctionSQL, pgtx.SaveAuctionArgs(a)...)
		changes = append(changes, auction.Change{AuctionID: a.ID, Events: []auction.Event{e}})
	}
	if err := s.db.Flush(ctx, tx, &w); err != nil {
		return nil, err
	}
	if err := money.ReallocateShortfall(ctx, s.db, tx, closing, now); err != nil {
		return nil, err
	}
	if s.hooks.AfterClose != nil && len(closing) > 0 {
		if err := s.hooks.AfterClose(ctx, tx, auctionsOf(closing)); err != nil {
			return nil, err
		}
	}
	return changes, nil
}

func auctionsOf(rows []*pgtx.Row) []*auction.Auction {
	out := make([]*auction.Auction, len(rows))
	for i, a := range rows {
		out[i] = &a.Auction
	}
	return out
}

// closeAuction ends bidding: sold to the leader at the current price, or
// failed without bids. The winner's deposit is applied to the price; every
// other held deposit is released for refund. The case system is told. The
// writes are queued in w, at now. zone is the court's, whose calendar days
// the balance is due in.
func closeAuction(w *pgtx.Writes, a *pgtx.Row, held []money.HeldDeposit, now time.Time, zone *time.Location) (auction.Event, error) {
	rb, err := auction.LookupRulebook(a.Rulebook)
	if err != nil {
		return auction.Event{}, err
	}
	rb = rb.In(zone)
	closedAt := a.EndsAt
	a.ClosedAt = &closedAt
	data := map[string]any{"outcome": "failed", "hammer_price": nil, "winner_code": nil}
	notification := "auction.failed"
	if a.CurrentPrice != nil {
		a.Status = auction.StatusSold
		a.HammerPrice = a.CurrentPrice
		a.WinnerCode = a.LeaderCode
		// Due by the end of the balance_due_days-th calendar day (calendar.go).
		due := rb.BalanceDue(closedAt, a.BalanceDueDays)
		a.BalanceDueAt = &due
		data = map[string]any{"outcome": "sold", "hammer_price": *a.HammerPrice, "winner_code": *a.LeaderCode, "balance_due_at": pgtx.Stamp(due)}
		notification = "auction.sold"
		w.Queue(`UPDATE auctions SET winner_registration_id = $2 WHERE id = $1`, a.ID, *a.LeaderRegistration)
	} else {
		a.Status = auction.StatusFailed
	}
	e := w.Event(a, auction.EventClosed, closedAt, data)
	for _, d := range held {
		if a.LeaderRegistration != nil && d.Registration == *a.LeaderRegistration && a.Status == auction.StatusSold {
			w.Queue(`UPDATE deposits SET status = 'applied', updated_at = $2 WHERE id = $1`, d.ID, now)
			w.Record(pgtx.LedgerTx{Kind: payments.TxDepositApplied, AuctionID: a.ID, DepositID: d.ID, CaseID: a.CaseID,
				Entries: payments.Move(payments.AccountBidderDeposits, payments.AccountCaseProceeds, d.Amount)}, now)
			continue
		}
		money.ReleaseDeposit(w, d.ID, a.ID, a.CaseID, d.Amount, now)
	}
	w.Notify(a, notification, data, now)
	return e, nil
}

// defaultAuction handles a buyer who did not pay the balance in time (悔拍):
// the deposit is forfeited and allocated in the legal order (allocateForfeit:
// the round's recorded costs, then this case's debt, from which a re-sale
// shortfall is taken when a later round is sold: reallocateShortfall), and
// the buyer is barred from the lot's later rounds.
// Balance payments the buyer made are owed back to them
// (oweBackBalancePayments): they leave the case's proceeds.
func (s *Store) defaultAuction(ctx context.Context, tx pgx.Tx, a *pgtx.Row, now time.Time) ([]auction.Event, error) {
	a.Status = auction.StatusDefaulted
	var depositID string
	var amount int64
	err := tx.QueryRow(ctx, `SELECT d.id, d.amount FROM deposits d JOIN auctions a ON a.winner_registration_id = d.registration_id
		WHERE a.id = $1 FOR UPDATE OF d`, a.ID).Scan(&depositID, &amount)
	if err != nil && err != pgx.ErrNoRows {
		return nil, err
	}
	// Only the deposit is forfeited: what the buyer paid toward the
	// balance is theirs again, owed back and listed for finance.
	var w pgtx.Writes
	back, err := money.OweBackBalancePayments(ctx, tx, &w, a, now)
	if err != nil {
		return nil, err
	}
	var al payments.ForfeitAllocation
	if depositID != "" {
		w.Queue(`UPDATE deposits SET status = 'forfeited', updated_at = $2 WHERE id = $1`, depositID, now)
		w.Record(pgtx.LedgerTx{Kind: payments.TxDepositForfeited, AuctionID: a.ID, DepositID: depositID, CaseID: a.CaseID,
			Entries: payments.Move(payments.AccountCaseProceeds, payments.AccountForfeited, amount)}, now)
		if al, err = money.AllocateForfeit(ctx, tx, &w, a, depositID, amount, now); err != nil {
			return nil, err
		}
	}
	data := map[string]any{"winner_code": a.WinnerCode, "forfeited_deposit": amount,
		"allocation": money.AllocationData(al), "balance_owed_back": back}
	e := w.Event(a, auction.EventDefaulted, *a.BalanceDueAt, data)
	w.Notify(a, "auction.defaulted", map[string]any{"winner_code": a.WinnerCode, "hammer_price": a.HammerPrice,
		"balance_owed_back": back}, now)
	w.Notify(a, "deposit.forfeited", map[string]any{"amount": amount, "deposit_id": depositID,
		"allocation": data["allocation"]}, now)
	if err := s.db.Flush(ctx, tx, &w); err != nil {
		return nil, err
	}
	return []auction.Event{e}, nil
}
