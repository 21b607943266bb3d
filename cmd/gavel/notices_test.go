package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestWatchlistAPI(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a1, a2 := s.auction(t, lotSpec{}), s.auction(t, lotSpec{})
	alice, _ := s.bidder(t, "")
	other, _ := s.bidder(t, "")
	for _, id := range []string{a1.ID, a2.ID, a1.ID} {
		r := s.do(t, "PUT", "/api/v1/me/watchlist/"+id, alice, nil)
		wantStatus(t, r, 204)
		if len(r.body) != 0 {
			t.Fatalf("204 with a body: %s", r)
		}
	}
	list := func(who *account) []map[string]any {
		t.Helper()
		r := s.do(t, "GET", "/api/v1/me/watchlist", who, nil)
		wantStatus(t, r, 200)
		var out struct {
			Auctions []map[string]any `json:"auctions"`
		}
		r.decode(t, &out)
		if out.Auctions == nil {
			t.Fatalf("auctions is not a list: %s", r)
		}
		return out.Auctions
	}
	got := list(alice)
	if len(got) != 2 {
		t.Fatalf("watch list: %v", got)
	}
	for _, a := range got {
		// The public view: the keys of GET /auctions/{id} (without its live
		// watcher count).
		pub := s.do(t, "GET", "/api/v1/auctions/"+a["id"].(string), nil, nil).object(t)
		delete(pub, "watchers")
		keys := make([]string, 0, len(pub))
		for k := range pub {
			keys = append(keys, k)
		}
		wantKeys(t, "watched auction", a, keys...)
	}
	if len(list(other)) != 0 {
		t.Fatal("another bidder sees alice's watch list")
	}
	wantStatus(t, s.do(t, "DELETE", "/api/v1/me/watchlist/"+a1.ID, alice, nil), 204)
	wantStatus(t, s.do(t, "DELETE", "/api/v1/me/watchlist/"+a1.ID, alice, nil), 204)
	if got = list(alice); len(got) != 1 || got[0]["id"] != a2.ID {
		t.Fatalf("after DELETE: %v", got)
	}
	wantError(t, s.do(t, "PUT", "/api/v1/me/watchlist/"+a1.ID, nil, nil), 401, "unauthenticated")
	wantError(t, s.do(t, "GET", "/api/v1/me/watchlist", nil, nil), 401, "unauthenticated")
	for _, bad := range []string{"00000000-0000-0000-0000-000000000000", "nope", "%00", strings.Repeat("x", 12000)} {
		wantError(t, s.do(t, "PUT", "/api/v1/me/watchlist/"+bad, alice, nil), 404, "not_found")
		wantError(t, s.do(t, "DELETE", "/api/v1/me/watchlist/"+bad, alice, nil), 404, "not_found")
	}
}

