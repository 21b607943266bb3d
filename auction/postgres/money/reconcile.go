package money

import (
	"context"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
	"gavel/payments"
)

// providerRecord is one money movement as the provider saw it, written in the
// transaction that also writes the ledger's view of it.
type providerRecord struct {
	Provider  string
	Kind      string
	DepositID string
	AuctionID string
	CaseID    string
	Amount    int64
	Ref       string
}

// recordProvider writes a provider record; a zero amount (an exempt
// applicant's deposit) moved no money and records nothing, like the ledger.
func (s *Store) recordProvider(ctx context.Context, tx pgx.Tx, r providerRecord) error {
	if r.Amount == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO provider_records (provider, kind, deposit_id, auction_id, case_id, amount, external_ref, occurred_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.Provider, r.Kind, pgtx.Nullable(r.DepositID), pgtx.Nullable(r.AuctionID), pgtx.Nullable(r.CaseID), r.Amount, r.Ref, s.db.Clock.Now())
	return err
}

// Reconcile builds the reconciliation of [from, to): ledger totals per
// account, every escrow movement matched line by line against the
// provider's record of it, deposit money in escrow per provider at `to`,
// and the refunds due now (overdue ones flagged). Returns invalid_field when
// to is not after from.
func (s *Store) Reconcile(ctx context.Context, from, to time.Time) (*payments.Reconciliation, error) {
	from, to = from.UTC(), to.UTC()
	if !to.After(from) {
		return nil, auction.FieldError("to", "must be after from")
	}
	r := &payments.Reconciliation{From: from, To: to, GeneratedAt: s.db.Clock.Now(), Currency: "CNY"}
	// The provider is read before the snapshot: no transaction waits on
	// the network.
	src, hasBalance := s.payments.(payments.BalanceSource)
	var txns []payments.BalanceTransaction
	var srcErr error
	if hasBalance {
		txns, srcErr = src.BalanceTransactions(ctx, from.Add(-balanceLead), to.Add(balanceLag))
	}
	tx, err := s.db.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	// One snapshot for every part, so the totals tie out even while money moves.
	defer func() { _ = tx.Rollback(ctx) }()

	if r.Accounts, err = accountTotals(ctx, tx, from, to); err != nil {
		return nil, err
	}

	// The ledger side: every transaction that moved the court's escrow.
	rows, err := tx.Query(ctx, `SELECT t.id, t.kind, coalesce(d.provider, 'bank'), coalesce(t.deposit_id::text, ''),
			coalesce(t.auction_id::text, ''), coalesce(t.case_id::text, ''), t.reference, t.created_at, e.amount
		FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id AND e.account = $3
		LEFT JOIN deposits d ON d.id = t.deposit_id
		WHERE t.created_at >= $1 AND t.created_at < $2 ORDER BY t.created_at, t.id`, from, to, payments.AccountEscrow)
	if err != nil {
		return nil, err
	}
	ledger, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (payments.Line, error) {
		var l payments.Line
		var id int64
		err := row.Scan(&id, &l.Kind, &l.Provider, &l.DepositID, &l.AuctionID, &l.CaseID, &l.Reference, &l.At, &l.LedgerAmount)
		l.LedgerTransactionID = &id
		if k := payments.RecordKindOf(l.Kind); k != "" {
			l.Kind = k
		}
		l.At = l.At.UTC()
		return l, err
	})
	if err != nil {
		return nil, err
	}
	rows, err = tx.Query(ctx, `SELECT id, kind, provider, coalesce(deposit_id::text, ''), coalesce(auction_id::text, ''),
			coalesce(case_id::text, ''), external_ref, occurred_at,
			CASE WHEN kind IN ('deposit_returned', 'proceeds_remitted', 'excess_returned', 'balance_returned') THEN -amount ELSE amount END
		FROM provider_records WHERE occurred_at >= $1 AND occurred_at < $2 ORDER BY occurred_at, id`, from, to)
	if err != nil {
		return nil, err
	}
	records, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (payments.Line, error) {
		var l payments.Line
		var id int64
		err := row.Scan(&id, &l.Kind, &l.Provider, &l.DepositID, &l.AuctionID, &l.CaseID, &l.Reference, &l.At, &l.ProviderAmount)
		l.ProviderRecordID = &id
		l.At = l.At.UTC()
		return l, err
	})
	if err != nil {
		return nil, err
	}
	r.Lines = payments.Match(ledger, records)
	if r.Statement, err = statementDifferences(ctx, tx, ledger, from, to); err != nil {
		return nil, err
	}
	if hasBalance {
		pb := payments.ProviderBalance{Provider: s.payments.Name(), Differences: []payments.ProviderDifference{}}
		if srcErr != nil {
			pb.Error = srcErr.Error()
		} else if pb, err = balanceDifferences(ctx, tx, s.payments.Name(), txns, from, to); err != nil {
			return nil, err
		}
		r.Providers = append(r.Providers, pb)
	}

	// Deposit money in escrow at `to`, per provider, from both sides.
	rows, err = tx.Query(ctx, `WITH l AS (
			SELECT d.provider, sum(e.amount)::bigint AS amount
			FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id JOIN deposits d ON d.id = t.deposit_id
			WHERE e.account = $2 AND t.created_at < $1 GROUP BY d.provider),
		p AS (
			SELECT provider, sum(CASE WHEN kind = 'deposit_received' THEN amount ELSE -amount END)::bigint AS amount
			FROM provider_records WHERE kind IN ('deposit_received', 'deposit_returned') AND occurred_at < $1 GROUP BY provider)
		SELECT coalesce(l.provider, p.provider), coalesce(l.amount, 0), coalesce(p.amount, 0)
		FROM l FULL JOIN p ON p.provider = l.provider ORDER BY 1`, to, payments.AccountEscrow)
	if err != nil {
		return nil, err
	}
	r.Escrow, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (payments.EscrowTotal, error) {
		var e payments.EscrowTotal
		err := row.Scan(&e.Provider, &e.Ledger, &e.Records)
		e.Difference = e.Ledger - e.Records
		return e, err
	})
	if err != nil {
		return nil, err
	}
	r.RefundsDue, err = refundsDue(ctx, tx, s.db.Clock.Now())
	if err != nil {
		return nil, err
	}
	if r.Accounts == nil {
		r.Accounts = []payments.AccountTotal{}
	}
	if r.Escrow == nil {
		r.Escrow = []payments.EscrowTotal{}
	}
	sort.SliceStable(r.Lines, func(i, j int) bool { return r.Lines[i].At.Before(r.Lines[j].At) })
	r.Finish()
	return r, nil
}

