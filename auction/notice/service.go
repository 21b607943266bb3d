package notice

import "context"

// List is a page of a user's notices.
type List struct {
	Notices []Notice `json:"notifications"`
	// More is true when notices after the last one exist.
	More bool `json:"more"`
	// Unread counts all the user's unread notices (the header's badge).
	Unread int `json:"unread"`
}

// Service is each user's watch list, notices and notice settings, as the
// web layer uses them; every method acts for the user it names.
type Service interface {
	// Watch adds an auction to the user's watch list (again: no change).
	// Returns not_found for an auction that does not exist.
	Watch(ctx context.Context, userID, auctionID string) error
	// Unwatch takes an auction off the watch list (absent: no change).
	// Returns not_found for an auction that does not exist.
	Unwatch(ctx context.Context, userID, auctionID string) error
	// Watching reports whether the user watches the auction. Returns
	// not_found for an id that cannot name an auction.
	Watching(ctx context.Context, userID, auctionID string) (bool, error)
	// Watchlist is the ids of the auctions the user watches, most recently
	// added first. Returns no error code of its own.
	Watchlist(ctx context.Context, userID string) ([]string, error)
	// List returns the user's notices after since. Returns invalid_field
	// for a negative since.
	List(ctx context.Context, userID string, since int64) (*List, error)
	// MarkRead marks the user's notices up to upTo read. Returns
	// invalid_field for a negative upTo.
	MarkRead(ctx context.Context, userID string, upTo int64) error
	// Settings are the user's language and the notices they turned off.
	// Returns no error code of its own.
	Settings(ctx context.Context, userID string) (Settings, error)
	// SetSettings replaces them. Returns invalid_field.
	SetSettings(ctx context.Context, userID string, set Settings) error
	// Unsubscribe turns a kind of notice off on a channel for the user whose
	// unsubscribe key this is. Returns not_found or invalid_field.
	Unsubscribe(ctx context.Context, key, kind, channel string) error
}
