package auction

// CourtAction is a clerk's (or an admin's) action on one auction, with the
// court's reason. The reason goes into the auction's record, its live feed
// and the audit log.
type CourtAction struct {
	AuctionID string
	Actor     *User
	Reason    string
}

// CleanReason is the cleaned reason (courtAction has checked it).
func (p CourtAction) CleanReason() string {
	r, _ := CleanReason("reason", p.Reason)
	return r
}

// ActionImpact is what a court action on an auction would touch, for the
// clerk's confirmation: the bidders registered, the deposits held (released
// by a cancellation), and what the buyer paid (owed back by an annulment).
type ActionImpact struct {
	Registered    int   `json:"registered"`
	DepositsHeld  int   `json:"deposits_held"`
	HeldAmount    int64 `json:"held_amount"`
	BuyerDeposit  int64 `json:"buyer_deposit"`
	BalancePaid   int64 `json:"balance_paid"`
	ExtendedTimes int   `json:"extended_times"`
}
