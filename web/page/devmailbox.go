package page

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
}

// HasDevMailbox reports whether /dev/mailbox is served.
func (h *Handler) HasDevMailbox() bool { return h.mailbox != nil }

// DevMailbox is GET /dev/mailbox: every message kept, newest first.
func (h *Handler) DevMailbox(c echo.Context) error {
	p := h.newPage(c, "mailbox.title")
	p.Nav = "mailbox"
	msgs := h.mailbox.Messages()
	slices.Reverse(msgs)
	rows := make([]mailboxRow, 0, len(msgs))
	dec := new(mime.WordDecoder)
	for _, m := range msgs {
		row := mailboxRow{At: p.L.Time(m.At), Raw: string(m.Data)}
		if len(m.To) > 0 {
			row.To = m.To[0]
		}
		if parsed, err := m.Parsed(); err == nil {
			row.Subject, _ = dec.DecodeHeader(parsed.Header.Get("Subject"))
			body, _ := io.ReadAll(quotedprintable.NewReader(parsed.Body))
			row.Body = string(body)
		}
		rows = append(rows, row)
	}
	p.Data = rows
	return h.render(c, http.StatusOK, "mailbox.html", p)
}
