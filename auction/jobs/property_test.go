package jobs_test

import (
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"pgregory.net/rapid"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
	"gavel/payments"
	"gavel/payments/paymentstest"
)

// moneyChecks is how many random histories a plain `go test` tries; set
// -rapid.checks (or RAPID_CHECKS) for a longer search.
const moneyChecks = 15

func limitMoneyChecks() {
	if os.Getenv("RAPID_CHECKS") != "" {
		return
	}
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if !set {
		_ = flag.Set("rapid.checks", fmt.Sprint(moneyChecks))
	}
}

// For random histories of registrations (bank and Stripe), payments,
// webhooks (late, duplicated), provider failures, bids, closes, balance
// payments, defaults and refunds: every ledger transaction balances, no
// deposit is both applied and refunded, every deposit ends in exactly one
// final state, money moves at the provider at most once per direction, and
// the books reconcile with the provider records.
func TestMoneyProperty(t *testing.T) {
	limitMoneyChecks()
	t.Parallel()
	e := newEnv(t, envOpts{stripe: true})
	bank := postgres.New(postgres.Config{Pool: e.Pool, Clock: e.Clock, Rulebook: auction.SPC2016, Payments: payments.Bank{}, Hooks: e.jobs.Hooks()})
	users := make([]*auction.User, 4)
	for i := range users {
		users[i] = e.Bidder()
	}

	rapid.Check(t, func(rt *rapid.T) {
		w := e.In(rt)
		a := w.Announced("住宅")
		n := rapid.IntRange(1, len(users)).Draw(rt, "bidders")
		regs := make([]*auction.Registration, n)
		for i := range regs {
			st := e.Store
			if rapid.Bool().Draw(rt, fmt.Sprintf("bank%d", i)) {
				st = bank
			}
			reg, err := st.Register(e.Ctx, users[i], a.ID)
			if err != nil {
				rt.Fatal(err)
			}
			regs[i] = reg
		}
		status := func() *auction.Auction {
			got, err := e.Store.Auction(e.Ctx, a.ID)
			if err != nil {
				rt.Fatal(err)
			}
			return got
		}
		webhook := func(i int) {
			if regs[i].Deposit.Provider == payments.ProviderStripe {
				e.deliver(rt, "payment_intent.amount_capturable_updated", regs[i].Deposit.ID)
			}
		}
		pay := func(i int) {
			d := regs[i].Deposit
			if d.Provider == payments.ProviderBank {
				_, err := bank.ConfirmDeposit(e.Ctx, d.ID, fmt.Sprintf("BANK-%d", auctiontest.Next()))
				if err != nil && auction.ErrorCode(err) != auction.EDepositNotPending {
					rt.Fatal(err)
				}
				return
			}
			in, err := e.fake.Lookup(e.Ctx, e.fake.Ref(d.ID))
			if err != nil || in.Status != payments.IntentOpen {
				return
			}
			switch rapid.IntRange(0, 2).Draw(rt, "card") {
			case 0:
				e.fake.Authorize(in.Ref, e.Clock.Now().Add(7*24*time.Hour)) // lapses before the close
			case 1:
				e.fake.Authorize(in.Ref, a.EndsAt.Add(72*time.Hour))
			default:
				e.fake.Pay(in.Ref)
			}
			if rapid.Bool().Draw(rt, "webhook now") {
				webhook(i)
			}
		}
		steps := rapid.IntRange(0, 25).Draw(rt, "steps")
		for range steps {
			i := rapid.IntRange(0, n-1).Draw(rt, "who")
			switch rapid.IntRange(0, 8).Draw(rt, "action") {
			case 0, 1:
				pay(i)
			case 2:
				webhook(i)
			case 3:
				if status().Status == auction.StatusAnnounced {
					w.Open(a)
				}
			case 4, 5:
				cur := status()
				if cur.Status != auction.StatusBidding {
					continue
				}
				amount := cur.StartPrice
				if cur.CurrentPrice != nil {
					amount = *cur.CurrentPrice + cur.Increment
				}
				_, err := e.Store.PlaceBid(e.Ctx, auction.PlaceBid{AuctionID: a.ID, User: users[i], Amount: amount, Key: fmt.Sprintf("p%d", auctiontest.Next())})
				if code := auction.ErrorCode(err); err != nil && code != auction.ENotQualified && code != auction.EAlreadyLeading {
					rt.Fatal(err)
				}
			case 6:
				if status().Status == auction.StatusBidding {
					w.Close(a)
					e.settle(rt)
				}
			case 7:
				op := rapid.SampledFrom([]string{paymentstest.OpCapture, paymentstest.OpRelease, paymentstest.OpLookup}).Draw(rt, "failing op")
				e.fake.FailNext(op, rapid.IntRange(1, 2).Draw(rt, "failures"), rapid.Bool().Draw(rt, "after the work"))
			case 8:
				cur := status()
				if cur.Status != auction.StatusSold {
					continue
				}
				m, err := e.Store.AuctionMoney(e.Ctx, a.ID)
				if err != nil {
					rt.Fatal(err)
				}
				if m.Outstanding > 0 {
					part := rapid.Int64Range(1, m.Outstanding).Draw(rt, "balance")
					if _, _, err := e.Store.RecordBalancePayment(e.Ctx, e.Finance.ID, a.ID, part, fmt.Sprintf("BAL-%d", auctiontest.Next())); err != nil {
						rt.Fatal(err)
					}
				}
			}
		}

		// Run the history to its end: every webhook arrives, bidding closes,
		// the buyer pays or defaults, finance refunds the bank transfers.
		for i := range regs {
			webhook(i)
		}
		if status().Status == auction.StatusAnnounced {
			w.Open(a)
		}
		if status().Status == auction.StatusBidding {
			w.Close(a)
		}
		e.settle(rt)
		if cur := status(); cur.Status == auction.StatusSold {
			if rapid.Bool().Draw(rt, "buyer pays") {
				m, _ := e.Store.AuctionMoney(e.Ctx, a.ID)
				if _, _, err := e.Store.RecordBalancePayment(e.Ctx, e.Finance.ID, a.ID, m.Outstanding, fmt.Sprintf("BAL-%d", auctiontest.Next())); err != nil {
					rt.Fatal(err)
				}
			} else {
				e.Clock.Set(cur.BalanceDueAt.Add(time.Second))
				w.Tick()
			}
		}
		e.settle(rt)
		for _, r := range regs {
			d := e.deposit(rt, r.Deposit.ID)
			if d.Provider == payments.ProviderBank && d.Status == auction.DepositRefundPending {
				if _, err := bank.MarkRefunded(e.Ctx, d.ID, "REFUND-"+d.ID[:8]); err != nil {
					rt.Fatal(err)
				}
			}
		}
		e.checkMoney(rt, status(), regs)
	})
}

