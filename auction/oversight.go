package auction

import "time"

// AuditEntry is one line of the audit log of staff and finance actions.
type AuditEntry struct {
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	ActorID   string    `json:"actor_id"`
	ActorRole string    `json:"actor_role"`
	// Action is what was done: the route ("POST /api/v1/cases") or a CLI
	// command ("cli blacklist import").
	Action string `json:"action"`
	// Target names the object acted on (the route's id), when there is one.
	Target string `json:"target"`
	// Status is the HTTP status of the answer (0 for the CLI).
	Status int            `json:"status"`
	IP     string         `json:"ip"`
	Detail map[string]any `json:"detail"`
	// ActorEmail is looked up for readers; it is not part of the hash.
	ActorEmail string `json:"actor_email,omitempty"`
	PrevHash   string `json:"prev_hash"`
	Hash       string `json:"hash"`
}

// NewAuditEntry is what a caller tells Audit; the store adds seq, time and hashes.
type NewAuditEntry struct {
	ActorID   string
	ActorRole string
	Action    string
	Target    string
	Status    int
	// IP defaults to the origin in the context.
	IP     string
	Detail map[string]any
}

// AuditPage is a slice of the audit log with what a reader needs to verify it.
type AuditPage struct {
	Entries []AuditEntry `json:"entries"`
	More    bool         `json:"more"`
	// Valid tells whether the chain holds from the first entry returned back
	// to the previous one; FirstBrokenSeq names the first broken link.
	Valid          bool   `json:"valid"`
	FirstBrokenSeq int64  `json:"first_broken_seq"`
	Problem        string `json:"problem,omitempty"`
	// HeadSeq is the number of entries in the whole log.
	HeadSeq int64 `json:"head_seq"`
}

// DepositPayer is what finance needs to match a bank transfer to a deposit
// while the auction is running: the only view that links a registration to a
// person before the close, so reading it is audited.
type DepositPayer struct {
	DepositID    string  `json:"deposit_id"`
	AuctionID    string  `json:"auction_id"`
	Amount       int64   `json:"amount"`
	Status       string  `json:"status"`
	PayReference string  `json:"pay_reference"`
	BidderCode   *string `json:"bidder_code"`
	PayerName    string  `json:"payer_name"`
}

// Signal is a possible sign of collusion for the court to look at after the
// close. It is a flag with its evidence, never a verdict: nothing in Gavel
// acts on it.
type Signal struct {
	Kind string `json:"kind"`
	// Value is what is shared: the IP address, or a short fingerprint of the
	// device cookie or of the payer's account.
	Value       string     `json:"value"`
	BidderCodes []string   `json:"bidder_codes"`
	Evidence    []Evidence `json:"evidence"`
	// EvidenceTotal counts every observation, also those beyond Evidence.
	EvidenceTotal int `json:"evidence_total"`
}

// Evidence is one observation behind a signal.
type Evidence struct {
	BidderCode string    `json:"bidder_code"`
	Source     string    `json:"source"` // registration, bid or deposit
	Seq        *int64    `json:"seq,omitempty"`
	At         time.Time `json:"at"`
}

// Interception is one refusal of a person on the restriction list, kept for
// the court. It never carries the bidder code: it names a listed person, and
// before the close nothing may tie a code to a person.
type Interception struct {
	ID             int64      `json:"id"`
	At             time.Time  `json:"at"`
	Stage          string     `json:"stage"`
	AuctionID      string     `json:"auction_id"`
	LotCategory    string     `json:"lot_category"`
	Name           string     `json:"name"`
	IDNumber       string     `json:"id_number"`
	ListCaseNumber string     `json:"list_case_number"`
	ListSource     string     `json:"list_source"`
	ListedAt       time.Time  `json:"listed_at"`
	DeclaredAt     *time.Time `json:"declared_at"`
	IP             string     `json:"ip"`
}

// InterceptionFilter narrows Interceptions.
type InterceptionFilter struct {
	AuctionID string
	// Since returns interceptions with id > Since.
	Since int64
	Limit int
}

// BlacklistEntry is a person on the restriction list (失信被执行人 / 限制高消费).
type BlacklistEntry struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
	// IDType is the kind of document IDNumber comes from; empty means
	// resident_id (companies are listed by their credit code as company).
	IDType     string `json:"id_type,omitempty"`
	CaseNumber string `json:"case_number"`
}
