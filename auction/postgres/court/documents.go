package court

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/courtdoc"
	"gavel/auction/postgres/internal/pgtx"
)

// A round's documents, the announcement (拍卖公告) and the bidders' notice
// (竞买须知), are written by courtdoc from the lot, the round and the
// rulebook. Before publication a clerk may replace the text; every text is
// kept as a numbered version. Publication fixes the latest version of each
// (writing one from the round as it is when the clerk never edited it), and
// a published document never changes: the lot's text is corrected in
// public (CorrectLot), the round's terms not at all.

// maxDocumentText bounds an edited document, in characters.
const maxDocumentText = 50_000

const documentColumns = `auction_id, kind, version, body, edited, created_at, published_at`

func scanDocument(r pgx.CollectableRow) (auction.AuctionDocument, error) {
	var d auction.AuctionDocument
	var at time.Time
	err := r.Scan(&d.AuctionID, &d.Kind, &d.Version, &d.Body, &d.Edited, &at, &d.PublishedAt)
	at = at.UTC()
	d.CreatedAt, d.Title = &at, courtdoc.Titles[d.Kind]
	if d.PublishedAt != nil {
		p := d.PublishedAt.UTC()
		d.PublishedAt = &p
	}
	return d, err
}

// writeDocument writes a round's document of kind from its lot, case and
// rulebook as they are now, dated date.
func (s *Store) writeDocument(ctx context.Context, q pgtx.Querier, a *auction.Auction, kind string, date time.Time) (string, error) {
	lots, err := s.lotsIn(ctx, q, `l.id = $1`, a.LotID)
	if err != nil {
		return "", err
	}
	if len(lots) == 0 {
		return "", auction.Errorf(auction.ENotFound, "lot not found")
	}
	lot := &lots[0]
	var court, number string
	if err := q.QueryRow(ctx, `SELECT court_name, case_number FROM cases WHERE id = $1`, a.CaseID).Scan(&court, &number); err != nil {
		return "", err
	}
	rb, err := auction.LookupRulebook(a.Rulebook)
	if err != nil {
		return "", err
	}
	return courtdoc.Write(kind, courtdoc.Input{CourtName: court, CaseNumber: number, Lot: lot, Auction: a, Rulebook: rb,
		Zone: s.db.Zone, Date: date})
}

