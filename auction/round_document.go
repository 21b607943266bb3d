package auction

import "time"

// AuctionDocument is one version of a round's document.
type AuctionDocument struct {
	AuctionID string `json:"auction_id"`
	Kind      string `json:"kind"`
	Title     string `json:"title"`
	// Version counts the stored texts of the kind from 1; 0 is a text
	// written from the round as it is now and not stored yet (a draft
	// never edited).
	Version int    `json:"version"`
	Body    string `json:"body"`
	// Edited tells a clerk's text from one written by Gavel.
	Edited      bool       `json:"edited"`
	CreatedAt   *time.Time `json:"created_at"`
	PublishedAt *time.Time `json:"published_at"`
}
