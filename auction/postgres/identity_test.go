package postgres_test

import (
	"strings"
	"sync"
	"testing"

	"gavel/auction"
	"gavel/auction/auctiontest"
)

// duplicateAccount stores a second bidder account of the person number as
// the identity review of migration 00008 leaves one it found: flagged
// 'duplicate', outside the one-account index, still working.
func duplicateAccount(t *testing.T, w *auctiontest.World, email, number string) *auction.User {
	t.Helper()
	var id string
	err := w.Store.Pool().QueryRow(w.Ctx, `INSERT INTO users (email, password_hash, role, real_name, id_number, phone, created_at, id_issue)
		VALUES ($1, 'x', 'bidder', 'dup', $2, '1', now(), 'duplicate') RETURNING id`, email, number).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	u, err := w.Store.User(w.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestOneBidderAccountPerPerson: a second bidder account for a person is
// id_number_taken however the number is typed, also when many sign-ups race;
// a staff account may carry the number of a bidder (the staff bar then
// refuses the bidder at registration).
func TestOneBidderAccountPerPerson(t *testing.T) {
	t.Parallel()
	w := setup(t)
	number := idn("one person")
	first := w.Person(number, "")
	if first.IDNumber != number || first.IDType != auction.IDResident || first.Verified {
		t.Fatalf("created %+v", first)
	}
	for i, typed := range []string{number, strings.ToLower(number) + "\u200b", " " + strings.Map(func(r rune) rune { return r - '0' + '０' }, number[:17]) + number[17:]} {
		_, err := w.Store.CreateUser(w.Ctx, auction.NewUser{Email: "again" + string(rune('a'+i)) + "@example.test", Password: "correct horse battery",
			Role: auction.RoleBidder, RealName: "x", IDNumber: typed, Phone: "1"})
		wantCode(t, err, auction.EIDNumberTaken)
	}

	racing := idn("racing person")
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.Store.CreateUser(w.Ctx, auction.NewUser{Email: "race" + string(rune('a'+i)) + "@example.test", Password: "correct horse battery",
				Role: auction.RoleBidder, RealName: "x", IDNumber: racing, Phone: "1"})
			code := "ok"
			if err != nil {
				code = auction.ErrorCode(err)
			}
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes["ok"] != 1 || codes[auction.EIDNumberTaken] != 15 {
		t.Fatalf("16 racing sign-ups of one person: %v", codes)
	}

	clerk, err := w.Store.CreateUser(w.Ctx, auction.NewUser{Email: "staff@example.test", Password: "correct horse battery",
		Role: auction.RoleClerk, RealName: "x", IDNumber: strings.ToLower(number)})
	if err != nil || clerk.IDNumber != number {
		t.Fatalf("staff account with a bidder's number: %+v %v", clerk, err)
	}
	a := w.Announced("住宅")
	_, err = w.Store.Register(w.Ctx, first, a.ID)
	wantCode(t, err, auction.EStaffCannotBid)

	_, err = w.Store.CreateUser(w.Ctx, auction.NewUser{Email: "bad@example.test", Password: "correct horse battery",
		Role: auction.RoleBidder, RealName: "x", IDNumber: "110105491231002"})
	if auction.ErrorCode(err) != auction.EInvalidField || !strings.Contains(err.Error(), "id_number: 15-digit") {
		t.Fatalf("15-digit number: %v", err)
	}
	co, err := w.Store.CreateUser(w.Ctx, auction.NewUser{Email: "co@example.test", Password: "correct horse battery",
		Role: auction.RoleBidder, RealName: "某公司", IDType: auction.IDCompany, IDNumber: "91350100m000100y43"})
	if err != nil || co.IDType != auction.IDCompany || co.IDNumber != "91350100M000100Y43" {
		t.Fatalf("company bidder: %+v %v", co, err)
	}
}

// TestEntriesNormaliseNumbers: case parties, priority holders and the
// restriction list store numbers in normal form and refuse invalid ones
// naming the entry, so the bar matches a number typed any way.
func TestEntriesNormaliseNumbers(t *testing.T) {
	t.Parallel()
	w := setup(t)
	person := idn("listed person")
	_, err := w.Store.CreateCase(w.Ctx, w.Clerk.ID, auction.NewCase{CaseNumber: "(2026)沪01执900号", CourtName: "x",
		Applicants: []auction.Party{{Name: "a", IDNumber: person, Claim: ptr[int64](1)}}, Debtors: []auction.Party{{Name: "d", IDNumber: "12345"}}})
	if auction.ErrorCode(err) != auction.EInvalidField || !strings.Contains(err.Error(), "debtors[0].id_number") {
		t.Fatalf("invalid debtor number: %v", err)
	}
	c, err := w.Store.CreateCase(w.Ctx, w.Clerk.ID, auction.NewCase{CaseNumber: "(2026)沪01执901号", CourtName: "x",
		Applicants: []auction.Party{{Name: "银行", IDType: auction.IDCompany, IDNumber: "91350100m000100y43", Claim: ptr[int64](1)}},
		Debtors:    []auction.Party{{Name: "d", IDNumber: strings.ToLower(person) + "\ufeff"}}})
	if err != nil || c.Applicants[0].IDNumber != "91350100M000100Y43" || c.Applicants[0].IDType != auction.IDCompany || c.Debtors[0].IDNumber != person {
		t.Fatalf("case %+v %v", c, err)
	}
	lot := w.Lot(w.Case(1_000_000).ID, "商铺", 100_000_000)
	_, err = w.Store.AddPriorityHolder(w.Ctx, lot.ID, auction.NewPriorityHolder{Name: "h", IDNumber: person[:17] + "0", Rank: 1})
	if person[17] != '0' {
		wantCode(t, err, auction.EInvalidField)
	}
	h, err := w.Store.AddPriorityHolder(w.Ctx, lot.ID, auction.NewPriorityHolder{Name: "h", IDNumber: " " + strings.ToLower(person), Rank: 1})
	if err != nil || h.IDNumber != person {
		t.Fatalf("holder %+v %v", h, err)
	}
	_, err = w.Store.ImportBlacklist(w.Ctx, "api", []auction.BlacklistEntry{{Name: "ok", IDNumber: idn("x"), CaseNumber: "c"}, {Name: "bad", IDNumber: "ABC", CaseNumber: "c"}})
	if auction.ErrorCode(err) != auction.EInvalidField || !strings.Contains(err.Error(), "entries[1].id_number") {
		t.Fatalf("invalid list entry: %v", err)
	}
	bidder := w.Verified(person, "")
	if _, err := w.Store.ImportBlacklist(w.Ctx, "csv", []auction.BlacklistEntry{{Name: "listed", IDNumber: "\u200b" + strings.ToLower(person), CaseNumber: "c"}}); err != nil {
		t.Fatal(err)
	}
	a := w.Announced("住宅")
	_, err = w.Store.Register(w.Ctx, bidder, a.ID)
	wantCode(t, err, auction.EBidderRestricted)
}

// TestPrivilegesNeedVerification: an unverified account using a creditor's
// or a priority holder's number owes the full deposit and gets no rank; the
// restriction list bars it all the same. Once a clerk verifies the person,
// the exemption and the rank apply.
func TestPrivilegesNeedVerification(t *testing.T) {
	t.Parallel()
	w := setup(t)
	creditor, holder := idn("creditor"), idn("holder")
	a := w.AnnouncedOf(auction.NewCase{Applicants: []auction.Party{{Name: "债权人", IDNumber: creditor, Claim: ptr[int64](1 << 40)}}},
		auction.NewLot{Category: auction.CategoryEquity})
	w.Holder(a.LotID, auction.NewPriorityHolder{Name: "承租人", IDNumber: holder, Rank: 1})
	squatter := w.Person(creditor, "")
	reg, err := w.Store.Register(w.Ctx, squatter, a.ID)
	if err != nil || reg.Deposit.Amount != a.Deposit || reg.Status != auction.RegistrationPending || reg.BidderCode != nil {
		t.Fatalf("unverified applicant's number: %+v %v", reg, err)
	}
	claimant := w.Person(holder, "")
	reg, err = w.Store.Register(w.Ctx, claimant, a.ID)
	if err != nil || reg.PriorityRank != nil || reg.Deposit.Amount != a.Deposit {
		t.Fatalf("unverified holder's number: %+v %v", reg, err)
	}

	second := w.AnnouncedOf(auction.NewCase{Applicants: []auction.Party{{Name: "债权人", IDNumber: creditor, Claim: ptr[int64](1 << 40)}}},
		auction.NewLot{Category: auction.CategoryEquity})
	w.Holder(second.LotID, auction.NewPriorityHolder{Name: "承租人", IDNumber: holder, Rank: 1})
	for _, u := range []*auction.User{squatter, claimant} {
		v, err := w.Store.VerifyUser(w.Ctx, w.Clerk, u.ID, auction.Verification{Method: auction.VerifyDesk, Reference: "file 1"})
		if err != nil || !v.Verified {
			t.Fatalf("verify: %+v %v", v, err)
		}
	}
	squatter, _ = w.Store.User(w.Ctx, squatter.ID)
	claimant, _ = w.Store.User(w.Ctx, claimant.ID)
	reg, err = w.Store.Register(w.Ctx, squatter, second.ID)
	if err != nil || reg.Deposit.Amount != 0 || reg.Status != auction.RegistrationQualified {
		t.Fatalf("verified applicant: %+v %v", reg, err)
	}
	reg, err = w.Store.Register(w.Ctx, claimant, second.ID)
	if err != nil || reg.PriorityRank == nil || *reg.PriorityRank != 1 {
		t.Fatalf("verified holder: %+v %v", reg, err)
	}
}

// TestVerifyReleasesOtherClaims: verifying a person takes the number from
// every unverified account claiming it (told through id_claim_released_at,
// audited, out of the identity issues), refuses when another account is
// already verified as the person, and can replace an invalid number with the
// one on the documents.
func TestVerifyReleasesOtherClaims(t *testing.T) {
	t.Parallel()
	w := setup(t)
	person := idn("squatted person")
	squatter := w.Person(person, "")
	real := duplicateAccount(t, w, "real@example.test", person)
	issues, err := w.Store.IdentityIssues(w.Ctx)
	if err != nil || len(issues) != 1 || issues[0].ID != real.ID || *issues[0].Issue != "duplicate" || issues[0].HolderID == nil || *issues[0].HolderID != squatter.ID {
		t.Fatalf("issues before: %+v %v", issues, err)
	}
	found, err := w.Store.UsersByIDNumber(w.Ctx, " "+strings.ToLower(person)+"\u200b")
	if err != nil || len(found) != 2 {
		t.Fatalf("users by number: %+v %v", found, err)
	}

	v, err := w.Store.VerifyUser(w.Ctx, w.Clerk, real.ID, auction.Verification{Method: auction.VerifyDesk, Reference: "窗口 2026-001"})
	if err != nil || !v.Verified || v.IDNumber != person {
		t.Fatalf("verify: %+v %v", v, err)
	}
	lost, err := w.Store.User(w.Ctx, squatter.ID)
	if err != nil || lost.IDNumber != "" || lost.IDClaimReleasedAt == nil {
		t.Fatalf("squatter after: %+v %v", lost, err)
	}
	a := w.Announced("住宅")
	_, err = w.Store.Register(w.Ctx, lost, a.ID)
	wantCode(t, err, auction.EInvalidField)
	if issues, err := w.Store.IdentityIssues(w.Ctx); err != nil || len(issues) != 0 {
		t.Fatalf("issues after: %+v %v", issues, err)
	}
	page, err := w.Store.AuditLog(w.Ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]string{}
	for _, e := range page.Entries {
		actions[e.Action] = e.Target
	}
	if actions["identity claim released"] != squatter.ID || actions["identity verified"] != real.ID {
		t.Fatalf("audit: %v", actions)
	}

	// Nobody takes a verified person's number.
	other := duplicateAccount(t, w, "other@example.test", person)
	_, err = w.Store.VerifyUser(w.Ctx, w.Clerk, other.ID, auction.Verification{Method: auction.VerifyDesk, Reference: "x"})
	wantCode(t, err, auction.EIDNumberTaken)

	// An account flagged invalid is verified with the number on the documents.
	var badID string
	if err := w.Store.Pool().QueryRow(w.Ctx, `INSERT INTO users (email, password_hash, role, id_number, created_at, id_issue)
		VALUES ('bad@example.test', 'x', 'bidder', '110105194912310021', now(), 'invalid') RETURNING id`).Scan(&badID); err != nil {
		t.Fatal(err)
	}
	_, err = w.Store.VerifyUser(w.Ctx, w.Clerk, badID, auction.Verification{Method: auction.VerifyDesk, Reference: "x", IDNumber: "110105194912310021"})
	wantCode(t, err, auction.EInvalidField)
	fixed, err := w.Store.VerifyUser(w.Ctx, w.Clerk, badID, auction.Verification{Method: auction.VerifyDesk, Reference: "x", IDNumber: "11010519491231002x"})
	if err != nil || fixed.IDNumber != "11010519491231002X" || !fixed.Verified {
		t.Fatalf("fixed: %+v %v", fixed, err)
	}
	for _, v := range []auction.Verification{{Method: "phone", Reference: "x"}, {Method: "desk"}, {Method: "desk", Reference: "a\x00b"}, {Method: "desk", Reference: strings.Repeat("x", 201)}} {
		_, err := w.Store.VerifyUser(w.Ctx, w.Clerk, badID, v)
		wantCode(t, err, auction.EInvalidField)
	}
	_, err = w.Store.VerifyUser(w.Ctx, w.Clerk, "00000000-0000-0000-0000-000000000000", auction.Verification{Method: "desk", Reference: "x"})
	wantCode(t, err, auction.ENotFound)
}

// TestConcurrentVerificationsOfOnePerson: two accounts claiming one person
// verified at the same moment (two desks) take their locks in one order:
// one is verified, the other is refused with a domain error, never a
// deadlock.
func TestConcurrentVerificationsOfOnePerson(t *testing.T) {
	t.Parallel()
	w := setup(t)
	for round := range 20 {
		person := idn("twice verified " + strings.Repeat("x", round))
		first := w.Person(person, "")
		second := duplicateAccount(t, w, "twice"+strings.Repeat("x", round)+"@example.test", person)
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, 2)
		for i, u := range []*auction.User{first, second} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = w.Store.VerifyUser(w.Ctx, w.Clerk, u.ID, auction.Verification{Method: auction.VerifyDesk, Reference: "desk"})
			}()
		}
		close(start)
		wg.Wait()
		verified := 0
		for _, err := range errs {
			switch {
			case err == nil:
				verified++
			case auction.ErrorCode(err) != auction.EIDNumberTaken && auction.ErrorCode(err) != auction.EInvalidField:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if verified != 1 {
			t.Fatalf("round %d: %d verified (%v)", round, verified, errs)
		}
	}
}

// TestVerifyWhileTheAccountActs: a staff account verified while it acts
// (each action leaves an audit entry naming it) is verified, and every
// action is audited; the verification's row lock and the audit entry's
// reference to the account never deadlock.
func TestVerifyWhileTheAccountActs(t *testing.T) {
	t.Parallel()
	w := setup(t)
	for round := range 12 {
		clerk := w.Account(auction.NewUser{Role: auction.RoleClerk, IDNumber: idn("acting clerk " + strings.Repeat("x", round))})
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if i == 0 {
					_, errs[i] = w.Store.VerifyUser(w.Ctx, w.Clerk, clerk.ID, auction.Verification{Method: auction.VerifyDesk, Reference: "desk"})
					return
				}
				_, errs[i] = w.Store.Audit(w.Ctx, auction.NewAuditEntry{ActorID: clerk.ID, ActorRole: auction.RoleClerk, Action: "court suspend", Target: clerk.ID})
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, call %d: %v", round, i, err)
			}
		}
	}
}
