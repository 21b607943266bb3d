package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"gavel/auction"
	"gavel/auction/postgres"
	"gavel/web/api"
)

const blacklistUsage = `Usage:
  gavel blacklist import FILE --source S   upsert the restriction list from FILE (CSV or JSON; - for stdin)
  gavel blacklist remove --source S ID...  take people off the list (their restriction was lifted)

The restriction list (失信被执行人 / 限制高消费) stops listed people from registering or
bidding for real estate and vehicles. CSV needs the header name,id_number,case_number;
JSON is {"entries":[{"name","id_number","case_number"}]} or the bare array.
--source names where the list came from (publisher and date), recorded with each
entry and in the audit log.
`

func runBlacklist(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, blacklistUsage)
		if len(args) == 0 {
			return fmt.Errorf("blacklist: give a subcommand (import or remove)")
		}
		return nil
	}
	fs := flag.NewFlagSet("blacklist "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	source := fs.String("source", "", "where the list came from, e.g. \"court-system 2026-03-01\" (required)")
	fs.Usage = func() {
		fmt.Fprint(stderr, blacklistUsage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	// Flags may come before or after the positional arguments.
	var rest []string
	for tail := args[1:]; ; {
		if err := fs.Parse(tail); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		tail = fs.Args()[1:]
	}
	if strings.TrimSpace(*source) == "" {
		fs.Usage()
		return fmt.Errorf("blacklist %s: --source is required", args[0])
	}
	switch args[0] {
	case "import":
		if len(rest) != 1 {
			fs.Usage()
			return fmt.Errorf("blacklist import: give exactly one FILE")
		}
		entries, err := readBlacklistFile(rest[0], stdin)
		if err != nil {
			return fmt.Errorf("blacklist import: %w", err)
		}
		store, closeStore, err := openStore(ctx, stderr, auction.SPC2016)
		if err != nil {
			return err
		}
		defer closeStore()
		n, err := store.ImportBlacklist(ctx, *source, entries)
		if err != nil {
			return fmt.Errorf("blacklist import: %w", err)
		}
		if err := auditCLI(ctx, store, "cli blacklist import", "", map[string]any{"source": *source, "entries": n, "file": filepath.Base(rest[0])}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "imported %d entries from %s (source %q)\n", n, rest[0], *source)
		return nil
	case "remove":
		if len(rest) == 0 {
			fs.Usage()
			return fmt.Errorf("blacklist remove: give at least one id number")
		}
		store, closeStore, err := openStore(ctx, stderr, auction.SPC2016)
		if err != nil {
			return err
		}
		defer closeStore()
		n, err := store.RemoveFromBlacklist(ctx, rest)
		if err != nil {
			return fmt.Errorf("blacklist remove: %w", err)
		}
		if err := auditCLI(ctx, store, "cli blacklist remove", "", map[string]any{"source": *source, "entries": n}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed %d of %d entries (source %q)\n", n, len(rest), *source)
		return nil
	}
	fmt.Fprint(stderr, blacklistUsage)
	return fmt.Errorf("blacklist: unknown subcommand %q (want import or remove)", args[0])
}

// readBlacklistFile reads CSV or JSON, told apart by the extension and else by
// the first character.
func readBlacklistFile(name string, stdin io.Reader) ([]auction.BlacklistEntry, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimLeft(b, " \t\r\n\ufeff")
	isJSON := strings.EqualFold(filepath.Ext(name), ".json") ||
		(!strings.EqualFold(filepath.Ext(name), ".csv") && len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '['))
	if !isJSON {
		return api.ParseBlacklistCSV(bytes.NewReader(b))
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if trimmed[0] == '[' {
		var entries []auction.BlacklistEntry
		if err := dec.Decode(&entries); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return entries, nil
	}
	var doc struct {
		Entries []auction.BlacklistEntry `json:"entries"`
	}
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return doc.Entries, nil
}

// auditCLI records a CLI action in the audit log: no account signed in, so
// the operating-system user stands for "who".
func auditCLI(ctx context.Context, store *postgres.Store, action, target string, detail map[string]any) error {
	if u, err := user.Current(); err == nil {
		detail["os_user"] = u.Username
	}
	if h, err := os.Hostname(); err == nil {
		detail["host"] = h
	}
	_, err := store.Audit(ctx, auction.NewAuditEntry{ActorRole: "cli", Action: action, Target: target, Detail: detail})
	return err
}
