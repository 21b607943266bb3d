package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// client speaks Gavel's JSON API (API.md) to one server.
type client struct {
	base string // e.g. http://127.0.0.1:8080
	http *http.Client
}

func newClient(base string) *client {
	t := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        4096,
		MaxIdleConnsPerHost: 4096,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &client{base: base, http: &http.Client{Transport: t, Timeout: 60 * time.Second}}
}

// apiError is a non-2xx answer.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// call sends a JSON request and decodes a 2xx answer into out (when not nil).
func (c *client) call(ctx context.Context, method, path, token string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/api/v1"+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		return &apiError{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// bidReply is the answer to a bid, accepted (bid set) or refused (error
// set); both carry the auction state.
type bidReply struct {
	Bid *struct {
		Seq    int64 `json:"seq"`
		Amount int64 `json:"amount"`
	} `json:"bid"`
	Auction *struct {
		CurrentPrice *int64 `json:"current_price"`
		Seq          int64  `json:"seq"`
		Status       string `json:"status"`
	} `json:"auction"`
	Error *struct {
		Code string `json:"code"`
	} `json:"error"`
}

// bid places one bid and returns the HTTP status with the decoded answer.
// amount is asked for when the request is written to the connection, not
// before: a bidder choosing a price from what it last saw should not carry
// the load generator's own scheduling delays into the price (a bid priced
// early and sent late is overtaken by bids priced after it).
func (c *client) bid(ctx context.Context, token, auctionID, key string, amount func() int64) (int, *bidReply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/v1/auctions/"+auctionID+"/bids",
		&lateBody{amount: amount})
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var r bidReply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return resp.StatusCode, nil, err
	}
	return resp.StatusCode, &r, nil
}

// lateBody is a bid's JSON body, priced on its first read.
type lateBody struct {
	amount func() int64
	buf    []byte
	priced bool
}

func (b *lateBody) Read(p []byte) (int, error) {
	if !b.priced {
		b.buf, b.priced = fmt.Appendf(nil, `{"amount":%d}`, b.amount()), true
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	if len(b.buf) == 0 {
		return n, io.EOF
	}
	return n, nil
}

// fixed is an amount decided in advance.
func fixed(amount int64) func() int64 { return func() int64 { return amount } }
