package api

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"gavel/auction"
)

// The bulk lot upload: a case's lots as CSV (UTF-8, comma-separated, first
// line the header; docs/operations.md). Every row is checked before anything
// is stored, and every problem is reported by row and column; nothing is
// imported unless every row is valid.

// lotColumns are the header's columns: title, category and one of
// appraisal_value (fen) or appraisal_yuan (yuan, up to two decimals) are
// required; the others may be left out.
var lotColumns = []string{"title", "description", "category", "appraisal_value", "appraisal_yuan", "location",
	"appraisal_report", "encumbrances", "occupancy", "tax_terms", "viewing"}

// maxLotRows bounds one upload.
const maxLotRows = 2000

// categoryNames are the Chinese names a clerk may write for a category.
var categoryNames = map[string]string{"不动产": auction.CategoryRealEstate, "机动车": auction.CategoryVehicle,
	"股权": auction.CategoryEquity, "动产": auction.CategoryMovable, "其他": auction.CategoryOther}

// RowProblem is one problem of an uploaded CSV: its row (the header is row
// 1), its column (by header name; empty for the row as a whole) and why.
type RowProblem struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

// ParseLotsCSV reads lots from CSV and checks every row, returning the lots
// and, when any is invalid, every problem found. It returns an error only
// for a body that is too large.
func ParseLotsCSV(r io.Reader) ([]auction.NewLot, []RowProblem, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, csvReadError(err, 1)
	}
	col := map[string]int{}
	var problems []RowProblem
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch _, dup := col[h]; {
		case !knownLotColumn(h):
			problems = append(problems, RowProblem{1, h, "unknown column; the columns are " + strings.Join(lotColumns, ", ")})
		case dup:
			problems = append(problems, RowProblem{1, h, "the column appears twice"})
		}
		col[h] = i
	}
	_, fen := col["appraisal_value"]
	_, yuan := col["appraisal_yuan"]
	for _, need := range []string{"title", "category"} {
		if _, ok := col[need]; !ok {
			problems = append(problems, RowProblem{1, need, "the header lacks this column"})
		}
	}
	if fen == yuan {
		problems = append(problems, RowProblem{1, "appraisal_value", "the header needs exactly one of appraisal_value (fen) and appraisal_yuan"})
	}
	if len(problems) > 0 {
		return nil, problems, nil
	}
	var lots []auction.NewLot
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				problems = append(problems, RowProblem{Row: row, Message: pe.Err.Error()})
				return nil, problems, nil
			}
			return nil, nil, csvReadError(err, row)
		}
		if row-1 > maxLotRows {
			return nil, append(problems, RowProblem{Row: row, Message: fmt.Sprintf("at most %d lots in one upload", maxLotRows)}), nil
		}
		if len(rec) != len(header) {
			problems = append(problems, RowProblem{Row: row, Message: fmt.Sprintf("the row has %d fields, the header %d", len(rec), len(header))})
			continue
		}
		l, ps := lotRow(rec, col, row)
		problems = append(problems, ps...)
		lots = append(lots, l)
	}
	if len(lots) == 0 && len(problems) == 0 {
		problems = append(problems, RowProblem{Row: 2, Message: "the file has no lots"})
	}
	if len(problems) > 0 {
		return nil, problems, nil
	}
	return lots, nil, nil
}

func knownLotColumn(h string) bool {
	for _, c := range lotColumns {
		if c == h {
			return true
		}
	}
	return false
}

// lotRow reads one row and reports its problems by column.
func lotRow(rec []string, col map[string]int, row int) (auction.NewLot, []RowProblem) {
	get := func(name string) string {
		if i, ok := col[name]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var ps []RowProblem
	l := auction.NewLot{Title: get("title"), Description: get("description"), Category: get("category"), Location: get("location")}
	l.AppraisalReport, l.Encumbrances, l.Occupancy = get("appraisal_report"), get("encumbrances"), get("occupancy")
	l.TaxTerms, l.Viewing = get("tax_terms"), get("viewing")
	if c, ok := categoryNames[l.Category]; ok {
		l.Category = c
	}
	if _, ok := col["appraisal_value"]; ok {
		v, err := strconv.ParseInt(get("appraisal_value"), 10, 64)
		if err != nil {
			ps = append(ps, RowProblem{row, "appraisal_value", "must be a whole number of fen"})
			v = 1 // reported here; not again below
		}
		l.AppraisalValue = v
	} else {
		v, ok := parseYuan(get("appraisal_yuan"))
		if !ok {
			ps = append(ps, RowProblem{row, "appraisal_yuan", "must be an amount in yuan with at most two decimals"})
			v = 1
		}
		l.AppraisalValue = v
	}
	_, inYuan := col["appraisal_yuan"]
	for _, p := range l.Problems() {
		name, msg := p.Field, p.Message
		if name == "appraisal_value" && inYuan {
			name, msg = "appraisal_yuan", "must be a positive amount in yuan"
		}
		if name == "category" {
			msg += " (or 不动产, 机动车, 股权, 动产, 其他)"
		}
		ps = append(ps, RowProblem{row, name, msg})
	}
	return l, ps
}

// parseYuan reads 1234, 1,234.5 or 1234.56 yuan as fen.
func parseYuan(s string) (int64, bool) {
	s = strings.ReplaceAll(s, ",", "")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || !utf8.ValidString(s) {
		return 0, false
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w < 0 || f < 0 || w > (1<<63-1-f)/100 {
		return 0, false
	}
	return w*100 + f, true
}

// csvReadError is a failure to read the body: too large, or unreadable.
func csvReadError(err error, row int) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the request body is larger than 1 MiB")
	}
	if err == io.EOF {
		return auction.Errorf(auction.EInvalidRequest, "the file is empty: the first line is the header %s", strings.Join(lotColumns, ","))
	}
	return auction.Errorf(auction.EInvalidRequest, "CSV line %d: %v", row, err)
}

// LotImport is POST /api/v1/cases/{id}/lots/import (text/csv): every lot of
// the file, or none. 201 {imported, lots}; when a row is invalid, 422
// invalid_field with every problem in `problems`.
func (h *Handler) LotImport(c echo.Context) error {
	if ct := c.Request().Header.Get(echo.HeaderContentType); !strings.HasPrefix(ct, "text/csv") {
		return auction.Errorf(auction.EInvalidRequest, "send the lots as text/csv")
	}
	lots, problems, err := ParseLotsCSV(c.Request().Body)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		body := map[string]any{"error": map[string]string{"code": auction.EInvalidField,
			"message": fmt.Sprintf("%d problems in the file; nothing was imported", len(problems))}, "problems": problems}
		return c.JSON(http.StatusUnprocessableEntity, body)
	}
	out, err := h.store.CreateLots(c.Request().Context(), c.Param("id"), lots)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"imported": len(out), "lots": out})
}
