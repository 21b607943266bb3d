package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
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

// Due counts the auctions with a transition due at the clock's time. Right
// after a Tick it is zero unless another ticker (another instance, or this
// one's scheduler) still holds some of them: Tick skips rows locked by
// others. The test clock waits for zero so that, when it answers, every
// transition due by the new time has been applied.
func (s *Store) Due(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM auctions a WHERE (`+strings.Join(dueConditions, `) OR (`)+`)`, s.clock.Now()).Scan(&n)
	return n, err
}

// Tick applies every transition due at the clock's current time: opening
// announced auctions, closing ended ones, defaulting unpaid ones. Due rows
// are claimed with FOR UPDATE SKIP LOCKED, so any number of instances can tick
// at once and each transition happens exactly once. It returns what changed
// so the live feed can be told after commit.
func (s *Store) Tick(ctx context.Context) ([]auction.Change, error) {
	now := s.clock.Now()
	var changes []auction.Change
	for _, step := range []struct {
		query string
		apply func(context.Context, pgx.Tx, *row, time.Time) ([]auction.Event, error)
	}{
		{dueConditions[0], openIfDue},
		{dueConditions[1], s.closeAuction},
		{dueConditions[2], s.defaultAuction},
	} {
		for {
			var batch []auction.Change
			err := s.inTx(ctx, func(tx pgx.Tx) error {
				batch = batch[:0]
				rows, err := tx.Query(ctx, `SELECT `+auctionColumns+` FROM auctions a WHERE `+step.query+`
					ORDER BY a.id LIMIT `+strconv.Itoa(tickBatch)+` FOR UPDATE SKIP LOCKED`, now)
				if err != nil {
					return err
				}
				due, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*row, error) { return scanAuction(r) })
				if err != nil {
					return err
				}
				for _, a := range due {
					events, err := step.apply(ctx, tx, a, now)
					if err != nil {
						return err
					}
					if err := saveAuction(ctx, tx, a); err != nil {
						return err
					}
					batch = append(batch, auction.Change{AuctionID: a.ID, Events: events})
				}
				return nil
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

// openIfDue moves an announced auction whose start has come to bidding.
func openIfDue(ctx context.Context, tx pgx.Tx, a *row, now time.Time) ([]auction.Event, error) {
	if a.Status != auction.StatusAnnounced || now.Before(a.StartsAt) {
		return nil, nil
	}
	a.Status = auction.StatusBidding
	at := a.StartsAt
	a.OpenedAt = &at
	e, err := appendEvent(ctx, tx, a, auction.EventOpened, at, map[string]any{"ends_at": stamp(a.EndsAt)})
	if err != nil {
		return nil, err
	}
	return []auction.Event{e}, nil
}

// closeAuction ends bidding: sold to the leader at the current price, or
// failed without bids. The winner's deposit is applied to the price; every
// other held deposit is released for refund. The case system is told. An
// auction whose final window was not fully served (Hooks.Guard) is suspended
// instead, and none of that happens.
func (s *Store) closeAuction(ctx context.Context, tx pgx.Tx, a *row, now time.Time) ([]auction.Event, error) {
	rb, err := auction.LookupRulebook(a.Rulebook)
	if err != nil {
		return nil, err
	}
	if s.hooks.Guard != nil {
		outage, err := s.hooks.Guard(ctx, tx, &a.Auction)
		if err != nil {
			return nil, err
		}
		if outage != nil {
			return suspendAuction(ctx, tx, a, outage)
		}
	}
	closedAt := a.EndsAt
	a.ClosedAt = &closedAt
	data := map[string]any{"outcome": "failed", "hammer_price": nil, "winner_code": nil}
	notification := "auction.failed"
	if a.CurrentPrice != nil {
		a.Status = auction.StatusSold
		a.HammerPrice = a.CurrentPrice
		a.WinnerCode = a.LeaderCode
		due := closedAt.Add(time.Duration(a.BalanceDueDays) * rb.Day)
		a.BalanceDueAt = &due
		data = map[string]any{"outcome": "sold", "hammer_price": *a.HammerPrice, "winner_code": *a.LeaderCode, "balance_due_at": stamp(due)}
		notification = "auction.sold"
		if _, err := tx.Exec(ctx, `UPDATE auctions SET winner_registration_id = $2 WHERE id = $1`, a.ID, *a.LeaderRegistration); err != nil {
			return nil, err
		}
	} else {
		a.Status = auction.StatusFailed
	}
	e, err := appendEvent(ctx, tx, a, auction.EventClosed, closedAt, data)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT id, registration_id, amount FROM deposits WHERE auction_id = $1 AND status = 'held' ORDER BY id FOR UPDATE`, a.ID)
	if err != nil {
		return nil, err
	}
	type held struct {
		id, reg string
		amount  int64
	}
	deposits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (held, error) {
		var h held
		return h, r.Scan(&h.id, &h.reg, &h.amount)
	})
	if err != nil {
		return nil, err
	}
	for _, d := range deposits {
		if a.LeaderRegistration != nil && d.reg == *a.LeaderRegistration && a.Status == auction.StatusSold {
			if _, err := tx.Exec(ctx, `UPDATE deposits SET status = 'applied', updated_at = $2 WHERE id = $1`, d.id, now); err != nil {
				return nil, err
			}
			if err := s.record(ctx, tx, ledgerTx{Kind: payments.TxDepositApplied, AuctionID: a.ID, DepositID: d.id, CaseID: a.CaseID,
				Entries: payments.Move(payments.AccountBidderDeposits, payments.AccountCaseProceeds, d.amount)}); err != nil {
				return nil, err
			}
			continue
		}
		if err := s.releaseDeposit(ctx, tx, d.id, a.ID, a.CaseID, d.amount, now); err != nil {
			return nil, err
		}
	}
	if err := s.notifyCase(ctx, tx, a, notification, data); err != nil {
		return nil, err
	}
	if s.hooks.AfterClose != nil {
		if err := s.hooks.AfterClose(ctx, tx, &a.Auction); err != nil {
			return nil, err
		}
	}
	return []auction.Event{e}, nil
}

