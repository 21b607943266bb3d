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
