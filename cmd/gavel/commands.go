package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"gavel/auction"
	"gavel/auction/postgres"
	"gavel/migrations"
)

func runMigrate(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gavel migrate\n\nApplies pending migrations to $DATABASE_URL; running it again is a no-op.\n")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := migrations.Up(ctx, databaseURL(), log); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "database is at schema version %d\n", migrations.Latest())
	return printIdentityIssues(ctx, stderr)
}

// printIdentityIssues lists the accounts the identity review flagged, so
// that whoever migrates sees at once what an admin has to resolve. Numbers
// are not printed (terminals are logged); the admin page shows them.
func printIdentityIssues(ctx context.Context, w io.Writer) error {
	pool, err := pgxpool.New(ctx, databaseURL())
	if err != nil {
		return err
	}
	defer pool.Close()
	issues, err := postgres.New(postgres.Config{Pool: pool, Clock: auction.SystemClock{}, Rulebook: auction.SPC2016}).IdentityIssues(ctx)
	if err != nil || len(issues) == 0 {
		return err
	}
	fmt.Fprintf(w, "%d accounts need an admin (GET /api/v1/admin/identity-issues): they keep working until resolved\n", len(issues))
	for _, u := range issues {
		holder := ""
		if u.HolderID != nil {
			holder = " (the person's account is " + *u.HolderID + ")"
		}
		fmt.Fprintf(w, "  %s %s %s%s\n", u.ID, u.Role, *u.Issue, holder)
	}
	return nil
}

// openStore connects to $DATABASE_URL (migrating it) for the CLI commands.
func openStore(ctx context.Context, stderr io.Writer, rulebook auction.Rulebook) (*postgres.Store, func(), error) {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := migrations.Up(ctx, databaseURL(), log); err != nil {
		return nil, nil, err
	}
	pool, err := pgxpool.New(ctx, databaseURL())
	if err != nil {
		return nil, nil, err
	}
	// The same clock as `gavel serve`: the database's.
	clock, err := postgres.NewDBClock(ctx, postgres.DBClockConfig{Pool: pool})
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return postgres.New(postgres.Config{Pool: pool, Clock: clock, Rulebook: rulebook}), pool.Close, nil
}

func runUsers(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintf(stderr, "Usage: gavel users add --email E --name N --role clerk|finance|auditor|admin < password\n")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return fmt.Errorf("users: unknown subcommand (want add)")
	}
	fs := flag.NewFlagSet("users add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the staff member's email (their login)")
	name := fs.String("name", "", "the staff member's real name")
	role := fs.String("role", "", "clerk, finance, auditor or admin")
	idNumber := fs.String("id-number", "", "the staff member's identity number: that person may then not bid under any account (Art. 34)")
	idType := fs.String("id-type", "", "the kind of document --id-number comes from (default resident_id)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gavel users add --email E --name N --role clerk|finance|auditor|admin [--id-number N]\n\nCreates a staff account. The password is the first line of stdin. Prints the new user's id.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch {
	case *email == "":
		return fmt.Errorf("users add: --email is required")
	case *name == "":
		return fmt.Errorf("users add: --name is required")
	case !auction.ValidRole(*role) || *role == auction.RoleBidder:
		return fmt.Errorf("users add: --role must be clerk, finance, auditor or admin (bidders sign themselves up)")
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("users add: read password from stdin: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	store, closeStore, err := openStore(ctx, stderr, auction.SPC2016)
	if err != nil {
		return err
	}
	defer closeStore()
	u, err := store.CreateUser(ctx, auction.NewUser{Email: *email, Password: password, Role: *role, RealName: *name,
		IDType: *idType, IDNumber: *idNumber})
	if err != nil {
		return fmt.Errorf("users add: %w", err)
	}
	// A staff account is power over sales and money: its creation is in the
	// audit log like any staff action, by id and role only (no name or email).
	if err := auditCLI(ctx, store, "cli users add", u.ID, map[string]any{"role": u.Role}); err != nil {
		return fmt.Errorf("users add: account %s was created but could not be written to the audit log: %w", u.ID, err)
	}
	fmt.Fprintln(stdout, u.ID)
	return nil
}

func runVerify(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gavel verify FILE\n\nChecks the hash chain of an auction record exported from GET /api/v1/auctions/{id}/record\nand names the first broken link. Works offline.\n")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("verify: give exactly one FILE")
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	var rec auction.Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return fmt.Errorf("verify: %s is not an auction record: %w", fs.Arg(0), err)
	}
	if seq, reason := rec.Verify(); seq != 0 {
		return fmt.Errorf("verify: record of auction %s is broken at seq %d: %s", rec.AuctionID, seq, reason)
	}
	last := "(empty)"
	if n := len(rec.Events); n > 0 {
		last = rec.Events[n-1].Hash
	}
	fmt.Fprintf(stdout, "record of auction %s holds: %d events, final hash %s\n", rec.AuctionID, len(rec.Events), last)
	return nil
}
