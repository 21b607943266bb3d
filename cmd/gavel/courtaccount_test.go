package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"gavel/migrations/dbtest"
)

// The CLI sets and lists a court's receiving account; a bad account number
// is refused with the field named.
func TestCLICourtAccount(t *testing.T) {
	t.Setenv("DATABASE_URL", dbtest.URL(t))
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"court-account", "set", "--court", "上海市第一中级人民法院", "--account-name", "上海市第一中级人民法院",
		"--bank", "中国银行上海分行", "--account-number", "4377-0001-2345"}, strings.NewReader(""), &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	stdout.Reset()
	if err := run(ctx, []string{"court-account", "list"}, strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if got := stdout.String(); got != "上海市第一中级人民法院\t上海市第一中级人民法院\t中国银行上海分行\t4377-0001-2345\n" {
		t.Fatalf("list: %q", got)
	}
	err = run(ctx, []string{"court-account", "set", "--court", "c", "--account-name", "n", "--bank", "b", "--account-number", "abc"},
		strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "account_number") {
		t.Fatalf("bad account number: %v", err)
	}
	if err := run(ctx, []string{"court-account"}, strings.NewReader(""), &stdout, &stderr); err == nil {
		t.Fatal("no subcommand accepted")
	}
}
