package casereport_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// hexHMAC is the receiver's side of the signature, written independently.
func hexHMAC(secret, msg string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}
