package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is a `gavel serve` loadgen drives: one it started, or one it was
// pointed at.
type server struct {
	url string
	pid int // 0 when unknown: no RSS figures
	cmd *exec.Cmd
	// exited is closed once a started server has exited.
	exited chan struct{}
	log    string
}

// freePort asks the kernel for a port nobody listens on.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// spawn starts `gavel serve --test-clock --no-limits` on a free loopback port
// and waits until it answers /readyz. Its log goes to a file in dir.
func spawn(ctx context.Context, gavel, databaseURL, dir, name, pprof string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--test-clock", "--no-limits"}
	if pprof != "" {
		args = append(args, "--pprof", pprof)
	}
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(gavel, args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{url: fmt.Sprintf("http://127.0.0.1:%d", port), pid: cmd.Process.Pid, cmd: cmd, log: logPath, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("gavel serve exited at start; see %s", logPath)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if resp, err := http.Get(s.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("gavel serve did not get ready in a minute; see %s", logPath)
		}
	}
}

// stop asks a started server to finish (SIGTERM), then kills it.
func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// rss is the server's resident set size in bytes (VmRSS), or 0 when unknown.
func (s *server) rss() (int64, error) {
	if s.pid == 0 {
		return 0, nil
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS in /proc/PID/status")
}

// addStaff creates a staff account with `gavel users add` (staff accounts
// exist only through the CLI).
func addStaff(ctx context.Context, gavel, databaseURL, email, role, password string) error {
	cmd := exec.CommandContext(ctx, gavel, "users", "add", "--email", email, "--name", "Load test "+role, "--role", role)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL)
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("gavel users add --role %s: %v: %s", role, err, out)
	}
	return nil
}

// raiseOpenFiles makes sure this process may hold need descriptors. Go
// already lifts the soft limit to the hard one at start (and so does every
// `gavel serve`, which is a Go program too); past the hard limit only a
// privileged process may go, and the servers started afterwards inherit it.
func raiseOpenFiles(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= need {
		return nil
	}
	want := syscall.Rlimit{Cur: max(need, lim.Cur), Max: max(need, lim.Max)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		return fmt.Errorf("need %d open files, the limit is %d (hard %d) and raising it failed: %v; raise it with ulimit -n", need, lim.Cur, lim.Max, err)
	}
	return nil
}

// processes is the server processes whose memory counts together: one
// gavel serve, or every instance behind a proxy (-url PROXY -pid A,B,C).
type processes []*server

func (ps processes) rss() (int64, error) {
	var sum int64
	for _, p := range ps {
		n, err := p.rss()
		if err != nil {
			return 0, err
		}
		sum += n
	}
	return sum, nil
}

func (ps processes) measured() bool {
	for _, p := range ps {
		if p.pid != 0 {
			return true
		}
	}
	return false
}

// liveConnections reads an instance's open live connections from /metrics.
func liveConnections(ctx context.Context, base string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "gavel_live_connections "); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, fmt.Errorf("%s/metrics: no gavel_live_connections", base)
}

// cpu is the CPU time the processes used so far (user and system), from
// /proc/PID/stat; 0 when no process id is known.
func (ps processes) cpu() (time.Duration, error) {
	var sum time.Duration
	for _, p := range ps {
		if p.pid == 0 {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
		if err != nil {
			return 0, err
		}
		// The command may hold spaces: fields count from after its ')'.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 13 {
			return 0, fmt.Errorf("/proc/%d/stat: %d fields", p.pid, len(f))
		}
		utime, err1 := strconv.ParseInt(f[11], 10, 64)
		stime, err2 := strconv.ParseInt(f[12], 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return 0, err
		}
		// Clock ticks of 1/100 s: the kernel's USER_HZ on Linux.
		sum += time.Duration(utime+stime) * 10 * time.Millisecond
	}
	return sum, nil
}
