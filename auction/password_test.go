package auction_test

import (
	"strings"
	"testing"

	"gavel/auction"
)

func TestPassword(t *testing.T) {
	t.Parallel()
	h, err := auction.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("unexpected encoding %q", h)
	}
	if strings.Contains(h, "correct horse") {
		t.Fatal("the hash contains the password")
	}
	if !auction.CheckPassword(h, "correct horse battery") {
		t.Fatal("the right password is refused")
	}
	for _, wrong := range []string{"", "correct horse batter", "Correct horse battery", "correct horse battery "} {
		if auction.CheckPassword(h, wrong) {
			t.Errorf("wrong password %q accepted", wrong)
		}
	}
	h2, err := auction.HashPassword("correct horse battery")
	if err != nil || h2 == h {
		t.Fatal("two hashes of one password share a salt")
	}
	if !auction.CheckPassword(h2, "correct horse battery") {
		t.Fatal("second hash does not check")
	}
}

func TestCheckPasswordMalformed(t *testing.T) {
	t.Parallel()
	h, err := auction.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(h, "$")
	for name, enc := range map[string]string{
		"empty":           "",
		"bcrypt":          "$2a$10$abcdefghijklmnopqrstuu",
		"argon2i":         strings.Replace(h, "argon2id", "argon2i", 1),
		"bad params":      strings.Join([]string{"", parts[1], parts[2], "m=x,t=2,p=1", parts[4], parts[5]}, "$"),
		"salt not base64": strings.Join([]string{"", parts[1], parts[2], parts[3], "!!!", parts[5]}, "$"),
		"key not base64":  strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "!!!"}, "$"),
		"truncated":       strings.Join(parts[:5], "$"),
	} {
		if auction.CheckPassword(enc, "correct horse battery") {
			t.Errorf("%s: a malformed hash matched", name)
		}
	}
	if auction.CheckPassword(auction.DummyPasswordHash, "correct horse battery") {
		t.Error("the dummy hash matched a real password")
	}
}
