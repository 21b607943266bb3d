// Command gavel is Gavel's one binary: serve the marketplace, migrate the
// database, add staff accounts, seed a demo and verify an auction record.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

const usage = `gavel: online judicial auctions.

Usage:
  gavel serve   [flags]   serve the marketplace over HTTP (applies migrations first)
  gavel migrate           apply database migrations to $DATABASE_URL
  gavel users add [flags] create a staff account; the password is read from stdin
  gavel demo              seed demo accounts, a case, lots and live auctions
  gavel verify FILE       check an exported auction record (GET /auctions/{id}/record)
  gavel blacklist import FILE --source S
                          import the restriction list (CSV or JSON); also: blacklist remove
  gavel court-account set --court C --account-name N --bank B --account-number A
                          set a court's receiving account (pay-in instructions); also: court-account list

Environment:
  DATABASE_URL            PostgreSQL connection string (default ` + defaultDatabaseURL + `)
  STRIPE_SECRET_KEY       use Stripe for deposits (otherwise court bank transfers)
  STRIPE_WEBHOOK_SECRET   verifies POST /api/v1/webhooks/stripe
  STRIPE_API_BASE         Stripe API base URL (e.g. a local stripe-mock)
  GAVEL_LOG_LEVEL         debug, info (default), warn or error

Run "gavel COMMAND --help" for a command's flags.
`

const defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/gavel?sslmode=disable"

func main() {
	// The API's times are UTC (RFC 3339 with Z) and the logs' too, whatever
	// zone the machine is set to: PostgreSQL hands timestamps back in the
	// process's local zone, so the process's local zone is UTC. Pages show
	// times in the zone of --timezone, which they name explicitly.
	time.Local = time.UTC
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "gavel:", err)
		os.Exit(1)
	}
}

func databaseURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return defaultDatabaseURL
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args[1:], stderr)
	case "users":
		return runUsers(ctx, args[1:], stdin, stdout, stderr)
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "verify":
		return runVerify(args[1:], stdout, stderr)
	case "blacklist":
		return runBlacklist(ctx, args[1:], stdin, stdout, stderr)
	case "court-account":
		return runCourtAccount(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
