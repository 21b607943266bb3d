package auction

// PayTo is a court's receiving account: where a bidder pays a deposit or a
// buyer the balance by bank transfer, quoting the deposit's transfer note
// code (转账附言) so the court's bank statement line matches by itself.
type PayTo struct {
	CourtName     string `json:"court_name"`
	AccountName   string `json:"account_name"`
	Bank          string `json:"bank"`
	AccountNumber string `json:"account_number"`
}
