package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"gavel/auction"
	"gavel/auction/postgres"
)

// demoPassword is the password of every demo account. The demo is for a
// laptop: these accounts exist only in a database seeded by `gavel demo`.
const demoPassword = "gavel-demo-2026"

// demoAccount is a seeded login.
type demoAccount struct {
	Email, Role, Name, IDNumber string
}

var demoAccounts = []demoAccount{
	{"clerk@gavel.demo", auction.RoleClerk, "陈书记员", ""},
	{"finance@gavel.demo", auction.RoleFinance, "林会计", ""},
	{"auditor@gavel.demo", auction.RoleAuditor, "赵审计", ""},
	{"admin@gavel.demo", auction.RoleAdmin, "周管理员", ""},
	{"bidder1@gavel.demo", auction.RoleBidder, "王一", "110101199001010015"},
	{"bidder2@gavel.demo", auction.RoleBidder, "李二", "110101199002020020"},
	{"bidder3@gavel.demo", auction.RoleBidder, "张三", "110101199003030036"},
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gavel demo\n\nSeeds $DATABASE_URL, when it has no accounts yet, with demo staff and bidder accounts,\nan enforcement case, lots and auctions on the demo rulebook (a day lasts a minute)\nthat are bidding right away. Prints the accounts. Does nothing to a database in use.\n")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, closeStore, err := openStore(ctx, stderr, auction.Demo)
	if err != nil {
		return err
	}
	defer closeStore()
	var others int
	if err := store.Pool().QueryRow(ctx, `SELECT count(*) FROM users WHERE email NOT LIKE '%@gavel.demo'`).Scan(&others); err != nil {
		return err
	}
	if others > 0 {
		fmt.Fprintln(stdout, "The database has real accounts; the demo is not seeded into it.")
		return nil
	}
	seeded, err := seedDemo(ctx, store)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if seeded {
		fmt.Fprintln(stdout, "Seeded a demo: an enforcement case with three lots, bidding now on the demo rulebook (a day lasts a minute).")
	} else {
		fmt.Fprintln(stdout, "Demo auctions are still bidding; nothing new seeded.")
	}
	printDemoAccounts(stdout)
	return nil
}

func printDemoAccounts(w io.Writer) {
	fmt.Fprintf(w, "Demo accounts (password %q):\n", demoPassword)
	for _, a := range demoAccounts {
		fmt.Fprintf(w, "  %-20s %s\n", a.Email, a.Role)
	}
}

// seedDemo creates the demo accounts when missing and, unless demo auctions
// are still bidding, a new case with three lots bidding now. It reports
// whether it added auctions.
func seedDemo(ctx context.Context, store *postgres.Store) (bool, error) {
	var bidding int
	if err := store.Pool().QueryRow(ctx, `SELECT count(*) FROM auctions WHERE status = 'bidding'`).Scan(&bidding); err != nil {
		return false, err
	}
	if bidding > 0 {
		return false, nil
	}
	users := map[string]*auction.User{}
	for _, a := range demoAccounts {
		u, err := store.CreateUser(ctx, auction.NewUser{Email: a.Email, Password: demoPassword, Role: a.Role, RealName: a.Name,
			IDNumber: a.IDNumber, Phone: "13800000000"})
		if auction.ErrorCode(err) == auction.EEmailTaken {
			u, err = store.Login(ctx, a.Email, demoPassword)
		}
		if err != nil {
			return false, err
		}
		users[a.Email] = u
	}
	claim := int64(50_000_000)
	c, err := store.CreateCase(ctx, users["clerk@gavel.demo"].ID, auction.NewCase{
		CaseNumber: fmt.Sprintf("(2026)京0105执%d号", time.Now().Unix()%100000), CourtName: "北京市朝阳区人民法院",
		Applicants: []auction.Party{{Name: "北京某银行股份有限公司", IDType: auction.IDCompany, IDNumber: "91110000100000000R", Claim: &claim}},
		Debtors:    []auction.Party{{Name: "刘某", IDNumber: "110105198001010091"}},
	})
	if err != nil {
		return false, err
	}
	lots := []struct {
		lot     auction.NewLot
		minutes int
	}{
		{auction.NewLot{Title: "朝阳区望京西园三区 2 号楼 1203 室住宅", Description: "建筑面积 89.6 平方米，三居室，南北通透。\n产权清晰，无租赁。",
			Category: auction.CategoryRealEstate, AppraisalValue: 520_000_000, Location: "北京市朝阳区望京西园三区",
			Disclosures: auction.Disclosures{AppraisalReport: "北京某房地产评估有限公司 京评字(2026)第 118 号", Encumbrances: "抵押权人：北京某银行，随拍卖涤除",
				Occupancy: "空置，无租赁", TaxTerms: "买卖双方各自承担依法应缴纳的税费", Viewing: "每周六 10:00-12:00 预约看样"}}, 4},
		{auction.NewLot{Title: "2021 年款 丰田凯美瑞 2.5L 轿车", Description: "行驶里程 4.1 万公里，手续齐全。",
			Category: auction.CategoryVehicle, AppraisalValue: 12_000_000, Location: "北京市朝阳区法院停车场",
			Disclosures: auction.Disclosures{AppraisalReport: "京评车(2026)第 56 号", Occupancy: "法院保管", TaxTerms: "过户费用由买受人承担", Viewing: "工作日预约看样"}}, 7},
		{auction.NewLot{Title: "北京某科技有限公司 15% 股权", Description: "注册资本 1000 万元。",
			Category: auction.CategoryEquity, AppraisalValue: 80_000_000, Location: "北京市海淀区",
			Disclosures: auction.Disclosures{AppraisalReport: "京评股(2026)第 9 号", Encumbrances: "已质押，随拍卖解除", TaxTerms: "各自承担"}}, 11},
	}
	now := time.Now().UTC()
	for _, l := range lots {
		lot, err := store.CreateLot(ctx, c.ID, l.lot)
		if err != nil {
			return false, err
		}
		if err := seedDemoRound(ctx, store, lot, now, time.Duration(l.minutes)*time.Minute, users); err != nil {
			return false, err
		}
	}
	return true, nil
}

