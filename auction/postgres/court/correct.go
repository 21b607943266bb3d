package court

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
)

// A lot and its draft rounds are the clerk's to change until the lot is
// published (one of its rounds announced): then they are edited in place or
// deleted. Once published, what the public read may only be corrected in
// public (更正公告): a new numbered version of the text with the reason, the
// old text kept, and a `corrected` event in the record of every round still
// running. A published round's price, deposit and times never change: the
// law requires a new announcement (cancel it and schedule a new round).

// lockLot locks a lot and tells whether it is published: a round of it was
// announced (whatever became of it since).
func lockLot(ctx context.Context, tx pgx.Tx, lotID string) (published bool, err error) {
	err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM auctions a WHERE a.lot_id = l.id AND a.announced_at IS NOT NULL)
		FROM lots l WHERE l.id = $1 FOR UPDATE`, lotID).Scan(&published)
	return published, pgtx.Translate(err, "lot")
}

// errPublished refuses a change to what the public has read.
func errPublished(what string) error {
	return auction.Errorf(auction.EInvalidState, "%s is published: correct its text with a correction (更正公告); price, deposit and times cannot change after publication, the law requires a new announcement (cancel the round and schedule a new one)", what)
}

// checkLotTexts refuses a text field of e that is not UTF-8 or holds a
// NUL character (PostgreSQL stores neither).
func checkLotTexts(e *auction.LotEdit) error {
	var ps auction.Problems
	lotTextProblems(&ps, e)
	return ps.Err()
}

func lotTextProblems(ps *auction.Problems, e *auction.LotEdit) {
	for _, t := range e.Texts() {
		if t.Value != nil && (!utf8.ValidString(*t.Value) || strings.ContainsRune(*t.Value, 0)) {
			ps.Add(auction.FieldError(t.Field, "must be UTF-8 text without NUL characters"))
		}
	}
}

// UpdateLot edits an unpublished lot. Returns not_found, invalid_field, or
// invalid_state once the lot is published.
func (s *Store) UpdateLot(ctx context.Context, lotID string, e auction.LotEdit) (*auction.Lot, error) {
	// Every failed check is reported, the first as the error.
	var ps auction.Problems
	lotTextProblems(&ps, &e)
	if e.Title != nil && utf8.ValidString(*e.Title) && !strings.ContainsRune(*e.Title, 0) && strings.TrimSpace(*e.Title) == "" {
		ps.Add(auction.FieldError("title", "must not be blank"))
	}
	if e.Category != nil && !auction.ValidCategory(*e.Category) {
		ps.Add(auction.FieldError("category", "must be one of real_estate, vehicle, equity, movable, other"))
	}
	if e.AppraisalValue != nil && *e.AppraisalValue <= 0 {
		ps.Add(auction.FieldError("appraisal_value", "must be a positive amount in fen"))
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		published, err := lockLot(ctx, tx, lotID)
		if err != nil {
			return err
		}
		if published {
			return errPublished("the lot")
		}
		_, err = tx.Exec(ctx, `UPDATE lots SET title = coalesce($2, title), description = coalesce($3, description),
			category = coalesce($4, category), appraisal_value = coalesce($5, appraisal_value), location = coalesce($6, location),
			appraisal_report = coalesce($7, appraisal_report), encumbrances = coalesce($8, encumbrances),
			occupancy = coalesce($9, occupancy), tax_terms = coalesce($10, tax_terms), viewing = coalesce($11, viewing)
			WHERE id = $1`, lotID, e.Title, e.Description, e.Category, e.AppraisalValue, e.Location,
			e.AppraisalReport, e.Encumbrances, e.Occupancy, e.TaxTerms, e.Viewing)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Lot(ctx, lotID)
}

// DeleteLot deletes an unpublished lot whose rounds are all drafts, with
// them, its photos, documents and priority holders. Returns not_found or
// invalid_state.
func (s *Store) DeleteLot(ctx context.Context, lotID string) error {
	return s.db.InTx(ctx, func(tx pgx.Tx) error {
		published, err := lockLot(ctx, tx, lotID)
		if err != nil {
			return err
		}
		var others int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM auctions WHERE lot_id = $1 AND status <> 'draft'`, lotID).Scan(&others); err != nil {
			return err
		}
		if published || others > 0 {
			return auction.Errorf(auction.EInvalidState, "a lot with a published or cancelled round is part of the record and cannot be deleted")
		}
		rows, err := tx.Query(ctx, `SELECT id FROM auctions WHERE lot_id = $1 FOR UPDATE`, lotID)
		if err != nil {
			return err
		}
		drafts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, id := range drafts {
			if err := deleteDraftRows(ctx, tx, id); err != nil {
				return err
			}
		}
		b := &pgx.Batch{}
		b.Queue(`DELETE FROM priority_holders WHERE lot_id = $1`, lotID)
		b.Queue(`DELETE FROM lot_documents WHERE lot_id = $1`, lotID)
		b.Queue(`DELETE FROM lots WHERE id = $1`, lotID)
		return tx.SendBatch(ctx, b).Close()
	})
}

