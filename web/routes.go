package web

import (
	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/web/api"
	"gavel/web/live"
	"gavel/web/page"
)

// Route is one entry of the route table: what it serves, who may call it
// and its handler. TestAuthorizationMatrix calls every route as every role
// and checks that exactly Access is admitted, and that nothing is on the
// router that the table does not list.
type Route struct {
	Method, Path string
	Access       Access
	// Page marks an HTML page or printable document: a signed-out visitor
	// is sent to sign in (303) rather than answered 401, and a refusal is
	// shown as a page.
	Page    bool
	Handler echo.HandlerFunc
	// Before run outside the role check (headers, timing, the watcher
	// count); After run inside it (a route's own body limit).
	Before, After []echo.MiddlewareFunc
}

// Access is who may call a route.
type Access struct {
	// Public routes need no sign-in.
	Public bool
	// Roles are admitted when the route is not public; none: any signed-in
	// account.
	Roles []string
}

// Who may call what. Roles are checked here; the store still decides every
// rule (a clerk may call POST /bids and is refused staff_cannot_bid).
var (
	anyone      = Access{Public: true}
	signedIn    = Access{}
	staff       = Access{Roles: []string{auction.RoleClerk, auction.RoleFinance, auction.RoleAuditor, auction.RoleAdmin}}
	clerk       = Access{Roles: []string{auction.RoleClerk, auction.RoleAdmin}}
	finance     = Access{Roles: []string{auction.RoleFinance, auction.RoleAdmin}}
	financeRead = Access{Roles: []string{auction.RoleFinance, auction.RoleAuditor, auction.RoleAdmin}}
	courtRead   = Access{Roles: []string{auction.RoleClerk, auction.RoleAuditor, auction.RoleAdmin}}
	auditRead   = Access{Roles: []string{auction.RoleAuditor, auction.RoleAdmin}}
	// caseStaff may act on case reporting: an auditor reads everything and
	// changes nothing, a re-send included.
	caseStaff = Access{Roles: []string{auction.RoleClerk, auction.RoleFinance, auction.RoleAdmin}}
	adminOnly = Access{Roles: []string{auction.RoleAdmin}}
)

// uploadRoute takes photos and documents up to their own, larger limit.
const uploadRoute = "/api/v1/lots/:id/documents"

