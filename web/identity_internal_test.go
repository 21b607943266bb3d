package web

import (
	"gavel/auction"
	"gavel/auction/auctiontest"
)

// idn is the valid identity number tests know a person key by; a key that
// is already a valid number is itself.
func idn(key string) string {
	if id, err := auction.ParseIdentity("id_number", "", key, auctiontest.Start); err == nil {
		return id.Number
	}
	return auctiontest.ResidentID(key)
}
