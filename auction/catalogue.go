package auction

import "time"

// AuctionFilter narrows the public auction list.
type AuctionFilter struct {
	Status   string
	Category string
	Court    string
	Query    string
	MinPrice int64
	MaxPrice int64
	// Limit is at most 500 (100 when 0); Offset skips that many matches, for
	// the next page.
	Limit  int
	Offset int
}

// MaxOffset bounds how deep a catalogue page may start: a bigger offset is
// answered as this one (nothing is that deep), never with an error.
const MaxOffset = 1_000_000

// Listing is an auction as shown in the public catalogue.
type Listing struct {
	Auction
	Title     string `json:"title"`
	Category  string `json:"category"`
	CourtName string `json:"court_name"`
	Location  string `json:"location"`
	// CaseNumber is the enforcement case's number (案号), public as it is
	// in the announcement.
	CaseNumber string `json:"case_number"`
}

// ResultFilter narrows the results board.
type ResultFilter struct {
	// Court matches part of the court's name.
	Court string
	// From and To bound the close, [From, To); zero leaves a side open.
	From, To time.Time
	// Limit is 1..500 (100 when 0); Offset skips that many, for the next page.
	Limit  int
	Offset int
}

// Result is a closed auction as the results board (成交公示) publishes it:
// what was sold, for how much, to which bidder code, when. It carries no
// personal data: the buyer is known by the auction's bidder code only (the
// confirmation names them, Art. 22).
type Result struct {
	AuctionID  string `json:"auction_id"`
	LotID      string `json:"lot_id"`
	Title      string `json:"title"`
	Category   string `json:"category"`
	CaseNumber string `json:"case_number"`
	CourtName  string `json:"court_name"`
	Round      string `json:"round"`
	// Status is where the auction is now (sold, settled, defaulted,
	// annulled or failed); Outcome is how bidding ended: sold or failed.
	Status      string    `json:"status"`
	Outcome     string    `json:"outcome"`
	StartPrice  int64     `json:"start_price"`
	HammerPrice *int64    `json:"hammer_price"`
	WinnerCode  *string   `json:"winner_code"`
	BidCount    int       `json:"bid_count"`
	ClosedAt    time.Time `json:"closed_at"`
}

// Confirmation is the published result of a sale (成交确认书): after the
// close the buyer's name may be shown (Art. 22).
type Confirmation struct {
	AuctionID   string    `json:"auction_id"`
	BidderCode  string    `json:"bidder_code"`
	BuyerName   string    `json:"buyer_name"`
	HammerPrice int64     `json:"hammer_price"`
	ClosedAt    time.Time `json:"closed_at"`
	RecordHash  string    `json:"record_hash"`
}

// RecordCheck is an auction record with the server's verdict on it.
type RecordCheck struct {
	*Record
	// FirstBrokenSeq is the first event whose link is broken (0: all hold);
	// Problem says why.
	FirstBrokenSeq int64
	Problem        string
}
