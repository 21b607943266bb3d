// Package mail sends user notices as e-mail over SMTP: it composes the
// message (UTF-8 plain text, quoted-printable, RFC 2047 encoded headers,
// RFC 8058 one-click List-Unsubscribe) and hands it to the court's mail
// server, with STARTTLS or implicit TLS and SMTP AUTH.
//
// The SMTP client is github.com/emersion/go-smtp (with go-sasl): unlike the
// frozen net/smtp it is maintained, reads enhanced status codes, and the same
// library gives the tests a real in-process server speaking the protocol.
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Config says how to reach the mail server.
type Config struct {
	// URL is smtp://[user:pass@]host[:port] (STARTTLS when credentials are
	// given, or with ?starttls=always; ?starttls=never forbids it) or
	// smtps://[user:pass@]host[:port] (TLS from the first byte).
	URL string
	// From is the sender, e.g. "某某法院网络司法拍卖 <auction@court.example>".
	From string
	// TLS is the TLS configuration (tests trust their own certificate);
	// nil verifies the server against the system's roots.
	TLS *tls.Config
	// Timeout bounds one message's conversation (default 30 s).
	Timeout time.Duration
	// Conns is how many connections are kept open between messages
	// (default 8, one per delivery worker): reconnecting and authenticating
	// per message would cost more than the message.
	Conns int
}

// Sender sends messages to one mail server. It is safe for concurrent use.
type Sender struct {
	addr      string
	host      string
	implicit  bool
	starttls  bool
	user, pwd string
	from      *mail.Address
	tls       *tls.Config
	timeout   time.Duration
	idle      chan *smtp.Client
}

// New checks cfg and returns a Sender. No connection is made until Send.
func New(cfg Config) (*Sender, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" {
		return nil, errors.New("mail: the mail server URL must look like smtp://user:pass@host:port or smtps://host:port")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail: sender address: %w", err)
	}
	s := &Sender{host: u.Hostname(), from: from, tls: cfg.TLS, timeout: cfg.Timeout}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		if port == "" {
			port = "587"
		}
	case "smtps":
		s.implicit = true
		if port == "" {
			port = "465"
		}
	default:
		return nil, fmt.Errorf("mail: unknown scheme %q (want smtp or smtps)", u.Scheme)
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		s.user = u.User.Username()
		s.pwd, _ = u.User.Password()
	}
	switch u.Query().Get("starttls") {
	case "always":
		s.starttls = !s.implicit
	case "never":
		if s.user != "" && !isLoopback(s.host) {
			return nil, errors.New("mail: refusing to send a password unencrypted (starttls=never with credentials)")
		}
	case "":
		s.starttls = !s.implicit && s.user != ""
	default:
		return nil, errors.New("mail: starttls must be always or never")
	}
	if s.tls == nil {
		s.tls = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	}
	if s.timeout == 0 {
		s.timeout = 30 * time.Second
	}
	if cfg.Conns <= 0 {
		cfg.Conns = 8
	}
	s.idle = make(chan *smtp.Client, cfg.Conns)
	return s, nil
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// Domain is the sender's domain, which Message-IDs are made in.
func (s *Sender) Domain() string {
	at := strings.LastIndexByte(s.from.Address, '@')
	return s.from.Address[at+1:]
}

// Message is one e-mail.
type Message struct {
	To      string
	Subject string
	// Body is plain text; lines end in \n.
	Body string
	// ID is the Message-ID without angle brackets. The same notice always
	// gets the same ID, so a message sent twice after a crash is one
	// message to the receiving systems that de-duplicate by it.
	ID string
	// Language is the Content-Language (zh-CN or en).
	Language string
	// Unsubscribe is the one-click URL (RFC 8058) for this kind of notice.
	Unsubscribe string
	Date        time.Time
}

// Compose returns the message as it goes on the wire: 7-bit, CRLF, header
// lines folded at 78 characters where they can be (RFC 5322).
func (s *Sender) Compose(m Message) []byte {
	var b bytes.Buffer
	header := func(k string, words ...string) { b.WriteString(fold(k, words)) }
	header("From", addressWords(s.from)...)
	header("To", "<"+m.To+">")
	header("Subject", strings.Fields(mime.BEncoding.Encode("UTF-8", m.Subject))...)
	header("Date", m.Date.Format(time.RFC1123Z))
	header("Message-ID", "<"+m.ID+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain;", "charset=UTF-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	if m.Language != "" {
		header("Content-Language", m.Language)
	}
	header("Auto-Submitted", "auto-generated")
	if m.Unsubscribe != "" {
		header("List-Unsubscribe", "<"+m.Unsubscribe+">")
		header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(m.Body, "\n", "\r\n")))
	qp.Close()
	return b.Bytes()
}