func TestNotificationsAPI(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := s.auction(t, lotSpec{})
	alice, _ := s.bidder(t, "")
	bob, _ := s.bidder(t, "")
	s.qualify(t, alice, a.ID)
	bobCode := s.qualify(t, bob, a.ID)
	wantStatus(t, s.do(t, "PUT", "/api/v1/me/watchlist/"+a.ID, alice, nil), 204)

	type item struct {
		ID        string         `json:"id"`
		Seq       int64          `json:"seq"`
		Type      string         `json:"type"`
		AuctionID string         `json:"auction_id"`
		CreatedAt time.Time      `json:"created_at"`
		ReadAt    *time.Time     `json:"read_at"`
		Count     int            `json:"count"`
		Data      map[string]any `json:"data"`
	}
	notices := func(who *account, since int64) ([]item, int) {
		t.Helper()
		r := s.do(t, "GET", "/api/v1/me/notifications?since="+itoa(since), who, nil)
		wantStatus(t, r, 200)
		for _, secret := range []string{bob.ID, bob.Email, bobCode} {
			if who == alice && strings.Contains(string(r.body), secret) {
				t.Fatalf("alice's notices reveal bob: %s", r)
			}
		}
		var out struct {
			Notifications []item `json:"notifications"`
			Unread        int    `json:"unread"`
		}
		r.decode(t, &out)
		var raw struct {
			Notifications []map[string]any `json:"notifications"`
		}
		r.decode(t, &raw)
		for _, o := range raw.Notifications {
			for _, k := range []string{"id", "seq", "type", "auction_id", "created_at", "read_at"} {
				if _, ok := o[k]; !ok {
					t.Fatalf("notification lacks %s: %v", k, o)
				}
			}
		}
		return out.Notifications, out.Unread
	}
	first, unread := notices(alice, 0)
	if len(first) != 1 || first[0].Type != "deposit_held" || first[0].Seq != 1 || unread != 1 {
		t.Fatalf("after qualifying: %+v (unread %d)", first, unread)
	}
	// opening_soon an hour before, through the test clock.
	s.setClock(t, a.StartsAt.Add(-time.Hour))
	got, _ := notices(alice, first[0].Seq)
	if len(got) != 1 || got[0].Type != "opening_soon" || got[0].Seq != 2 || got[0].AuctionID != a.ID {
		t.Fatalf("since 1 after the clock moved: %+v", got)
	}
	s.setClock(t, a.StartsAt)
	wantStatus(t, s.bid(t, alice, a.ID, a.StartPrice), 201)
	wantStatus(t, s.bid(t, bob, a.ID, a.StartPrice+a.Increment), 201)
	got, unread = notices(alice, 2)
	if len(got) != 1 || got[0].Type != "outbid" || got[0].Count != 1 || unread != 3 {
		t.Fatalf("after bob's bid: %+v (unread %d)", got, unread)
	}
	wantStatus(t, s.do(t, "POST", "/api/v1/me/notifications/read", alice, map[string]any{"up_to_seq": got[0].Seq}), 204)
	if _, unread = notices(alice, 0); unread != 0 {
		t.Fatalf("unread %d after reading everything", unread)
	}
	all, _ := notices(alice, 0)
	for _, n := range all {
		if n.ReadAt == nil {
			t.Fatalf("notice %d not read: %+v", n.Seq, n)
		}
	}
	// The words, in the language asked for.
	r := s.do(t, "GET", "/api/v1/me/notifications?since=0&lang=en", alice, nil)
	wantStatus(t, r, 200)
	if !strings.Contains(string(r.body), `"subject":"Deposit confirmed: `) || !strings.Contains(string(r.body), `"text":"Your leading bid on`) {
		t.Fatalf("English words: %s", r)
	}
	wantError(t, s.do(t, "GET", "/api/v1/me/notifications?lang=fr", alice, nil), 422, "invalid_field")
	// Refusals.
	wantError(t, s.do(t, "GET", "/api/v1/me/notifications", nil, nil), 401, "unauthenticated")
	wantError(t, s.do(t, "POST", "/api/v1/me/notifications/read", nil, map[string]any{"up_to_seq": 1}), 401, "unauthenticated")
	for _, q := range []string{"-1", "x", "9223372036854775808", "%00"} {
		wantError(t, s.do(t, "GET", "/api/v1/me/notifications?since="+q, alice, nil), 422, "invalid_field")
	}
	for _, body := range []any{map[string]any{}, map[string]any{"up_to_seq": -1}} {
		wantError(t, s.do(t, "POST", "/api/v1/me/notifications/read", alice, body), 422, "invalid_field")
	}
	wantError(t, s.do(t, "POST", "/api/v1/me/notifications/read", alice, map[string]any{"up_to_seq": 1, "x": 1}), 400, "invalid_request")
	wantError(t, s.do(t, "POST", "/api/v1/me/notifications/read", alice, map[string]any{"up_to_seq": "1"}), 422, "invalid_field")
	// Staff get theirs: finance was told of both bank deposits.
	fin, _ := notices(s.finance, 0)
	if len(fin) != 2 || fin[0].Type != "deposit_awaiting_confirmation" {
		t.Fatalf("finance notices: %+v", fin)
	}
}

