// Package page is Gavel's face for people: HTML pages rendered on the server
// in Chinese and English (templates, i18n), the printable documents and the
// static scripts and styles, all embedded in the binary. Pages read through
// the same store calls as the JSON API; the server (package web) lists each
// page in its route table with the roles it admits.
package page

import (
	"log/slog"
	"time"

	"gavel/auction"
	"gavel/auction/casereport"
	"gavel/auction/notice"
	"gavel/auction/notice/mail/mailbox"
	"gavel/web/limit"
	"gavel/web/request"
)

// Store is every service the pages read and write through, as the domain
// declares them.
type Store interface {
	auction.Services
	auction.Books
	casereport.Log
}

// Config is what the pages need.
type Config struct {
	Store Store
	Log   *slog.Logger
	// Limits are the server's: the sign-in and sign-up forms count against
	// the same limits as the API.
	Limits *limit.Limits
	// Sessions ends a browser's session at sign-out or a new sign-in.
	Sessions request.Sessions
	// Timezone is where the pages show times (default Asia/Shanghai).
	Timezone *time.Location
	// DevMailbox is the development mailbox shown at /dev/mailbox
	// (devmailbox.go); nil serves no such page.
	DevMailbox *mailbox.Mailbox
	// Notices keeps watch lists and user notices (notices.go).
	Notices notice.Service
}

// Handler holds the pages' handlers; each method serves one route.
type Handler struct {
	store    Store
	log      *slog.Logger
	limits   *limit.Limits
	sessions request.Sessions
	zone     *time.Location
	mailbox  *mailbox.Mailbox
	notices  notice.Service
}

// New returns the pages' handlers.
func New(cfg Config) *Handler {
	return &Handler{store: cfg.Store, log: cfg.Log, limits: cfg.Limits, sessions: cfg.Sessions, zone: cfg.Timezone, mailbox: cfg.DevMailbox,
		notices: cfg.Notices}
}
