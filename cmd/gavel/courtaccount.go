package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"gavel/auction"
)

const courtAccountUsage = `Usage:
  gavel court-account set --court C --account-name N --bank B --account-number A
  gavel court-account list

A court's receiving account is where bidders of its cases pay deposits and
balances by bank transfer: registrations show it with the deposit's transfer
note code. --court is the court's name exactly as its cases give it.
`

func runCourtAccount(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "set" && args[0] != "list") {
		fmt.Fprint(stderr, courtAccountUsage)
		return fmt.Errorf("court-account: give a subcommand (set or list)")
	}
	fs := flag.NewFlagSet("court-account "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var p auction.PayTo
	fs.StringVar(&p.CourtName, "court", "", "the court's name as its cases give it")
	fs.StringVar(&p.AccountName, "account-name", "", "the account holder (收款人户名)")
	fs.StringVar(&p.Bank, "bank", "", "the bank and branch (开户行)")
	fs.StringVar(&p.AccountNumber, "account-number", "", "the account number (账号)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	store, closeStore, err := openStore(ctx, stderr, auction.SPC2016)
	if err != nil {
		return err
	}
	defer closeStore()
	if args[0] == "list" {
		as, err := store.CourtAccounts(ctx)
		if err != nil {
			return err
		}
		for _, a := range as {
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", a.CourtName, a.AccountName, a.Bank, a.AccountNumber)
		}
		return nil
	}
	set, err := store.SetCourtAccount(ctx, "", p)
	if err != nil {
		return fmt.Errorf("court-account set: %w", err)
	}
	if err := auditCLI(ctx, store, "cli court-account set", set.CourtName, map[string]any{"bank": set.Bank}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s, %s, %s\n", set.CourtName, set.AccountName, set.Bank, set.AccountNumber)
	return nil
}
