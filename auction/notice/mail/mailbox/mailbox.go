// Package mailbox is an SMTP server that keeps what it receives in memory:
// the development mailbox of the demo (`make run` shows the demo bidders'
// e-mails at /dev/mailbox), and the real server, speaking the protocol,
// that the e-mail tests send to. Built on github.com/emersion/go-smtp, the
// library the sender uses.
package mailbox

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/mail"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message as received.
type Message struct {
	From string
	To   []string
	Data []byte
	At   time.Time
}

// Parsed reads the message's headers and body.
func (m Message) Parsed() (*mail.Message, error) { return mail.ReadMessage(bytes.NewReader(m.Data)) }

// Config shapes the server.
type Config struct {
	// TLS, when set, offers STARTTLS; AUTH is then offered only after it.
	TLS *tls.Config
	// User and Password, when set, require AUTH PLAIN with them.
	User, Password string
	// Refuse, when set, is asked at each DATA; a non-nil error refuses the
	// message with it (tests of retries).
	Refuse func() *smtp.SMTPError
	// LoseReply, when set, is asked after a message is kept; true answers
	// it with a temporary failure anyway, as when the server's "250" is
	// lost on the way back (tests of the at-least-once window).
	LoseReply func() bool
	// Keep bounds the messages kept (the oldest go first); 0 keeps 1000.
	Keep int
}

// Mailbox is a running server.
type Mailbox struct {
	cfg    Config
	server *smtp.Server
	ln     net.Listener
	mu     sync.Mutex
	msgs   []Message
	notify chan struct{}
}

// Start listens on addr (e.g. 127.0.0.1:0) and serves until Close.
func Start(addr string, cfg Config) (*Mailbox, error) {
	if cfg.Keep == 0 {
		cfg.Keep = 1000
	}
	b := &Mailbox{cfg: cfg, notify: make(chan struct{})}
	s := smtp.NewServer(b)
	s.Domain = "mailbox.localhost"
	s.TLSConfig = cfg.TLS
	s.ReadTimeout, s.WriteTimeout = time.Minute, time.Minute
	s.MaxMessageBytes = 1 << 20
	s.AllowInsecureAuth = cfg.TLS == nil
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	b.server, b.ln = s, ln
	go s.Serve(ln)
	return b, nil
}

// Addr is host:port.
func (b *Mailbox) Addr() string { return b.ln.Addr().String() }

// Close stops the server.
func (b *Mailbox) Close() error { return b.server.Close() }

// Messages returns what was received, oldest first.
func (b *Mailbox) Messages() []Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Message(nil), b.msgs...)
}

// Wait returns once at least n messages are kept or the timeout passes,
// with what is kept.
func (b *Mailbox) Wait(n int, timeout time.Duration) []Message {
	deadline := time.After(timeout)
	for {
		b.mu.Lock()
		msgs, ch := append([]Message(nil), b.msgs...), b.notify
		b.mu.Unlock()
		if len(msgs) >= n {
			return msgs
		}
		select {
		case <-ch:
		case <-deadline:
			return msgs
		}
	}
}

// NewSession is the go-smtp backend.
func (b *Mailbox) NewSession(c *smtp.Conn) (smtp.Session, error) { return &session{box: b}, nil }

type session struct {
	box    *Mailbox
	authed bool
	from   string
	to     []string
}

var errAuthFirst = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}

func (s *session) AuthMechanisms() []string {
	if s.box.cfg.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, password string) error {
		if user != s.box.cfg.User || password != s.box.cfg.Password {
			return errors.New("invalid credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.box.cfg.User != "" && !s.authed {
		return errAuthFirst
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.box.cfg.Refuse != nil {
		if e := s.box.cfg.Refuse(); e != nil {
			return e
		}
	}
	b := s.box
	b.mu.Lock()
	b.msgs = append(b.msgs, Message{From: s.from, To: s.to, Data: data, At: time.Now()})
	if len(b.msgs) > b.cfg.Keep {
		b.msgs = b.msgs[len(b.msgs)-b.cfg.Keep:]
	}
	close(b.notify)
	b.notify = make(chan struct{})
	b.mu.Unlock()
	if b.cfg.LoseReply != nil && b.cfg.LoseReply() {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "connection lost"}
	}
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }
