package oversight

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
)

// verifyAudit recomputes the chain of consecutive entries whose predecessor
// had hash prev (empty for the first entry of the log) and returns the seq of
// the first broken link (0 when all hold) and the reason.
func verifyAudit(prev []byte, entries []auction.AuditEntry) (int64, string) {
	for i, e := range entries {
		if i > 0 && e.Seq != entries[i-1].Seq+1 {
			return e.Seq, fmt.Sprintf("expected seq %d, found %d", entries[i-1].Seq+1, e.Seq)
		}
		p, err := hex.DecodeString(e.PrevHash)
		if err != nil || !bytes.Equal(p, prev) {
			return e.Seq, "prev_hash does not match the previous entry's hash"
		}
		want := pgtx.AuditHash(prev, e)
		got, err := hex.DecodeString(e.Hash)
		if err != nil || !bytes.Equal(got, want) {
			return e.Seq, "hash does not match the entry's content"
		}
		prev = want
	}
	return 0, ""
}

// Audit appends an entry to the audit log.
func (s *Store) Audit(ctx context.Context, n auction.NewAuditEntry) (*auction.AuditEntry, error) {
	var e *auction.AuditEntry
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		e, err = s.db.Audit(ctx, tx, n)
		return err
	})
	return e, err
}

// AuditLog returns up to limit entries after seq since, in order, verified
// against the chain: the page's first link is checked against the hash of
// the entry before it, and the last page against the head.
func (s *Store) AuditLog(ctx context.Context, since int64, limit int) (*auction.AuditPage, error) {
	if limit < 1 {
		limit = 1
	}
	page := &auction.AuditPage{Entries: []auction.AuditEntry{}}
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		var headHash []byte
		if err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_head`).Scan(&page.HeadSeq, &headHash); err != nil {
			return err
		}
		prev := []byte{}
		if since > 0 {
			err := tx.QueryRow(ctx, `SELECT hash FROM audit_log WHERE seq = $1`, since).Scan(&prev)
			if err != nil && err != pgx.ErrNoRows {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT l.seq, l.at, coalesce(l.actor_id::text, ''), l.actor_role, l.action, l.target, l.status, l.ip,
				l.detail::text, l.prev_hash, l.hash, coalesce(u.email, '')
			FROM audit_log l LEFT JOIN users u ON u.id = l.actor_id WHERE l.seq > $1 ORDER BY l.seq LIMIT $2`, since, limit+1)
		if err != nil {
			return err
		}
		entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auction.AuditEntry, error) {
			var e auction.AuditEntry
			var detail string
			var p, h []byte
			if err := r.Scan(&e.Seq, &e.At, &e.ActorID, &e.ActorRole, &e.Action, &e.Target, &e.Status, &e.IP, &detail, &p, &h, &e.ActorEmail); err != nil {
				return e, err
			}
			m, err := auction.DecodeData([]byte(detail))
			e.Detail, e.PrevHash, e.Hash, e.At = m, hex.EncodeToString(p), hex.EncodeToString(h), e.At.UTC()
			return e, err
		})
		if err != nil {
			return err
		}
		if len(entries) > limit {
			entries, page.More = entries[:limit], true
		}
		page.Entries = entries
		page.FirstBrokenSeq, page.Problem = verifyAudit(prev, entries)
		if page.FirstBrokenSeq == 0 && len(entries) > 0 && entries[0].Seq != since+1 {
			page.FirstBrokenSeq, page.Problem = since+1, "entry is missing"
		}
		if page.FirstBrokenSeq == 0 && !page.More {
			// The last page must end where the head says the log ends:
			// a deleted tail shows here.
			last := since
			var lastHash []byte
			if n := len(entries); n > 0 {
				last = entries[n-1].Seq
				lastHash, _ = hex.DecodeString(entries[n-1].Hash)
			} else {
				lastHash = prev
			}
			if last < page.HeadSeq || (last == page.HeadSeq && !bytes.Equal(lastHash, headHash)) {
				page.FirstBrokenSeq, page.Problem = last+1, "the log ends before its recorded head"
				if last == page.HeadSeq {
					page.FirstBrokenSeq, page.Problem = last, "the last entry does not match the recorded head"
				}
			}
		}
		page.Valid = page.FirstBrokenSeq == 0
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// ViewDepositPayer returns the person behind a deposit and records, in the
// same transaction, that actor looked: no audit line, no answer. Returns
// not_found.
func (s *Store) ViewDepositPayer(ctx context.Context, actor *auction.User, depositID string) (*auction.DepositPayer, error) {
	p := &auction.DepositPayer{DepositID: depositID}
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT d.auction_id, d.amount, d.status, d.pay_reference, r.bidder_code, u.real_name
			FROM deposits d JOIN registrations r ON r.id = d.registration_id JOIN users u ON u.id = r.user_id WHERE d.id = $1`, depositID).
			Scan(&p.AuctionID, &p.Amount, &p.Status, &p.PayReference, &p.BidderCode, &p.PayerName)
		if err != nil {
			return pgtx.Translate(err, "deposit")
		}
		_, err = s.db.Audit(ctx, tx, auction.NewAuditEntry{ActorID: actor.ID, ActorRole: actor.Role, Action: "GET /api/v1/deposits/:id/payer",
			Target: depositID, Status: 200, Detail: map[string]any{"auction_id": p.AuctionID, "reason": "deposit confirmation"}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}
