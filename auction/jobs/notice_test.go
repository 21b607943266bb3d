package jobs_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"gavel/auction"
	"gavel/auction/notice"
	"gavel/auction/notice/mail"
	"gavel/auction/notice/mail/mailbox"
)

// selfSigned makes a certificate for 127.0.0.1 and a client config that
// trusts it.
func selfSigned(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: nil, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool, ServerName: "localhost"}
}

// mailEnv is an env whose notices go out by e-mail to a real SMTP server
// (STARTTLS and AUTH PLAIN required) in the test process.
type mailEnv struct {
	*env
	box  *mailbox.Mailbox
	logs *syncBuf
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newMailEnv(t *testing.T, manual bool, refuse func() *smtp.SMTPError) *mailEnv {
	return newMailEnvOn(t, func(o envOpts) *env { return newEnv(t, o) }, manual, mailbox.Config{Refuse: refuse})
}

// newMailEnvTB is newMailEnv for benchmarks.
func newMailEnvTB(b *testing.B) *mailEnv {
	return newMailEnvOn(b, func(o envOpts) *env { return newEnvTB(b, o) }, false, mailbox.Config{})
}

func newMailEnvOn(t testing.TB, build func(envOpts) *env, manual bool, box mailbox.Config) *mailEnv {
	t.Helper()
	serverTLS, clientTLS := selfSigned(t)
	box.TLS, box.User, box.Password, box.Keep = serverTLS, "gavel", "s3cret", 1<<20
	server, err := mailbox.Start("127.0.0.1:0", box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	port := server.Addr()[strings.LastIndexByte(server.Addr(), ':')+1:]
	sender, err := mail.New(mail.Config{URL: "smtp://gavel:s3cret@localhost:" + port, From: "上海一中院网络司法拍卖 <auction@court.example>", TLS: clientTLS})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sender.Close)
	logs := &syncBuf{}
	e := build(envOpts{manual: manual, mail: sender, log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	return &mailEnv{env: e, box: server, logs: logs}
}

// relay hands due notices to jobs, as the tick does.
func (m *mailEnv) relay(t *testing.T) int {
	t.Helper()
	n, err := m.jobs.RelayNotices(m.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func decodeHeader(t *testing.T, v string) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil {
		t.Fatalf("header %q: %v", v, err)
	}
	return s
}

func TestNoticeMailArrivesOnceWithHeaders(t *testing.T) {
	t.Parallel()
	m := newMailEnv(t, false, nil)
	a := m.Announced("住宅")
	zh, en := m.Bidder(), m.Bidder()
	if err := m.notices.SetSettings(m.Ctx, en.ID, notice.Settings{Language: notice.LangEN}); err != nil {
		t.Fatal(err)
	}
	m.Qualify(zh, a.ID)
	m.Qualify(en, a.ID)
	// The finance account was told of two deposits to confirm as well.
	if n := m.relay(t); n != 4 {
		t.Fatalf("relayed %d notices, want 4", n)
	}
	m.settle(t)
	if n := m.relay(t); n != 0 {
		t.Fatalf("a second relay handed over %d notices again", n)
	}
	m.settle(t)
	msgs := m.box.Wait(4, 5*time.Second)
	if len(msgs) != 4 {
		t.Fatalf("%d messages arrived, want 4", len(msgs))
	}
	ids := map[string]bool{}
	for _, u := range []*auction.User{zh, en} {
		var got []mailbox.Message
		for _, msg := range msgs {
			if len(msg.To) == 1 && msg.To[0] == u.Email {
				got = append(got, msg)
			}
		}
		if len(got) != 1 {
			t.Fatalf("%d messages to one bidder, want 1", len(got))
		}
		p, err := got[0].Parsed()
		if err != nil {
			t.Fatal(err)
		}
		h := p.Header
		subject := decodeHeader(t, h.Get("Subject"))
		from := decodeHeader(t, h.Get("From"))
		body, _ := io.ReadAll(quotedprintable.NewReader(p.Body))
		lang := notice.LangZH
		if u == en {
			lang = notice.LangEN
		}
		wantSubject := map[string]string{notice.LangZH: "保证金已确认：", notice.LangEN: "Deposit confirmed: "}[lang]
		if !strings.HasPrefix(subject, wantSubject) || h.Get("Content-Language") != lang {
			t.Fatalf("subject %q, language %q", subject, h.Get("Content-Language"))
		}
		if !strings.HasPrefix(h.Get("Subject"), "=?UTF-8?b?") || strings.ContainsFunc(string(got[0].Data), func(r rune) bool { return r > 127 }) {
			t.Fatalf("headers or body not 7-bit encoded: %q", h.Get("Subject"))
		}
		if from != "上海一中院网络司法拍卖 <auction@court.example>" || h.Get("To") != "<"+u.Email+">" {
			t.Fatalf("From %q To %q", from, h.Get("To"))
		}
		if h.Get("MIME-Version") != "1.0" || h.Get("Content-Type") != "text/plain; charset=UTF-8" || h.Get("Content-Transfer-Encoding") != "quoted-printable" {
			t.Fatalf("MIME headers: %v", h)
		}
		if _, err := p.Header.Date(); err != nil {
			t.Fatalf("Date: %v", err)
		}
		mid := h.Get("Message-ID")
		if !strings.HasPrefix(mid, "<notice-") || !strings.HasSuffix(mid, "@court.example>") || ids[mid] {
			t.Fatalf("Message-ID %q", mid)
		}
		ids[mid] = true
		unsub := h.Get("List-Unsubscribe")
		if h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.HasPrefix(unsub, "<https://auction.court.example/unsubscribe?") {
			t.Fatalf("List-Unsubscribe %q", unsub)
		}
		link, _ := url.Parse(strings.Trim(unsub, "<>"))
		if link.Query().Get("type") != notice.DepositHeld || link.Query().Get("channel") != "email" {
			t.Fatalf("unsubscribe link %s", link)
		}
		if !strings.Contains(string(body), "¥70,000.00") || !strings.Contains(string(body), "https://auction.court.example/auctions/"+a.ID) ||
			!strings.Contains(string(body), strings.Trim(unsub, "<>")) {
			t.Fatalf("body: %s", body)
		}
		// One click, and the next notice of that kind is not mailed.
		if err := m.notices.Unsubscribe(m.Ctx, link.Query().Get("key"), notice.DepositHeld, "email"); err != nil {
			t.Fatal(err)
		}
	}
	again := m.Announced("住宅")
	m.Qualify(zh, again.ID)
	m.relay(t)
	m.settle(t)
	if n := len(m.box.Messages()); n != 5 { // only finance's deposit to confirm
		t.Fatalf("%d messages after unsubscribing, want 5", n)
	}
	for _, u := range []*auction.User{zh, en} {
		if strings.Contains(m.logs.String(), u.Email) || strings.Contains(m.logs.String(), u.Phone) {
			t.Fatal("a recipient's address or phone reached the log")
		}
	}
}

// The server refuses twice for now (451) and then accepts: one message.
func TestNoticeMailRetriedUntilAcceptedOnce(t *testing.T) {
	t.Parallel()
	var refusals atomic.Int32
	m := newMailEnv(t, false, func() *smtp.SMTPError {
		if refusals.Add(1) <= 2 {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later, j@example.test"}
		}
		return nil
	})
	a := m.Announced("住宅")
	u := m.Bidder()
	m.Qualify(u, a.ID)
	if err := m.Pool.QueryRow(m.Ctx, `DELETE FROM user_notices WHERE type = 'deposit_awaiting_confirmation' RETURNING 1`).Scan(new(int)); err != nil {
		t.Fatal(err)
	}
	m.relay(t)
	msgs := m.box.Wait(1, 10*time.Second)
	m.settle(t)
	if msgs = m.box.Messages(); len(msgs) != 1 || refusals.Load() != 3 {
		t.Fatalf("%d messages after %d attempts, want 1 after 3", len(msgs), refusals.Load())
	}
	if strings.Contains(m.logs.String(), "j@example.test") || strings.Contains(m.logs.String(), u.Email) {
		t.Fatal("the refusal's text (which may quote an address) reached the log")
	}
	var attempts int
	if err := m.Pool.QueryRow(m.Ctx, `SELECT attempt FROM river_job WHERE kind = 'notice_delivery'`).Scan(&attempts); err != nil || attempts != 3 {
		t.Fatalf("attempts %d, %v", attempts, err)
	}
}

// A crash after the outbox write loses nothing and doubles nothing: the
// notice committed with its cause is relayed by whichever process comes
// next, and a job committed but never worked is worked once after restart.
func TestNoticeMailSurvivesCrashes(t *testing.T) {
	t.Parallel()
	m := newMailEnv(t, true, nil) // River stopped: the process that wrote the notices "died"
	a := m.Announced("住宅")
	u1, u2 := m.Bidder(), m.Bidder()
	m.Qualify(u1, a.ID)
	if _, err := m.Pool.Exec(m.Ctx, `DELETE FROM user_notices WHERE type = 'deposit_awaiting_confirmation'`); err != nil {
		t.Fatal(err)
	}
	// u1's notice: relayed (job committed), then the process dies before working it.
	if n := m.relay(t); n != 1 {
		t.Fatalf("relayed %d", n)
	}
	// u2's notice: written, never relayed before the crash.
	m.Qualify(u2, a.ID)
	if _, err := m.Pool.Exec(m.Ctx, `DELETE FROM user_notices WHERE type = 'deposit_awaiting_confirmation'`); err != nil {
		t.Fatal(err)
	}
	if len(m.box.Messages()) != 0 {
		t.Fatal("mail went out from a stopped process")
	}
	// The restart: a new process relays and works.
	if err := m.jobs.Start(m.Ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.jobs.Stop(m.Ctx) })
	if n := m.relay(t); n != 1 {
		t.Fatalf("after restart relayed %d, want u2's one", n)
	}
	m.settle(t)
	if n := m.relay(t); n != 0 {
		t.Fatalf("relayed %d more", n)
	}
	m.settle(t)
	msgs := m.box.Wait(2, 5*time.Second)
	if len(msgs) != 2 || msgs[0].To[0] == msgs[1].To[0] {
		t.Fatalf("%d messages after the restart, want one to each bidder", len(msgs))
	}
}

// The window no SMTP client can close: the server took the message but its
// answer was lost. The delivery is retried (at least once, never lost) and
// the second copy carries the same Message-ID, by which receiving systems
// recognise it as the same message.
func TestNoticeMailLostAnswerResentWithSameMessageID(t *testing.T) {
	t.Parallel()
	var lost atomic.Bool
	lost.Store(true)
	m := newMailEnvOn(t, func(o envOpts) *env { return newEnv(t, o) }, false, mailbox.Config{LoseReply: func() bool { return lost.Swap(false) }})
	a := m.Announced("住宅")
	m.Qualify(m.Bidder(), a.ID)
	if _, err := m.Pool.Exec(m.Ctx, `DELETE FROM user_notices WHERE type = 'deposit_awaiting_confirmation'`); err != nil {
		t.Fatal(err)
	}
	m.relay(t)
	msgs := m.box.Wait(2, 10*time.Second)
	m.settle(t)
	if msgs = m.box.Messages(); len(msgs) != 2 {
		t.Fatalf("%d copies, want 2 (the first answer was lost)", len(msgs))
	}
	ids := [2]string{}
	for i, msg := range msgs {
		p, err := msg.Parsed()
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = p.Header.Get("Message-ID")
	}
	if ids[0] == "" || ids[0] != ids[1] {
		t.Fatalf("Message-IDs %q and %q, want the same", ids[0], ids[1])
	}
	var sends int
	if err := m.Pool.QueryRow(m.Ctx, `SELECT count(*) FROM user_notice_sends`).Scan(&sends); err != nil || sends != 1 {
		t.Fatalf("%d sends recorded, %v", sends, err)
	}
}

// Outbid notices of a bidding war: the first at once, the rest counted into
// one message after the gap.
func TestNoticeMailOutbidCoalesced(t *testing.T) {
	t.Parallel()
	m := newMailEnv(t, false, nil)
	a := m.Announced("住宅")
	alice, bob := m.Bidder(), m.Bidder()
	m.Qualify(alice, a.ID)
	m.Qualify(bob, a.ID)
	m.Open(a)
	m.relay(t)
	m.settle(t)
	base := len(m.box.Messages())
	if base != 0 {
		t.Fatalf("%d deposit notices mailed a month late; stale notices are skipped", base)
	}
	price := a.StartPrice
	bid := func(u *auction.User) {
		m.Bid(u, a.ID, price)
		price += a.Increment
	}
	bid(alice)
	bid(bob) // alice outbid: mailed at once
	m.relay(t)
	m.settle(t)
	if got := m.box.Wait(base+1, 5*time.Second); len(got) != base+1 {
		t.Fatalf("first outbid: %d messages, want %d", len(got), base+1)
	}
	for i := 0; i < 3; i++ { // alice outbid three more times within the gap
		bid(alice)
		bid(bob)
		m.relay(t)
		m.settle(t)
	}
	if got := len(m.box.Messages()); got != base+2 { // bob's own outbid notice went once
		t.Fatalf("within the gap: %d messages, want %d", got, base+2)
	}
	m.Clock.Advance(notice.OutbidMailGap)
	m.relay(t)
	m.settle(t)
	msgs := m.box.Wait(base+4, 5*time.Second)
	if len(msgs) != base+4 {
		t.Fatalf("after the gap: %d messages, want %d (one more each)", len(msgs), base+4)
	}
	last := map[string]string{}
	count := map[string]int{}
	for _, msg := range msgs[base:] {
		p, err := msg.Parsed()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(quotedprintable.NewReader(p.Body))
		last[msg.To[0]] = string(body)
		count[msg.To[0]]++
	}
	if count[alice.Email] != 2 || !strings.Contains(last[alice.Email], "（共 4 次）") {
		t.Fatalf("alice: %d messages, the last %q", count[alice.Email], last[alice.Email])
	}
	if count[bob.Email] != 2 || !strings.Contains(last[bob.Email], "（共 3 次）") {
		t.Fatalf("bob: %d messages, the last %q", count[bob.Email], last[bob.Email])
	}
}

// A mailbox that does not exist (550) is not retried for ever and the
// delivery ends.
func TestNoticeMailPermanentRefusal(t *testing.T) {
	t.Parallel()
	var tries atomic.Int32
	m := newMailEnv(t, false, func() *smtp.SMTPError {
		tries.Add(1)
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	})
	a := m.Announced("住宅")
	m.Qualify(m.Bidder(), a.ID)
	m.relay(t)
	m.settle(t)
	var open int
	if err := m.Pool.QueryRow(m.Ctx, `SELECT count(*) FROM user_notices WHERE delivery <> 'done'`).Scan(&open); err != nil || open != 0 {
		t.Fatalf("%d deliveries not ended, %v", open, err)
	}
	if tries.Load() != 2 {
		t.Fatalf("%d tries for two notices, want one each", tries.Load())
	}
}

// SMS goes through the provider once per notice, alongside e-mail.
type recordingSMS struct {
	mu   sync.Mutex
	sent []string
}

func (r *recordingSMS) Name() string { return "recording" }
func (r *recordingSMS) Send(_ context.Context, phone, text, ref string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, phone+"|"+text+"|"+ref)
	return nil
}

func TestNoticeSMS(t *testing.T) {
	t.Parallel()
	rec := &recordingSMS{}
	e := newEnv(t, envOpts{sms: rec})
	a := e.Announced("住宅")
	u, quiet := e.Bidder(), e.Bidder()
	if err := e.notices.SetSettings(e.Ctx, quiet.ID, notice.Settings{Language: notice.LangZH, Off: map[string][]string{"sms": {notice.DepositHeld}}}); err != nil {
		t.Fatal(err)
	}
	for _, who := range []*auction.User{u, quiet} {
		e.Qualify(who, a.ID)
	}
	for i := 0; i < 2; i++ {
		if _, err := e.jobs.RelayNotices(e.Ctx); err != nil {
			t.Fatal(err)
		}
		e.settle(t)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var mine []string
	for _, s := range rec.sent {
		if strings.HasPrefix(s, u.Phone+"|") {
			mine = append(mine, s)
		}
		if strings.HasPrefix(s, quiet.Phone+"|") {
			t.Fatalf("an SMS the bidder turned off went out: %s", s)
		}
	}
	if len(mine) != 1 || !strings.Contains(mine[0], "保证金 ¥70,000.00 已确认") || strings.Contains(mine[0], "\n") {
		t.Fatalf("SMS to the bidder: %q", mine)
	}
}

// BenchmarkNoticeDelivery measures the whole path of a notice e-mail on this
// machine: the outbox row relayed to a River job, the job reading the
// notice and sending it over SMTP (STARTTLS, AUTH) to the in-process server,
// and the delivery recorded. b.N notices are written at once, then relayed
// and delivered by the runner's 8 workers.
func BenchmarkNoticeDelivery(b *testing.B) {
	b.StopTimer()
	m := newMailEnvTB(b)
	a := m.Announced("住宅")
	u := m.Bidder()
	if _, err := m.Pool.Exec(m.Ctx, `INSERT INTO user_notices (user_id, type, auction_id, cause, data, created_at, updated_at, deliver_due_at)
		SELECT $1, 'deposit_held', $2, 'bench:' || i, '{"amount": 7000000}', $3, $3, $3 FROM generate_series(1, $4) AS i`,
		u.ID, a.ID, m.Clock.Now(), b.N); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	for sent := 0; sent < b.N; {
		n, err := m.jobs.RelayNotices(m.Ctx)
		if err != nil {
			b.Fatal(err)
		}
		sent += n
	}
	if got := len(m.box.Wait(b.N, time.Minute)); got != b.N {
		b.Fatalf("%d of %d delivered", got, b.N)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
}
