package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// openEnv makes the test binary open a file as file_storage does and read it all, the way a
// collector starts on it: the test of the fixture itself.
const openEnv = "STATECHECK_TEST_OPEN"

// TestMain lets the test binary stand in for the program: the check re-executes it as its child.
func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(childMain(path, os.Stdout))
	}
	if path := os.Getenv(openEnv); path != "" {
		os.Exit(openLikeFileStorage(path))
	}
	os.Exit(m.Run())
}

// fileStorageOptions are the options file_storage opens its databases with.
var fileStorageOptions = bolt.Options{NoSync: true, NoFreelistSync: true, FreelistType: bolt.FreelistMapType}

func openLikeFileStorage(path string) int {
	db, err := bolt.Open(path, 0o600, &fileStorageOptions)
	if err != nil {
		fmt.Println("open:", err)
		return 1
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
			return b.ForEach(func([]byte, []byte) error { return nil })
		})
	})
	if err != nil {
		fmt.Println("read:", err)
		return 1
	}
	return 0
}

// writeDB writes a database as file_storage does: one "default" bucket, here with 2,000 keys of
// 100 bytes (about 90 pages), in one transaction so that every page but a few is in use.
func writeDB(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &fileStorageOptions)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("default"))
		if err != nil {
			return err
		}
		for i := range 2000 {
			if err := b.Put(fmt.Appendf(nil, "key-%05d", i), bytes.Repeat([]byte{byte(i)}, 100)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// damageMiddle zeroes the page in the middle of the file, as a write cut short would leave it.
func damageMiddle(t *testing.T, path string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	page := int64(os.Getpagesize())
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(make([]byte, page), info.Size()/page/2*page); err != nil {
		t.Fatal(err)
	}
}

// truncateHalf cuts the file at its middle page, as a full disk can leave it.
func truncateHalf(t *testing.T, path string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	page := int64(os.Getpagesize())
	if err := os.Truncate(path, info.Size()/page/2*page); err != nil {
		t.Fatal(err)
	}
}

// TestFixturesMakeBboltFail shows that the damaged files are what a collector meets: opened as
// file_storage opens them, they make bbolt panic (exit status 2), the crash loop this program
// prevents, while the sound file opens. Where the panic comes from depends on which page is
// read first: in the reader, or in a goroutine bbolt starts (where no caller can recover it,
// as in the collector), so only the panic and its exit status are required.
func TestFixturesMakeBboltFail(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		damage func(*testing.T, string)
		want   string // in the output; "" for a clean open
	}{
		{"sound", func(*testing.T, string) {}, ""},
		{"damaged in the middle", damageMiddle, "panic: assertion failed: Page expected to be: "},
		{"truncated", truncateHalf, "panic: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "receiver_backbone_")
			writeDB(t, path)
			tc.damage(t, path)
			cmd := exec.Command(self)
			cmd.Env = append(os.Environ(), openEnv+"="+path)
			out, err := cmd.CombinedOutput()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("sound file: %v\n%s", err, out)
				}
				return
			}
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), tc.want) {
				t.Fatalf("want a panic (exit status 2) with %q, got %v:\n%.2000s", tc.want, err, out)
			}
		})
	}
}