// addressWords is a mailbox as header words: a display name in RFC 2047
// encoded words when it is not ASCII, quoted as RFC 5322 wants otherwise.
func addressWords(a *mail.Address) []string {
	for _, r := range a.Name {
		if r > 127 {
			return append(strings.Fields(mime.BEncoding.Encode("UTF-8", a.Name)), "<"+a.Address+">")
		}
	}
	return []string{a.String()}
}

// fold writes a header line from words, breaking between them before a line
// would pass 78 characters. A word longer than that (a URL) gets a line of
// its own, which the 998-character limit still allows.
func fold(key string, words []string) string {
	var b strings.Builder
	b.WriteString(key + ":")
	col := len(key) + 1
	for _, w := range words {
		if col+1+len(w) > 78 && col > 0 {
			b.WriteString("\r\n")
			col = 0
		}
		b.WriteString(" " + w)
		col += 1 + len(w)
	}
	b.WriteString("\r\n")
	return b.String()
}

// PermanentError is a refusal that retrying will not change (a 5xx reply,
// e.g. an unknown mailbox).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "mail refused: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Send delivers m. A 5xx reply is a *PermanentError; anything else that
// fails (4xx, the network) is worth retrying.
func (s *Sender) Send(ctx context.Context, m Message) error {
	data := s.Compose(m)
	c, err := s.client(ctx)
	if err != nil {
		return classify(err)
	}
	err = s.send(c, m.To, data)
	if err != nil {
		c.Close()
		return classify(err)
	}
	select {
	case s.idle <- c:
	default:
		c.Quit()
	}
	return nil
}

func (s *Sender) send(c *smtp.Client, to string, data []byte) error {
	if err := c.Mail(s.from.Address, nil); err != nil {
		return err
	}
	if err := c.Rcpt(to, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	return w.Close()
}

// client returns an idle connection that still answers, or a new one.
func (s *Sender) client(ctx context.Context) (*smtp.Client, error) {
	for {
		select {
		case c := <-s.idle:
			if c.Reset() == nil {
				return c, nil
			}
			c.Close()
			continue
		default:
		}
		return s.dial(ctx)
	}
}

func (s *Sender) dial(ctx context.Context) (*smtp.Client, error) {
	d := net.Dialer{Timeout: s.timeout}
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(s.timeout))
	var c *smtp.Client
	switch {
	case s.implicit:
		c = smtp.NewClient(tls.Client(conn, s.tls))
	case s.starttls:
		if c, err = smtp.NewClientStartTLS(conn, s.tls); err != nil {
			conn.Close()
			return nil, err
		}
	default:
		c = smtp.NewClient(conn)
	}
	c.CommandTimeout, c.SubmissionTimeout = s.timeout, s.timeout
	if s.user != "" {
		var auth sasl.Client
		if ok, _ := c.Extension("AUTH"); ok && !c.SupportsAuth(sasl.Plain) && c.SupportsAuth(sasl.Login) {
			auth = sasl.NewLoginClient(s.user, s.pwd)
		} else {
			auth = sasl.NewPlainClient("", s.user, s.pwd)
		}
		if err := c.Auth(auth); err != nil {
			c.Close()
			return nil, err
		}
	}
	conn.SetDeadline(time.Time{})
	return c, nil
}

// classify keeps only the codes of a refusal (the server's text may quote
// the recipient's address, which must not reach logs or the job's record)
// and marks a 5xx permanent.
func classify(err error) error {
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		return err // the network: it names the server, not the recipient
	}
	e := fmt.Errorf("mail server answered %d %d.%d.%d", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
	if se.Code >= 500 {
		return &PermanentError{Err: e}
	}
	return e
}

// Close closes the idle connections.
func (s *Sender) Close() {
	for {
		select {
		case c := <-s.idle:
			c.Quit()
		default:
			return
		}
	}
}
