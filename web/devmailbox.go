package web

import (
	"io"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
)

// The development mailbox (serve --dev-mailbox, which make run uses): the
// notice e-mails the demo sent, as a mail client would show them, so a
// newcomer sees what bidders receive without a mail server.

// mailboxRow is one message as the page shows it.
type mailboxRow struct {
	At                     string
	To, Subject, Body, Raw string
	MessageID, Unsubscribe string
}

// devMailboxRoutes serves /dev/mailbox when the mailbox runs.
func (s *Server) devMailboxRoutes() {
	if s.cfg.DevMailbox == nil {
		return
	}
	s.echo.GET("/dev/mailbox", s.pageDevMailbox, s.pageHeaders)
}

// pageDevMailbox is GET /dev/mailbox: newest first.
func (s *Server) pageDevMailbox(c echo.Context) error {
	p := s.newPage(c, "mailbox.title")
	p.Nav = "mailbox"
	msgs := s.cfg.DevMailbox.Messages()
	slices.Reverse(msgs)
	rows := make([]mailboxRow, 0, len(msgs))
	dec := new(mime.WordDecoder)
	for _, m := range msgs {
		row := mailboxRow{At: p.L.Time(m.At), Raw: string(m.Data)}
		if len(m.To) > 0 {
			row.To = m.To[0]
		}
		if parsed, err := m.Parsed(); err == nil {
			h := parsed.Header
			row.Subject, _ = dec.DecodeHeader(h.Get("Subject"))
			row.MessageID, row.Unsubscribe = h.Get("Message-ID"), h.Get("List-Unsubscribe")
			body, _ := io.ReadAll(quotedprintable.NewReader(parsed.Body))
			row.Body = string(body)
		}
		rows = append(rows, row)
	}
	p.Data = rows
	return s.render(c, http.StatusOK, "mailbox.html", p)
}
