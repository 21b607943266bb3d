package page

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/auction/notice"
)

// The signed-in user's notices and watch list. The header's unread count
// and these lists stay current through notices.js, which polls
// GET /api/v1/me/notifications?since= (see docs/notices.md for why polling).

// noticeRow is one notice as the list shows it.
type noticeRow struct {
	notice.Notice
	Subject, Text string
}

// Notices is GET /me/notifications: newest first, in the page's language.
func (h *Handler) Notices(c echo.Context) error {
	p := h.newPage(c, "notices.title")
	p.Nav = "notices"
	l, err := h.notices.List(c.Request().Context(), p.User.ID, 0)
	if err != nil {
		return err
	}
	rows := make([]noticeRow, len(l.Notices))
	var last int64
	for i, n := range l.Notices {
		txt := notice.Render(n, notice.Context{Title: n.Title, Language: p.L.Lang, Zone: p.L.Zone})
		line, _, _ := strings.Cut(txt.Body, "\n")
		rows[len(rows)-1-i] = noticeRow{Notice: n, Subject: txt.Subject, Text: line}
		last = n.Seq
	}
	p.Data = rows
	p.JS["notice_seq"] = last
	return h.render(c, http.StatusOK, "notices.html", p)
}

// watchRow is one watched auction.
type watchRow struct {
	A     *auction.Auction
	Title string
}

// Watchlist is GET /me/watchlist: the watched auctions with their prices,
// kept current by notices.js.
func (h *Handler) Watchlist(c echo.Context) error {
	ctx := c.Request().Context()
	p := h.newPage(c, "watch.title")
	p.Nav = "watchlist"
	ids, err := h.notices.Watchlist(ctx, p.User.ID)
	if err != nil {
		return err
	}
	rows := make([]watchRow, 0, len(ids))
	for _, id := range ids {
		a, err := h.store.Auction(ctx, id)
		if err != nil {
			return err
		}
		lot, err := h.store.Lot(ctx, a.LotID)
		if err != nil {
			return err
		}
		rows = append(rows, watchRow{A: a, Title: lot.Title})
	}
	p.Data = rows
	p.JS["watchlist"] = true
	return h.render(c, http.StatusOK, "watchlist.html", p)
}

// noticeSettings is the preferences form of /me: every kind a bidder can
// get, with the channels it is off on.
type noticeSettings struct {
	Language string
	Kinds    []kindSetting
}

type kindSetting struct {
	Kind             string
	EmailOff, SMSOff bool
}

// bidderKinds are the kinds a bidder gets (the finance ones are left out
// of a bidder's form).
var bidderKinds = []string{notice.Outbid, notice.OpeningSoon, notice.EndingSoon, notice.Won, notice.Lost, notice.DepositHeld,
	notice.DepositRefunded, notice.BalanceDue, notice.Defaulted, notice.Suspended, notice.Resumed, notice.Cancelled, notice.Annulled}

// settingsForm reads the user's settings for the form.
func (h *Handler) settingsForm(c echo.Context, userID string) (*noticeSettings, error) {
	set, err := h.notices.Settings(c.Request().Context(), userID)
	if err != nil {
		return nil, err
	}
	f := &noticeSettings{Language: set.Language}
	for _, k := range bidderKinds {
		f.Kinds = append(f.Kinds, kindSetting{Kind: k, EmailOff: !set.Enabled(notice.ChannelEmail, k), SMSOff: !set.Enabled(notice.ChannelSMS, k)})
	}
	return f, nil
}

// unsubscribeData is the unsubscribe page: the link's kind and channel, and
// whether it is done.
type unsubscribeData struct {
	Key, Kind, Channel string
	Done               bool
}

// Unsubscribe is GET /unsubscribe?key=K&type=T&channel=C, where an e-mail's
// unsubscribe link lands in a browser: it asks before changing anything
// (link checkers follow links).
func (h *Handler) Unsubscribe(c echo.Context) error {
	return h.unsubscribePage(c, false)
}

// UnsubscribeSubmit is POST /unsubscribe?key=K&type=T&channel=C: the
// page's button, and the one-click unsubscribe (RFC 8058) that mail clients
// post to the List-Unsubscribe address. The random key stands for the user.
func (h *Handler) UnsubscribeSubmit(c echo.Context) error {
	d, err := unsubscribeParams(c)
	if err != nil {
		return err
	}
	if err := h.notices.Unsubscribe(c.Request().Context(), d.Key, d.Kind, d.Channel); err != nil {
		return err
	}
	return h.unsubscribePage(c, true)
}

// unsubscribeParams reads the link; one that names no kind or channel
// Gavel has is a link that does not exist.
func unsubscribeParams(c echo.Context) (unsubscribeData, error) {
	d := unsubscribeData{Key: c.QueryParam("key"), Kind: c.QueryParam("type"), Channel: c.QueryParam("channel")}
	if d.Channel == "" {
		d.Channel = notice.ChannelEmail
	}
	if !notice.IsKind(d.Kind) || (d.Channel != notice.ChannelEmail && d.Channel != notice.ChannelSMS) {
		return d, auction.Errorf(auction.ENotFound, "unsubscribe link not found")
	}
	return d, nil
}

func (h *Handler) unsubscribePage(c echo.Context, done bool) error {
	d, err := unsubscribeParams(c)
	if err != nil {
		return err
	}
	d.Done = done
	p := h.newPage(c, "unsub.title")
	p.Data = d
	return h.render(c, http.StatusOK, "unsubscribe.html", p)
}
