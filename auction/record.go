package auction

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// EventHash chains an event to its predecessor: SHA-256 over the previous hash
// followed by a canonical JSON encoding of the auction id, seq, type, time
// (RFC 3339 with microseconds, UTC) and data (keys sorted by encoding/json).
// Anyone holding an exported record can recompute it offline.
func EventHash(auctionID string, prev []byte, e Event) []byte {
	canon, err := json.Marshal(struct {
		AuctionID string         `json:"auction_id"`
		Seq       int64          `json:"seq"`
		Type      string         `json:"type"`
		At        string         `json:"at"`
		Data      map[string]any `json:"data"`
	}{auctionID, e.Seq, e.Type, e.At.UTC().Format(time.RFC3339Nano), e.Data})
	if err != nil {
		// Data holds only JSON-safe values built by the store.
		panic(fmt.Sprintf("auction: canonical event encoding: %v", err))
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(canon)
	return h.Sum(nil)
}

// Record is an exported auction record: every event with its hash chain.
type Record struct {
	AuctionID string  `json:"auction_id"`
	Events    []Event `json:"events"`
}

// Verify recomputes the chain and returns the seq of the first event whose
// link is broken (0 when the whole record holds) and a reason.
func (r *Record) Verify() (int64, string) {
	var prev []byte
	for i, e := range r.Events {
		if e.Seq != int64(i+1) {
			return e.Seq, fmt.Sprintf("expected seq %d, found %d", i+1, e.Seq)
		}
		p, err := hex.DecodeString(e.PrevHash)
		if err != nil || !bytes.Equal(p, prev) {
			return e.Seq, "prev_hash does not match the previous event's hash"
		}
		want := EventHash(r.AuctionID, prev, e)
		got, err := hex.DecodeString(e.Hash)
		if err != nil || !bytes.Equal(got, want) {
			return e.Seq, "hash does not match the event's content"
		}
		prev = want
	}
	return 0, ""
}

// DecodeData decodes event data keeping numbers exact, so a record read back
// from storage or a file hashes to the same bytes it was written with.
func DecodeData(raw []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// UnmarshalJSON keeps numbers in event data exact (see DecodeData).
func (e *Event) UnmarshalJSON(b []byte) error {
	type plain Event
	var raw struct {
		plain
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*e = Event(raw.plain)
	if len(raw.Data) > 0 && string(raw.Data) != "null" {
		m, err := DecodeData(raw.Data)
		if err != nil {
			return err
		}
		e.Data = m
	}
	return nil
}
