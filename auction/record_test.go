package auction_test

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gavel/auction"
)

// chain builds a valid record of n events the way the store does.
func chain(auctionID string, n int) *auction.Record {
	r := &auction.Record{AuctionID: auctionID}
	var prev []byte
	for i := 1; i <= n; i++ {
		e := auction.Event{Seq: int64(i), Type: auction.EventBid, At: t0.Add(time.Duration(i) * time.Second),
			Data: map[string]any{"bidder_code": "BX2Z4", "amount": json.Number("1000" + string(rune('0'+i%10))), "priority": false}}
		e.PrevHash = hex.EncodeToString(prev)
		h := auction.EventHash(auctionID, prev, e)
		e.Hash = hex.EncodeToString(h)
		prev = h
		r.Events = append(r.Events, e)
	}
	return r
}

func TestRecordVerify(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		tamper func(r *auction.Record)
		broken int64
		reason string
	}{
		{"intact", func(*auction.Record) {}, 0, ""},
		{"empty record", func(r *auction.Record) { r.Events = nil }, 0, ""},
		{"amount changed", func(r *auction.Record) { r.Events[2].Data["amount"] = json.Number("99") }, 3, "hash does not match"},
		{"type changed", func(r *auction.Record) { r.Events[1].Type = auction.EventClosed }, 2, "hash does not match"},
		{"time changed", func(r *auction.Record) { r.Events[3].At = r.Events[3].At.Add(time.Microsecond) }, 4, "hash does not match"},
		{"event removed", func(r *auction.Record) { r.Events = append(r.Events[:1], r.Events[2:]...) }, 3, "expected seq 2"},
		{"events swapped", func(r *auction.Record) { r.Events[0], r.Events[1] = r.Events[1], r.Events[0] }, 2, "expected seq 1"},
		{"prev_hash rewritten", func(r *auction.Record) { r.Events[4].PrevHash = r.Events[0].Hash }, 5, "prev_hash"},
		{"hash not hex", func(r *auction.Record) { r.Events[0].Hash = "zz" }, 1, "hash does not match"},
		// Re-hashing one event is not enough: the next one's link breaks.
		{"one event forged and re-hashed", func(r *auction.Record) {
			e := &r.Events[1]
			e.Data["amount"] = json.Number("1")
			prev, _ := hex.DecodeString(e.PrevHash)
			e.Hash = hex.EncodeToString(auction.EventHash(r.AuctionID, prev, *e))
		}, 3, "prev_hash"},
		{"record of another auction", func(r *auction.Record) { r.AuctionID = "other" }, 1, "hash does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := chain("a1", 6)
			tc.tamper(r)
			broken, reason := r.Verify()
			if broken != tc.broken || !strings.Contains(reason, tc.reason) {
				t.Fatalf("Verify = %d %q, want %d %q", broken, reason, tc.broken, tc.reason)
			}
		})
	}
}

// TestRecordRoundTrip: a record exported as JSON and read back (as `gavel
// verify` does) still verifies: numbers stay exact and times keep their
// microseconds.
func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	r := chain("a1", 3)
	r.Events[0].Data["amount"] = json.Number("9007199254740993") // beyond float64's exact integers
	r.Events[0].At = t0.Add(123456 * time.Microsecond)
	var prev []byte
	for i := range r.Events {
		e := &r.Events[i]
		e.PrevHash = hex.EncodeToString(prev)
		h := auction.EventHash(r.AuctionID, prev, *e)
		e.Hash, prev = hex.EncodeToString(h), h
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back auction.Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if broken, reason := back.Verify(); broken != 0 {
		t.Fatalf("round trip broke the record at %d: %s", broken, reason)
	}
	if got := back.Events[0].Data["amount"]; got != json.Number("9007199254740993") {
		t.Fatalf("amount came back as %v (%T)", got, got)
	}
}

func TestEventHashIsStable(t *testing.T) {
	t.Parallel()
	e := auction.Event{Seq: 1, Type: auction.EventOpened, At: t0, Data: map[string]any{"b": 1, "a": "x"}}
	same := auction.Event{Seq: 1, Type: auction.EventOpened, At: t0.In(time.FixedZone("CST", 8*3600)), Data: map[string]any{"a": "x", "b": 1}}
	if hex.EncodeToString(auction.EventHash("a1", nil, e)) != hex.EncodeToString(auction.EventHash("a1", nil, same)) {
		t.Fatal("the hash depends on map order or time zone")
	}
	if hex.EncodeToString(auction.EventHash("a1", nil, e)) == hex.EncodeToString(auction.EventHash("a1", []byte{1}, e)) {
		t.Fatal("the hash ignores the previous hash")
	}
}

func TestDecodeData(t *testing.T) {
	t.Parallel()
	m, err := auction.DecodeData([]byte(`{"amount": 12345678901234567, "code": "B1"}`))
	if err != nil || m["amount"] != json.Number("12345678901234567") || m["code"] != "B1" {
		t.Fatalf("DecodeData = %v, %v", m, err)
	}
	if _, err := auction.DecodeData([]byte(`{"amount":`)); err == nil {
		t.Fatal("malformed data accepted")
	}
	var e auction.Event
	if err := json.Unmarshal([]byte(`{"seq":1,"type":"opened","at":"2026-05-01T02:00:00Z","data":null}`), &e); err != nil || e.Data != nil || e.Seq != 1 {
		t.Fatalf("null data: %+v %v", e, err)
	}
	if err := json.Unmarshal([]byte(`{"seq":1,"data":[1]}`), &e); err == nil {
		t.Fatal("data that is not an object accepted")
	}
}
