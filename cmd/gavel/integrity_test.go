package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gavel/auction"
	"gavel/migrations/dbtest"
)

// recordFile saves GET /auctions/{id}/record to a file, as a court would
// export it, and returns the file and the server's verdict.
func recordFile(t *testing.T, s *server, auctionID string) (string, map[string]any) {
	t.Helper()
	r := s.do(t, "GET", "/api/v1/auctions/"+auctionID+"/record", nil, nil)
	wantStatus(t, r, 200)
	name := filepath.Join(t.TempDir(), "record.json")
	if err := os.WriteFile(name, r.body, 0o600); err != nil {
		t.Fatal(err)
	}
	return name, r.object(t)
}

// tamper changes rows as the tables' owner could: the append-only triggers
// are switched off inside the transaction (DDL is transactional, so they are
// back on at commit).
func tamper(t *testing.T, s *server, sql string, args ...any) {
	t.Helper()
	tx, err := s.pool.Begin(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(s.ctx)
	if _, err := tx.Exec(s.ctx, `ALTER TABLE bids DISABLE TRIGGER USER; ALTER TABLE auction_events DISABLE TRIGGER USER`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(s.ctx, sql, args...); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(s.ctx, `ALTER TABLE bids ENABLE TRIGGER USER; ALTER TABLE auction_events ENABLE TRIGGER USER`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(s.ctx); err != nil {
		t.Fatal(err)
	}
}

func verifyFile(name string) (string, error) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"verify", name}, strings.NewReader(""), &out, &errOut)
	return out.String(), err
}

// TestRecordTamperDetected changes one bid amount directly in the database,
// as someone with access to it might: the record endpoint and `gavel verify`
// on the exported record both name the broken link.
func TestRecordTamperDetected(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := s.auction(t, lotSpec{})
	x, _ := s.bidder(t, "")
	y, _ := s.bidder(t, "")
	s.qualifyFast(t, x, a.ID)
	s.qualifyFast(t, y, a.ID)
	s.setClock(t, a.StartsAt)
	receipts := map[string]bool{}
	price := a.StartPrice
	for _, who := range []*account{x, y, x, y} {
		r := s.bid(t, who, a.ID, price)
		wantStatus(t, r, 201)
		var res struct {
			Receipt string `json:"receipt"`
		}
		r.decode(t, &res)
		receipts[res.Receipt] = true
		price += a.Increment
	}

	name, verdict := recordFile(t, s, a.ID)
	if verdict["valid"] != true {
		t.Fatalf("untouched record: %v", verdict)
	}
	// Every receipt a bidder holds is an event hash of the record.
	var rec auction.Record
	b, _ := os.ReadFile(name)
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	var target int64
	bidsSeen := 0
	for _, e := range rec.Events {
		delete(receipts, e.Hash)
		if e.Type == auction.EventBid {
			if bidsSeen++; bidsSeen == 2 {
				target = e.Seq
			}
		}
	}
	if len(receipts) != 0 || target == 0 {
		t.Fatalf("receipts not in the record: %v (second bid at seq %d)", receipts, target)
	}
	out, err := verifyFile(name)
	last := rec.Events[len(rec.Events)-1].Hash
	if err != nil || !strings.Contains(out, last) {
		t.Fatalf("gavel verify on the untouched record: %v %q", err, out)
	}

	// The database refuses edits of the record outright.
	if _, err := s.pool.Exec(s.ctx, `UPDATE bids SET amount = amount - 100000 WHERE auction_id = $1 AND seq = $2`, a.ID, target); err == nil {
		t.Fatal("the bids table accepted an UPDATE")
	}
	// Only the bids table: the record itself holds, but the server sees the
	// bid list disagree with it.
	tamper(t, s, `UPDATE bids SET amount = amount - 100000 WHERE auction_id = $1 AND seq = $2`, a.ID, target)
	_, verdict = recordFile(t, s, a.ID)
	if verdict["valid"] != false || verdict["first_broken_seq"] != json.Number(strconv.FormatInt(target, 10)) {
		t.Fatalf("after editing the bids table: %v", verdict["first_broken_seq"])
	}

	// The record too, as a careful forger would: the chain breaks there.
	tamper(t, s, `UPDATE auction_events SET data = jsonb_set(data, '{amount}', to_jsonb((data->>'amount')::bigint - 100000))
		WHERE auction_id = $1 AND seq = $2`, a.ID, target)
	name, verdict = recordFile(t, s, a.ID)
	if verdict["valid"] != false || verdict["first_broken_seq"] != json.Number(strconv.FormatInt(target, 10)) {
		t.Fatalf("after editing the record: %v", verdict)
	}
	_, err = verifyFile(name)
	if err == nil || !strings.Contains(err.Error(), "broken at seq "+strconv.FormatInt(target, 10)) {
		t.Fatalf("gavel verify on the tampered record: %v", err)
	}

	// Deleting the last event is seen against the auction row.
	tamper(t, s, `DELETE FROM auction_events WHERE auction_id = $1 AND seq = (SELECT max(seq) FROM auction_events WHERE auction_id = $1)`, a.ID)
	tamper(t, s, `UPDATE auction_events SET data = jsonb_set(data, '{amount}', to_jsonb((data->>'amount')::bigint + 100000))
		WHERE auction_id = $1 AND seq = $2`, a.ID, target)
	tamper(t, s, `UPDATE bids SET amount = amount + 100000 WHERE auction_id = $1 AND seq = $2`, a.ID, target)
	_, verdict = recordFile(t, s, a.ID)
	if verdict["valid"] != false || verdict["first_broken_seq"] != json.Number(strconv.FormatInt(rec.Events[len(rec.Events)-1].Seq, 10)) {
		t.Fatalf("after deleting the last event: %v %v", verdict["first_broken_seq"], verdict["problem"])
	}
}

