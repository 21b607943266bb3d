// Package realname is the adapter for a real-name verification service
// (实名认证) spoken over HTTPS with JSON, for courts that contract one.
//
// The protocol, which a provider implements or a thin proxy in front of it
// translates to:
//
//	POST {base}/v1/identity/verify
//	Authorization: Bearer {key}
//	Content-Type: application/json
//
//	{"name": "张三", "id_type": "resident_id", "id_number": "11010519491231002X"}
//
// answered 200 with
//
//	{"result": "match" | "mismatch" | "not_found", "reference": "the provider's transaction id"}
//
// "match" verifies the person; "mismatch" (the number exists under another
// name) and "not_found" (no such number) refuse the verification; any other
// status or body is an error of the provider, and the bidder is told to try
// again or come to the desk. Names and numbers travel only in the request
// body, never in the URL, so that no access log holds them.
package realname

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"gavel/auction"
)

// Provider verifies identities with one provider.
type Provider struct {
	base   string
	key    string
	client *http.Client
}

var _ auction.IdentityProvider = (*Provider)(nil)

// Config is where the provider is and the key it issued.
type Config struct {
	// BaseURL is the provider's address (GAVEL_REALNAME_URL).
	BaseURL string
	// Key is the bearer key the provider issued (GAVEL_REALNAME_KEY).
	Key string
	// Timeout bounds one verification (default 10 s).
	Timeout time.Duration
}

// New returns the adapter for the provider at cfg.BaseURL.
func New(cfg Config) *Provider {
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	return &Provider{base: strings.TrimRight(cfg.BaseURL, "/"), key: cfg.Key, client: &http.Client{Timeout: cfg.Timeout}}
}

type request struct {
	Name     string `json:"name"`
	IDType   string `json:"id_type"`
	IDNumber string `json:"id_number"`
}

type response struct {
	Result    string `json:"result"`
	Reference string `json:"reference"`
}

// Verify asks the provider whether realName holds id.
func (p *Provider) Verify(ctx context.Context, realName string, id auction.Identity) (string, error) {
	body, err := json.Marshal(request{Name: realName, IDType: id.Type, IDNumber: id.Number})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+"/v1/identity/verify", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+p.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("realname: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("realname: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("realname: provider answered %d", resp.StatusCode)
	}
	var out response
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", fmt.Errorf("realname: provider's answer is not JSON: %w", err)
	}
	switch out.Result {
	case "match":
		if out.Reference == "" {
			return "", fmt.Errorf("realname: provider confirmed without a reference")
		}
		return out.Reference, nil
	case "mismatch", "not_found":
		return "", auction.FieldError("id_number", "the verification provider did not confirm that this name and number belong together; check both, or have a court clerk verify you at the desk")
	}
	return "", fmt.Errorf("realname: provider answered result %q", out.Result)
}
