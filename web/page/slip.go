package page

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/payments"
	"gavel/web/request"
)

// DocSlip is the bidder's payment slip (缴款单), for PrintHeaders.
const DocSlip = "slip"

// slipDoc is what the payment slip shows: where to pay the deposit, how
// much, and the note code the transfer must quote.
type slipDoc struct {
	printBase
	Court, CaseNumber, LotTitle, Round string
	Deposit                            *auction.Deposit
	EndsAt                             time.Time
	// Open is whether bidding has begun: a transfer made now may not
	// clear before the close.
	Open bool
}

// PaymentSlip is GET /registrations/{id}/slip: the printable payment slip
// of the signed-in bidder's own bank deposit. Another person's
// registration is not found.
func (h *Handler) PaymentSlip(c echo.Context) error {
	ctx := c.Request().Context()
	u := request.User(c)
	if u == nil {
		return auction.Errorf(auction.ENotFound, "registration not found")
	}
	// Only the bidder's own registrations are looked in: another person's
	// is not found.
	regs, err := h.store.UserRegistrations(ctx, u.ID)
	if err != nil {
		return err
	}
	var reg *auction.Registration
	for i := range regs {
		if regs[i].ID == c.Param("id") {
			reg = &regs[i]
		}
	}
	if reg == nil {
		return auction.Errorf(auction.ENotFound, "registration not found")
	}
	if reg.Deposit.Provider != payments.ProviderBank || reg.Deposit.Amount == 0 {
		return auction.Errorf(auction.ENotFound, "this deposit is not paid by bank transfer")
	}
	a, err := h.store.Auction(ctx, reg.AuctionID)
	if err != nil {
		return err
	}
	cs, err := h.store.Case(ctx, a.CaseID)
	if err != nil {
		return err
	}
	doc := &slipDoc{printBase: h.printBase("竞买保证金缴款单 " + cs.CaseNumber), Court: cs.CourtName, CaseNumber: cs.CaseNumber,
		Round: roundNames[a.Round], Deposit: reg.Deposit, EndsAt: a.EndsAt, Open: a.Status == auction.StatusBidding}
	doc.NoIndex = true
	for _, l := range cs.Lots {
		if l.ID == a.LotID {
			doc.LotTitle = l.Title
		}
	}
	return h.renderPrint(c, http.StatusOK, "slip.html", doc)
}

// CourtAccounts is GET /admin/court-accounts: the courts' receiving
// accounts and the form an admin sets one with (PUT /api/v1/court-accounts).
func (h *Handler) CourtAccounts(c echo.Context) error {
	as, err := h.store.CourtAccounts(c.Request().Context())
	if err != nil {
		return err
	}
	p := h.newPage(c, "pay.accounts")
	p.Nav, p.Data = "accounts", as
	return h.render(c, http.StatusOK, "court_accounts.html", p)
}