// deleteDraftRows deletes a draft round and what refers to it (a watch
// list entry, its unpublished documents; a draft has no events, registrations, bids or money). The
// database refuses to delete any other auction (forbid_record_delete).
func deleteDraftRows(ctx context.Context, tx pgx.Tx, auctionID string) error {
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM user_notices WHERE auction_id = $1`, auctionID)
	b.Queue(`DELETE FROM watchlist WHERE auction_id = $1`, auctionID)
	b.Queue(`DELETE FROM auction_documents WHERE auction_id = $1`, auctionID)
	b.Queue(`DELETE FROM auctions WHERE id = $1 AND status = 'draft'`, auctionID)
	return tx.SendBatch(ctx, b).Close()
}

// lockDraft locks a round and its lot (lot first, as publishing does) and
// returns the round, refused unless it is a draft.
func lockDraft(ctx context.Context, tx pgx.Tx, auctionID string) (*pgtx.Row, int64, error) {
	var lotID string
	var appraisal int64
	err := tx.QueryRow(ctx, `SELECT l.id, l.appraisal_value FROM lots l JOIN auctions a ON a.lot_id = l.id WHERE a.id = $1 FOR UPDATE OF l`, auctionID).
		Scan(&lotID, &appraisal)
	if err != nil {
		return nil, 0, pgtx.Translate(err, "auction")
	}
	a, _, err := pgtx.LockAuctionWithCategory(ctx, tx, auctionID)
	if err != nil {
		return nil, 0, err
	}
	if a.Status != auction.StatusDraft {
		return nil, 0, errPublished("the round")
	}
	return a, appraisal, nil
}

// UpdateDraft replaces a draft round's terms (p.LotID is ignored: the round
// stays on its lot), checked again against the rulebook and the lot's other
// rounds. Returns not_found, invalid_state once published, or the codes of
// ScheduleAuction.
func (s *Store) UpdateDraft(ctx context.Context, auctionID string, p auction.ScheduleParams) (*auction.Auction, error) {
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		a, appraisal, err := lockDraft(ctx, tx, auctionID)
		if err != nil {
			return err
		}
		others, err := lotRounds(ctx, tx, a.LotID, a.ID)
		if err != nil {
			return err
		}
		if err := s.db.Rulebook.ValidateSchedule(p, appraisal, others); err != nil {
			return err
		}
		days := a.BalanceDueDays
		if p.BalanceDueDays != nil {
			days = *p.BalanceDueDays
		}
		_, err = tx.Exec(ctx, `UPDATE auctions SET round = $2, start_price = $3, increment = $4, deposit = $5, starts_at = $6, ends_at = $7,
			balance_due_days = $8 WHERE id = $1`, a.ID, p.Round, p.StartPrice, p.Increment, p.Deposit,
			p.StartsAt.UTC().Truncate(time.Microsecond), p.EndsAt.UTC().Truncate(time.Microsecond), days)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.db.Auction(ctx, auctionID)
}

// DeleteDraft deletes a draft round. Returns not_found or invalid_state.
func (s *Store) DeleteDraft(ctx context.Context, auctionID string) error {
	return s.db.InTx(ctx, func(tx pgx.Tx) error {
		if _, _, err := lockDraft(ctx, tx, auctionID); err != nil {
			return err
		}
		return deleteDraftRows(ctx, tx, auctionID)
	})
}

// CorrectLot publishes a correction of a published lot's text: the lot
// reads the new text, the correction keeps the old, and every round of the
// lot still running (announced, bidding or suspended) gets a `corrected`
// event (data: version, reason, fields) for its bidders. Only texts may be
// corrected; price, deposit, times, category and appraisal stay. Returns
// not_found, invalid_field (reason, a blank title, nothing changed), or
// invalid_state when the lot is not published (edit it instead).
func (s *Store) CorrectLot(ctx context.Context, actor *auction.User, lotID, reason string, e auction.LotEdit) (*auction.Correction, []auction.Change, error) {
	c, changes, err := s.correctLot(ctx, actor, lotID, reason, e)
	if err == nil {
		s.db.Announce(ctx, changes...)
	}
	return c, changes, err
}

func (s *Store) correctLot(ctx context.Context, actor *auction.User, lotID, reason string, e auction.LotEdit) (*auction.Correction, []auction.Change, error) {
	reason, err := auction.CleanReason("reason", reason)
	if err != nil {
		return nil, nil, err
	}
	if e.Category != nil || e.AppraisalValue != nil {
		return nil, nil, errPublished("the lot")
	}
	if e.Title != nil && strings.TrimSpace(*e.Title) == "" {
		return nil, nil, auction.FieldError("title", "must not be blank")
	}
	if err := checkLotTexts(&e); err != nil {
		return nil, nil, err
	}
	c := &auction.Correction{LotID: lotID, Reason: reason, Changes: []auction.FieldChange{}}
	var changes []auction.Change
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		published, err := lockLot(ctx, tx, lotID)
		if err != nil {
			return err
		}
		if !published {
			return auction.Errorf(auction.EInvalidState, "the lot is not published yet: edit it instead of correcting it")
		}
		cur := auction.LotEdit{}
		var title, description, location, report, encumbrances, occupancy, tax, viewing string
		if err := tx.QueryRow(ctx, `SELECT title, description, location, appraisal_report, encumbrances, occupancy, tax_terms, viewing
			FROM lots WHERE id = $1`, lotID).Scan(&title, &description, &location, &report, &encumbrances, &occupancy, &tax, &viewing); err != nil {
			return err
		}
		cur.Title, cur.Description, cur.Location, cur.AppraisalReport = &title, &description, &location, &report
		cur.Encumbrances, cur.Occupancy, cur.TaxTerms, cur.Viewing = &encumbrances, &occupancy, &tax, &viewing
		old := cur.Texts()
		var fields []string
		for i, t := range e.Texts() {
			if t.Value != nil && *t.Value != *old[i].Value {
				c.Changes = append(c.Changes, auction.FieldChange{Field: t.Field, Old: *old[i].Value, New: *t.Value})
				fields = append(fields, t.Field)
			}
		}
		if len(c.Changes) == 0 {
			return auction.FieldError("changes", "the correction changes nothing")
		}
		c.At = s.db.Clock.Now()
		if err := tx.QueryRow(ctx, `INSERT INTO lot_corrections (lot_id, version, reason, changes, created_by, created_at)
			SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5 FROM lot_corrections WHERE lot_id = $1 RETURNING version`,
			lotID, reason, c.Changes, pgtx.Nullable(actorID(actor)), c.At).Scan(&c.Version); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE lots SET title = coalesce($2, title), description = coalesce($3, description),
			location = coalesce($4, location), appraisal_report = coalesce($5, appraisal_report), encumbrances = coalesce($6, encumbrances),
			occupancy = coalesce($7, occupancy), tax_terms = coalesce($8, tax_terms), viewing = coalesce($9, viewing) WHERE id = $1`,
			lotID, e.Title, e.Description, e.Location, e.AppraisalReport, e.Encumbrances, e.Occupancy, e.TaxTerms, e.Viewing); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, pgtx.LockAuctionSQLBase+` WHERE a.lot_id = $1 AND a.status IN ('announced', 'bidding', 'suspended') ORDER BY a.id FOR UPDATE OF a`, lotID)
		if err != nil {
			return err
		}
		running, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*pgtx.Row, error) {
			var category string
			var appraisal int64
			return pgtx.ScanAuction(r, &category, &appraisal)
		})
		if err != nil {
			return err
		}
		var w pgtx.Writes
		for _, a := range running {
			e := w.Event(a, auction.EventCorrected, c.At, map[string]any{"version": c.Version, "reason": reason, "fields": fields})
			w.Queue(pgtx.SaveAuctionSQL, pgtx.SaveAuctionArgs(a)...)
			changes = append(changes, auction.Change{AuctionID: a.ID, Events: []auction.Event{e}})
		}
		if err := s.db.Flush(ctx, tx, &w); err != nil {
			return err
		}
		_, err = s.db.Audit(ctx, tx, auction.NewAuditEntry{ActorID: actorID(actor), ActorRole: actorRole(actor), Action: "court correct", Target: lotID,
			Detail: map[string]any{"reason": reason, "version": c.Version, "fields": fields}})
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return c, changes, nil
}

// Corrections lists a lot's corrections, the first first. Returns not_found.
func (s *Store) Corrections(ctx context.Context, lotID string) ([]auction.Correction, error) {
	var exists bool
	if err := s.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM lots WHERE id = $1)`, lotID).Scan(&exists); err != nil || !exists {
		if err == nil {
			err = pgx.ErrNoRows
		}
		return nil, pgtx.Translate(err, "lot")
	}
	scan := func(r pgx.CollectableRow) (auction.Correction, error) {
		var c auction.Correction
		err := r.Scan(&c.LotID, &c.Version, &c.Reason, &c.Changes, &c.At)
		c.At = c.At.UTC()
		return c, err
	}
	return pgtx.List(ctx, s.db.Pool, scan, `SELECT lot_id, version, reason, changes, created_at FROM lot_corrections WHERE lot_id = $1 ORDER BY version`, lotID)
}

func actorID(u *auction.User) string {
	if u == nil {
		return ""
	}
	return u.ID
}

func actorRole(u *auction.User) string {
	if u == nil {
		return ""
	}
	return u.Role
}
