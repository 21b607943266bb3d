package oversight

import (
	"context"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
)

// Interception stages: where a restricted bidder was stopped.
const (
	StageRegistration = "registration"
	StageBid          = "bid"
)

// noteInterception records that u was refused as restricted at stage. The
// refused transaction has already rolled back, so this is its own short
// transaction; the refusal stands whatever happens here, and an error is
// returned so that a lost record is never silent.
func noteInterception(ctx context.Context, db *pgtx.DB, u *auction.User, auctionID, stage string) error {
	o := auction.OriginFrom(ctx)
	now := db.Clock.Now()
	// At registration the refused attempt carried the declaration, so it was
	// made now; at a bid it is the one recorded with the registration.
	_, err := db.Pool.Exec(ctx, `INSERT INTO interceptions (at, stage, auction_id, lot_category, user_id, name, id_number,
			list_case_number, list_source, listed_at, declared_at, ip, device)
		SELECT $1, $2, a.id, l.category, $4, b.name, b.id_number, b.case_number, b.source, b.imported_at,
			CASE WHEN $2 = 'registration' THEN $1 ELSE r.declared_at END, $6, $7
		FROM auctions a JOIN lots l ON l.id = a.lot_id
		JOIN blacklist b ON b.id_number = $5
		LEFT JOIN registrations r ON r.auction_id = a.id AND r.user_id = $4
		WHERE a.id = $3`, now, stage, auctionID, u.ID, u.IDNumber, o.IP, o.Device)
	return err
}

// InterceptedAfter wraps the result of a refused Register or PlaceBid: a
// bidder_restricted refusal is recorded before it is returned.
func InterceptedAfter(ctx context.Context, db *pgtx.DB, err error, u *auction.User, auctionID, stage string) error {
	if err == nil || auction.ErrorCode(err) != auction.EBidderRestricted {
		return err
	}
	if rerr := noteInterception(context.WithoutCancel(ctx), db, u, auctionID, stage); rerr != nil {
		return rerr
	}
	return err
}

// Interceptions lists recorded interceptions, oldest first.
func (s *Store) Interceptions(ctx context.Context, f auction.InterceptionFilter) ([]auction.Interception, bool, error) {
	if f.Limit < 1 {
		f.Limit = 1000
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT id, at, stage, auction_id::text, lot_category, name, id_number, list_case_number, list_source,
			listed_at, declared_at, ip
		FROM interceptions WHERE id > $1 AND ($2 = '' OR auction_id::text = $2) ORDER BY id LIMIT $3`, f.Since, f.AuctionID, f.Limit+1)
	if err != nil {
		return nil, false, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auction.Interception, error) {
		var i auction.Interception
		err := r.Scan(&i.ID, &i.At, &i.Stage, &i.AuctionID, &i.LotCategory, &i.Name, &i.IDNumber, &i.ListCaseNumber, &i.ListSource,
			&i.ListedAt, &i.DeclaredAt, &i.IP)
		i.At, i.ListedAt = i.At.UTC(), i.ListedAt.UTC()
		if i.DeclaredAt != nil {
			d := i.DeclaredAt.UTC()
			i.DeclaredAt = &d
		}
		return i, err
	})
	if err != nil {
		return nil, false, err
	}
	more := len(list) > f.Limit
	if more {
		list = list[:f.Limit]
	}
	return list, more, nil
}
