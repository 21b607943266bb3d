package oversight

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
)

// Signal kinds: different bidders of one auction that share something a
// single person or a ring would share.
const (
	SignalSharedIP     = "shared_ip"
	SignalSharedDevice = "shared_device"
	SignalSharedPayer  = "shared_payer"
)

// maxEvidence bounds the evidence listed per signal; the counts stay exact.
const maxEvidence = 100

// fingerprint is the short public form of a device cookie or payer account
// hash shown as evidence.
func fingerprint(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

// PayerHash normalises a payer account (spaces and case ignored) and hashes
// it, so signals can compare accounts without showing them.
func PayerHash(account string) string {
	account = strings.ToUpper(strings.Join(strings.Fields(account), ""))
	if account == "" {
		return ""
	}
	h := sha256.Sum256([]byte("gavel-payer\x00" + account))
	return hex.EncodeToString(h[:])
}

// RecordDepositPayer notes the account a deposit was paid from (a bank
// account number or a card fingerprint) for the shared-payer signal. Returns
// not_found.
func (s *Store) RecordDepositPayer(ctx context.Context, depositID, account string) error {
	tag, err := s.db.Pool.Exec(ctx, `UPDATE deposits SET payer = $2 WHERE id = $1`, depositID, PayerHash(account))
	if err != nil {
		return pgtx.Translate(err, "deposit")
	}
	if tag.RowsAffected() == 0 {
		return auction.Errorf(auction.ENotFound, "deposit not found")
	}
	return nil
}

// closedStatuses are the statuses after bidding ended, when identities may be
// looked at.
var closedStatuses = map[string]bool{
	auction.StatusSold: true, auction.StatusFailed: true, auction.StatusSettled: true, auction.StatusDefaulted: true,
}

// Signals lists the collusion signals of an auction: qualified bidders who
// registered or bid from the same IP address or device, or whose deposits came
// from the same account. Only after the close (identities are confidential
// until then): not_found, invalid_state.
func (s *Store) Signals(ctx context.Context, auctionID string) ([]auction.Signal, error) {
	a, err := s.db.Auction(ctx, auctionID)
	if err != nil {
		return nil, err
	}
	if !closedStatuses[a.Status] {
		return nil, auction.Errorf(auction.EInvalidState, "collusion signals are shown only after the auction closes (it is %s)", a.Status)
	}
	rows, err := s.db.Pool.Query(ctx, `WITH obs AS (
			SELECT 'shared_ip' AS kind, r.ip AS value, r.bidder_code AS code, 'registration' AS source, NULL::bigint AS seq, r.created_at AS at
				FROM registrations r WHERE r.auction_id = $1 AND r.ip <> '' AND r.bidder_code IS NOT NULL
			UNION ALL
			SELECT 'shared_device', r.device, r.bidder_code, 'registration', NULL, r.created_at
				FROM registrations r WHERE r.auction_id = $1 AND r.device <> '' AND r.bidder_code IS NOT NULL
			UNION ALL
			SELECT 'shared_ip', b.ip, b.bidder_code, 'bid', b.seq, b.placed_at FROM bids b WHERE b.auction_id = $1 AND b.ip <> ''
			UNION ALL
			SELECT 'shared_device', b.device, b.bidder_code, 'bid', b.seq, b.placed_at FROM bids b WHERE b.auction_id = $1 AND b.device <> ''
			UNION ALL
			SELECT 'shared_payer', d.payer, r.bidder_code, 'deposit', NULL, coalesce(d.held_at, d.updated_at)
				FROM deposits d JOIN registrations r ON r.id = d.registration_id
				WHERE d.auction_id = $1 AND d.payer <> '' AND r.bidder_code IS NOT NULL
		), flagged AS (
			SELECT kind, value FROM obs GROUP BY kind, value HAVING count(DISTINCT code) > 1
		)
		SELECT o.kind, o.value, o.code, o.source, o.seq, o.at FROM obs o JOIN flagged f USING (kind, value)
		ORDER BY o.kind, o.value, o.at, o.seq NULLS FIRST, o.code`, a.ID)
	if err != nil {
		return nil, err
	}
	type obs struct {
		kind, value string
		ev          auction.Evidence
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (obs, error) {
		var o obs
		err := r.Scan(&o.kind, &o.value, &o.ev.BidderCode, &o.ev.Source, &o.ev.Seq, &o.ev.At)
		o.ev.At = o.ev.At.UTC()
		return o, err
	})
	if err != nil {
		return nil, err
	}
	signals := []auction.Signal{}
	codes := map[string]bool{}
	for _, o := range list {
		value := o.value
		if o.kind != SignalSharedIP {
			value = fingerprint(value)
		}
		n := len(signals)
		if n == 0 || signals[n-1].Kind != o.kind || signals[n-1].Value != value {
			if n > 0 {
				signals[n-1].BidderCodes = sortedKeys(codes)
			}
			signals = append(signals, auction.Signal{Kind: o.kind, Value: value, Evidence: []auction.Evidence{}})
			codes = map[string]bool{}
			n++
		}
		sig := &signals[n-1]
		codes[o.ev.BidderCode] = true
		sig.EvidenceTotal++
		if len(sig.Evidence) < maxEvidence {
			sig.Evidence = append(sig.Evidence, o.ev)
		}
	}
	if n := len(signals); n > 0 {
		signals[n-1].BidderCodes = sortedKeys(codes)
	}
	return signals, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
