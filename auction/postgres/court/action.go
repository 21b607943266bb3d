package court

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
	"gavel/auction/postgres/money"
	"gavel/payments"
)

// courtStep is what one court action does to a locked auction at now; the
// caller has checked that the action applies. It returns the events it
// appended (through w or directly).
type courtStep func(ctx context.Context, tx pgx.Tx, w *pgtx.Writes, a *pgtx.Row, now time.Time) ([]auction.Event, error)

// courtAction runs one court action in a transaction: the auction's row
// lock orders it with every bid, close and payment of the auction, so a bid
// is decided either wholly before the action's event or after it, against
// the new status. The action and the court's reason are appended to the
// audit log in the same transaction. A reason is required unless optional
// (resume). Returns not_found, invalid_field (reason) or invalid_state.
func (s *Store) courtAction(ctx context.Context, action string, p auction.CourtAction, optional bool, step courtStep) (*auction.Auction, []auction.Event, error) {
	reason := p.Reason
	if !optional || reason != "" {
		var err error
		if reason, err = auction.CleanReason("reason", reason); err != nil {
			return nil, nil, err
		}
	}
	var events []auction.Event
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		a, _, err := pgtx.LockAuctionWithCategory(ctx, tx, p.AuctionID)
		if err != nil {
			return err
		}
		if err := auction.CourtActionAllowed(action, a.Status); err != nil {
			return err
		}
		from, now := a.Status, s.db.Clock.Now()
		var w pgtx.Writes
		if events, err = step(ctx, tx, &w, a, now); err != nil {
			return err
		}
		w.Queue(pgtx.SaveAuctionSQL, pgtx.SaveAuctionArgs(a)...)
		if err := s.db.Flush(ctx, tx, &w); err != nil {
			return err
		}
		if s.db.Hooks.AfterClose != nil && (action == auction.ActionCancel || action == auction.ActionAnnul) {
			// Deposits paid through a provider are released (or refunded)
			// there by jobs, as after a close.
			if err := s.db.Hooks.AfterClose(ctx, tx, []*auction.Auction{&a.Auction}); err != nil {
				return err
			}
		}
		_, err = s.db.Audit(ctx, tx, auction.NewAuditEntry{ActorID: actorID(p.Actor), ActorRole: actorRole(p.Actor), Action: "court " + action, Target: a.ID,
			Detail: map[string]any{"reason": reason, "from": from, "to": a.Status, "seq": a.Seq}})
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	s.db.Announce(ctx, auction.Change{AuctionID: p.AuctionID, Events: events})
	a, err := s.db.Auction(ctx, p.AuctionID)
	return a, events, err
}

// SuspendAuction stops an announced or bidding auction for the court
// (暂缓/中止, Art. 29): no registration and no bid is accepted until it is
// resumed; price, leader, bids and deposits stay as they are. Returns
// not_found, invalid_field (reason) or invalid_state.
func (s *Store) SuspendAuction(ctx context.Context, p auction.CourtAction) (*auction.Auction, []auction.Event, error) {
	return s.courtAction(ctx, auction.ActionSuspend, p, false, func(ctx context.Context, tx pgx.Tx, w *pgtx.Writes, a *pgtx.Row, now time.Time) ([]auction.Event, error) {
		a.Status, a.Suspended = auction.StatusSuspended, p.CleanReason()
		return []auction.Event{w.Event(a, auction.EventSuspended, now, map[string]any{
			"reason": a.Suspended, "ends_at": pgtx.Stamp(a.EndsAt), "by": "court"})}, nil
	})
}