func (e *env) checkMoney(t *rapid.T, a *auction.Auction, regs []*auction.Registration) {
	var unbalanced int
	if err := e.Pool.QueryRow(e.Ctx, `SELECT count(*) FROM (SELECT transaction_id FROM ledger_entries GROUP BY 1 HAVING sum(amount) <> 0) x`).Scan(&unbalanced); err != nil {
		t.Fatal(err)
	}
	if unbalanced != 0 {
		t.Fatalf("%d ledger transactions do not sum to zero", unbalanced)
	}
	for i, r := range regs {
		d := e.deposit(t, r.Deposit.ID)
		kinds := map[string]int{}
		for _, k := range e.ledgerKinds(t, d.ID) {
			kinds[k]++
		}
		for k, n := range kinds {
			if n > 1 {
				t.Fatalf("deposit %d (%s): %d %s transactions", i, d.Provider, n, k)
			}
		}
		applied, refunded := kinds[payments.TxDepositApplied] == 1, kinds[payments.TxDepositRefunded] == 1
		if applied && refunded {
			t.Fatalf("deposit %d (%s) both applied and refunded", i, d.Provider)
		}
		var escrow int64
		if err := e.Pool.QueryRow(e.Ctx, `SELECT coalesce(sum(e.amount), 0)::bigint FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
			WHERE t.deposit_id = $1 AND e.account = 'court_escrow'`, d.ID).Scan(&escrow); err != nil {
			t.Fatal(err)
		}
		var final bool
		switch d.Status {
		case auction.DepositRefunded:
			final = kinds[payments.TxDepositHeld] == 1 && kinds[payments.TxDepositReleased] == 1 && refunded && escrow == 0
		case auction.DepositApplied:
			final = a.Status == auction.StatusSettled && applied && escrow == d.Amount
		case auction.DepositForfeited:
			final = a.Status == auction.StatusDefaulted && applied && kinds[payments.TxDepositForfeited] == 1 && escrow == d.Amount
		case auction.DepositPending:
			final = len(kinds) == 0
		}
		if !final {
			t.Fatalf("deposit %d (%s) ends %s with ledger %v, escrow %d, auction %s", i, d.Provider, d.Status, kinds, escrow, a.Status)
		}
		if d.Provider != payments.ProviderStripe {
			continue
		}
		captures, cancels, refunds := e.fake.Moves(d.ProviderRef)
		in, err := e.fake.Lookup(e.Ctx, d.ProviderRef)
		if err != nil {
			t.Fatal(err)
		}
		back := cancels + refunds
		ok := captures <= 1 && back <= 1
		switch d.Status {
		case auction.DepositRefunded:
			ok = ok && back == 1 && in.Released()
		case auction.DepositApplied, auction.DepositForfeited:
			// Taken, by Gavel's capture or by a card paid outright.
			ok = ok && back == 0 && in.Status == payments.IntentCaptured
		case auction.DepositPending:
			ok = ok && captures == 0 && refunds == 0 && !in.Paid()
		}
		if !ok {
			t.Fatalf("stripe deposit %d ends %s after %d captures, %d cancels, %d refunds; the provider says %s (refunded %d)",
				i, d.Status, captures, cancels, refunds, in.Status, in.Refunded)
		}
	}
	r, err := e.Store.Reconcile(e.Ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), e.Clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if r.LinesTotal.Differences != 0 || r.EscrowTotal.Difference != 0 {
		t.Fatalf("the books do not reconcile: %+v", r.Differences)
	}
}
