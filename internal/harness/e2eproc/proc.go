// Package e2eproc runs the child processes of the end-to-end tests: the built collector and
// the servers it talks to. It finds the collector binary, starts a process with its output
// captured, stops it gracefully when the test ends and prints its output if the test failed.
package e2eproc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/wait"
)

// CollectorEnv names the variable holding the absolute path of the built collector binary.
const CollectorEnv = "BACKBONE_E2E_COLLECTOR"

// StopTimeout is how long a process gets to exit after SIGTERM before it is killed.
const StopTimeout = 15 * time.Second

// CollectorBinary returns the collector to test, or skips the test when none is given.
func CollectorBinary(t testing.TB) string {
	t.Helper()
	path := os.Getenv(CollectorEnv)
	if path == "" {
		t.Skipf("%s is not set: run `make e2e`, or `make build` and set it to the collector binary's "+
			"absolute path (e.g. %s=$PWD/dist/otelcol-backbone/otelcol-backbone)", CollectorEnv, CollectorEnv)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.IsDir() {
		t.Fatalf("%s=%q must name the built collector binary: %v", CollectorEnv, path, err)
	}
	return path
}

// Ports handed out by FreePort, so that one test binary never hands out a port twice.
var (
	portsMu   sync.Mutex
	portsUsed = map[int]bool{}
)

// FreePort returns a free localhost port for a child process to listen on. It picks ports
// below Linux's ephemeral range (32768 and up): a port the kernel picked would be free again
// between this check and the child's bind, and any outgoing connection of the tests (the
// collector's, the simulator's, the test's own) could take it in between.
func FreePort(t testing.TB) int {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	for range 200 {
		port := 20000 + rand.IntN(12000)
		if portsUsed[port] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		_ = l.Close()
		portsUsed[port] = true
		return port
	}
	t.Fatal("no free localhost port between 20000 and 32000")
	return 0
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Process is one run of a child process, its stdout and stderr captured together.
type Process struct {
	name string
	cmd  *exec.Cmd
	out  lockedBuffer
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, set before done closes
}

// Start runs bin with args. When ctx ends the process gets SIGTERM (and SIGKILL after
// StopTimeout); on Linux it is also killed when the test binary dies. When the test ends it is
// stopped and, if the test failed, its output is printed under name.
func Start(t testing.TB, ctx context.Context, name, bin string, args ...string) *Process {
	t.Helper()
	return StartEnv(t, ctx, name, bin, nil, args...)
}

// StartEnv is Start with env ("NAME=value") added to the test's environment.
func StartEnv(t testing.TB, ctx context.Context, name, bin string, env []string, args ...string) *Process {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = StopTimeout
	cmd.SysProcAttr = childProcAttr()
	p := &Process{name: name, cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Stop(t)
		if t.Failed() {
			t.Logf("%s output (%s):\n%s", name, cmd, p.Output())
		}
	})
	return p
}

// Pid returns the process's id, to read what /proc tells of it.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Output returns what the process has written so far.
func (p *Process) Output() string { return p.out.String() }

// CountLines counts the lines of a log (an Output) that contain every one of parts.
func CountLines(log string, parts ...string) int {
	n := 0
	for line := range strings.Lines(log) {
		if !slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(line, p) }) {
			n++
		}
	}
	return n
}

// Exited tells whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Err returns Wait's result once the process has exited: nil for a clean exit.
func (p *Process) Err() error {
	if !p.Exited() {
		return nil
	}
	return p.err
}

// Stop sends SIGTERM and waits; a process that does not exit within StopTimeout is killed.
// It returns Wait's error: nil for a clean exit.
func (p *Process) Stop(t testing.TB) error {
	t.Helper()
	if p.Exited() {
		return p.err
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(StopTimeout):
		t.Errorf("%s did not stop within %s of SIGTERM; killing it", p.name, StopTimeout)
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return p.err
}

// Kill ends the process with SIGKILL, as a crash or the OOM killer would.
func (p *Process) Kill(t testing.TB) {
	t.Helper()
	if p.Exited() {
		return
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill %s: %v", p.name, err)
	}
	<-p.done
}

// WaitHTTP waits until url answers 200, failing the test after timeout or as soon as the
// process has exited.
func WaitHTTP(t testing.TB, p *Process, url string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if p.Exited() {
			t.Fatalf("%s exited before %s answered: %v\n%s", p.name, url, p.err, tail(p.Output(), 4000))
		}
		resp, err := http.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: %s did not answer 200 within %s", p.name, url, timeout)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// Eventually polls cond every 100ms until it holds, failing the test after timeout or as soon
// as p (when given) has exited.
func Eventually(t *testing.T, p *Process, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	exited := func() bool { return p != nil && p.Exited() }
	var held bool
	err := wait.For(t.Context(), timeout, func() bool {
		held = cond()
		return held || exited()
	})
	switch {
	case held:
	case exited():
		t.Fatalf("collector exited (%v) while waiting for %s", p.Err(), what)
	case errors.Is(err, wait.ErrTimeout):
		t.Fatalf("no %s within %s", what, timeout)
	default:
		t.Fatalf("test ended while waiting for %s", what)
	}
}
