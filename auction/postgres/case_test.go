package postgres_test

import (
	"testing"
	"time"

	"gavel/auction"
)

func TestCasesAndLots(t *testing.T) {
	t.Parallel()
	b := setup(t)
	nc := auction.NewCase{CaseNumber: "(2026)沪0101执1号", CourtName: "上海市黄浦区人民法院",
		Applicants: []auction.Party{{Name: "张三", IDNumber: idn("A1"), Claim: ptr[int64](100)}}, Debtors: []auction.Party{{Name: "李四", IDNumber: idn("D1")}}}
	c, err := b.store.CreateCase(b.ctx, b.clerk.ID, nc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.store.CreateCase(b.ctx, b.clerk.ID, nc)
	wantCode(t, err, auction.ECaseExists)
	for name, bad := range map[string]auction.NewCase{
		"no case number":       {CourtName: "x"},
		"no court":             {CaseNumber: "n1"},
		"applicant sans claim": {CaseNumber: "n2", CourtName: "x", Applicants: []auction.Party{{Name: "a", IDNumber: idn("1")}}},
		"negative claim":       {CaseNumber: "n3", CourtName: "x", Applicants: []auction.Party{{Name: "a", IDNumber: idn("1"), Claim: ptr[int64](-1)}}},
		"debtor sans id":       {CaseNumber: "n4", CourtName: "x", Debtors: []auction.Party{{Name: "a"}}},
	} {
		_, err := b.store.CreateCase(b.ctx, b.clerk.ID, bad)
		if auction.ErrorCode(err) != auction.EInvalidField {
			t.Errorf("%s: %v", name, err)
		}
	}

	desc := "三室一厅，朝南。\n第二行\t带制表符 🏠 \"引号\" <b>不是HTML</b>\n"
	lot, err := b.store.CreateLot(b.ctx, c.ID, auction.NewLot{Title: "  黄浦区某路1号 ", Description: desc, Category: auction.CategoryRealEstate, AppraisalValue: 5_000_000_00})
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.store.Lot(b.ctx, lot.ID)
	if err != nil || got.Title != "  黄浦区某路1号 " || got.Description != desc || got.CaseID != c.ID {
		t.Fatalf("lot not stored exactly: %q %q %v", got.Title, got.Description, err)
	}
	for name, bad := range map[string]auction.NewLot{
		"no title":       {Category: auction.CategoryOther, AppraisalValue: 1},
		"bad category":   {Title: "x", Category: "boat", AppraisalValue: 1},
		"zero appraisal": {Title: "x", Category: auction.CategoryOther},
	} {
		_, err := b.store.CreateLot(b.ctx, c.ID, bad)
		if auction.ErrorCode(err) != auction.EInvalidField {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err = b.store.CreateLot(b.ctx, "00000000-0000-0000-0000-000000000000", auction.NewLot{Title: "x", Category: auction.CategoryOther, AppraisalValue: 1})
	wantCode(t, err, auction.ENotFound)

	full, err := b.store.Case(b.ctx, c.ID)
	if err != nil || len(full.Lots) != 1 || full.Lots[0].ID != lot.ID || len(full.Applicants) != 1 || len(full.Debtors) != 1 {
		t.Fatalf("case with lots: %+v %v", full, err)
	}

	if _, err := b.store.AddPriorityHolder(b.ctx, lot.ID, auction.NewPriorityHolder{Name: "承租人", IDNumber: idn("P1"), Rank: 1}); err != nil {
		t.Fatal(err)
	}
	_, err = b.store.AddPriorityHolder(b.ctx, lot.ID, auction.NewPriorityHolder{Name: "again", IDNumber: idn("P1"), Rank: 2})
	wantCode(t, err, auction.EInvalidState)
	_, err = b.store.AddPriorityHolder(b.ctx, lot.ID, auction.NewPriorityHolder{Name: "x", IDNumber: idn("P2"), Rank: 0})
	wantCode(t, err, auction.EInvalidField)
}

// TestScheduleAgainstHistory: the rounds a lot already has decide what may be
// scheduled next (round_not_allowed, price_cut_too_large).
func TestScheduleAgainstHistory(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.mustAuction(t, lotParams{}) // announced first round, start 70,000,000
	starts := a.EndsAt.Add(20 * 24 * time.Hour)
	round := func(r string, start int64) auction.ScheduleParams {
		return auction.ScheduleParams{LotID: a.LotID, Round: r, StartPrice: start, Increment: 100_000, Deposit: start / 10,
			StartsAt: starts, EndsAt: starts.Add(24 * time.Hour)}
	}
	_, err := b.store.ScheduleAuction(b.ctx, round(auction.RoundFirst, a.StartPrice))
	wantCode(t, err, auction.ERoundNotAllowed) // another round is announced
	_, err = b.store.ScheduleAuction(b.ctx, round(auction.RoundSecond, a.StartPrice*8/10))
	wantCode(t, err, auction.ERoundNotAllowed)

	b.open(t, a)
	_, err = b.store.ScheduleAuction(b.ctx, round(auction.RoundSecond, a.StartPrice*8/10))
	wantCode(t, err, auction.ERoundNotAllowed) // bidding
	b.clock.Set(a.EndsAt)
	b.tick(t)
	if got, _ := b.store.Auction(b.ctx, a.ID); got.Status != auction.StatusFailed {
		t.Fatalf("no bids: %s", got.Status)
	}
	_, err = b.store.ScheduleAuction(b.ctx, round(auction.RoundSecond, a.StartPrice*8/10-1))
	wantCode(t, err, auction.EPriceCutTooLarge)
	second, err := b.store.ScheduleAuction(b.ctx, round(auction.RoundSecond, a.StartPrice*8/10))
	if err != nil {
		t.Fatal(err)
	}
	if second.Status != auction.StatusDraft || second.BalanceDueDays != 10 || second.Rulebook != "spc2016" || second.Seq != 0 {
		t.Fatalf("draft: %+v", second)
	}
	_, err = b.store.ScheduleAuction(b.ctx, round(auction.RoundSale, a.StartPrice*8/10))
	wantCode(t, err, auction.ERoundNotAllowed) // the second round has not failed
	_, err = b.store.PublishAuction(b.ctx, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.store.PublishAuction(b.ctx, second.ID)
	wantCode(t, err, auction.EInvalidState)
	_, err = b.store.ScheduleAuction(b.ctx, auction.ScheduleParams{LotID: "00000000-0000-0000-0000-000000000000", Round: auction.RoundFirst})
	wantCode(t, err, auction.ENotFound)
}
