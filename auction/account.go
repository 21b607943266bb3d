package auction

import (
	"crypto/sha256"
	"time"
)

// NewUser is an account to create; Password is the plain text, hashed here.
type NewUser struct {
	Email    string
	Password string
	Role     string
	RealName string
	// IDType is the kind of document IDNumber comes from; empty means resident_id.
	IDType   string
	IDNumber string
	Phone    string
}

// Token kinds.
const (
	TokenAPI     = "api"
	TokenSession = "session"
)

// TokenTTL is how long a bearer token or a browser session lasts.
const TokenTTL = 30 * 24 * time.Hour

// Session is an authenticated token: its user and, for browser sessions, the
// CSRF token that every state-changing request must echo.
type Session struct {
	User      *User
	Kind      string
	CSRF      string
	ExpiresAt time.Time
}

// TokenHash is what a token is stored and looked up by: the SHA-256 of its
// secret. Caches key by it too, so that no secret is kept in memory.
func TokenHash(secret string) [sha256.Size]byte { return sha256.Sum256([]byte(secret)) }