// CancelAuction withdraws a round before it closes (撤回): every deposit of
// it that is held is released for refund within the legal 24 hours, the case
// system is told (auction.cancelled), and the lot may have a new round of
// the same kind. Returns not_found, invalid_field (reason) or invalid_state.
func (s *Store) CancelAuction(ctx context.Context, p auction.CourtAction) (*auction.Auction, []auction.Event, error) {
	return s.courtAction(ctx, auction.ActionCancel, p, false, func(ctx context.Context, tx pgx.Tx, w *pgtx.Writes, a *pgtx.Row, now time.Time) ([]auction.Event, error) {
		held, err := money.HeldDeposits(ctx, tx, []*pgtx.Row{a})
		if err != nil {
			return nil, err
		}
		var released int64
		for _, d := range held[a.ID] {
			money.ReleaseDeposit(w, d.ID, a.ID, a.CaseID, d.Amount, now)
			released += d.Amount
		}
		a.Status, a.Suspended = auction.StatusCancelled, ""
		data := map[string]any{"reason": p.CleanReason(), "deposits_released": len(held[a.ID])}
		e := w.Event(a, auction.EventCancelled, now, data)
		w.Notify(a, "auction.cancelled", map[string]any{"reason": p.CleanReason(), "deposits_released": len(held[a.ID]),
			"deposits_released_amount": released}, now)
		return []auction.Event{e}, nil
	})
}

// AnnulAuction sets a completed sale aside (撤销, Art. 31): the buyer's
// deposit (applied, or forfeited after a default) and every balance payment
// toward the price leave the case's proceeds and are owed back, listed for
// finance; the confirmation is withdrawn; a shortfall this sale fixed on an
// earlier defaulted round goes back to the case debt (RestoreShortfall); the
// case system is told (auction.annulled); the lot may have a new round of
// the same kind.
// Returns not_found, invalid_field (reason) or invalid_state.
func (s *Store) AnnulAuction(ctx context.Context, p auction.CourtAction) (*auction.Auction, []auction.Event, error) {
	return s.courtAction(ctx, auction.ActionAnnul, p, false, func(ctx context.Context, tx pgx.Tx, w *pgtx.Writes, a *pgtx.Row, now time.Time) ([]auction.Event, error) {
		var depositID string
		var deposit int64
		var allocation *payments.ForfeitAllocation
		err := tx.QueryRow(ctx, `SELECT d.id, d.amount FROM deposits d JOIN auctions a ON a.winner_registration_id = d.registration_id
			WHERE a.id = $1 AND d.status IN ('applied', 'forfeited') FOR UPDATE OF d`, a.ID).Scan(&depositID, &deposit)
		if err != nil && err != pgx.ErrNoRows {
			return nil, err
		}
		if depositID != "" {
			status := auction.DepositRefundPending
			if deposit == 0 {
				status = auction.DepositRefunded
			}
			w.Queue(`UPDATE deposits SET status = $2, released_at = $3, updated_at = $3 WHERE id = $1`, depositID, status, now)
			entries, reversed, err := annulledDepositEntries(ctx, tx, w, a.ID, deposit)
			if err != nil {
				return nil, err
			}
			allocation = reversed
			w.Record(pgtx.LedgerTx{Kind: payments.TxSaleAnnulled, AuctionID: a.ID, DepositID: depositID, CaseID: a.CaseID, Entries: entries}, now)
		}
		balance, err := money.OweBackBalancePayments(ctx, tx, w, a, now)
		if err != nil {
			return nil, err
		}
		if err := money.RestoreShortfall(ctx, tx, w, a, now); err != nil {
			return nil, err
		}
		a.Status = auction.StatusAnnulled
		data := map[string]any{"reason": p.CleanReason(), "hammer_price": a.HammerPrice, "winner_code": a.WinnerCode,
			"deposit_owed_back": deposit, "balance_owed_back": balance}
		if allocation != nil {
			// The forfeited deposit's allocation, now reversed.
			data["forfeit_allocation_reversed"] = money.AllocationData(*allocation)
		}
		e := w.Event(a, auction.EventAnnulled, now, data)
		w.Notify(a, "auction.annulled", data, now)
		return []auction.Event{e}, nil
	})
}

