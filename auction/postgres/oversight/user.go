package oversight

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"gavel/auction"
	"gavel/auction/postgres/internal/pgtx"
)

// SignUp creates the account of a bidder who registers themselves: beyond
// what every account needs, a bidder gives a real name, an identity number
// (normalised and validated by CreateUser) and a phone. Returns
// invalid_field, email_taken, id_number_taken or weak_password.
func (s *Store) SignUp(ctx context.Context, u auction.NewUser) (*auction.User, error) {
	u.RealName, u.Phone = strings.TrimSpace(u.RealName), strings.TrimSpace(u.Phone)
	switch {
	case u.RealName == "":
		return nil, auction.FieldError("real_name", "is required")
	case u.Phone == "":
		return nil, auction.FieldError("phone", "is required")
	}
	// Forms reach here without the request binding's text rule.
	if err := auction.CheckText("real_name", u.RealName, 100, false); err != nil {
		return nil, err
	}
	if err := auction.CheckText("phone", u.Phone, 40, false); err != nil {
		return nil, err
	}
	u.Role = auction.RoleBidder
	return s.CreateUser(ctx, u)
}

// CreateUser stores a new account. Returns email_taken, id_number_taken,
// weak_password or invalid_field. The e-mail address and the identity number
// are stored in their one normal form; a bidder needs an identity number (one
// bidder account per person), staff may carry one (the staff bar follows it).
func (s *Store) CreateUser(ctx context.Context, u auction.NewUser) (*auction.User, error) {
	email, err := auction.NormalizeEmail(u.Email)
	if err != nil {
		return nil, err
	}
	u.Email = email
	if !auction.ValidRole(u.Role) {
		return nil, auction.FieldError("role", "must be one of bidder, clerk, finance, auditor, admin")
	}
	id := auction.Identity{Type: auction.IDResident}
	if u.Role == auction.RoleBidder || u.IDNumber != "" || u.IDType != "" {
		if id, err = auction.ParseIdentity("id_number", u.IDType, u.IDNumber, s.db.Clock.Now()); err != nil {
			return nil, err
		}
	}
	if len([]rune(u.Password)) < auction.MinPasswordLength {
		return nil, auction.Errorf(auction.EWeakPassword, "a password needs at least %d characters", auction.MinPasswordLength)
	}
	hash, err := auction.HashPassword(u.Password)
	if err != nil {
		return nil, err
	}
	out := &auction.User{Email: u.Email, Role: u.Role, RealName: u.RealName, IDType: id.Type, IDNumber: id.Number, Phone: u.Phone, Created: s.db.Clock.Now()}
	err = s.db.Pool.QueryRow(ctx, `
		INSERT INTO users (email, password_hash, role, real_name, id_type, id_number, phone, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		u.Email, hash, u.Role, u.RealName, id.Type, id.Number, u.Phone, out.Created).Scan(&out.ID)
	switch {
	case pgtx.IsUniqueViolation(err, "users_email_key"):
		return nil, auction.Errorf(auction.EEmailTaken, "an account with this email already exists")
	case pgtx.IsUniqueViolation(err, "users_bidder_person"):
		return nil, auction.Errorf(auction.EIDNumberTaken, "a bidder account already claims this identity number; one person has one account. "+
			"If the number is yours and the account is not, a court clerk can verify you in person, and the other account loses the claim")
	}
	return out, err
}

const userColumns = `u.id, u.email, u.role, u.real_name, u.id_number, u.phone, u.created_at, u.id_type, u.verified_at IS NOT NULL, u.id_claim_released_at`

func scanUser(row pgx.Row, extra ...any) (*auction.User, error) {
	u := &auction.User{}
	dest := append([]any{&u.ID, &u.Email, &u.Role, &u.RealName, &u.IDNumber, &u.Phone, &u.Created, &u.IDType, &u.Verified, &u.IDClaimReleasedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	return u, nil
}

// Login checks credentials; the answer is the same invalid_credentials whether
// the email is unknown or the password wrong, and takes about as long.
func (s *Store) Login(ctx context.Context, email, password string) (*auction.User, error) {
	var hash string
	// An address that is not one (or a look-alike) matches no account;
	// it is looked up anyway, so the answer takes as long.
	normal, _ := auction.NormalizeEmail(email)
	u, err := scanUser(s.db.Pool.QueryRow(ctx, `SELECT `+userColumns+`, u.password_hash FROM users u WHERE u.email = $1`, normal), &hash)
	if err == pgx.ErrNoRows {
		auction.CheckPassword(auction.DummyPasswordHash, password)
		return nil, auction.Errorf(auction.EInvalidCredentials, "wrong email or password")
	}
	if err != nil {
		return nil, err
	}
	if !auction.CheckPassword(hash, password) {
		return nil, auction.Errorf(auction.EInvalidCredentials, "wrong email or password")
	}
	return u, nil
}

// User returns an account by id.
func (s *Store) User(ctx context.Context, id string) (*auction.User, error) {
	u, err := scanUser(s.db.Pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, id))
	return u, pgtx.Translate(err, "user")
}

// TokensChannel is the NOTIFY channel that announces, in the transaction that
// commits it, every change that ends or alters what Authenticate answers for
// a token; the payload is the token's hash in hex. Processes that cache
// sessions drop them on it (web/live/tokencache.go).
const TokensChannel = "gavel_tokens"

func hashToken(secret string) []byte {
	h := auction.TokenHash(secret)
	return h[:]
}

func randomSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// CreateToken issues a token for userID; only its hash is stored.
func (s *Store) CreateToken(ctx context.Context, userID, kind string, ttl time.Duration) (secret string, sess *auction.Session, err error) {
	secret = randomSecret()
	now := s.wall.Now()
	sess = &auction.Session{Kind: kind, ExpiresAt: now.Add(ttl)}
	if kind == auction.TokenSession {
		sess.CSRF = randomSecret()
	}
	_, err = s.db.Pool.Exec(ctx, `INSERT INTO tokens (token_hash, user_id, kind, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		hashToken(secret), userID, kind, sess.CSRF, now, sess.ExpiresAt)
	return secret, sess, err
}

// Authenticate returns the session of a token that exists, is not revoked and
// has not expired; otherwise unauthenticated.
func (s *Store) Authenticate(ctx context.Context, secret string) (*auction.Session, error) {
	sess := &auction.Session{}
	u, err := scanUser(s.db.Pool.QueryRow(ctx, `
		SELECT `+userColumns+`, t.kind, t.csrf, t.expires_at
		FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2`,
		hashToken(secret), s.wall.Now()), &sess.Kind, &sess.CSRF, &sess.ExpiresAt)
	if err == pgx.ErrNoRows {
		return nil, auction.Errorf(auction.EUnauthenticated, "the token is invalid, expired or revoked")
	}
	if err != nil {
		return nil, err
	}
	sess.User = u
	return sess, nil
}

// Unexpired tells whether a session that Authenticate returned is still before
// its expires_at by the same wall clock Authenticate judges it with.
func (s *Store) Unexpired(sess *auction.Session) bool { return sess.ExpiresAt.After(s.wall.Now()) }

// RevokeToken ends a token (logout). The revocation is announced on
// TokensChannel by the same statement, so in the same transaction: processes
// that cached the session hear of it exactly when it commits.
func (s *Store) RevokeToken(ctx context.Context, secret string) error {
	_, err := s.db.Pool.Exec(ctx, `
		WITH revoked AS (
			UPDATE tokens SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL RETURNING token_hash)
		SELECT pg_notify($3, encode(token_hash, 'hex')) FROM revoked`,
		hashToken(secret), s.wall.Now(), TokensChannel)
	return err
}
