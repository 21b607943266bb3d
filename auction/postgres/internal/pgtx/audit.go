package pgtx

import (
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
func AuditHash(prev []byte, e auction.AuditEntry) []byte {
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

// Audit appends an entry to the audit log inside tx, so an action and its
// audit line commit together. The head row's lock orders concurrent appends
// into one chain.
func (db *DB) Audit(ctx context.Context, tx pgx.Tx, n auction.NewAuditEntry) (*auction.AuditEntry, error) {
	if n.IP == "" {
		n.IP = auction.OriginFrom(ctx).IP
	}
	var last int64
	var prev []byte
	if err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_head FOR UPDATE`).Scan(&last, &prev); err != nil {
		return nil, err
	}
	e := auction.AuditEntry{Seq: last + 1, At: db.Clock.Now().UTC().Truncate(time.Microsecond), ActorID: n.ActorID, ActorRole: n.ActorRole,
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
		e.Seq, e.At, Nullable(e.ActorID), e.ActorRole, e.Action, e.Target, e.Status, e.IP, raw, prev, hash); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_head SET seq = $1, hash = $2`, e.Seq, hash); err != nil {
		return nil, err
	}
	return &e, nil
}
