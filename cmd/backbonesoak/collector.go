//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/collectoryaml"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/selfmetrics"
)

// collectorConfig is the collector's configuration: the receiver on the simulator at base
// with its state on file_storage and an auth back-off short enough to recover from the
// login-page fault within the soak, both pipelines to the OTLP sink through a persistent queue
// that never gives up, and the collector's own metrics on a Prometheus endpoint.
func collectorConfig(base, treeDir, storageDir, sinkURL string, interval time.Duration, telemetryPort int) string {
	return collectoryaml.Config{
		Receiver: collectoryaml.Receiver{
			Endpoint: base, Username: simUser, Password: simPassword, Directory: treeDir, Interval: interval,
			Extra: `    timeout: 5s
    storage: file_storage
    auth_backoff:
      initial_interval: 2s
      max_interval: 4s
`,
		},
		Exporter: collectoryaml.Exporter{
			Endpoint: sinkURL,
			Queue:    &collectoryaml.Queue{Persistent: true},
			Retry:    &collectoryaml.Retry{Initial: time.Second, Max: 5 * time.Second},
		},
		Storage:   storageDir,
		Telemetry: selfmetrics.TelemetryYAML(telemetryPort),
	}.YAML()
}

// credential returns the user to run the collector as: name when this process is root and
// name is set, nobody else.
func credential(name string) (*syscall.Credential, string, error) {
	if name == "" || os.Geteuid() != 0 {
		return nil, "", nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, "", err
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, "", err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, "", err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, name, nil
}

// collector is the running collector process.
type collector struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	out  *outputWatcher
}

// startCollector runs bin with the config, as cred when given, with the Go scheduler's trace
// every sample (to count goroutines) and the garbage collector's trace (for the heap still
// live after each collection), its output going to logPath.
func startCollector(bin, configPath, workDir, logPath string, cred *syscall.Credential, sample time.Duration) (*collector, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	w := newOutputWatcher()
	cmd := exec.Command(bin, "--config", configPath)
	cmd.Dir = workDir
	cmd.Env = append(os.Environ(), fmt.Sprintf("GODEBUG=gctrace=1,schedtrace=%d,scheddetail=1", sample.Milliseconds()))
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	c := &collector{cmd: cmd, done: make(chan struct{}), out: w}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		w.consume(io.TeeReader(pr, logFile))
	}()
	go func() {
		c.err = cmd.Wait()
		pw.Close()
		<-copied
		logFile.Close()
		close(c.done)
	}()
	return c, nil
}

func (c *collector) pid() int { return c.cmd.Process.Pid }

func (c *collector) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits up to timeout, then kills. It returns the exit error and
// whether the collector stopped by itself in time.
func (c *collector) stop(timeout time.Duration) (error, bool) {
	if c.exited() {
		return c.err, false
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return c.err, true
	case <-time.After(timeout):
		_ = c.cmd.Process.Kill()
		<-c.done
		return c.err, false
	}
}

// goroutineLine is one goroutine of the scheduler's detailed trace; status 6 is a dead one,
// kept for reuse.
var goroutineLine = regexp.MustCompile(`^\s+G\d+: status=(\d+)`)

// gcLine is the garbage collector's trace of one cycle: heap at start, at end, and still
// marked live, in MB.
var gcLine = regexp.MustCompile(`^gc \d+ @.* (\d+)->(\d+)->(\d+) MB, `)

// outputWatcher reads the collector's output: it counts the goroutines of each scheduler trace
// and the log lines by level and message.
type outputWatcher struct {
	mu         sync.Mutex
	goroutines int       // of the last complete trace; -1 before the first
	tracedAt   time.Time // when that trace began
	current    int
	inTrace    bool
	traceStart time.Time
	levels     map[string]int
	messages   map[string]int // "level: message" of warn and error lines
	liveMB     int            // sum of the live heaps of the cycles since the last call
	cycles     int
}

func newOutputWatcher() *outputWatcher {
	return &outputWatcher{goroutines: -1, levels: map[string]int{}, messages: map[string]int{}}
}

func (w *outputWatcher) consume(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		w.line(sc.Text())
	}
	_, _ = io.Copy(io.Discard, r)
}

func (w *outputWatcher) line(line string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if strings.HasPrefix(line, "SCHED ") {
		w.finishTrace()
		w.inTrace, w.current, w.traceStart = true, 0, time.Now()
		return
	}
	if m := gcLine.FindStringSubmatch(line); m != nil {
		live, _ := strconv.Atoi(m[3])
		w.liveMB += live
		w.cycles++
		return
	}
	if m := goroutineLine.FindStringSubmatch(line); m != nil {
		if status, _ := strconv.Atoi(m[1]); status&^0x1000 != 6 {
			w.current++
		}
		return
	}
	if strings.HasPrefix(line, "  ") {
		return // processors and threads of the trace
	}
	w.finishTrace()
	// Console log lines: time, level, caller, message, fields, separated by tabs.
	parts := strings.SplitN(line, "\t", 5)
	if len(parts) < 4 {
		return
	}
	level := parts[1]
	w.levels[level]++
	if level == "warn" || level == "error" {
		msg := parts[3]
		if len(msg) > 90 {
			msg = msg[:90] + "..."
		}
		w.messages[level+": "+msg]++
	}
}

func (w *outputWatcher) finishTrace() {
	if w.inTrace {
		w.goroutines, w.tracedAt, w.inTrace = w.current, w.traceStart, false
	}
}

// lastGoroutines returns the goroutines of the last complete trace begun after since, -1 when
// there is none. The runtime prints a trace at once: one begun a second ago is complete.
func (w *outputWatcher) lastGoroutines(since time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.inTrace && time.Since(w.traceStart) > time.Second {
		w.finishTrace()
	}
	if w.goroutines < 0 || w.tracedAt.Before(since) {
		return -1
	}
	return w.goroutines
}

// liveHeap returns the mean heap still live after the garbage collections since the last call
// (MB) and their number; -1 when none ran.
func (w *outputWatcher) liveHeap() (float64, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := w.cycles
	if n == 0 {
		return -1, 0
	}
	mean := float64(w.liveMB) / float64(n)
	w.liveMB, w.cycles = 0, 0
	return mean, n
}

// logSummary returns the log lines by level and the warn and error messages by count.
func (w *outputWatcher) logSummary() (levels, messages map[string]int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	levels, messages = map[string]int{}, map[string]int{}
	for k, v := range w.levels {
		levels[k] = v
	}
	for k, v := range w.messages {
		messages[k] = v
	}
	return levels, messages
}