// seedDemoRound schedules a first round that opened a moment ago and ends in
// d, publishes it (backdated by the notice period) and qualifies the demo
// bidders.
func seedDemoRound(ctx context.Context, store *postgres.Store, lot *auction.Lot, now time.Time, d time.Duration, users map[string]*auction.User) error {
	start := lot.AppraisalValue * 70 / 100
	a, err := store.ScheduleAuction(ctx, auction.ScheduleParams{LotID: lot.ID, Round: auction.RoundFirst, StartPrice: start,
		Increment: roundUp(start/100, 100_00), Deposit: start / 10, StartsAt: now.Add(-time.Second), EndsAt: now.Add(d)})
	if err != nil {
		return err
	}
	if _, err := store.PublishAuctionBackdated(ctx, a.ID); err != nil {
		return err
	}
	for _, acc := range demoAccounts {
		if acc.Role != auction.RoleBidder {
			continue
		}
		reg, err := store.Register(ctx, users[acc.Email], a.ID)
		if err != nil {
			return err
		}
		if _, err := store.ConfirmDeposit(ctx, reg.Deposit.ID, "DEMO-"+reg.Deposit.PayReference); err != nil {
			return err
		}
	}
	_, err = store.Tick(ctx)
	return err
}

func roundUp(v, unit int64) int64 {
	if v < unit {
		return unit
	}
	return v / unit * unit
}

// demoBidders places bids through the server's own API every few seconds, as
// the demo bidders, so that `make run` shows prices moving, extensions and
// closes without anyone at the keyboard.
// When every demo auction has closed it seeds new ones, so the demo never
// runs dry.
func demoBidders(ctx context.Context, baseURL string, store *postgres.Store, log *slog.Logger) {
	client := &http.Client{Timeout: 10 * time.Second}
	tokens := map[string]string{}
	call := func(method, path, token string, body any, out any, header ...string) (int, error) {
		b, _ := json.Marshal(body)
		req, err := http.NewRequestWithContext(ctx, method, baseURL+path, bytes.NewReader(b))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		if out != nil {
			_ = json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode, nil
	}
	var bidders []string
	for _, a := range demoAccounts {
		if a.Role == auction.RoleBidder {
			bidders = append(bidders, a.Email)
		}
	}
	t := time.NewTicker(4 * time.Second)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		email := bidders[rand.IntN(len(bidders))]
		if tokens[email] == "" {
			var out struct{ Token string }
			if code, err := call("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": demoPassword}, &out); err != nil || code != 200 {
				continue
			}
			tokens[email] = out.Token
		}
		var list struct {
			Auctions []auction.Auction `json:"auctions"`
		}
		if _, err := call("GET", "/api/v1/auctions?status=bidding", "", nil, &list); err != nil {
			continue
		}
		if len(list.Auctions) == 0 {
			if _, err := seedDemo(ctx, store); err != nil {
				log.Warn("demo: could not seed new auctions", "err", err)
			}
			continue
		}
		a := list.Auctions[rand.IntN(len(list.Auctions))]
		amount := a.StartPrice
		if a.CurrentPrice != nil {
			amount = *a.CurrentPrice + a.Increment*int64(1+rand.IntN(3))
		}
		code, err := call("POST", "/api/v1/auctions/"+a.ID+"/bids", tokens[email], map[string]int64{"amount": amount}, nil,
			"Idempotency-Key", fmt.Sprintf("demo-%d-%d", time.Now().UnixNano(), n))
		if err != nil {
			log.Debug("demo bid failed", "err", err)
			continue
		}
		log.Debug("demo bid", "auction", a.ID, "amount", amount, "status", code)
	}
}
