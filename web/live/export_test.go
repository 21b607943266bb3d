package live

import "gavel/auction"

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
	_, ok := tc.entries[auction.TokenHash(token)]
	return ok
}

// HoldDelivery stops the hub's writers before their next round of delivery,
// as if fan-out had taken every CPU it may use, until release is called.
func HoldDelivery(h *Hub) (release func()) {
	ch := make(chan struct{})
	h.held.Store(&ch)
	return func() {
		h.held.Store(nil)
		close(ch)
	}
}
