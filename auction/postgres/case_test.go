package postgres_test

import (
	"testing"
	"time"

	"gavel/auction"
)

func TestCasesAndLots(t *testing.T) {
	t.Parallel()
	w := setup(t)
	nc := auction.NewCase{CaseNumber: "(2026)沪0101执1号", CourtName: "上海市黄浦区人民法院",
		Applicants: []auction.Party{{Name: "张三", IDNumber: idn("A1"), Claim: ptr[int64](100)}}, Debtors: []auction.Party{{Name: "李四", IDNumber: idn("D1")}}}
	c, err := w.Store.CreateCase(w.Ctx, w.Clerk.ID, nc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Store.CreateCase(w.Ctx, w.Clerk.ID, nc)
	wantCode(t, err, auction.ECaseExists)
	for name, bad := range map[string]auction.NewCase{
		"no case number":       {CourtName: "x"},
		"no court":             {CaseNumber: "n1"},
		"applicant sans claim": {CaseNumber: "n2", CourtName: "x", Applicants: []auction.Party{{Name: "a", IDNumber: idn("1")}}},
		"negative claim":       {CaseNumber: "n3", CourtName: "x", Applicants: []auction.Party{{Name: "a", IDNumber: idn("1"), Claim: ptr[int64](-1)}}},
		"debtor sans id":       {CaseNumber: "n4", CourtName: "x", Debtors: []auction.Party{{Name: "a"}}},
	} {
		_, err := w.Store.CreateCase(w.Ctx, w.Clerk.ID, bad)
		if auction.ErrorCode(err) != auction.EInvalidField {
			t.Errorf("%s: %v", name, err)
		}
	}

	desc := "三室一厅，朝南。\n第二行\t带制表符 🏠 \"引号\" <b>不是HTML</b>\n"
	lot, err := w.Store.CreateLot(w.Ctx, c.ID, auction.NewLot{Title: "  黄浦区某路1号 ", Description: desc, Category: auction.CategoryRealEstate, AppraisalValue: 5_000_000_00})
	if err != nil {
		t.Fatal(err)
	}
	got, err := w.Store.Lot(w.Ctx, lot.ID)
	if err != nil || got.Title != "  黄浦区某路1号 " || got.Description != desc || got.CaseID != c.ID {
		t.Fatalf("lot not stored exactly: %q %q %v", got.Title, got.Description, err)
	}
	for name, bad := range map[string]auction.NewLot{
		"no title":       {Category: auction.CategoryOther, AppraisalValue: 1},
		"bad category":   {Title: "x", Category: "boat", AppraisalValue: 1},
		"zero appraisal": {Title: "x", Category: auction.CategoryOther},
	} {
		_, err := w.Store.CreateLot(w.Ctx, c.ID, bad)
		if auction.ErrorCode(err) != auction.EInvalidField {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err = w.Store.CreateLot(w.Ctx, "00000000-0000-0000-0000-000000000000", auction.NewLot{Title: "x", Category: auction.CategoryOther, AppraisalValue: 1})
	wantCode(t, err, auction.ENotFound)

	full, err := w.Store.Case(w.Ctx, c.ID)
	if err != nil || len(full.Lots) != 1 || full.Lots[0].ID != lot.ID || len(full.Applicants) != 1 || len(full.Debtors) != 1 {
		t.Fatalf("case with lots: %+v %v", full, err)
	}

	if _, err := w.Store.AddPriorityHolder(w.Ctx, lot.ID, auction.NewPriorityHolder{Name: "承租人", IDNumber: idn("P1"), Rank: 1}); err != nil {
		t.Fatal(err)
	}
	_, err = w.Store.AddPriorityHolder(w.Ctx, lot.ID, auction.NewPriorityHolder{Name: "again", IDNumber: idn("P1"), Rank: 2})
	wantCode(t, err, auction.EInvalidState)
	_, err = w.Store.AddPriorityHolder(w.Ctx, lot.ID, auction.NewPriorityHolder{Name: "x", IDNumber: idn("P2"), Rank: 0})
	wantCode(t, err, auction.EInvalidField)
}

// TestScheduleAgainstHistory: the rounds a lot already has decide what may be
// scheduled next (round_not_allowed, price_cut_too_large).
func TestScheduleAgainstHistory(t *testing.T) {
	t.Parallel()
	w := setup(t)
	a := w.Announced("住宅") // announced first round, start 70,000,000
	starts := a.EndsAt.Add(20 * 24 * time.Hour)
	round := func(r string, start int64) auction.ScheduleParams {
		return auction.ScheduleParams{LotID: a.LotID, Round: r, StartPrice: start, Increment: 100_000, Deposit: start / 10,
			StartsAt: starts, EndsAt: starts.Add(24 * time.Hour)}
	}
	_, err := w.Store.ScheduleAuction(w.Ctx, round(auction.RoundFirst, a.StartPrice))
	wantCode(t, err, auction.ERoundNotAllowed) // another round is announced
	_, err = w.Store.ScheduleAuction(w.Ctx, round(auction.RoundSecond, a.StartPrice*8/10))
	wantCode(t, err, auction.ERoundNotAllowed)

	w.Open(a)
	_, err = w.Store.ScheduleAuction(w.Ctx, round(auction.RoundSecond, a.StartPrice*8/10))
	wantCode(t, err, auction.ERoundNotAllowed) // bidding
	w.TickAt(a.EndsAt)
	if got, _ := w.Store.Auction(w.Ctx, a.ID); got.Status != auction.StatusFailed {
		t.Fatalf("no bids: %s", got.Status)
	}
	_, err = w.Store.ScheduleAuction(w.Ctx, round(auction.RoundSecond, a.StartPrice*8/10-1))
	wantCode(t, err, auction.EPriceCutTooLarge)
	second, err := w.Store.ScheduleAuction(w.Ctx, round(auction.RoundSecond, a.StartPrice*8/10))
	if err != nil {
		t.Fatal(err)
	}
	if second.Status != auction.StatusDraft || second.BalanceDueDays != 10 || second.Rulebook != "spc2016" || second.Seq != 0 {
		t.Fatalf("draft: %+v", second)
	}
	_, err = w.Store.ScheduleAuction(w.Ctx, round(auction.RoundSale, a.StartPrice*8/10))
	wantCode(t, err, auction.ERoundNotAllowed) // the second round has not failed
	_, err = w.Store.PublishAuction(w.Ctx, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Store.PublishAuction(w.Ctx, second.ID)
	wantCode(t, err, auction.EInvalidState)
	_, err = w.Store.ScheduleAuction(w.Ctx, auction.ScheduleParams{LotID: "00000000-0000-0000-0000-000000000000", Round: auction.RoundFirst})
	wantCode(t, err, auction.ENotFound)
}
