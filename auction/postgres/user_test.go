package postgres_test

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"gavel/auction"
	"gavel/auction/auctiontest"
	"gavel/auction/postgres"
	"gavel/auction/postgres/oversight"
	"gavel/migrations/dbtest"
)

func TestCreateUserAndLogin(t *testing.T) {
	t.Parallel()
	w := setup(t)
	u, err := w.Store.CreateUser(w.Ctx, auction.NewUser{Email: "  Li.Lei@Example.Test ", Password: "0123456789", Role: auction.RoleBidder,
		RealName: "李雷", IDNumber: "110101199001011237", Phone: "13800000000"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "li.lei@example.test" || u.Role != auction.RoleBidder || u.ID == "" {
		t.Fatalf("created %+v", u)
	}
	for _, tc := range []struct {
		name string
		u    auction.NewUser
		code string
	}{
		{"duplicate email", auction.NewUser{Email: "li.lei@example.test", Password: "0123456789", Role: auction.RoleBidder, IDNumber: idn("dup")}, auction.EEmailTaken},
		{"duplicate email other case", auction.NewUser{Email: "LI.LEI@EXAMPLE.TEST", Password: "0123456789", Role: auction.RoleBidder, IDNumber: idn("dup")}, auction.EEmailTaken},
		{"nine characters", auction.NewUser{Email: "a@example.test", Password: "012345678", Role: auction.RoleBidder, IDNumber: idn("weak")}, auction.EWeakPassword},
		// Ten characters, counted as characters: five Chinese ones are not enough.
		{"five wide characters", auction.NewUser{Email: "b@example.test", Password: "密码密码密", Role: auction.RoleBidder, IDNumber: idn("weak")}, auction.EWeakPassword},
		{"empty password", auction.NewUser{Email: "c@example.test", Role: auction.RoleBidder, IDNumber: idn("weak")}, auction.EWeakPassword},
		{"no email", auction.NewUser{Password: "0123456789", Role: auction.RoleBidder}, auction.EInvalidField},
		{"unknown role", auction.NewUser{Email: "d@example.test", Password: "0123456789", Role: "root"}, auction.EInvalidField},
	} {
		_, err := w.Store.CreateUser(w.Ctx, tc.u)
		if auction.ErrorCode(err) != tc.code {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
		}
	}
	if _, err := w.Store.CreateUser(w.Ctx, auction.NewUser{Email: "e@example.test", Password: "密码密码密码密码密码", Role: auction.RoleBidder, IDNumber: idn("wide")}); err != nil {
		t.Errorf("ten wide characters refused: %v", err)
	}

	got, err := w.Store.Login(w.Ctx, "LI.LEI@example.test", "0123456789")
	if err != nil || got.ID != u.ID || got.IDNumber != "110101199001011237" {
		t.Fatalf("login: %+v %v", got, err)
	}
	_, errWrong := w.Store.Login(w.Ctx, "li.lei@example.test", "0123456780")
	_, errUnknown := w.Store.Login(w.Ctx, "nobody@example.test", "0123456789")
	if auction.ErrorCode(errWrong) != auction.EInvalidCredentials || errWrong.Error() != errUnknown.Error() {
		t.Fatalf("wrong password %v vs unknown email %v", errWrong, errUnknown)
	}
	_, err = w.Store.User(w.Ctx, "00000000-0000-0000-0000-000000000000")
	wantCode(t, err, auction.ENotFound)
}

// TestTokens: expiry is decided by the wall clock, revocation is immediate,
// and only the token's hash is stored.
func TestTokens(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	wall := auctiontest.NewClock(auctiontest.Start)
	w := auctiontest.NewWorld(t, pool, auctiontest.WithClock(wall), auctiontest.WithStore(func(c *postgres.Config) { c.Wall = wall }))
	store := w.Store
	u := w.User(auction.RoleFinance, "")

	secret, sess, err := store.CreateToken(w.Ctx, u.ID, auction.TokenAPI, time.Hour)
	if err != nil || !sess.ExpiresAt.Equal(wall.Now().Add(time.Hour)) || sess.CSRF != "" {
		t.Fatalf("token: %+v %v", sess, err)
	}
	got, err := store.Authenticate(w.Ctx, secret)
	if err != nil || got.User.ID != u.ID || got.User.Role != auction.RoleFinance || got.Kind != auction.TokenAPI {
		t.Fatalf("authenticate: %+v %v", got, err)
	}
	wall.Advance(time.Hour - time.Microsecond)
	if _, err := store.Authenticate(w.Ctx, secret); err != nil {
		t.Fatalf("a token a microsecond before expiry: %v", err)
	}
	wall.Advance(time.Microsecond)
	_, err = store.Authenticate(w.Ctx, secret)
	wantCode(t, err, auction.EUnauthenticated)

	secret, _, err = store.CreateToken(w.Ctx, u.ID, auction.TokenSession, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := store.Authenticate(w.Ctx, secret); err != nil || s.CSRF == "" || s.Kind != auction.TokenSession {
		t.Fatalf("session: %+v %v", s, err)
	}
	if err := store.RevokeToken(w.Ctx, secret); err != nil {
		t.Fatal(err)
	}
	_, err = store.Authenticate(w.Ctx, secret)
	wantCode(t, err, auction.EUnauthenticated)
	_, err = store.Authenticate(w.Ctx, "made-up")
	wantCode(t, err, auction.EUnauthenticated)

	var stored int
	if err := pool.QueryRow(w.Ctx, `SELECT count(*) FROM tokens WHERE token_hash = convert_to($1, 'UTF8')`, secret).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("a token is stored in the clear (%d, %v)", stored, err)
	}
}

// TestRevokeTokenAnnounces: a revocation is announced on TokensChannel with
// the token's hash in hex (never the secret), once, when it commits; a
// session's expiry is judged by the store's wall clock as Authenticate does.
func TestRevokeTokenAnnounces(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	wall := auctiontest.NewClock(auctiontest.Start)
	w := auctiontest.NewWorld(t, pool, auctiontest.WithClock(wall), auctiontest.WithStore(func(c *postgres.Config) { c.Wall = wall }))
	store := w.Store
	u := w.Verified("", "")
	secret, _, err := store.CreateToken(w.Ctx, u.ID, auction.TokenAPI, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	listener, err := pool.Acquire(w.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Release()
	if _, err := listener.Exec(w.Ctx, "LISTEN "+oversight.TokensChannel); err != nil {
		t.Fatal(err)
	}
	heard := func() string {
		t.Helper()
		ctx, cancel := context.WithTimeout(w.Ctx, 300*time.Millisecond)
		defer cancel()
		n, err := listener.Conn().WaitForNotification(ctx)
		if err != nil {
			return ""
		}
		return n.Payload
	}

	if err := store.RevokeToken(w.Ctx, "made-up"); err != nil {
		t.Fatal(err)
	}
	if p := heard(); p != "" {
		t.Fatalf("revoking a token that does not exist announced %q", p)
	}
	if err := store.RevokeToken(w.Ctx, secret); err != nil {
		t.Fatal(err)
	}
	h := auction.TokenHash(secret)
	if p := heard(); p != hex.EncodeToString(h[:]) {
		t.Fatalf("announced %q, want the hash %x", p, h)
	}
	if err := store.RevokeToken(w.Ctx, secret); err != nil {
		t.Fatal(err)
	}
	if p := heard(); p != "" {
		t.Fatalf("revoking twice announced again: %q", p)
	}

	secret, _, err = store.CreateToken(w.Ctx, u.ID, auction.TokenAPI, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := store.Authenticate(w.Ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	wall.Advance(time.Hour - time.Microsecond)
	if !store.Unexpired(sess) {
		t.Fatal("a session a microsecond before its expiry counts as expired")
	}
	wall.Advance(time.Microsecond)
	if store.Unexpired(sess) {
		t.Fatal("a session at its expiry counts as unexpired")
	}
}
