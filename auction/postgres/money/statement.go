package money

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
	"gavel/payments"
	"gavel/payments/statement"
)

// payCode finds deposit payment references (pgtx.RandomCode("GV", 10)) in a
// transfer's note, whatever surrounds them.
var payCode = regexp.MustCompile(`GV[` + pgtx.CodeAlphabet + `]{10}`)

// ImportStatement takes in a parsed bank statement of the court's account
// (by: the finance officer). Each line is kept once by its bank reference:
// importing the same statement again adds and books nothing. A new credit
// line quoting a pending deposit's payment reference with its exact amount
// confirms the deposit; one quoting a sold auction's buyer code (the
// winner's payment reference) with exactly the outstanding balance books
// the balance payment; both under the line's bank reference, so a transfer
// finance already typed is matched, not booked again. Lines whose amount
// differs are partial, others unmatched: finance resolves them by hand. A
// debit line is matched to the refund or remittance booked with its
// reference. The whole import is one transaction.
func (s *Store) ImportStatement(ctx context.Context, by, filename string, st *statement.Statement) (*payments.StatementImport, error) {
	filename, err := pgtx.CleanLine("filename", filename, 200)
	if err != nil {
		filename = "statement"
	}
	out := &payments.StatementImport{Format: st.Format, Filename: filename, From: st.From, To: st.To, Lines: len(st.Lines), New: []payments.StatementLine{}}
	var changes []auction.Change
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		// One import at a time: an import takes its lines' references (and
		// then their deposits and auctions) in the file's order, so two
		// statements listing the same transfers in different orders would
		// each wait for the other. Imports are a finance officer's act, a
		// few a day, so queueing them costs nothing; a confirmation typed by
		// hand takes a single reference and needs no place in this queue.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('gavel statement import', 0))`); err != nil {
			return err
		}
		now := s.db.Clock.Now()
		if err := tx.QueryRow(ctx, `INSERT INTO statement_imports (format, filename, covers_from, covers_to, lines, new_lines, imported_by, imported_at)
			VALUES ($1, $2, $3, $4, $5, 0, $6, $7) RETURNING id`, st.Format, filename, st.From, st.To, len(st.Lines), pgtx.Nullable(by), now).Scan(&out.ID); err != nil {
			return err
		}
		for _, l := range st.Lines {
			sl := payments.StatementLine{No: l.No, Reference: l.Reference, Direction: l.Direction, Amount: l.Amount, BookedOn: l.BookedOn,
				Remittance: l.Remittance, CounterpartyName: l.CounterpartyName, CounterpartyAccount: l.CounterpartyAccount, Status: payments.LineUnmatched}
			err := tx.QueryRow(ctx, `INSERT INTO statement_lines (import_id, direction, reference, amount, booked_on, remittance,
					counterparty_name, counterparty_account, status)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'unmatched') ON CONFLICT (direction, reference) DO NOTHING RETURNING id`,
				out.ID, l.Direction, l.Reference, l.Amount, l.BookedOn, l.Remittance, l.CounterpartyName, l.CounterpartyAccount).Scan(&sl.ID)
			if errors.Is(err, pgx.ErrNoRows) {
				out.Repeated++
				continue
			}
			if err != nil {
				return err
			}
			var ch []auction.Change
			if l.Direction == statement.Credit {
				ch, err = s.matchCredit(ctx, tx, by, &sl)
			} else {
				err = matchDebit(ctx, tx, &sl)
			}
			if err != nil {
				return err
			}
			changes = append(changes, ch...)
			if _, err := tx.Exec(ctx, `UPDATE statement_lines SET status = $2, match_kind = $3, match_id = $4, note = $5 WHERE id = $1`,
				sl.ID, sl.Status, sl.MatchKind, sl.MatchID, sl.Note); err != nil {
				return err
			}
			switch sl.Status {
			case payments.LineConfirmed:
				out.Confirmed++
			case payments.LineBooked:
				out.Matched++
			case payments.LinePartial:
				out.Partial++
			default:
				out.Unmatched++
			}
			out.New = append(out.New, sl)
		}
		_, err := tx.Exec(ctx, `UPDATE statement_imports SET new_lines = $2 WHERE id = $1`, out.ID, len(out.New))
		return err
	})
	if err != nil {
		return nil, err
	}
	s.db.Announce(ctx, changes...)
	return out, nil
}