// AuctionDocuments returns a round's documents: for each kind the latest
// stored version (the published one once the round is published), or for
// a draft never edited the text written from it now. Returns not_found.
func (s *Store) AuctionDocuments(ctx context.Context, auctionID string) ([]auction.AuctionDocument, error) {
	a, err := s.db.Auction(ctx, auctionID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT DISTINCT ON (kind) `+documentColumns+` FROM auction_documents
		WHERE auction_id = $1 ORDER BY kind, version DESC`, auctionID)
	if err != nil {
		return nil, err
	}
	stored, err := pgx.CollectRows(rows, scanDocument)
	if err != nil {
		return nil, err
	}
	out := make([]auction.AuctionDocument, 0, len(courtdoc.Kinds))
	for _, kind := range courtdoc.Kinds {
		d := auction.AuctionDocument{AuctionID: a.ID, Kind: kind, Title: courtdoc.Titles[kind]}
		for _, st := range stored {
			if st.Kind == kind {
				d = st
			}
		}
		if d.Version == 0 {
			if d.Body, err = s.writeDocument(ctx, s.db.Pool, a, kind, s.db.Clock.Now()); err != nil {
				return nil, err
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// DocumentVersions lists every stored version of a round's document,
// oldest first. Returns not_found or invalid_field (kind).
func (s *Store) DocumentVersions(ctx context.Context, auctionID, kind string) ([]auction.AuctionDocument, error) {
	if !courtdoc.ValidKind(kind) {
		return nil, auction.FieldError("kind", "must be announcement or bidder_notice")
	}
	if _, err := s.db.Auction(ctx, auctionID); err != nil {
		return nil, err
	}
	return pgtx.List(ctx, s.db.Pool, scanDocument, `SELECT `+documentColumns+` FROM auction_documents WHERE auction_id = $1 AND kind = $2 ORDER BY version`, auctionID, kind)
}

// cleanText checks a document's text: valid UTF-8, not blank, at most
// maxDocumentText characters, no control characters but line breaks and
// tabs. Line ends become \n.
func cleanText(field, text string) (string, error) {
	if !utf8.ValidString(text) {
		return "", auction.FieldError(field, "must be valid UTF-8 text")
	}
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	switch {
	case strings.TrimSpace(text) == "":
		return "", auction.FieldError(field, "must not be blank")
	case utf8.RuneCountInString(text) > maxDocumentText:
		return "", auction.FieldError(field, "must be at most %d characters", maxDocumentText)
	}
	for _, r := range text {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return "", auction.FieldError(field, "must not contain control characters")
		}
	}
	return text, nil
}

// EditAuctionDocument stores a clerk's text of a draft round's document as
// its next version. Returns not_found, invalid_field (kind, body) or
// invalid_state once the round is published.
func (s *Store) EditAuctionDocument(ctx context.Context, actor *auction.User, auctionID, kind, body string) (*auction.AuctionDocument, error) {
	if !courtdoc.ValidKind(kind) {
		return nil, auction.FieldError("kind", "must be announcement or bidder_notice")
	}
	body, err := cleanText("body", body)
	if err != nil {
		return nil, err
	}
	var d auction.AuctionDocument
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		a, _, err := pgtx.LockAuctionWithCategory(ctx, tx, auctionID)
		if err != nil {
			return err
		}
		if a.Status != auction.StatusDraft {
			return auction.Errorf(auction.EInvalidState, "a published document never changes: correct the lot's text with a correction (更正公告)")
		}
		rows, err := tx.Query(ctx, `INSERT INTO auction_documents (auction_id, kind, version, body, edited, created_by, created_at)
			SELECT $1, $2, coalesce(max(version), 0) + 1, $3, true, $4, $5 FROM auction_documents WHERE auction_id = $1 AND kind = $2
			RETURNING `+documentColumns, a.ID, kind, body, pgtx.Nullable(actorID(actor)), s.db.Clock.Now())
		if err != nil {
			return err
		}
		if d, err = pgx.CollectExactlyOneRow(rows, scanDocument); err != nil {
			return err
		}
		_, err = s.db.Audit(ctx, tx, auction.NewAuditEntry{ActorID: actorID(actor), ActorRole: actorRole(actor), Action: "court edit document", Target: a.ID,
			Detail: map[string]any{"kind": kind, "version": d.Version}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// publishDocuments fixes a round's documents as it is published at now: the
// latest version of each kind, or, when there is none, a text written from
// the round now and stored as version 1.
func (s *Store) publishDocuments(ctx context.Context, tx pgx.Tx, a *auction.Auction, now time.Time) error {
	for _, kind := range courtdoc.Kinds {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM auction_documents WHERE auction_id = $1 AND kind = $2)`, a.ID, kind).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			body, err := s.writeDocument(ctx, tx, a, kind, now)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO auction_documents (auction_id, kind, version, body, edited, created_at) VALUES ($1, $2, 1, $3, false, $4)`,
				a.ID, kind, body, now); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE auction_documents SET published_at = $3 WHERE auction_id = $1 AND kind = $2
			AND version = (SELECT max(version) FROM auction_documents WHERE auction_id = $1 AND kind = $2)`, a.ID, kind, now); err != nil {
			return err
		}
	}
	return nil
}

// NoticeInForce is the version of a round's published bidders' notice, nil
// for a round published without one.
func NoticeInForce(ctx context.Context, tx pgx.Tx, auctionID string) (*int, error) {
	var v *int
	err := tx.QueryRow(ctx, `SELECT max(version) FROM auction_documents WHERE auction_id = $1 AND kind = $2 AND published_at IS NOT NULL`,
		auctionID, courtdoc.KindBidderNotice).Scan(&v)
	return v, err
}
