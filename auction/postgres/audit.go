package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
)

// AuditHash chains an audit entry to its predecessor the way EventHash chains
// auction events: SHA-256 over the previous hash and a canonical JSON encoding
// of the entry's stored fields (keys sorted, time in RFC 3339 UTC with
// microseconds). Anyone holding an export can recompute it.
func AuditHash(prev []byte, e AuditEntry) []byte {
	detail := e.Detail
	if detail == nil {
		detail = map[string]any{}
	}
	canon, err := json.Marshal(struct {
		Seq       int64          `json:"seq"`
		At        string         `json:"at"`
		ActorID   string         `json:"actor_id"`
		ActorRole string         `json:"actor_role"`
		Action    string         `json:"action"`
		Target    string         `json:"target"`
		Status    int            `json:"status"`
		IP        string         `json:"ip"`
		Detail    map[string]any `json:"detail"`
	}{e.Seq, e.At.UTC().Format(time.RFC3339Nano), e.ActorID, e.ActorRole, e.Action, e.Target, e.Status, e.IP, detail})
	if err != nil {
		// Detail holds only JSON-safe values built by Gavel.
		panic(fmt.Sprintf("postgres: canonical audit encoding: %v", err))
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(canon)
	return h.Sum(nil)
}

// VerifyAudit recomputes the chain of consecutive entries whose predecessor
// had hash prev (empty for the first entry of the log) and returns the seq of
// the first broken link (0 when all hold) and the reason.
func VerifyAudit(prev []byte, entries []AuditEntry) (int64, string) {
	for i, e := range entries {
		if i > 0 && e.Seq != entries[i-1].Seq+1 {
			return e.Seq, fmt.Sprintf("expected seq %d, found %d", entries[i-1].Seq+1, e.Seq)
		}
		p, err := hex.DecodeString(e.PrevHash)
		if err != nil || !bytes.Equal(p, prev) {
			return e.Seq, "prev_hash does not match the previous entry's hash"
		}
		want := AuditHash(prev, e)
		got, err := hex.DecodeString(e.Hash)
		if err != nil || !bytes.Equal(got, want) {
			return e.Seq, "hash does not match the entry's content"
		}
		prev = want
	}
	return 0, ""
}

// Audit appends an entry to the audit log.
func (s *Store) Audit(ctx context.Context, n NewAuditEntry) (*AuditEntry, error) {
	var e *AuditEntry
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		e, err = s.audit(ctx, tx, n)
		return err
	})
	return e, err
}

// audit appends inside tx, so an action and its audit line commit together.
// The head row's lock orders concurrent appends into one chain.
func (s *Store) audit(ctx context.Context, tx pgx.Tx, n NewAuditEntry) (*AuditEntry, error) {
	if n.IP == "" {
		n.IP = auction.OriginFrom(ctx).IP
	}
	var last int64
	var prev []byte
	if err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_head FOR UPDATE`).Scan(&last, &prev); err != nil {
		return nil, err
	}
	e := AuditEntry{Seq: last + 1, At: s.clock.Now().UTC().Truncate(time.Microsecond), ActorID: n.ActorID, ActorRole: n.ActorRole,
		Action: n.Action, Target: n.Target, Status: n.Status, IP: n.IP, Detail: n.Detail}
	if e.Detail == nil {
		e.Detail = map[string]any{}
	}
	// Round-trip the detail through JSON so the hash is computed over exactly
	// what the database will give back (numbers exact, keys sorted).
	raw, err := json.Marshal(e.Detail)
	if err != nil {
		return nil, err
	}
	if e.Detail, err = auction.DecodeData(raw); err != nil {
		return nil, err
	}
	hash := AuditHash(prev, e)
	e.PrevHash, e.Hash = hex.EncodeToString(prev), hex.EncodeToString(hash)
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log (seq, at, actor_id, actor_role, action, target, status, ip, detail, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		e.Seq, e.At, nullable(e.ActorID), e.ActorRole, e.Action, e.Target, e.Status, e.IP, raw, prev, hash); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_head SET seq = $1, hash = $2`, e.Seq, hash); err != nil {
		return nil, err
	}
	return &e, nil
}

// AuditLog returns up to limit entries after seq since, in order, verified
// against the chain: the page's first link is checked against the hash of
// the entry before it, and the last page against the head.
func (s *Store) AuditLog(ctx context.Context, since int64, limit int) (*AuditPage, error) {
	if limit < 1 {
		limit = 1
	}
	page := &AuditPage{Entries: []AuditEntry{}}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
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
		entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEntry, error) {
			var e AuditEntry
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
		page.FirstBrokenSeq, page.Problem = VerifyAudit(prev, entries)
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
func (s *Store) ViewDepositPayer(ctx context.Context, actor *auction.User, depositID string) (*DepositPayer, error) {
	p := &DepositPayer{DepositID: depositID}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT d.auction_id, d.amount, d.status, d.pay_reference, r.bidder_code, u.real_name
			FROM deposits d JOIN registrations r ON r.id = d.registration_id JOIN users u ON u.id = r.user_id WHERE d.id = $1`, depositID).
			Scan(&p.AuctionID, &p.Amount, &p.Status, &p.PayReference, &p.BidderCode, &p.PayerName)
		if err != nil {
			return translate(err, "deposit")
		}
		_, err = s.audit(ctx, tx, NewAuditEntry{ActorID: actor.ID, ActorRole: actor.Role, Action: "GET /api/v1/deposits/:id/payer",
			Target: depositID, Status: 200, Detail: map[string]any{"auction_id": p.AuctionID, "reason": "deposit confirmation"}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}
