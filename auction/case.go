package auction

import (
	"strings"
	"time"
	"unicode/utf8"
)

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
	// IDType is the kind of document IDNumber comes from; empty means resident_id.
	IDType string `json:"id_type"`
	Rank   int    `json:"rank"`
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

// FieldProblem is one field of a request that fails its check.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Problems lists every check the lot fails, field by field, in the order
// of its fields: a CSV import reports them all at once.
func (l NewLot) Problems() []FieldProblem {
	var out []FieldProblem
	for _, f := range []struct{ name, value string }{{"title", l.Title}, {"description", l.Description}, {"location", l.Location},
		{"appraisal_report", l.AppraisalReport}, {"encumbrances", l.Encumbrances}, {"occupancy", l.Occupancy},
		{"tax_terms", l.TaxTerms}, {"viewing", l.Viewing}} {
		if !utf8.ValidString(f.value) || strings.ContainsRune(f.value, 0) {
			out = append(out, FieldProblem{f.name, "must be UTF-8 text without NUL characters"})
		} else if f.name == "title" && strings.TrimSpace(f.value) == "" {
			out = append(out, FieldProblem{f.name, "is required"})
		}
	}
	if !ValidCategory(l.Category) {
		out = append(out, FieldProblem{"category", "must be one of real_estate, vehicle, equity, movable, other"})
	}
	if l.AppraisalValue <= 0 {
		out = append(out, FieldProblem{"appraisal_value", "must be a positive amount in fen"})
	}
	return out
}