func TestNotificationSettingsAPI(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	alice, _ := s.bidder(t, "")
	r := s.do(t, "GET", "/api/v1/me/notification-settings", alice, nil)
	wantStatus(t, r, 200)
	if !strings.Contains(string(r.body), `"language":"zh-CN"`) {
		t.Fatalf("default settings: %s", r)
	}
	r = s.do(t, "PUT", "/api/v1/me/notification-settings", alice, map[string]any{"language": "en", "off": map[string]any{"email": []string{"outbid"}}})
	wantStatus(t, r, 200)
	var set struct {
		Language string              `json:"language"`
		Off      map[string][]string `json:"off"`
	}
	r.decode(t, &set)
	if set.Language != "en" || len(set.Off["email"]) != 1 || set.Off["email"][0] != "outbid" || set.Off["sms"] == nil {
		t.Fatalf("settings: %s", r)
	}
	for _, body := range []map[string]any{{"language": "fr"}, {"language": "en", "off": map[string]any{"fax": []string{"won"}}},
		{"language": "en", "off": map[string]any{"email": []string{"nope"}}}, {}} {
		wantError(t, s.do(t, "PUT", "/api/v1/me/notification-settings", alice, body), 422, "invalid_field")
	}
	wantError(t, s.do(t, "POST", "/api/v1/notices/unsubscribe?key=nope&type=outbid", nil, nil), 404, "not_found")
	// Text with a NUL, not UTF-8 or too long is refused before it reaches
	// a store (request hygiene).
	for _, k := range []string{"%00", "%ff%fe", strings.Repeat("k", 12000)} {
		wantError(t, s.do(t, "POST", "/api/v1/notices/unsubscribe?key="+k+"&type=outbid", nil, nil), 422, "invalid_field")
	}
	var key string
	if err := s.pool.QueryRow(s.ctx, `SELECT unsubscribe_key FROM user_notice_settings WHERE user_id = $1`, alice.ID).Scan(&key); err != nil {
		t.Fatal(err)
	}
	wantError(t, s.do(t, "POST", "/api/v1/notices/unsubscribe?key="+key+"&type=nope", nil, nil), 422, "invalid_field")
	wantStatus(t, s.do(t, "POST", "/api/v1/notices/unsubscribe?key="+key+"&type=won", nil, nil), 204)
	r = s.do(t, "GET", "/api/v1/me/notification-settings", alice, nil)
	r.decode(t, &set)
	if b, _ := json.Marshal(set.Off["email"]); string(b) != `["outbid","won"]` {
		t.Fatalf("after one-click unsubscribe from won: %s", r)
	}

	// The link of an e-mail: opened in a browser it asks first; posted (the
	// RFC 8058 one-click of a mail client, no session, a form body) it acts.
	page := func(method, query string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, s.url+"/unsubscribe?"+query, strings.NewReader("List-Unsubscribe=One-Click"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	q := "key=" + key + "&type=lost&channel=email"
	if code, body := page("GET", q); code != 200 || !strings.Contains(body, "不再通过邮件接收「未竞得」通知？") {
		t.Fatalf("GET: %d %s", code, body)
	}
	r = s.do(t, "GET", "/api/v1/me/notification-settings", alice, nil)
	r.decode(t, &set)
	if len(set.Off["email"]) != 2 {
		t.Fatalf("a GET changed the settings: %s", r)
	}
	if code, body := page("POST", q); code != 200 || !strings.Contains(body, "已退订") {
		t.Fatalf("POST: %d %s", code, body)
	}
	r = s.do(t, "GET", "/api/v1/me/notification-settings", alice, nil)
	r.decode(t, &set)
	if len(set.Off["email"]) != 3 {
		t.Fatalf("after the one-click POST: %s", r)
	}
	for bad, want := range map[string]int{"key=nope&type=lost": 404, "key=" + key + "&type=nope": 404,
		"key=" + key + "&type=lost&channel=fax": 404, "key=%00&type=lost": 422} {
		if code, _ := page("POST", bad); code != want {
			t.Errorf("POST %s: %d, want %d", bad, code, want)
		}
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// make run's development mailbox: a bidder's notice goes out by e-mail
// through the mail server in the process and shows at /dev/mailbox.
func TestDevMailbox(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(m *Main) { m.Config.DevMailbox = true })
	a := s.auction(t, lotSpec{})
	alice, _ := s.bidder(t, "")
	s.qualify(t, alice, a.ID)
	deadline := time.Now().Add(15 * time.Second)
	for {
		s.setClock(t, s.now()) // a tick: reminders, then the relay to delivery jobs
		r := s.do(t, "GET", "/dev/mailbox", nil, nil)
		wantStatus(t, r, 200)
		if strings.Contains(string(r.body), "保证金已确认") && strings.Contains(string(r.body), alice.Email) {
			if !strings.Contains(string(r.body), "List-Unsubscribe-Post: List-Unsubscribe=One-Click") {
				t.Fatalf("the raw message lacks the one-click header: %s", r.body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no deposit e-mail in the mailbox: %s", r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Every page links it; without the flag there is no such page or link.
	if r := s.do(t, "GET", "/", nil, nil); !strings.Contains(string(r.body), `href="/dev/mailbox"`) {
		t.Fatal("the catalogue does not link the development mailbox")
	}
	plain := newServer(t)
	wantStatus(t, plain.do(t, "GET", "/dev/mailbox", nil, nil), 404)
	if r := plain.do(t, "GET", "/", nil, nil); strings.Contains(string(r.body), "/dev/mailbox") {
		t.Fatal("a server without the mailbox links it")
	}
}
