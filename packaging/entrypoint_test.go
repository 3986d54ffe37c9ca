package packaging_test

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
)

// dockerfileCommand returns the image's ENTRYPOINT and CMD, as the Dockerfile's exec forms.
func dockerfileCommand(t *testing.T) (entrypoint, cmd []string) {
	t.Helper()
	raw, err := os.ReadFile(repoPath("Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for l := range strings.SplitSeq(string(raw), "\n") {
		for prefix, dst := range map[string]*[]string{"ENTRYPOINT ": &entrypoint, "CMD ": &cmd} {
			if rest, ok := strings.CutPrefix(l, prefix); ok {
				if err := json.Unmarshal([]byte(rest), dst); err != nil {
					t.Fatalf("Dockerfile: %s is not an exec form: %v", strings.TrimSpace(prefix), err)
				}
			}
		}
	}
	if len(entrypoint) == 0 || len(cmd) == 0 {
		t.Fatalf("Dockerfile: ENTRYPOINT %q, CMD %q", entrypoint, cmd)
	}
	return entrypoint, cmd
}

// damageRootPage zeroes the page holding the root of a bbolt file's newest meta page, as a
// write cut short by a full disk or a crash leaves a page in the middle of the file.
func damageRootPage(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// A meta page: a 16-byte page header, then magic, version, page size (4 bytes each),
	// flags, the root bucket's page (8 bytes at 32), ..., the transaction id (8 bytes at 64).
	meta := func(off int64) (pageSize uint32, root, txid uint64) {
		b := make([]byte, 72)
		if _, err := f.ReadAt(b, off); err != nil {
			t.Fatal(err)
		}
		return binary.LittleEndian.Uint32(b[24:]), binary.LittleEndian.Uint64(b[32:]), binary.LittleEndian.Uint64(b[64:])
	}
	pageSize, root, txid := meta(0)
	if _, root1, txid1 := meta(int64(pageSize)); txid1 > txid {
		root = root1
	}
	if _, err := f.WriteAt(make([]byte, pageSize), int64(root)*int64(pageSize)); err != nil {
		t.Fatal(err)
	}
}

// TestImageEntrypointMovesDamagedState runs the image's ENTRYPOINT and CMD as the Dockerfile
// names them, with the image's programs replaced by the built ones and its configuration by
// packaging/config.yaml (the file the image carries), on a state directory whose receiver file
// file_storage wrote and a crash damaged: the collector alone panics in bbolt; through the
// entry point the file is moved aside, one line says so, and the collector starts.
func TestImageEntrypointMovesDamagedState(t *testing.T) {
	collector := e2eproc.CollectorBinary(t)
	entrypoint, cmd := dockerfileCommand(t)
	check := filepath.Join(t.TempDir(), "otelcol-backbone-statecheck")
	build := exec.Command("go", "build", "-o", check, "./cmd/otelcol-backbone-statecheck")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	config, err := filepath.Abs("config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inImage := strings.NewReplacer(
		"/otelcol-backbone-statecheck", check,
		"/otelcol-backbone", collector,
		"/etc/otelcol-backbone/config.yaml", config,
	)
	var argv, args []string
	for _, a := range entrypoint {
		argv = append(argv, inImage.Replace(a))
	}
	for _, a := range cmd {
		args = append(args, inImage.Replace(a))
	}
	argv = append(argv, args...)
	if argv[0] != check || !strings.Contains(strings.Join(argv, " "), collector) {
		t.Fatalf("ENTRYPOINT %q does not run otelcol-backbone-statecheck, then otelcol-backbone", entrypoint)
	}

	// The image's state directory is a volume; OTELCOL_STORAGE_DIR moves it for the
	// configuration and the check alike.
	state := t.TempDir()
	healthPort := e2eproc.FreePort(t)
	env := []string{
		"OTELCOL_STORAGE_DIR=" + state,
		"BACKBONE_DIRECTORY=" + t.TempDir(),
		"BACKBONE_COLLECTION_INTERVAL=1s",
		fmt.Sprintf("OTLP_ENDPOINT=http://127.0.0.1:%d", e2eproc.FreePort(t)),
		fmt.Sprintf("HEALTH_CHECK_ENDPOINT=127.0.0.1:%d", healthPort),
		fmt.Sprintf("OTELCOL_TELEMETRY_PORT=%d", e2eproc.FreePort(t)),
	}
	health := fmt.Sprintf("http://127.0.0.1:%d/", healthPort)
	receiverState := filepath.Join(state, "receiver_backbone_")
	exists := func(p string) func() bool {
		return func() bool { _, err := os.Stat(p); return err == nil }
	}

	first := e2eproc.StartEnv(t, t.Context(), "first start", argv[0], env, argv[1:]...)
	e2eproc.WaitHTTP(t, first, health, time.Minute)
	e2eproc.Eventually(t, first, 30*time.Second, "receiver state file", exists(receiverState))
	if err := first.Stop(t); err != nil {
		t.Fatalf("first start: stop: %v", err)
	}
	damageRootPage(t, receiverState)

	// The image's CMD on the collector alone: what the image did before it had the check.
	alone := e2eproc.StartEnv(t, t.Context(), "collector alone", collector, env, args...)
	e2eproc.Eventually(t, nil, 30*time.Second, "the collector's exit", alone.Exited)
	var exit *exec.ExitError
	if err := alone.Err(); !errors.As(err, &exit) || exit.ExitCode() != 2 ||
		!strings.Contains(alone.Output(), "panic: assertion failed: Page expected to be: ") {
		t.Fatalf("the collector alone on the damaged file: %v, want bbolt's panic (exit status 2)", err)
	}

	p := e2eproc.StartEnv(t, t.Context(), "entry point", argv[0], env, argv[1:]...)
	e2eproc.WaitHTTP(t, p, health, time.Minute)
	e2eproc.Eventually(t, p, 30*time.Second, "a new receiver state file", exists(receiverState))
	aside, _ := filepath.Glob(receiverState + ".damaged-*")
	if len(aside) != 1 {
		t.Fatalf("moved aside: %q, want one %s.damaged-<time>", aside, receiverState)
	}
	line := regexp.MustCompile(`(?m)^otelcol-backbone-statecheck: ` + regexp.QuoteMeta(receiverState) +
		` is damaged \(panic: assertion failed: Page expected to be: \d+, but self identifies as 0\): moved aside to ` +
		regexp.QuoteMeta(filepath.Base(aside[0])) + `; the collector starts with a new, empty one: the backbone receiver .* start_at setting says$`)
	if !line.MatchString(p.Output()) {
		t.Errorf("no log line saying the file was damaged, where it went and what it means")
	}
	if err := p.Stop(t); err != nil {
		t.Errorf("entry point: stop: %v (the collector must be the process itself, exec'd, to get SIGTERM)", err)
	}
}