// matchCredit resolves a credit line: a deposit or a balance payment.
func (s *Store) matchCredit(ctx context.Context, tx pgx.Tx, by string, l *payments.StatementLine) ([]auction.Change, error) {
	// Booked already under this reference (finance typed it)?
	var kind, entry string
	err := tx.QueryRow(ctx, `SELECT kind, entry_id::text FROM booked_references WHERE reference = $1 AND kind IN ($2, $3)`,
		l.Reference, payments.BookDepositConfirmation, payments.BookBalancePayment).Scan(&kind, &entry)
	if err == nil {
		var amount int64
		q := `SELECT amount FROM deposits WHERE id = $1`
		if kind == payments.BookBalancePayment {
			q = `SELECT amount FROM balance_payments WHERE id = $1`
		}
		if err := tx.QueryRow(ctx, q, entry).Scan(&amount); err != nil {
			return nil, err
		}
		l.MatchKind, l.MatchID = kind, &entry
		l.Status = payments.LineBooked
		if amount != l.Amount {
			l.Status, l.Note = payments.LinePartial, payments.Note(payments.NoteBookedDiffers, amount, l.Amount)
		}
		return nil, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	codes := payCode.FindAllString(strings.ToUpper(l.Remittance), -1)
	if len(codes) == 0 {
		l.Note = payments.Note(payments.NoteNoCode)
		return nil, nil
	}
	var d struct {
		id, auctionID, status, provider, auctionStatus string
		amount                                         int64
		hammer                                         *int64
	}
	err = tx.QueryRow(ctx, `SELECT d.id, d.auction_id, d.status, d.provider, d.amount, a.status, a.hammer_price
		FROM deposits d JOIN auctions a ON a.id = d.auction_id WHERE d.pay_reference = ANY($1) ORDER BY d.id LIMIT 1`, codes).
		Scan(&d.id, &d.auctionID, &d.status, &d.provider, &d.amount, &d.auctionStatus, &d.hammer)
	if errors.Is(err, pgx.ErrNoRows) {
		l.Note = payments.Note(payments.NoteNoDeposit, codes[0])
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	switch {
	case d.provider != payments.ProviderBank:
		l.Status, l.Note = payments.LinePartial, payments.Note(payments.NoteOtherProvider, d.provider)
		return nil, nil
	case d.status == auction.DepositPending && d.amount == l.Amount:
		l.MatchKind, l.MatchID = "deposit", &d.id
		return nil, s.inSavepoint(ctx, tx, l, func(sp pgx.Tx) error {
			dep, err := lockDeposit(ctx, sp, d.id)
			if err != nil {
				return err
			}
			_, err = s.confirmLocked(ctx, sp, dep, l.Reference)
			return err
		})
	case d.status == auction.DepositPending:
		l.MatchKind, l.MatchID = "deposit", &d.id
		l.Status, l.Note = payments.LinePartial, payments.Note(payments.NoteDepositDiffers, d.amount, l.Amount)
		return nil, nil
	case d.status == auction.DepositApplied && d.auctionStatus == auction.StatusSold:
		// The buyer quoted their code again: a balance payment.
		l.MatchKind, l.MatchID = "auction", &d.auctionID
		m, err := auctionOutstanding(ctx, tx, d.auctionID, *d.hammer)
		if err != nil {
			return nil, err
		}
		if m != l.Amount {
			l.Status, l.Note = payments.LinePartial, payments.Note(payments.NoteBalanceDiffers, m, l.Amount)
			return nil, nil
		}
		var events []auction.Event
		err = s.inSavepoint(ctx, tx, l, func(sp pgx.Tx) error {
			var err error
			_, events, err = s.bookBalancePayment(ctx, sp, by, d.auctionID, l.Amount, l.Reference)
			return err
		})
		if err != nil || len(events) == 0 {
			return nil, err
		}
		return []auction.Change{{AuctionID: d.auctionID, Events: events}}, nil
	}
	l.MatchKind, l.MatchID = "deposit", &d.id
	l.Status, l.Note = payments.LinePartial, payments.Note(payments.NoteDepositState, d.status)
	return nil, nil
}

// auctionOutstanding is what a sold auction's buyer still owes.
func auctionOutstanding(ctx context.Context, tx pgx.Tx, auctionID string, hammer int64) (int64, error) {
	var paid int64
	err := tx.QueryRow(ctx, `SELECT
			coalesce((SELECT sum(amount) FROM deposits WHERE auction_id = $1 AND status = 'applied'), 0)::bigint +
			coalesce((SELECT sum(amount - excess) FROM balance_payments WHERE auction_id = $1 AND owed_back_at IS NULL), 0)::bigint`,
		auctionID).Scan(&paid)
	return max(hammer-paid, 0), err
}

// inSavepoint books an exact match inside a savepoint: confirmed when it
// books, partial with the reason when the store refuses it (the import
// goes on with the other lines).
func (s *Store) inSavepoint(ctx context.Context, tx pgx.Tx, l *payments.StatementLine, book func(pgx.Tx) error) error {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return err
	}
	err = book(sp)
	var de *auction.Error
	if errors.As(err, &de) {
		l.Status, l.Note = payments.LinePartial, de.Message
		return sp.Rollback(ctx)
	}
	if err != nil {
		return err
	}
	l.Status = payments.LineConfirmed
	return sp.Commit(ctx)
}

// matchDebit matches a debit line to the refund or remittance booked with
// its reference (money out is always typed by finance first).
func matchDebit(ctx context.Context, tx pgx.Tx, l *payments.StatementLine) error {
	var id int64
	var amount int64
	err := tx.QueryRow(ctx, `SELECT t.id, -e.amount FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id AND e.account = $2
		WHERE t.reference = $1 AND t.kind IN ($3, $4, $5, $6) ORDER BY t.id LIMIT 1`,
		l.Reference, payments.AccountEscrow, payments.TxDepositRefunded, payments.TxExcessRefunded, payments.TxBalanceReturned, payments.TxProceedsRemitted).
		Scan(&id, &amount)
	if errors.Is(err, pgx.ErrNoRows) {
		l.Note = payments.Note(payments.NoteDebitUnbooked)
		return nil
	}
	if err != nil {
		return err
	}
	ref := fmt.Sprint(id)
	l.MatchKind, l.MatchID = "ledger_transaction", nil
	l.Note = payments.Note(payments.NoteLedgerTx, ref)
	l.Status = payments.LineBooked
	if amount != l.Amount {
		l.Status, l.Note = payments.LinePartial, payments.Note(payments.NoteLedgerDiffers, ref, amount, l.Amount)
	}
	return nil
}

// StatementLines lists imported lines finance still has to resolve
// (partial and unmatched), oldest first, or all lines of one import.
func (s *Store) StatementLines(ctx context.Context, importID string) ([]payments.StatementLine, error) {
	scan := func(r pgx.CollectableRow) (payments.StatementLine, error) {
		var l payments.StatementLine
		return l, r.Scan(&l.ID, &l.No, &l.Reference, &l.Direction, &l.Amount, &l.BookedOn, &l.Remittance, &l.CounterpartyName,
			&l.CounterpartyAccount, &l.Status, &l.MatchKind, &l.MatchID, &l.Note)
	}
	return pgtx.List(ctx, s.db.Pool, scan, `SELECT id, 0, reference, direction, amount, booked_on, remittance, counterparty_name, counterparty_account,
			status, match_kind, match_id::text, note
		FROM statement_lines WHERE ($1 = '' AND status IN ('partial', 'unmatched')) OR import_id::text = $1
		ORDER BY booked_on, reference`, importID)
}
