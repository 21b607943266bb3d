package auction

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
)

// Origin is where a request came from: the client's IP address and a hash of
// its device cookie. The web layer puts it in the request context so that the
// audit log, interceptions and the collusion signals can say "from where"
// without every store method growing two parameters.
type Origin struct {
	IP     string
	Device string
}

type originKey struct{}

// WithOrigin returns ctx carrying o.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginFrom returns the origin in ctx (empty when there is none, e.g. the CLI).
func OriginFrom(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}

// DeviceHash is what is stored for a device cookie: the cookie itself would
// let anyone reading the database impersonate the browser's device.
func DeviceHash(cookie string) string {
	if cookie == "" {
		return ""
	}
	h := sha256.Sum256([]byte("gavel-device\x00" + cookie))
	return hex.EncodeToString(h[:])
}