// annulledDepositEntries are the ledger entries that owe an annulled
// round's buyer deposit back, each share taken from where it is: an applied
// deposit is all in the case's proceeds; a forfeited one was allocated
// (allocateForfeit, reallocateShortfall), its costs share in auction_costs
// and its shortfall and case-debt shares in case_proceeds. The allocation
// record is removed with it (and returned, for the event and webhook), so
// the proceeds and the case statement no longer count it and a later
// re-sale reallocates nothing from it.
func annulledDepositEntries(ctx context.Context, tx pgx.Tx, w *pgtx.Writes, auctionID string, deposit int64) ([]payments.Entry, *payments.ForfeitAllocation, error) {
	var al payments.ForfeitAllocation
	err := tx.QueryRow(ctx, `SELECT auction_costs, resale_shortfall, case_debt, resale_auction_id::text FROM forfeit_allocations
		WHERE auction_id = $1 FOR UPDATE`, auctionID).Scan(&al.AuctionCosts, &al.ResaleShortfall, &al.CaseDebt, &al.ResaleAuctionID)
	if err == pgx.ErrNoRows {
		return payments.Move(payments.AccountCaseProceeds, payments.AccountRefundsDue, deposit), nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	w.Queue(`DELETE FROM forfeit_allocations WHERE auction_id = $1`, auctionID)
	return []payments.Entry{
		{Account: payments.AccountAuctionCosts, Amount: al.AuctionCosts},
		{Account: payments.AccountCaseProceeds, Amount: al.ResaleShortfall + al.CaseDebt},
		{Account: payments.AccountRefundsDue, Amount: -deposit},
	}, &al, nil
}

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
func (s *Store) ResumeAuction(ctx context.Context, p auction.CourtAction, endsAt time.Time) (*auction.Auction, []auction.Event, error) {
	return s.courtAction(ctx, auction.ActionResume, p, true, func(ctx context.Context, tx pgx.Tx, w *pgtx.Writes, a *pgtx.Row, now time.Time) ([]auction.Event, error) {
		rb, err := auction.LookupRulebook(a.Rulebook)
		if err != nil {
			return nil, err
		}
		endsAt = endsAt.UTC().Truncate(time.Microsecond)
		if err := rb.ValidateResume(&a.Auction, endsAt, now); err != nil {
			return nil, err
		}
		suspended := a.Suspended
		a.EndsAt, a.Suspended = endsAt, ""
		data := map[string]any{"ends_at": pgtx.Stamp(endsAt), "suspended_reason": suspended}
		if r := p.CleanReason(); r != "" {
			data["reason"] = r
		}
		if a.OpenedAt != nil || !now.Before(a.StartsAt) {
			a.Status = auction.StatusBidding
		} else {
			a.Status = auction.StatusAnnounced
		}
		events := []auction.Event{w.Event(a, auction.EventResumed, now, data)}
		if a.Status == auction.StatusBidding && a.OpenedAt == nil {
			// Suspended before it opened and resumed after its start: it
			// opens now, not at the start it missed.
			a.OpenedAt = &now
			events = append(events, w.Event(a, auction.EventOpened, now, map[string]any{"ends_at": pgtx.Stamp(endsAt)}))
		}
		return events, nil
	})
}

// ActionImpacts returns the impact of a court action on each auction, by id.
func (s *Store) ActionImpacts(ctx context.Context, auctionIDs []string) (map[string]auction.ActionImpact, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT a.id::text,
			(SELECT count(*) FROM registrations r WHERE r.auction_id = a.id),
			(SELECT count(*) FROM deposits d WHERE d.auction_id = a.id AND d.status = 'held'),
			coalesce((SELECT sum(amount) FROM deposits d WHERE d.auction_id = a.id AND d.status = 'held'), 0)::bigint,
			coalesce((SELECT sum(amount) FROM deposits d WHERE d.auction_id = a.id AND d.status IN ('applied', 'forfeited')), 0)::bigint,
			coalesce((SELECT sum(amount - excess) FROM balance_payments b WHERE b.auction_id = a.id AND b.owed_back_at IS NULL), 0)::bigint,
			(SELECT count(*) FROM auction_events e WHERE e.auction_id = a.id AND e.type = 'extended')
		FROM auctions a WHERE a.id = ANY($1::uuid[])`, auctionIDs)
	if err != nil {
		return nil, err
	}
	out := map[string]auction.ActionImpact{}
	var id string
	var i auction.ActionImpact
	_, err = pgx.ForEachRow(rows, []any{&id, &i.Registered, &i.DepositsHeld, &i.HeldAmount, &i.BuyerDeposit, &i.BalancePaid, &i.ExtendedTimes}, func() error {
		out[id] = i
		return nil
	})
	return out, err
}