// AccountTotals are the ledger totals per account of [from, to) and their
// TOTAL row, as Reconcile gives them, without reading any provider.
// Returns invalid_field when to is not after from.
func (s *Store) AccountTotals(ctx context.Context, from, to time.Time) ([]payments.AccountTotal, payments.AccountTotal, error) {
	from, to = from.UTC(), to.UTC()
	if !to.After(from) {
		return nil, payments.AccountTotal{}, auction.FieldError("to", "must be after from")
	}
	accounts, err := accountTotals(ctx, s.db.Pool, from, to)
	if err != nil {
		return nil, payments.AccountTotal{}, err
	}
	r := payments.Reconciliation{Accounts: accounts}
	r.Finish()
	return r.Accounts, r.AccountsTotal, nil
}

// accountTotals sums each ledger account over [from, to).
func accountTotals(ctx context.Context, q pgtx.Querier, from, to time.Time) ([]payments.AccountTotal, error) {
	scan := func(row pgx.CollectableRow) (payments.AccountTotal, error) {
		var a payments.AccountTotal
		err := row.Scan(&a.Account, &a.Opening, &a.Debits, &a.Credits)
		a.Net = a.Debits - a.Credits
		a.Closing = a.Opening + a.Net
		return a, err
	}
	return pgtx.List(ctx, q, scan, `SELECT e.account,
			coalesce(sum(e.amount) FILTER (WHERE t.created_at < $1), 0)::bigint,
			coalesce(sum(e.amount) FILTER (WHERE t.created_at >= $1 AND e.amount > 0), 0)::bigint,
			coalesce(-sum(e.amount) FILTER (WHERE t.created_at >= $1 AND e.amount < 0), 0)::bigint
		FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
		WHERE t.created_at < $2 GROUP BY e.account ORDER BY e.account`, from, to)
}

// RefundsDue lists released deposits not yet paid back, oldest first, with
// the legal deadline (24 h after the close, or after the money arrived when
// it came later) and whether it has passed.
func (s *Store) RefundsDue(ctx context.Context) ([]payments.RefundDue, error) {
	tx, err := s.db.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	return refundsDue(ctx, tx, s.db.Clock.Now())
}

