package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
)

// PlaceBid is a bidder's bid.
type PlaceBid struct {
	AuctionID string
	User      *auction.User
	Amount    int64
	// Key is the bidder's idempotency key: a retry with the same key and body
	// gets the first answer back and places nothing new.
	Key string
}

// fingerprint identifies the request a key was first used for.
func (p PlaceBid) fingerprint() []byte {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d", p.AuctionID, p.Amount))
	return h[:]
}

// PlaceBid decides a bid in one short transaction: lock the auction row,
// check the bidder and the rulebook, insert the bid, append its events,
// update the auction and remember the answer under the idempotency key.
// Nothing here calls another system. Refusals (with the auction state):
// not_found, idempotency_key_reused, not_qualified, bidder_restricted,
// auction_not_open, already_leading, bid_too_low, bid_not_on_increment.
func (s *Store) PlaceBid(ctx context.Context, p PlaceBid) (*auction.BidResult, error) {
	if p.Key == "" || len(p.Key) > 100 {
		return nil, auction.Errorf(auction.EIdempotencyRequired, "an Idempotency-Key header of 1 to 100 characters is required")
	}
	var res *auction.BidResult
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		a, category, err := lockAuctionWithCategory(ctx, tx, p.AuctionID)
		if err != nil {
			return err
		}
		// Checked under the auction lock, so two concurrent retries of one key
		// on this auction see each other.
		if prior, err := s.priorAnswer(ctx, tx, p); prior != nil || err != nil {
			res = prior
			return err
		}
		refuse := func(err error) error {
			if e, ok := err.(*auction.Error); ok {
				e.Auction = a.State()
			}
			return err
		}
		now := s.clock.Now()
		rb, err := auction.LookupRulebook(a.Rulebook)
		if err != nil {
			return err
		}
		// Bidding opens at starts_at even if the scheduler has not run yet.
		opened, err := openIfDue(ctx, tx, a, now)
		if err != nil {
			return err
		}
		if err := auction.CheckOpen(&a.Auction, now); err != nil {
			return refuse(err)
		}
		var b auction.Bidder
		var regStatus, depStatus string
		err = tx.QueryRow(ctx, `SELECT r.id, coalesce(r.bidder_code, ''), r.priority_rank, r.status, d.status
			FROM registrations r JOIN deposits d ON d.registration_id = r.id WHERE r.auction_id = $1 AND r.user_id = $2`,
			a.ID, p.User.ID).Scan(&b.RegistrationID, &b.Code, &b.Rank, &regStatus, &depStatus)
		if err == pgx.ErrNoRows || (err == nil && (regStatus != auction.RegistrationQualified || depStatus != auction.DepositHeld)) {
			return refuse(auction.Errorf(auction.ENotQualified, "you are not registered with a deposit held for this auction"))
		}
		if err != nil {
			return err
		}
		if err := s.checkRestricted(ctx, tx, p.User, a.ID, category, "bid"); err != nil {
			return refuse(err)
		}
		out, err := rb.CheckBid(&a.Auction, b, p.Amount, now)
		if err != nil {
			return refuse(err)
		}
		bidEvent, err := appendEventOut(ctx, tx, a, auction.EventBid, now, map[string]any{
			"bidder_code": b.Code, "amount": p.Amount, "priority": out.Priority, "ends_at": stamp(out.EndsAt),
		})
		if err != nil {
			return err
		}
		events := append(opened, bidEvent)
		if _, err := tx.Exec(ctx, `INSERT INTO bids (auction_id, seq, registration_id, bidder_code, amount, priority, placed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			a.ID, bidEvent.Seq, b.RegistrationID, b.Code, p.Amount, out.Priority, now); err != nil {
			return err
		}
		if out.Extended {
			ext, err := appendEventOut(ctx, tx, a, auction.EventExtended, now, map[string]any{"ends_at": stamp(out.EndsAt)})
			if err != nil {
				return err
			}
			events = append(events, ext)
		}
		amount := p.Amount
		a.CurrentPrice, a.LeaderCode, a.LeaderRank, a.LeaderRegistration = &amount, &b.Code, b.Rank, &b.RegistrationID
		a.EndsAt = out.EndsAt
		a.BidCount++
		if err := saveAuction(ctx, tx, a); err != nil {
			return err
		}
		res = &auction.BidResult{
			Bid:     auction.Bid{Seq: bidEvent.Seq, BidderCode: b.Code, Amount: p.Amount, PlacedAt: now, Priority: out.Priority},
			Auction: a.State(), Receipt: bidEvent.Hash, Events: events,
		}
		answer, err := json.Marshal(res)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO bid_requests (user_id, key, fingerprint, auction_id, response, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			p.User.ID, p.Key, p.fingerprint(), a.ID, answer, now)
		if isUniqueViolation(err, "") {
			// The key was used on another auction meanwhile.
			return auction.Errorf(auction.EIdempotencyReused, "this Idempotency-Key was already used for another bid")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// priorAnswer returns the stored answer for a reused key, or
// idempotency_key_reused when the key was first used for another request.
func (s *Store) priorAnswer(ctx context.Context, tx pgx.Tx, p PlaceBid) (*auction.BidResult, error) {
	var fp, answer []byte
	err := tx.QueryRow(ctx, `SELECT fingerprint, response FROM bid_requests WHERE user_id = $1 AND key = $2`, p.User.ID, p.Key).Scan(&fp, &answer)
	if err == pgx.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(fp, p.fingerprint()) {
		return nil, auction.Errorf(auction.EIdempotencyReused, "this Idempotency-Key was already used for a different bid")
	}
	var res auction.BidResult
	return &res, json.Unmarshal(answer, &res)
}