// defaultAuction handles a buyer who did not pay the balance in time (悔拍):
// the deposit is forfeited and allocated in the legal order (auction costs,
// then this case's debt; a re-sale shortfall is settled from the case's share
// when the re-sale closes), and the buyer is barred from the lot's later rounds.
func (s *Store) defaultAuction(ctx context.Context, tx pgx.Tx, a *row, now time.Time) ([]auction.Event, error) {
	a.Status = auction.StatusDefaulted
	var depositID string
	var amount int64
	err := tx.QueryRow(ctx, `SELECT d.id, d.amount FROM deposits d JOIN auctions a ON a.winner_registration_id = d.registration_id
		WHERE a.id = $1 FOR UPDATE OF d`, a.ID).Scan(&depositID, &amount)
	if err != nil && err != pgx.ErrNoRows {
		return nil, err
	}
	if depositID != "" {
		if _, err := tx.Exec(ctx, `UPDATE deposits SET status = 'forfeited', updated_at = $2 WHERE id = $1`, depositID, now); err != nil {
			return nil, err
		}
		if err := s.record(ctx, tx, ledgerTx{Kind: payments.TxDepositForfeited, AuctionID: a.ID, DepositID: depositID, CaseID: a.CaseID,
			Entries: payments.Move(payments.AccountCaseProceeds, payments.AccountForfeited, amount)}); err != nil {
			return nil, err
		}
		if err := s.record(ctx, tx, ledgerTx{Kind: payments.TxForfeitAllocated, AuctionID: a.ID, DepositID: depositID, CaseID: a.CaseID,
			Entries: payments.Move(payments.AccountForfeited, payments.AccountCaseProceeds, amount)}); err != nil {
			return nil, err
		}
	}
	data := map[string]any{"winner_code": a.WinnerCode, "forfeited_deposit": amount,
		"allocation": map[string]any{"auction_costs": 0, "resale_shortfall": 0, "case_debt": amount}}
	e, err := appendEvent(ctx, tx, a, auction.EventDefaulted, *a.BalanceDueAt, data)
	if err != nil {
		return nil, err
	}
	if err := s.notifyCase(ctx, tx, a, "auction.defaulted", map[string]any{"winner_code": a.WinnerCode, "hammer_price": a.HammerPrice}); err != nil {
		return nil, err
	}
	if err := s.notifyCase(ctx, tx, a, "deposit.forfeited", map[string]any{"amount": amount, "deposit_id": depositID,
		"allocation": data["allocation"]}); err != nil {
		return nil, err
	}
	return []auction.Event{e}, nil
}

// notifyCase records an outbound case-system notification in the same
// transaction as the state change; delivery is a durable job (Hooks.Notify).
func (s *Store) notifyCase(ctx context.Context, tx pgx.Tx, a *row, typ string, data map[string]any) error {
	var id, caseNumber string
	now := s.clock.Now()
	if err := tx.QueryRow(ctx, `SELECT gen_random_uuid()::text, case_number FROM cases WHERE id = $1`, a.CaseID).Scan(&id, &caseNumber); err != nil {
		return err
	}
	payload := map[string]any{}
	for k, v := range data {
		payload[k] = v
	}
	payload["round"] = a.Round
	payload["lot_id"] = a.LotID
	payload["record_hash"] = hexHash(a.lastHash)
	body := map[string]any{"id": id, "type": typ, "created_at": stamp(now), "case_number": caseNumber, "auction_id": a.ID, "data": payload}
	if _, err := tx.Exec(ctx, `INSERT INTO case_notifications (id, type, case_id, auction_id, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, typ, a.CaseID, a.ID, body, now); err != nil {
		return err
	}
	if s.hooks.Notify != nil {
		return s.hooks.Notify(ctx, tx, id)
	}
	return nil
}
