// Package stripemock runs stripe-mock, Stripe's official API double that
// validates every request against Stripe's OpenAPI description, for tests
// of the Stripe provider. `make test` installs it when it is missing
// (go install github.com/stripe/stripe-mock@v0.203.0).
package stripemock

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// ErrNotInstalled means no stripe-mock binary was found.
var ErrNotInstalled = errors.New("stripe-mock is not installed; `make test` installs it (go install github.com/stripe/stripe-mock@v0.203.0)")

// Binary finds stripe-mock on PATH or in $(go env GOPATH)/bin.
func Binary() string {
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return ""
	}
	p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "stripe-mock")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// Run starts stripe-mock on loopback ports of its own choosing and returns
// its HTTP base URL and a function that stops it.
func Run() (url string, stop func(), err error) {
	bin := Binary()
	if bin == "" {
		return "", nil, ErrNotInstalled
	}
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:", "-https-addr", "127.0.0.1:")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`Listening for HTTP at address: (\S+)`)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return "http://" + a, stop, nil
	case <-time.After(30 * time.Second):
		stop()
		return "", nil, errors.New("stripe-mock did not start listening within 30 s")
	}
}

// Start runs stripe-mock for one test and stops it when the test ends. When
// the binary is missing the test is skipped with a message that says the
// Stripe adapter went untested.
func Start(tb testing.TB) string {
	tb.Helper()
	url, stop, err := Run()
	if errors.Is(err, ErrNotInstalled) {
		tb.Skip("SKIPPED, the Stripe adapter is NOT tested in this run: " + err.Error())
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(stop)
	return url
}
