package court

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
)

// validateParties checks a case's parties and puts their identity numbers
// in normal form, in place.
func validateParties(field string, ps []auction.Party, claims bool, now time.Time) error {
	for i := range ps {
		p := &ps[i]
		if strings.TrimSpace(p.Name) == "" {
			return auction.FieldError(field, "entry %d needs a name", i)
		}
		id, err := auction.ParseIdentity(fmt.Sprintf("%s[%d].id_number", field, i), p.IDType, p.IDNumber, now)
		if err != nil {
			return err
		}
		p.IDType, p.IDNumber = id.Type, id.Number
		switch {
		case claims && p.Claim == nil:
			return auction.FieldError(field, "entry %d needs a claim (fen)", i)
		case p.Claim != nil && *p.Claim < 0:
			return auction.FieldError(field, "entry %d: claim must not be negative", i)
		}
	}
	return nil
}

// CreateCase opens a case with its applicants and debtors. Returns case_exists
// or invalid_field.
func (s *Store) CreateCase(ctx context.Context, by string, c auction.NewCase) (*auction.Case, error) {
	c.CaseNumber, c.CourtName = strings.TrimSpace(c.CaseNumber), strings.TrimSpace(c.CourtName)
	switch {
	case c.CaseNumber == "":
		return nil, auction.FieldError("case_number", "is required")
	case c.CourtName == "":
		return nil, auction.FieldError("court_name", "is required")
	}
	if err := validateParties("applicants", c.Applicants, true, s.db.Clock.Now()); err != nil {
		return nil, err
	}
	if err := validateParties("debtors", c.Debtors, false, s.db.Clock.Now()); err != nil {
		return nil, err
	}
	var id string
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO cases (case_number, court_name, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			c.CaseNumber, c.CourtName, by, s.db.Clock.Now()).Scan(&id)
		if pgtx.IsUniqueViolation(err, "cases_case_number_key") {
			return auction.Errorf(auction.ECaseExists, "case %s already exists", c.CaseNumber)
		}
		if err != nil {
			return err
		}
		for kind, ps := range map[string][]auction.Party{"applicant": c.Applicants, "debtor": c.Debtors} {
			for i, p := range ps {
				if _, err := tx.Exec(ctx, `INSERT INTO case_parties (case_id, kind, position, name, id_type, id_number, claim) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
					id, kind, i, strings.TrimSpace(p.Name), p.IDType, p.IDNumber, p.Claim); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Case(ctx, id)
}

// Case returns a case with its parties and lots.
func (s *Store) Case(ctx context.Context, id string) (*auction.Case, error) {
	c := &auction.Case{Applicants: []auction.Party{}, Debtors: []auction.Party{}, Lots: []auction.Lot{}}
	err := s.db.Pool.QueryRow(ctx, `SELECT id, case_number, court_name, created_at FROM cases WHERE id = $1`, id).
		Scan(&c.ID, &c.CaseNumber, &c.CourtName, &c.CreatedAt)
	if err != nil {
		return nil, pgtx.Translate(err, "case")
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT kind, name, id_type, id_number, claim FROM case_parties WHERE case_id = $1 ORDER BY kind, position`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var kind string
		var p auction.Party
		if err := rows.Scan(&kind, &p.Name, &p.IDType, &p.IDNumber, &p.Claim); err != nil {
			return nil, err
		}
		if kind == "applicant" {
			c.Applicants = append(c.Applicants, p)
		} else {
			c.Debtors = append(c.Debtors, p)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	lots, err := s.lots(ctx, `l.case_id = $1`, id)
	if err != nil {
		return nil, err
	}
	c.Lots = lots
	return c, nil
}

// likeText makes a search text match itself inside ILIKE '%' || $n || '%':
// trimmed, with LIKE's wildcards and escape character taken literally. A
// NUL or bytes that are not UTF-8, which PostgreSQL refuses in text, are
// dropped or replaced: such a search matches what it can, never fails.
func likeText(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.TrimSpace(s))
}

// LastCourt is the court of the case userID opened last, "" when none.
func (s *Store) LastCourt(ctx context.Context, userID string) (string, error) {
	var court string
	err := s.db.Pool.QueryRow(ctx, `SELECT court_name FROM cases WHERE created_by::text = $1 ORDER BY created_at DESC, id DESC LIMIT 1`, userID).Scan(&court)
	if err == pgx.ErrNoRows {
		return "", nil
	}
	return court, err
}

// Cases lists the cases that match, newest first, a page at a time, and
// whether more match after this page: every case can be reached.
func (s *Store) Cases(ctx context.Context, f auction.CaseFilter) ([]auction.CaseSummary, bool, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	rows, err := s.db.Pool.Query(ctx, `
		SELECT c.id, c.case_number, c.court_name, (SELECT count(*) FROM lots l WHERE l.case_id = c.id)
		FROM cases c
		WHERE ($1 = '' OR c.case_number ILIKE '%' || $1 || '%')
		  AND ($2 = '' OR c.court_name ILIKE '%' || $2 || '%')
		  AND ($3 = '' OR EXISTS (SELECT 1 FROM case_parties p WHERE p.case_id = c.id AND p.name ILIKE '%' || $3 || '%'))
		ORDER BY c.created_at DESC, c.id LIMIT $4 OFFSET $5`,
		likeText(f.CaseNumber), likeText(f.Court), likeText(f.Party), f.Limit+1, max(f.Offset, 0))
	if err != nil {
		return nil, false, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auction.CaseSummary, error) {
		var c auction.CaseSummary
		return c, r.Scan(&c.ID, &c.CaseNumber, &c.CourtName, &c.Lots)
	})
	if err != nil {
		return nil, false, err
	}
	if list == nil {
		list = []auction.CaseSummary{}
	}
	if len(list) > f.Limit {
		return list[:f.Limit], true, nil
	}
	return list, false, nil
}

// CreateLot lists a lot under a case. Returns not_found or invalid_field.
func (s *Store) CreateLot(ctx context.Context, caseID string, l auction.NewLot) (*auction.Lot, error) {
	lots, err := s.CreateLots(ctx, caseID, []auction.NewLot{l})
	if err != nil {
		return nil, err
	}
	return &lots[0], nil
}

// CreateLots lists lots under a case in one transaction: all of them or,
// when one fails its checks, none. Returns not_found or invalid_field (the
// first problem, with all of the first failing lot's in its Fields).
func (s *Store) CreateLots(ctx context.Context, caseID string, lots []auction.NewLot) ([]auction.Lot, error) {
	for _, l := range lots {
		if p := l.Problems(); len(p) > 0 {
			var ps auction.Problems
			for _, f := range p {
				ps.Add(auction.FieldError(f.Field, "%s", f.Message))
			}
			return nil, ps.Err()
		}
	}
	ids := make([]string, len(lots))
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		now := s.db.Clock.Now()
		for i, l := range lots {
			err := tx.QueryRow(ctx, `
				INSERT INTO lots (case_id, title, description, category, appraisal_value, location,
					appraisal_report, encumbrances, occupancy, tax_terms, viewing, created_at)
				SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM cases WHERE id = $1
				RETURNING id`,
				caseID, l.Title, l.Description, l.Category, l.AppraisalValue, l.Location,
				l.AppraisalReport, l.Encumbrances, l.Occupancy, l.TaxTerms, l.Viewing, now).Scan(&ids[i])
			if err != nil {
				return pgtx.Translate(err, "case")
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out, err := s.lots(ctx, `l.id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, err
	}
	// In the order given: they share one created_at.
	byID := map[string]auction.Lot{}
	for _, l := range out {
		byID[l.ID] = l
	}
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out, nil
}

const lotColumns = `l.id, l.case_id, l.title, l.description, l.category, l.appraisal_value, l.location,
	l.appraisal_report, l.encumbrances, l.occupancy, l.tax_terms, l.viewing, l.created_at`

func (s *Store) lots(ctx context.Context, where string, args ...any) ([]auction.Lot, error) {
	return s.lotsIn(ctx, s.db.Pool, where, args...)
}

// lotsIn is lots read through q (see auctionsIn).
func (s *Store) lotsIn(ctx context.Context, q pgtx.Querier, where string, args ...any) ([]auction.Lot, error) {
	rows, err := q.Query(ctx, `SELECT `+lotColumns+` FROM lots l WHERE `+where+` ORDER BY l.created_at, l.id`, args...)
	if err != nil {
		return nil, err
	}
	lots, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auction.Lot, error) {
		var l auction.Lot
		d := &l.Disclosures
		err := r.Scan(&l.ID, &l.CaseID, &l.Title, &l.Description, &l.Category, &l.AppraisalValue, &l.Location,
			&d.AppraisalReport, &d.Encumbrances, &d.Occupancy, &d.TaxTerms, &d.Viewing, &l.CreatedAt)
		return l, err
	})
	if err != nil {
		return nil, err
	}
	for i := range lots {
		if err := s.fillLot(ctx, q, &lots[i]); err != nil {
			return nil, err
		}
	}
	return lots, nil
}

func (s *Store) fillLot(ctx context.Context, q pgtx.Querier, l *auction.Lot) error {
	rows, err := q.Query(ctx, `SELECT id, name, id_type, id_number, rank FROM priority_holders WHERE lot_id = $1 ORDER BY rank, name`, l.ID)
	if err != nil {
		return err
	}
	l.PriorityHolders, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (auction.PriorityHolder, error) {
		var h auction.PriorityHolder
		return h, r.Scan(&h.ID, &h.Name, &h.IDType, &h.IDNumber, &h.Rank)
	})
	if err != nil {
		return err
	}
	rows, err = q.Query(ctx, `SELECT id, kind, filename, content_type, size, created_at FROM lot_documents WHERE lot_id = $1 ORDER BY created_at, id`, l.ID)
	if err != nil {
		return err
	}
	l.Documents, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (auction.Document, error) {
		var d auction.Document
		err := r.Scan(&d.ID, &d.Kind, &d.Filename, &d.ContentType, &d.Size, &d.CreatedAt)
		d.URL = "/api/v1/documents/" + d.ID
		return d, err
	})
	if err != nil {
		return err
	}
	l.Auctions, err = s.db.AuctionsIn(ctx, q, `a.lot_id = $1`, l.ID)
	return err
}

// Lot returns a lot with its priority holders, documents and auction rounds.
func (s *Store) Lot(ctx context.Context, id string) (*auction.Lot, error) {
	lots, err := s.lots(ctx, `l.id = $1`, id)
	if err != nil {
		return nil, pgtx.Translate(err, "lot")
	}
	if len(lots) == 0 {
		return nil, auction.Errorf(auction.ENotFound, "lot not found")
	}
	return &lots[0], nil
}

// AddPriorityHolder records a priority holder on a lot. Returns not_found,
// invalid_field, or invalid_state when the id number is already a holder.
func (s *Store) AddPriorityHolder(ctx context.Context, lotID string, h auction.NewPriorityHolder) (*auction.PriorityHolder, error) {
	if strings.TrimSpace(h.Name) == "" {
		return nil, auction.FieldError("name", "is required")
	}
	id, err := auction.ParseIdentity("id_number", h.IDType, h.IDNumber, s.db.Clock.Now())
	if err != nil {
		return nil, err
	}
	if h.Rank < 1 {
		return nil, auction.FieldError("rank", "must be 1 or more (1 is first)")
	}
	out := &auction.PriorityHolder{Name: strings.TrimSpace(h.Name), IDType: id.Type, IDNumber: id.Number, Rank: h.Rank}
	err = s.db.Pool.QueryRow(ctx, `INSERT INTO priority_holders (lot_id, name, id_type, id_number, rank) SELECT id, $2, $3, $4, $5 FROM lots WHERE id = $1 RETURNING id`,
		lotID, out.Name, out.IDType, out.IDNumber, out.Rank).Scan(&out.ID)
	if pgtx.IsUniqueViolation(err, "") {
		return nil, auction.Errorf(auction.EInvalidState, "this person is already a priority holder of the lot")
	}
	if err != nil {
		return nil, pgtx.Translate(err, "lot")
	}
	return out, nil
}

// AddDocument stores a photo or document of a lot in the database, so a backup
// of the database is a backup of everything published with the sale.
func (s *Store) AddDocument(ctx context.Context, lotID, kind, filename, contentType string, data []byte) (*auction.Document, error) {
	switch {
	case kind != "photo" && kind != "document":
		return nil, auction.FieldError("kind", "must be photo or document")
	case len(data) == 0:
		return nil, auction.FieldError("file", "is empty")
	case len(data) > auction.MaxDocumentSize:
		return nil, auction.FieldError("file", "is larger than %d bytes", auction.MaxDocumentSize)
	}
	d := &auction.Document{Kind: kind, Filename: filename, ContentType: contentType, Size: len(data), CreatedAt: s.db.Clock.Now()}
	err := s.db.Pool.QueryRow(ctx, `INSERT INTO lot_documents (lot_id, kind, filename, content_type, size, data, created_at)
		SELECT id, $2, $3, $4, $5, $6, $7 FROM lots WHERE id = $1 RETURNING id`,
		lotID, kind, filename, contentType, len(data), data, d.CreatedAt).Scan(&d.ID)
	if err != nil {
		return nil, pgtx.Translate(err, "lot")
	}
	d.URL = "/api/v1/documents/" + d.ID
	return d, nil
}

// DocumentData returns a document's metadata and bytes.
func (s *Store) DocumentData(ctx context.Context, id string) (*auction.Document, []byte, error) {
	d := &auction.Document{ID: id}
	var data []byte
	err := s.db.Pool.QueryRow(ctx, `SELECT kind, filename, content_type, size, created_at, data FROM lot_documents WHERE id = $1`, id).
		Scan(&d.Kind, &d.Filename, &d.ContentType, &d.Size, &d.CreatedAt, &data)
	return d, data, pgtx.Translate(err, "document")
}
