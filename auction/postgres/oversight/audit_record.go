package oversight

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
)

// VerifiedRecord reads an auction's record and checks it beyond the hash
// chain, in one snapshot so that a bid committing meanwhile is not a false
// alarm: the chain must end where the auction row says it ends (a deleted
// or appended tail shows), and the bids table must agree with the bid events
// (GET /bids and the bid list people see are served from it). Returns
// not_found.
func (s *Store) VerifiedRecord(ctx context.Context, auctionID string) (*auction.RecordCheck, error) {
	out := &auction.RecordCheck{Record: &auction.Record{AuctionID: auctionID}}
	err := pgx.BeginTxFunc(ctx, s.db.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var headSeq int64
		var headHash []byte
		if err := tx.QueryRow(ctx, `SELECT seq, last_hash FROM auctions WHERE id = $1`, auctionID).Scan(&headSeq, &headHash); err != nil {
			return pgtx.Translate(err, "auction")
		}
		rows, err := tx.Query(ctx, `SELECT seq, type, at, data::text, prev_hash, hash FROM auction_events WHERE auction_id = $1 ORDER BY seq`, auctionID)
		if err != nil {
			return err
		}
		if out.Events, err = pgx.CollectRows(rows, pgtx.ScanEvent); err != nil {
			return err
		}
		if out.Events == nil {
			out.Events = []auction.Event{}
		}
		if out.FirstBrokenSeq, out.Problem = out.Verify(); out.FirstBrokenSeq != 0 {
			return nil
		}
		last, lastHash := int64(0), []byte{}
		if n := len(out.Events); n > 0 {
			last = out.Events[n-1].Seq
			lastHash, _ = hex.DecodeString(out.Events[n-1].Hash)
		}
		switch {
		case last < headSeq:
			out.FirstBrokenSeq, out.Problem = last+1, fmt.Sprintf("the record ends at seq %d but the auction is at seq %d", last, headSeq)
			return nil
		case last > headSeq:
			out.FirstBrokenSeq, out.Problem = headSeq+1, fmt.Sprintf("the record goes on after the auction's last seq %d", headSeq)
			return nil
		case !bytes.Equal(lastHash, headHash):
			out.FirstBrokenSeq, out.Problem = last, "the last event's hash differs from the one kept with the auction"
			return nil
		}
		return s.checkBids(ctx, tx, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkBids compares the bids table with the bid events.
func (s *Store) checkBids(ctx context.Context, tx pgx.Tx, out *auction.RecordCheck) error {
	type stored struct {
		code     string
		amount   int64
		priority bool
		at       time.Time
	}
	rows, err := tx.Query(ctx, `SELECT seq, bidder_code, amount, priority, placed_at FROM bids WHERE auction_id = $1`, out.AuctionID)
	if err != nil {
		return err
	}
	bids := map[int64]stored{}
	for rows.Next() {
		var seq int64
		var b stored
		if err := rows.Scan(&seq, &b.code, &b.amount, &b.priority, &b.at); err != nil {
			rows.Close()
			return err
		}
		bids[seq] = b
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, e := range out.Events {
		b, ok := bids[e.Seq]
		delete(bids, e.Seq)
		if e.Type != auction.EventBid {
			if ok {
				out.FirstBrokenSeq, out.Problem = e.Seq, "a bid is stored for an event that is not a bid"
				return nil
			}
			continue
		}
		if !ok {
			out.FirstBrokenSeq, out.Problem = e.Seq, "the bid of this event is missing from the bids"
			return nil
		}
		amount, _ := e.Data["amount"].(json.Number)
		code, _ := e.Data["bidder_code"].(string)
		priority, _ := e.Data["priority"].(bool)
		if amount.String() != fmt.Sprint(b.amount) || code != b.code || priority != b.priority || !b.at.Equal(e.At) {
			out.FirstBrokenSeq, out.Problem = e.Seq, "the stored bid differs from its event in the record"
			return nil
		}
	}
	for seq := range bids {
		if out.FirstBrokenSeq == 0 || seq < out.FirstBrokenSeq {
			out.FirstBrokenSeq, out.Problem = seq, "a stored bid has no event in the record"
		}
	}
	return nil
}
