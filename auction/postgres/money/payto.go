package money

import (
	"context"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
)

// SetCourtAccount sets (or replaces) a court's receiving account, the one
// bidders of its cases pay deposits and balances into. by is the admin.
// Returns invalid_field.
func (s *Store) SetCourtAccount(ctx context.Context, by string, p auction.PayTo) (*auction.PayTo, error) {
	var err error
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"court_name", &p.CourtName, 200}, {"account_name", &p.AccountName, 200}, {"bank", &p.Bank, 200}, {"account_number", &p.AccountNumber, 40}} {
		if *f.v, err = pgtx.CleanLine(f.name, *f.v, f.max); err != nil {
			return nil, err
		}
	}
	digits := 0
	for _, r := range p.AccountNumber {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == ' ' || r == '-':
		default:
			return nil, auction.FieldError("account_number", "holds digits, spaces and dashes only")
		}
	}
	if digits < 6 {
		return nil, auction.FieldError("account_number", "has at least 6 digits")
	}
	_, err = s.db.Pool.Exec(ctx, `INSERT INTO court_accounts (court_name, account_name, bank, account_number, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (court_name) DO UPDATE SET account_name = $2, bank = $3, account_number = $4, updated_by = $5, updated_at = $6`,
		p.CourtName, p.AccountName, p.Bank, p.AccountNumber, pgtx.Nullable(by), s.db.Clock.Now())
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// CourtAccounts lists every court's receiving account by court name.
func (s *Store) CourtAccounts(ctx context.Context) ([]auction.PayTo, error) {
	scan := func(r pgx.CollectableRow) (auction.PayTo, error) {
		var p auction.PayTo
		return p, r.Scan(&p.CourtName, &p.AccountName, &p.Bank, &p.AccountNumber)
	}
	return pgtx.List(ctx, s.db.Pool, scan, `SELECT court_name, account_name, bank, account_number FROM court_accounts ORDER BY court_name`)
}
