package live

import (
	"gavel/auction/postgres"
)

// TokenCacheLive tells the external tests whether the hub's token cache is in
// use (its LISTEN connection hears revocations).
func TokenCacheLive(h *Hub) bool {
	tc := h.tokens()
	if tc == nil {
		return false
	}
	tc.mu.RLock()
	defer tc.mu.RUnlock()
	return tc.live
}

// TokenCached tells whether the hub's token cache holds a session for token.
func TokenCached(h *Hub, token string) bool {
	tc := h.tokens()
	if tc == nil {
		return false
	}
	tc.mu.RLock()
	defer tc.mu.RUnlock()
	_, ok := tc.entries[postgres.TokenHash(token)]
	return ok
}
