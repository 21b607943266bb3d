package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/auction/notice"
)

// Watch list and user notices (API.md "Watch list and notices"). Every
// route here is the signed-in user's own: the user comes from the session,
// never from the request.
func (s *Server) noticeRoutes() {
	api := s.echo.Group("/api/v1")
	me := requireRole()
	api.PUT("/me/watchlist/:id", s.handleWatch, me)
	api.DELETE("/me/watchlist/:id", s.handleUnwatch, me)
	api.GET("/me/watchlist", s.handleWatchlist, me)
	api.GET("/me/notifications", s.handleNotices, me)
	api.POST("/me/notifications/read", s.handleNoticesRead, me)
	api.GET("/me/notification-settings", s.handleNoticeSettings, me)
	api.PUT("/me/notification-settings", s.handleNoticeSettingsSet, me)
	api.POST("/notices/unsubscribe", s.handleUnsubscribe)
}

// handleWatch is PUT /api/v1/me/watchlist/{auction_id}: 204, again 204.
func (s *Server) handleWatch(c echo.Context) error {
	if err := s.notices.Watch(c.Request().Context(), user(c).ID, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// handleUnwatch is DELETE /api/v1/me/watchlist/{auction_id}: 204.
func (s *Server) handleUnwatch(c echo.Context) error {
	if err := s.notices.Unwatch(c.Request().Context(), user(c).ID, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// handleWatchlist is GET /api/v1/me/watchlist: the watched auctions as the
// public view shows them.
func (s *Server) handleWatchlist(c echo.Context) error {
	ctx := c.Request().Context()
	ids, err := s.notices.Watchlist(ctx, user(c).ID)
	if err != nil {
		return err
	}
	list := make([]*auction.Auction, 0, len(ids))
	for _, id := range ids {
		a, err := s.store.Auction(ctx, id)
		if err != nil {
			return err
		}
		list = append(list, a)
	}
	return c.JSON(http.StatusOK, map[string]any{"auctions": list})
}

// handleNotices is GET /api/v1/me/notifications?since=N.
func (s *Server) handleNotices(c echo.Context) error {
	since, err := queryInt(c, "since", 0)
	if err != nil {
		return err
	}
	l, err := s.notices.List(c.Request().Context(), user(c).ID, since)
	if err != nil {
		return err
	}
	if l.Notices == nil {
		l.Notices = []notice.Notice{}
	}
	return c.JSON(http.StatusOK, l)
}

// handleNoticesRead is POST /api/v1/me/notifications/read {up_to_seq}: 204.
func (s *Server) handleNoticesRead(c echo.Context) error {
	var req struct {
		UpToSeq *int64 `json:"up_to_seq"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.UpToSeq == nil {
		return auction.FieldError("up_to_seq", "is required")
	}
	if err := s.notices.MarkRead(c.Request().Context(), user(c).ID, *req.UpToSeq); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// handleNoticeSettings is GET /api/v1/me/notification-settings.
func (s *Server) handleNoticeSettings(c echo.Context) error {
	set, err := s.notices.Settings(c.Request().Context(), user(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, settingsJSON(set))
}

// handleNoticeSettingsSet is PUT /api/v1/me/notification-settings
// {language, off:{email:[kind...], sms:[kind...]}}.
func (s *Server) handleNoticeSettingsSet(c echo.Context) error {
	var req struct {
		Language *string             `json:"language"`
		Off      map[string][]string `json:"off"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Language == nil {
		return auction.FieldError("language", "is required")
	}
	ctx := c.Request().Context()
	set := notice.Settings{Language: *req.Language, Off: req.Off}
	if err := s.notices.SetSettings(ctx, user(c).ID, set); err != nil {
		return err
	}
	return s.handleNoticeSettings(c)
}

// settingsJSON always lists both channels, so clients need no special case.
func settingsJSON(set notice.Settings) notice.Settings {
	off := map[string][]string{}
	for _, ch := range notice.Channels {
		off[ch] = append([]string{}, set.Off[ch]...)
	}
	return notice.Settings{Language: set.Language, Off: off}
}

// handleUnsubscribe is POST /api/v1/notices/unsubscribe?key=K&type=T&channel=C,
// the one-click unsubscribe of RFC 8058 that every e-mail's List-Unsubscribe
// header names: no session (mail clients post it), the random key stands for
// the user. The body (List-Unsubscribe=One-Click) is not needed.
func (s *Server) handleUnsubscribe(c echo.Context) error {
	channel := c.QueryParam("channel")
	if channel == "" {
		channel = notice.ChannelEmail
	}
	if err := s.notices.Unsubscribe(c.Request().Context(), c.QueryParam("key"), c.QueryParam("type"), channel); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
