package auction

import "time"

// NewCase is a clerk's request to open an enforcement case.
type NewCase struct {
	CaseNumber string  `json:"case_number"`
	CourtName  string  `json:"court_name"`
	Applicants []Party `json:"applicants"`
	Debtors    []Party `json:"debtors"`
}

// CaseSummary is a line of the clerks' case list.
type CaseSummary struct {
	ID         string `json:"id"`
	CaseNumber string `json:"case_number"`
	CourtName  string `json:"court_name"`
	Lots       int    `json:"lots"`
}

// CaseFilter narrows the clerks' case list. Each text matches a part,
// ignoring case.
type CaseFilter struct {
	CaseNumber string
	Court      string
	// Party matches the name of an applicant or a debtor.
	Party string
	// Limit is 1..500 (100 when 0); Offset skips that many, for the next page.
	Limit  int
	Offset int
}

// NewLot is a clerk's request to list a seized asset.
type NewLot struct {
	Title          string `json:"title"`
	Description    string `json:"description"`
	Category       string `json:"category"`
	AppraisalValue int64  `json:"appraisal_value"`
	Location       string `json:"location"`
	Disclosures
}

// NewPriorityHolder is a court-confirmed priority purchase right.
type NewPriorityHolder struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
	Rank     int    `json:"rank"`
}

// MaxDocumentSize bounds an uploaded photo or document.
const MaxDocumentSize = 10 << 20

// LotEdit changes a lot's fields; nil leaves one as it is.
type LotEdit struct {
	Title           *string `json:"title"`
	Description     *string `json:"description"`
	Category        *string `json:"category"`
	AppraisalValue  *int64  `json:"appraisal_value"`
	Location        *string `json:"location"`
	AppraisalReport *string `json:"appraisal_report"`
	Encumbrances    *string `json:"encumbrances"`
	Occupancy       *string `json:"occupancy"`
	TaxTerms        *string `json:"tax_terms"`
	Viewing         *string `json:"viewing"`
}

// FieldChange is one field of a correction: the text before and after.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Correction is a published correction (更正公告) of a lot's text: its
// version (1 for the first correction), the court's reason and every field
// it changed, old text kept.
type Correction struct {
	LotID   string        `json:"lot_id"`
	Version int           `json:"version"`
	Reason  string        `json:"reason"`
	Changes []FieldChange `json:"changes"`
	At      time.Time     `json:"at"`
}

// LotText is one of a lot's published texts: its field name and value (nil
// when an edit leaves it alone).
type LotText struct {
	Field string
	Value *string
}

// Texts are the lot's published texts a correction may change, by field
// name and column, in a fixed order.
func (e *LotEdit) Texts() []LotText {
	return []LotText{{"title", e.Title}, {"description", e.Description}, {"location", e.Location},
		{"appraisal_report", e.AppraisalReport}, {"encumbrances", e.Encumbrances}, {"occupancy", e.Occupancy},
		{"tax_terms", e.TaxTerms}, {"viewing", e.Viewing}}
}
