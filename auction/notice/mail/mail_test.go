package mail_test

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"gavel/auction/notice/mail"
	"gavel/auction/notice/mail/mailbox"
)

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	for _, c := range []mail.Config{
		{URL: "", From: "a@b.example"},
		{URL: "http://host", From: "a@b.example"},
		{URL: "smtp://host", From: "not an address"},
		{URL: "smtp://user:pw@mail.example?starttls=never", From: "a@b.example"}, // a password in clear over the network
		{URL: "smtp://host?starttls=maybe", From: "a@b.example"},
	} {
		if _, err := mail.New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
	for _, c := range []mail.Config{
		{URL: "smtp://mail.example", From: "a@b.example"},
		{URL: "smtps://u:p@mail.example:465", From: "法院 <a@b.example>"},
		{URL: "smtp://u:p@127.0.0.1:2525?starttls=never", From: "a@b.example"},
	} {
		if _, err := mail.New(c); err != nil {
			t.Errorf("New(%+v): %v", c, err)
		}
	}
}

func TestComposeEncodes(t *testing.T) {
	t.Parallel()
	s, err := mail.New(mail.Config{URL: "smtp://127.0.0.1:1", From: "上海市第一中级人民法院网络司法拍卖 <auction@court.example>"})
	if err != nil {
		t.Fatal(err)
	}
	subject := strings.Repeat("您的出价已被超越：上海市浦东新区某路某号房产", 4)
	body := "第一行：当前价 ¥1,234.56。\n" + strings.Repeat("长", 200) + "\nEnglish = line\n"
	raw := s.Compose(mail.Message{To: "bidder@example.test", Subject: subject, Body: body, ID: "notice-1-1@court.example",
		Language: "zh-CN", Unsubscribe: "https://x.example/api/v1/notices/unsubscribe?key=k&type=outbid&channel=email", Date: time.Unix(1e9, 0)})
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 78 && !strings.HasPrefix(line, " <https://") {
			t.Errorf("line %d is %d bytes: %q", i, len(line), line)
		}
		for _, r := range line {
			if r > 127 {
				t.Fatalf("line %d is not 7-bit: %q", i, line)
			}
		}
	}
	box, err := mailbox.Start("127.0.0.1:0", mailbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer box.Close()
	sender, err := mail.New(mail.Config{URL: "smtp://" + box.Addr(), From: "上海市第一中级人民法院网络司法拍卖 <auction@court.example>"})
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	if err := sender.Send(context.Background(), mail.Message{To: "bidder@example.test", Subject: subject, Body: body, ID: "notice-1-1@court.example", Date: time.Now()}); err != nil {
		t.Fatal(err)
	}
	msgs := box.Wait(1, 5*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	p, err := msgs[0].Parsed()
	if err != nil {
		t.Fatal(err)
	}
	got, err := new(mime.WordDecoder).DecodeHeader(p.Header.Get("Subject"))
	if err != nil || got != subject {
		t.Fatalf("subject %q, %v", got, err)
	}
	b, _ := io.ReadAll(quotedprintable.NewReader(p.Body))
	if strings.ReplaceAll(string(b), "\r\n", "\n") != body {
		t.Fatalf("body %q", b)
	}
	if msgs[0].From != "auction@court.example" || msgs[0].To[0] != "bidder@example.test" {
		t.Fatalf("envelope %s -> %v", msgs[0].From, msgs[0].To)
	}
}

func TestSendClassifiesRefusals(t *testing.T) {
	t.Parallel()
	code := 451
	box, err := mailbox.Start("127.0.0.1:0", mailbox.Config{Refuse: func() *smtp.SMTPError {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 1, 1}, Message: "<bidder@example.test> says no"}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer box.Close()
	s, err := mail.New(mail.Config{URL: "smtp://" + box.Addr(), From: "a@court.example"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := mail.Message{To: "bidder@example.test", Subject: "s", Body: "b", ID: "x@court.example", Date: time.Now()}
	err = s.Send(context.Background(), m)
	var perm *mail.PermanentError
	if err == nil || errors.As(err, &perm) || strings.Contains(err.Error(), "bidder@") {
		t.Fatalf("451: %v (want temporary, without the address)", err)
	}
	code = 550
	if err = s.Send(context.Background(), m); !errors.As(err, &perm) || strings.Contains(err.Error(), "bidder@") {
		t.Fatalf("550: %v (want permanent, without the address)", err)
	}
	// Nothing listens: temporary.
	gone, _ := mail.New(mail.Config{URL: "smtp://127.0.0.1:1", From: "a@court.example", Timeout: time.Second})
	if err := gone.Send(context.Background(), m); err == nil || errors.As(err, &perm) {
		t.Fatalf("no server: %v", err)
	}
}

// BenchmarkSend measures e-mail throughput to a local SMTP server (the
// in-process mailbox on loopback, no TLS), sequential and with 8 senders
// sharing the connection pool as the delivery workers do.
func BenchmarkSend(b *testing.B) {
	box, err := mailbox.Start("127.0.0.1:0", mailbox.Config{Keep: 16})
	if err != nil {
		b.Fatal(err)
	}
	defer box.Close()
	s, err := mail.New(mail.Config{URL: "smtp://" + box.Addr(), From: "网络司法拍卖 <auction@court.example>", Conns: 8})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	m := mail.Message{To: "bidder@example.test", Subject: "您的出价已被超越：上海市浦东新区某路某号房产",
		Body: "您在「上海市浦东新区某路某号房产」的领先出价已被超越，当前价 ¥7,100,000.00。\n\n查看拍卖：https://x.example/auctions/1\n",
		ID:   "notice-1-1@court.example", Language: "zh-CN", Unsubscribe: "https://x.example/u?key=k", Date: time.Now()}
	ctx := context.Background()
	b.Run("sequential", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := s.Send(ctx, m); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
	})
	b.Run("parallel8", func(b *testing.B) {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := s.Send(ctx, m); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
	})
}