// TestBlacklistCLI imports the restriction list from CSV and JSON files and
// removes an entry again, each step recorded with its source and audited.
func TestBlacklistCLI(t *testing.T) {
	dbURL := dbtest.URL(t)
	t.Setenv("DATABASE_URL", dbURL)
	ctx := context.Background()
	dir := t.TempDir()
	csvFile := filepath.Join(dir, "list.csv")
	if err := os.WriteFile(csvFile, []byte("\ufeffname,id_number,case_number\n张三,110101199001011237,(2024)京0101执123号\n李四,110101199202022346,(2024)京0101执124号\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	jsonFile := filepath.Join(dir, "list.json")
	if err := os.WriteFile(jsonFile, []byte(`{"entries":[{"name":"王五","id_number":"110101199303033458","case_number":"(2024)京0101执125号"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, args, strings.NewReader(""), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	if out, err := cli("blacklist", "import", csvFile, "--source", "court-system 2026-03-01"); err != nil || !strings.Contains(out, "imported 2 entries") {
		t.Fatalf("import csv: %v %s", err, out)
	}
	if out, err := cli("blacklist", "import", "--source", "court-system 2026-03-02", jsonFile); err != nil || !strings.Contains(out, "imported 1 entries") {
		t.Fatalf("import json: %v %s", err, out)
	}
	if _, err := cli("blacklist", "import", csvFile); err == nil || !strings.Contains(err.Error(), "--source is required") {
		t.Fatalf("import without a source: %v", err)
	}
	if _, err := cli("blacklist", "import", filepath.Join(dir, "missing.csv"), "--source", "x"); err == nil {
		t.Fatal("import of a missing file succeeded")
	}
	if out, err := cli("blacklist", "remove", "--source", "lifted 2026-03-05", "110101199202022346"); err != nil || !strings.Contains(out, "removed 1 of 1") {
		t.Fatalf("remove: %v %s", err, out)
	}

	s := &server{ctx: ctx}
	m, _ := startOn(t, dbURL)
	s.m, s.store, s.url = m, m.Store(), m.URL()
	var listed []string
	rows, err := s.store.Pool().Query(ctx, `SELECT id_number || ':' || source FROM blacklist WHERE removed_at IS NULL ORDER BY id_number`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		listed = append(listed, v)
	}
	want := []string{"110101199001011237:court-system 2026-03-01", "110101199303033458:court-system 2026-03-02"}
	if strings.Join(listed, ",") != strings.Join(want, ",") {
		t.Fatalf("listed: %v, want %v", listed, want)
	}
	page, err := s.store.AuditLog(ctx, 0, 100)
	if err != nil || !page.Valid || len(page.Entries) != 3 {
		t.Fatalf("audit: %+v %v", page, err)
	}
	for i, action := range []string{"cli blacklist import", "cli blacklist import", "cli blacklist remove"} {
		if e := page.Entries[i]; e.Action != action || e.ActorRole != "cli" {
			t.Errorf("audit entry %d: %+v", i, e)
		}
	}
}