func TestCheckDir(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, damage func(*testing.T, string)) string {
		path := filepath.Join(dir, name)
		writeDB(t, path)
		if damage != nil {
			damage(t, path)
		}
		return path
	}
	sound := write("exporter_otlp_http__logs", nil)
	middle := write("receiver_backbone_", damageMiddle)
	truncated := write("exporter_otlp_http__metrics", truncateHalf)
	// Too long a name makes file_storage use its SHA-256; a header cut short is not a database.
	header := filepath.Join(dir, strings.Repeat("0123456789abcdef", 4))
	if err := os.WriteFile(header, []byte("a database cut after its first bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Not checked: an empty file (bbolt writes a new database into it), a file moved aside
	// before, a file of someone else.
	empty := filepath.Join(dir, "extension_x_")
	earlier := write("receiver_backbone_before.damaged-20260101T000000Z", damageMiddle)
	other := filepath.Join(dir, "notes.txt")
	for _, p := range []string{empty, other} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	var logs bytes.Buffer
	if err := checkDir(dir, self, log.New(&logs, "", 0)); err != nil {
		t.Fatalf("checkDir: %v\n%s", err, logs.String())
	}
	t.Logf("log:\n%s", logs.String())

	for _, p := range []string{sound, empty, earlier, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was not left in place: %v", filepath.Base(p), err)
		}
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	for _, tc := range []struct {
		path, reason, loss string
	}{
		{middle, "panic: assertion failed: Page expected to be: ", "the backbone receiver no longer knows which message events it delivered and starts over as its start_at setting says"},
		{truncated, "", "the data that waited in this exporter's persistent sending queue is lost"},
		{header, "invalid database", "the state its component kept there is lost"},
	} {
		name := filepath.Base(tc.path)
		if _, err := os.Stat(tc.path); err == nil {
			t.Errorf("%s is still in place", name)
		}
		aside, _ := filepath.Glob(tc.path + ".damaged-*")
		if len(aside) != 1 || !regexp.MustCompile(`\.damaged-\d{8}T\d{6}Z$`).MatchString(aside[0]) {
			t.Errorf("%s: moved aside as %q, want one <name>.damaged-<UTC time>", name, aside)
			continue
		}
		var line string
		for _, l := range lines {
			if strings.HasPrefix(l, tc.path+" is damaged (") {
				line = l
			}
		}
		want := "moved aside to " + filepath.Base(aside[0]) + "; the collector starts with a new, empty one: " + tc.loss
		if line == "" || !strings.Contains(line, tc.reason) || !strings.HasSuffix(line, want) {
			t.Errorf("%s: no log line with %q ending in %q", name, tc.reason, want)
		}
	}
	if want := "1 storage file(s) in " + dir + " checked, sound"; lines[len(lines)-1] != want {
		t.Errorf("last log line %q, want %q", lines[len(lines)-1], want)
	}
	if len(lines) != 4 {
		t.Errorf("%d log lines, want one per damaged file and the summary", len(lines))
	}
}

func TestCheckDirMissing(t *testing.T) {
	var logs bytes.Buffer
	if err := checkDir(filepath.Join(t.TempDir(), "none"), "/nonexistent", log.New(&logs, "", 0)); err != nil || logs.Len() > 0 {
		t.Errorf("a missing directory: %v, log %q; want nothing", err, logs.String())
	}
}

// TestCheckDirCannotMove: a damaged file that cannot be moved aside fails the check, so that
// the service does not start into bbolt's panic.
func TestCheckDirCannotMove(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can rename in a read-only folder")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "receiver_backbone_")
	writeDB(t, path)
	damageMiddle(t, path)
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	var logs bytes.Buffer
	err = checkDir(dir, self, log.New(&logs, "", 0))
	if err == nil || !strings.Contains(logs.String(), "cannot be moved aside") {
		t.Errorf("checkDir: %v, log %q; want an error and the reason", err, logs.String())
	}
}

// TestCheckDirBusy: a file a running collector holds is in use, not damaged.
func TestCheckDirBusy(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "receiver_backbone_")
	writeDB(t, path)
	db, err := bolt.Open(path, 0o600, &fileStorageOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var logs bytes.Buffer
	if err := checkDir(dir, self, log.New(&logs, "", 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil || !strings.Contains(logs.String(), "is locked") {
		t.Errorf("locked file: %v, log %q; want it left in place and reported", err, logs.String())
	}
}

func TestIsStorageFile(t *testing.T) {
	for name, want := range map[string]bool{
		"receiver_backbone_":                             true,
		"exporter_otlp_http__logs":                       true,
		"extension_x_y":                                  true,
		strings.Repeat("ab", 32):                         true,
		strings.Repeat("AB", 32):                         false,
		"receiver_backbone_.damaged-20260101T0000Z":      false,
		"receiver_backbone_.20260101T000000.000Z.backup": false,
		"tempdb123456":                                   false,
		"notes.txt":                                      false,
	} {
		if got := isStorageFile(name); got != want {
			t.Errorf("isStorageFile(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestRun: without a command the program checks and exits; OTELCOL_STORAGE_DIR, which the
// packaged configuration gives file_storage, is the directory it checks unless -dir says
// otherwise.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "receiver_backbone_")
	writeDB(t, path)
	damageMiddle(t, path)
	t.Setenv("OTELCOL_STORAGE_DIR", dir)
	var stderr bytes.Buffer
	if code := run(nil, &stderr); code != 0 {
		t.Fatalf("run: status %d\n%s", code, stderr.String())
	}
	if _, err := os.Stat(path); err == nil || !strings.Contains(stderr.String(), "otelcol-backbone-statecheck: "+path+" is damaged") {
		t.Errorf("the damaged file in $OTELCOL_STORAGE_DIR was not moved aside:\n%s", stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"-dir", t.TempDir(), "--", filepath.Join(dir, "missing")}, &stderr); code != 1 || !strings.Contains(stderr.String(), "missing") {
		t.Errorf("a command that does not exist: status %d, %q; want 1 and the reason", code, stderr.String())
	}
	if code := run([]string{"-unknown"}, &stderr); code != 1 {
		t.Errorf("an unknown flag: status %d, want 1", code)
	}
}