func refundsDue(ctx context.Context, tx pgx.Tx, now time.Time) ([]payments.RefundDue, error) {
	scan := func(row pgx.CollectableRow) (payments.RefundDue, error) {
		var r payments.RefundDue
		var from time.Time
		err := row.Scan(&r.DepositID, &r.AuctionID, &r.BidderCode, &r.Provider, &r.Amount, &r.PayReference, &r.ConfirmReference, &r.ReleasedAt, &from)
		r.ReleasedAt = r.ReleasedAt.UTC()
		r.DueBy = from.UTC().Add(payments.RefundWindow)
		r.Overdue = now.After(r.DueBy)
		return r, err
	}
	return pgtx.List(ctx, tx, scan, `SELECT d.id, d.auction_id, coalesce(r.bidder_code, ''), d.provider, d.amount, d.pay_reference,
			d.confirm_reference, d.released_at, greatest(coalesce(a.closed_at, d.released_at), coalesce(d.held_at, d.released_at))
		FROM deposits d JOIN registrations r ON r.id = d.registration_id JOIN auctions a ON a.id = d.auction_id
		WHERE d.status = 'refund_pending' ORDER BY d.released_at, d.id`)
}

// statementDifferences compares the ledger's bank movements of [from, to)
// with the imported statement lines booked on those days.
func statementDifferences(ctx context.Context, tx pgx.Tx, ledger []payments.Line, from, to time.Time) ([]payments.StatementDifference, error) {
	rows, err := tx.Query(ctx, `SELECT covers_from, covers_to FROM statement_imports
		WHERE covers_to >= ($1 AT TIME ZONE 'Asia/Shanghai')::date AND covers_from <= ($2 AT TIME ZONE 'Asia/Shanghai')::date`, from, to)
	if err != nil {
		return nil, err
	}
	type span struct{ from, to time.Time }
	var spans []span
	var sp span
	if _, err := pgx.ForEachRow(rows, []any{&sp.from, &sp.to}, func() error { spans = append(spans, sp); return nil }); err != nil {
		return nil, err
	}
	if len(spans) == 0 {
		return nil, nil
	}
	rows, err = tx.Query(ctx, `SELECT id, reference, direction, amount, booked_on FROM statement_lines
		WHERE booked_on >= ($1 AT TIME ZONE 'Asia/Shanghai')::date AND booked_on < ($2 AT TIME ZONE 'Asia/Shanghai')::date + 1
		ORDER BY booked_on, reference`, from, to)
	if err != nil {
		return nil, err
	}
	lines, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (payments.StatementLine, error) {
		var l payments.StatementLine
		return l, r.Scan(&l.ID, &l.Reference, &l.Direction, &l.Amount, &l.BookedOn)
	})
	if err != nil {
		return nil, err
	}
	covered := func(day time.Time) bool {
		for _, s := range spans {
			if !day.Before(s.from) && !day.After(s.to) {
				return true
			}
		}
		return false
	}
	return payments.CompareStatement(ledger, lines, covered), nil
}

// A provider's balance is read from a day before the period (a payment
// captured just before the hold was booked) to a month after it (a hold
// booked in the period is captured at the latest when it lapses, at most 30
// days later for an extended authorisation).
const (
	balanceLead = 24 * time.Hour
	balanceLag  = 31 * 24 * time.Hour
)

// balanceDifferences sets a provider's balance transactions against the
// ledger's escrow movements of that provider's deposits. Only money that
// moved at the provider is compared: a deposit whose payment was never
// captured (a hold still open, or cancelled) moved nothing there, and
// neither did the cancellation that refunded it (booked under the
// payment's own id).
func balanceDifferences(ctx context.Context, tx pgx.Tx, provider string, txns []payments.BalanceTransaction, from, to time.Time) (payments.ProviderBalance, error) {
	refs := make([]string, 0, len(txns))
	for _, t := range txns {
		refs = append(refs, t.Reference)
	}
	rows, err := tx.Query(ctx, `SELECT t.id, t.kind, t.deposit_id::text, t.reference, t.created_at, e.amount
		FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id AND e.account = $4
		JOIN deposits d ON d.id = t.deposit_id
		WHERE d.provider = $3 AND d.provider_state IN ('captured', 'refunded') AND e.amount <> 0
		  AND NOT (t.kind = $6 AND t.reference = d.provider_ref)
		  AND ((t.created_at >= $1 AND t.created_at < $2) OR t.reference = ANY($5))
		ORDER BY t.created_at, t.id`, from, to, provider, payments.AccountEscrow, refs, payments.TxDepositRefunded)
	if err != nil {
		return payments.ProviderBalance{}, err
	}
	ledger, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (payments.Line, error) {
		var l payments.Line
		var id int64
		err := row.Scan(&id, &l.Kind, &l.DepositID, &l.Reference, &l.At, &l.LedgerAmount)
		l.LedgerTransactionID, l.Provider, l.At = &id, provider, l.At.UTC()
		if k := payments.RecordKindOf(l.Kind); k != "" {
			l.Kind = k
		}
		return l, err
	})
	if err != nil {
		return payments.ProviderBalance{}, err
	}
	return payments.CompareBalance(provider, ledger, txns, from, to), nil
}