// routeTable is every route of the server. A new route is one line here
// (and one in openapi.yaml for the API): who may call it is decided where
// it is added.
func (s *Server) routeTable(a *api.Handler, p *page.Handler, socket *live.Socket) []Route {
	const v1 = "/api/v1"
	pageHeaders := []echo.MiddlewareFunc{p.Headers}
	rs := []Route{
		{Method: "GET", Path: "/healthz", Access: anyone, Handler: s.handleHealthz},
		{Method: "GET", Path: "/metrics", Access: anyone, Handler: s.handleMetrics},
		{Method: "GET", Path: "/readyz", Access: anyone, Handler: s.handleReadyz},
		{Method: "GET", Path: v1 + "/openapi.yaml", Access: anyone, Handler: serveOpenAPI},

		// Accounts (api/auth.go).
		{Method: "POST", Path: v1 + "/auth/signup", Access: anyone, Handler: a.Signup},
		{Method: "POST", Path: v1 + "/auth/login", Access: anyone, Handler: a.Login},
		{Method: "POST", Path: v1 + "/auth/logout", Access: signedIn, Handler: a.Logout},
		{Method: "GET", Path: v1 + "/me", Access: signedIn, Handler: a.Me},
		{Method: "GET", Path: v1 + "/me/registrations", Access: signedIn, Handler: a.MyRegistrations},
		// Verified identity (api/identity.go).
		{Method: "GET", Path: v1 + "/users", Access: clerk, Handler: a.UsersByIDNumber},
		{Method: "POST", Path: v1 + "/users/:id/verify", Access: clerk, Handler: a.UserVerify},
		{Method: "POST", Path: v1 + "/me/verify", Access: Access{Roles: []string{auction.RoleBidder}}, Handler: a.MeVerify},
		{Method: "GET", Path: v1 + "/admin/identity-issues", Access: Access{Roles: []string{auction.RoleAdmin}}, Handler: a.IdentityIssues},

		// Watch list and notices (api/notices.go): every role has its own.
		{Method: "PUT", Path: v1 + "/me/watchlist/:id", Access: signedIn, Handler: a.Watch},
		{Method: "DELETE", Path: v1 + "/me/watchlist/:id", Access: signedIn, Handler: a.Unwatch},
		{Method: "GET", Path: v1 + "/me/watchlist", Access: signedIn, Handler: a.Watchlist},
		{Method: "GET", Path: v1 + "/me/notifications", Access: signedIn, Handler: a.Notices},
		{Method: "POST", Path: v1 + "/me/notifications/read", Access: signedIn, Handler: a.NoticesRead},
		{Method: "GET", Path: v1 + "/me/notification-settings", Access: signedIn, Handler: a.NoticeSettings},
		{Method: "PUT", Path: v1 + "/me/notification-settings", Access: signedIn, Handler: a.NoticeSettingsSet},
		{Method: "POST", Path: v1 + "/notices/unsubscribe", Access: anyone, Handler: a.Unsubscribe},

		// Cases, lots and rounds (api/clerk.go).
		{Method: "GET", Path: v1 + "/cases", Access: staff, Handler: a.CaseList},
		{Method: "POST", Path: v1 + "/cases", Access: clerk, Handler: a.CaseCreate},
		{Method: "GET", Path: v1 + "/cases/:id", Access: staff, Handler: a.CaseView},
		{Method: "POST", Path: v1 + "/cases/:id/lots", Access: clerk, Handler: a.LotCreate},
		{Method: "POST", Path: v1 + "/cases/:id/lots/import", Access: clerk, Handler: a.LotImport},
		{Method: "GET", Path: v1 + "/cases/:id/proceeds", Access: staff, Handler: a.CaseProceeds},
		{Method: "GET", Path: v1 + "/lots/:id", Access: staff, Handler: a.LotView},
		{Method: "POST", Path: v1 + "/lots/:id/priority-holders", Access: clerk, Handler: a.PriorityHolderCreate},
		{Method: "POST", Path: uploadRoute, Access: clerk, Handler: a.DocumentUpload,
			After: []echo.MiddlewareFunc{bodyLimit(auction.MaxDocumentSize + 64<<10)}},
		{Method: "GET", Path: v1 + "/documents/:id", Access: anyone, Handler: a.Document},
		{Method: "POST", Path: v1 + "/lots/:id/auctions", Access: clerk, Handler: a.AuctionCreate},
		{Method: "POST", Path: v1 + "/auctions/:id/publish", Access: clerk, Handler: a.AuctionPublish},
		{Method: "POST", Path: v1 + "/auctions/:id/resume", Access: clerk, Handler: a.AuctionResume},
		// Editing unpublished lots and drafts, correcting published lots (api/corrections.go).
		{Method: "PATCH", Path: v1 + "/lots/:id", Access: clerk, Handler: a.LotUpdate},
		{Method: "DELETE", Path: v1 + "/lots/:id", Access: clerk, Handler: a.LotDelete},
		{Method: "PUT", Path: v1 + "/auctions/:id", Access: clerk, Handler: a.DraftUpdate},
		{Method: "DELETE", Path: v1 + "/auctions/:id", Access: clerk, Handler: a.DraftDelete},
		{Method: "POST", Path: v1 + "/lots/:id/corrections", Access: clerk, Handler: a.LotCorrect},
		{Method: "GET", Path: v1 + "/lots/:id/corrections", Access: anyone, Handler: a.LotCorrections},
		{Method: "POST", Path: v1 + "/blacklist", Access: clerk, Handler: a.BlacklistImport},
		{Method: "POST", Path: v1 + "/blacklist/remove", Access: clerk, Handler: a.BlacklistRemove},

		// Court actions on an auction (api/court.go) and what an annulment owes back.
		{Method: "POST", Path: v1 + "/auctions/:id/suspend", Access: clerk, Handler: a.AuctionSuspend},
		{Method: "POST", Path: v1 + "/auctions/:id/cancel", Access: clerk, Handler: a.AuctionCancel},
		{Method: "POST", Path: v1 + "/auctions/:id/annul", Access: clerk, Handler: a.AuctionAnnul},
		{Method: "GET", Path: v1 + "/balance-returns", Access: financeRead, Handler: a.BalanceReturns},
		{Method: "POST", Path: v1 + "/balance-payments/:id/returned", Access: finance, Handler: a.BalanceReturned},
		// The results board is public (api/results.go).
		{Method: "GET", Path: v1 + "/results", Access: anyone, Handler: a.Results},
		// A round's documents (api/documents.go): public; edited by clerks before publication.
		{Method: "GET", Path: v1 + "/auctions/:id/documents", Access: anyone, Handler: a.AuctionDocuments},
		{Method: "PUT", Path: v1 + "/auctions/:id/documents/:kind", Access: clerk, Handler: a.AuctionDocumentEdit},
		{Method: "GET", Path: v1 + "/auctions/:id/documents/:kind/versions", Access: staff, Handler: a.AuctionDocumentVersions},

		// The public catalogue and record (api/public.go, live/socket.go).
		{Method: "GET", Path: v1 + "/auctions", Access: anyone, Handler: a.AuctionList},
		{Method: "GET", Path: v1 + "/auctions/:id", Access: anyone, Handler: a.AuctionView,
			Before: []echo.MiddlewareFunc{s.hub.WithWatchers}},
		{Method: "GET", Path: v1 + "/auctions/:id/live", Access: anyone, Handler: socket.Serve},
		{Method: "GET", Path: v1 + "/auctions/:id/bids", Access: anyone, Handler: a.AuctionBids},
		{Method: "GET", Path: v1 + "/auctions/:id/events", Access: anyone, Handler: a.AuctionEvents},
		{Method: "GET", Path: v1 + "/auctions/:id/record", Access: anyone, Handler: a.AuctionRecord},
		{Method: "GET", Path: v1 + "/auctions/:id/confirmation", Access: anyone, Handler: a.Confirmation},
		{Method: "GET", Path: v1 + "/public/lots/:id", Access: anyone, Handler: a.PublicLot},

		// Bidding (api/bidder.go). Staff pass the role check and are refused
		// by the rule (staff_cannot_bid).
		{Method: "POST", Path: v1 + "/auctions/:id/registrations", Access: signedIn, Handler: a.Register},
		{Method: "POST", Path: bidRoute, Access: signedIn, Handler: a.Bid,
			Before: []echo.MiddlewareFunc{s.hub.ObserveBid}},

		// Deposits and payments (api/finance.go).
		{Method: "GET", Path: v1 + "/auctions/:id/deposits", Access: financeRead, Handler: a.DepositList},
		{Method: "POST", Path: v1 + "/deposits/:id/confirm", Access: finance, Handler: a.DepositConfirm},
		{Method: "POST", Path: v1 + "/deposits/:id/refunded", Access: finance, Handler: a.DepositRefunded},
		{Method: "POST", Path: v1 + "/deposits/:id/receipts", Access: finance, Handler: a.DepositReceipt},
		{Method: "POST", Path: v1 + "/refunds/paid", Access: finance, Handler: a.RefundsPaid},
		{Method: "POST", Path: v1 + "/auctions/:id/balance-payments", Access: finance, Handler: a.BalancePayment},
		{Method: "POST", Path: v1 + "/balance-payments/:id/refunded", Access: finance, Handler: a.ExcessRefunded},

		// Money and case reporting (api/money.go, api/webhook.go).
		{Method: "GET", Path: v1 + "/ledger", Access: financeRead, Handler: a.Ledger},
		{Method: "GET", Path: v1 + "/auctions/:id/money", Access: financeRead, Handler: a.AuctionMoney},
		{Method: "GET", Path: v1 + "/refunds-due", Access: financeRead, Handler: a.RefundsDue},
		{Method: "GET", Path: v1 + "/reconciliation", Access: financeRead, Handler: a.Reconciliation},
		// Deadlines of the law, for the court and finance (api/deadlines.go).
		{Method: "GET", Path: v1 + "/deadlines", Access: staff, Handler: a.Deadlines},
		{Method: "GET", Path: v1 + "/cases/:id/remittances", Access: staff, Handler: a.Remittances},
		{Method: "POST", Path: v1 + "/cases/:id/remittances", Access: finance, Handler: a.Remit},
		{Method: "GET", Path: v1 + "/cases/:id/notifications", Access: staff, Handler: a.CaseNotifications},
		{Method: "GET", Path: v1 + "/case-notifications/:id", Access: staff, Handler: a.CaseNotification},
		{Method: "POST", Path: v1 + "/case-notifications/:id/resend", Access: caseStaff, Handler: a.CaseNotificationResend},
		{Method: "POST", Path: v1 + "/webhooks/stripe", Access: anyone, Handler: a.StripeWebhook},

		// Audit, interceptions and collusion signals (api/audit.go, api/collusion.go).
		{Method: "GET", Path: v1 + "/audit", Access: auditRead, Handler: a.AuditLog},
		{Method: "GET", Path: v1 + "/interceptions", Access: courtRead, Handler: a.Interceptions},
		{Method: "GET", Path: v1 + "/deposits/:id/payer", Access: finance, Handler: a.DepositPayer},
		{Method: "POST", Path: v1 + "/deposits/:id/payer", Access: finance, Handler: a.DepositPayerRecord},
		{Method: "GET", Path: v1 + "/auctions/:id/signals", Access: courtRead, Handler: a.Signals},
		// Pay-in instructions: the courts' receiving accounts (api/payto.go).
		{Method: "GET", Path: v1 + "/court-accounts", Access: staff, Handler: a.CourtAccounts},
		{Method: "PUT", Path: v1 + "/court-accounts", Access: adminOnly, Handler: a.CourtAccountSet},
		// The court account's bank statement (api/statement.go).
		{Method: "POST", Path: v1 + "/bank-statements", Access: finance, Handler: a.StatementImport},
		{Method: "GET", Path: v1 + "/bank-statements/lines", Access: financeRead, Handler: a.StatementLines},
		// Costs of a round, the first call on a forfeited deposit (api/payto.go).
		{Method: "GET", Path: v1 + "/auctions/:id/costs", Access: staff, Handler: a.AuctionCosts},
		{Method: "POST", Path: v1 + "/auctions/:id/costs", Access: caseStaff, Handler: a.AuctionCostRecord},

		// Pages (page/) and their static files.
		{Method: "GET", Path: "/static/*", Access: anyone, Handler: p.Static},
		{Method: "HEAD", Path: "/static/*", Access: anyone, Handler: p.Static},
		{Method: "GET", Path: "/", Access: anyone, Page: true, Handler: p.Browse, Before: pageHeaders},
		{Method: "GET", Path: "/auctions/:id", Access: anyone, Page: true, Handler: p.Auction, Before: pageHeaders},
		{Method: "GET", Path: "/results", Access: anyone, Page: true, Handler: p.Results, Before: pageHeaders},
		{Method: "GET", Path: "/login", Access: anyone, Page: true, Handler: p.Login, Before: pageHeaders},
		{Method: "POST", Path: "/login", Access: anyone, Page: true, Handler: p.LoginSubmit, Before: pageHeaders},
		{Method: "GET", Path: "/signup", Access: anyone, Page: true, Handler: p.Signup, Before: pageHeaders},
		{Method: "POST", Path: "/signup", Access: anyone, Page: true, Handler: p.SignupSubmit, Before: pageHeaders},
		{Method: "POST", Path: "/logout", Access: anyone, Page: true, Handler: p.Logout, Before: pageHeaders},
		{Method: "GET", Path: "/lang/:lang", Access: anyone, Page: true, Handler: p.Lang, Before: pageHeaders},
		{Method: "GET", Path: "/me", Access: signedIn, Page: true, Handler: p.Me, Before: pageHeaders},
		{Method: "GET", Path: "/me/notifications", Access: signedIn, Page: true, Handler: p.Notices, Before: pageHeaders},
		{Method: "GET", Path: "/me/watchlist", Access: signedIn, Page: true, Handler: p.Watchlist, Before: pageHeaders},
		{Method: "GET", Path: "/unsubscribe", Access: anyone, Page: true, Handler: p.Unsubscribe, Before: pageHeaders},
		{Method: "POST", Path: "/unsubscribe", Access: anyone, Page: true, Handler: p.UnsubscribeSubmit, Before: pageHeaders},
		{Method: "GET", Path: "/clerk", Access: clerk, Page: true, Handler: p.ClerkCases, Before: pageHeaders},
		{Method: "GET", Path: "/clerk/cases/:id", Access: clerk, Page: true, Handler: p.ClerkCase, Before: pageHeaders},
		{Method: "GET", Path: "/clerk/lots/:id", Access: clerk, Page: true, Handler: p.ClerkLot, Before: pageHeaders},
		{Method: "GET", Path: "/clerk/monitor", Access: clerk, Page: true, Handler: p.ClerkMonitor, Before: pageHeaders},
		{Method: "GET", Path: "/clerk/identity", Access: clerk, Page: true, Handler: p.Identity, Before: pageHeaders},
		{Method: "GET", Path: "/finance", Access: financeRead, Page: true, Handler: p.Finance, Before: pageHeaders},
		{Method: "GET", Path: "/finance/auctions/:id", Access: financeRead, Page: true, Handler: p.FinanceAuction, Before: pageHeaders},
		{Method: "GET", Path: "/finance/ledger", Access: financeRead, Page: true, Handler: p.Ledger, Before: pageHeaders},
		{Method: "GET", Path: "/finance/reconciliation", Access: financeRead, Page: true, Handler: p.Reconcile, Before: pageHeaders},
		{Method: "GET", Path: "/finance/cases/:id", Access: financeRead, Page: true, Handler: p.FinanceCase, Before: pageHeaders},
		{Method: "GET", Path: "/admin/court-accounts", Access: adminOnly, Page: true, Handler: p.CourtAccounts, Before: pageHeaders},

		// Printable documents (page/print.go). The statement names parties
		// and amounts owed: no cache may keep it. The confirmation is public
		// but changes when the buyer settles.
		{Method: "GET", Path: "/cases/:id/statement", Access: staff, Page: true, Handler: p.CaseStatement,
			Before: []echo.MiddlewareFunc{p.PrintHeaders(page.DocStatement, "no-store")}},
		{Method: "GET", Path: "/auctions/:id/confirmation/print", Access: anyone, Page: true, Handler: p.ConfirmationPrint,
			Before: []echo.MiddlewareFunc{p.PrintHeaders(page.DocConfirmation, "no-cache")}},
		// A round's announcement and bidders' notice (page/document.go): public like the round.
		{Method: "GET", Path: "/auctions/:id/documents/:kind/print", Access: anyone, Page: true, Handler: p.DocumentPrint,
			Before: []echo.MiddlewareFunc{p.PrintHeaders(page.DocCourt, "no-cache")}},
		// The bidder's own payment slip: the court's account and the note code.
		{Method: "GET", Path: "/registrations/:id/slip", Access: signedIn, Page: true, Handler: p.PaymentSlip,
			Before: []echo.MiddlewareFunc{p.PrintHeaders(page.DocSlip, "no-store")}},
	}
	// The test clock exists only with --test-clock; otherwise its routes are
	// unknown (404 not_found) like any other.
	if s.cfg.TestClock != nil {
		rs = append(rs,
			Route{Method: "GET", Path: v1 + "/test/clock", Access: staff, Handler: a.ClockView},
			Route{Method: "POST", Path: v1 + "/test/clock", Access: staff, Handler: a.ClockSet})
	}
	// The development mailbox exists only with --dev-mailbox (the demo).
	if p.HasDevMailbox() {
		rs = append(rs, Route{Method: "GET", Path: "/dev/mailbox", Access: anyone, Page: true, Handler: p.DevMailbox, Before: pageHeaders})
	}
	return rs
}

// Routes is the route table as this server registered it.
func (s *Server) Routes() []Route { return s.routes }

// register puts a route on the router with its role check between its
// Before and After middleware.
func (s *Server) register(r Route, p *page.Handler) {
	mw := append([]echo.MiddlewareFunc{}, r.Before...)
	switch {
	case r.Access.Public:
	case r.Page:
		mw = append(mw, p.Role(r.Access.Roles...))
	default:
		mw = append(mw, requireRole(r.Access.Roles...))
	}
	mw = append(mw, r.After...)
	s.echo.Add(r.Method, r.Path, r.Handler, mw...)
}
