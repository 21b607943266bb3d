package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/auction/notice"
	"gavel/web/request"
)

// Watch list and user notices (API.md "Watch list and notices"). Every
// route here is the signed-in user's own: the user comes from the session,
// never from the request.

// Watch is PUT /api/v1/me/watchlist/{auction_id}: 204, again 204.
func (h *Handler) Watch(c echo.Context) error {
	if err := h.notices.Watch(c.Request().Context(), request.User(c).ID, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Unwatch is DELETE /api/v1/me/watchlist/{auction_id}: 204.
func (h *Handler) Unwatch(c echo.Context) error {
	if err := h.notices.Unwatch(c.Request().Context(), request.User(c).ID, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Watchlist is GET /api/v1/me/watchlist: the watched auctions as the
// public view shows them.
func (h *Handler) Watchlist(c echo.Context) error {
	ctx := c.Request().Context()
	ids, err := h.notices.Watchlist(ctx, request.User(c).ID)
	if err != nil {
		return err
	}
	list := make([]*auction.Auction, 0, len(ids))
	for _, id := range ids {
		a, err := h.store.Auction(ctx, id)
		if err != nil {
			return err
		}
		list = append(list, a)
	}
	return c.JSON(http.StatusOK, map[string]any{"auctions": list})
}

// Notices is GET /api/v1/me/notifications?since=N&lang=zh-CN|en. Each
// notice comes with its words (subject and text) in lang, by default the
// language the user chose for e-mail.
func (h *Handler) Notices(c echo.Context) error {
	since, err := request.QueryInt(c, "since", 0)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u := request.User(c)
	lang := c.QueryParam("lang")
	switch lang {
	case notice.LangZH, notice.LangEN:
	case "":
		set, err := h.notices.Settings(ctx, u.ID)
		if err != nil {
			return err
		}
		lang = set.Language
	default:
		return auction.FieldError("lang", "must be zh-CN or en")
	}
	l, err := h.notices.List(ctx, u.ID, since)
	if err != nil {
		return err
	}
	if l.Notices == nil {
		l.Notices = []notice.Notice{}
	}
	for i := range l.Notices {
		n := &l.Notices[i]
		txt := notice.Render(*n, notice.Context{Title: n.Title, Language: lang, Zone: h.cfg.Timezone})
		n.Subject = txt.Subject
		n.Text, _, _ = strings.Cut(txt.Body, "\n")
	}
	return c.JSON(http.StatusOK, l)
}

// NoticesRead is POST /api/v1/me/notifications/read {up_to_seq}: 204.
func (h *Handler) NoticesRead(c echo.Context) error {
	var req struct {
		UpToSeq *int64 `json:"up_to_seq"`
	}
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	if req.UpToSeq == nil {
		return auction.FieldError("up_to_seq", "is required")
	}
	if err := h.notices.MarkRead(c.Request().Context(), request.User(c).ID, *req.UpToSeq); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// NoticeSettings is GET /api/v1/me/notification-settings.
func (h *Handler) NoticeSettings(c echo.Context) error {
	set, err := h.notices.Settings(c.Request().Context(), request.User(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, settingsJSON(set))
}

// NoticeSettingsSet is PUT /api/v1/me/notification-settings
// {language, off:{email:[kind...], sms:[kind...]}}.
func (h *Handler) NoticeSettingsSet(c echo.Context) error {
	var req struct {
		Language *string             `json:"language"`
		Off      map[string][]string `json:"off"`
	}
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	if req.Language == nil {
		return auction.FieldError("language", "is required")
	}
	ctx := c.Request().Context()
	set := notice.Settings{Language: *req.Language, Off: req.Off}
	if err := h.notices.SetSettings(ctx, request.User(c).ID, set); err != nil {
		return err
	}
	return h.NoticeSettings(c)
}

// settingsJSON always lists both channels, so clients need no special case.
func settingsJSON(set notice.Settings) notice.Settings {
	off := map[string][]string{}
	for _, ch := range notice.Channels {
		off[ch] = append([]string{}, set.Off[ch]...)
	}
	return notice.Settings{Language: set.Language, Off: off}
}

// Unsubscribe is POST /api/v1/notices/unsubscribe?key=K&type=T&channel=C,
// the one-click unsubscribe of RFC 8058 that every e-mail's List-Unsubscribe
// header names: no session (mail clients post it), the random key stands for
// the user. The body (List-Unsubscribe=One-Click) is not needed.
func (h *Handler) Unsubscribe(c echo.Context) error {
	channel := c.QueryParam("channel")
	if channel == "" {
		channel = notice.ChannelEmail
	}
	if err := h.notices.Unsubscribe(c.Request().Context(), c.QueryParam("key"), c.QueryParam("type"), channel); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
