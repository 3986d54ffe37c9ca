package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// childEnv names the file a child process checks. A damaged database can make bbolt panic in a
// goroutine it starts, or fault on a page past the end of a truncated file; neither can be
// recovered in-process, so each file is opened by a child, whose death marks the file damaged.
const childEnv = "OTELCOL_BACKBONE_STATECHECK_FILE"

// lockTimeout bounds the wait for bbolt's file lock: a collector that already runs on the
// directory holds it, and its files are then in use, not damaged.
const lockTimeout = time.Second

// The child's verdicts, one line on its standard output; a damaged verdict carries the reason.
const (
	verdictSound      = "sound"
	verdictBusy       = "busy"
	verdictDamaged    = "damaged: "
	verdictUnreadable = "unreadable: "
)

// storagePrefixes are the kinds file_storage starts its file names with
// (<kind>_<type>_<name>[_<client name>]); a name too long for the file system becomes the
// SHA-256 of that name in hex.
var storagePrefixes = []string{"receiver_", "processor_", "exporter_", "extension_", "connector_"}

// isStorageFile reports whether name is a file_storage database: not one moved aside, by this
// program (.damaged-<time>) or by file_storage's own recreate option (.backup), nor a
// compaction's temporary file.
func isStorageFile(name string) bool {
	if strings.Contains(name, ".damaged-") || strings.HasSuffix(name, ".backup") {
		return false
	}
	for _, p := range storagePrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	if len(name) != 64 {
		return false
	}
	for _, c := range name {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// checkDir checks every file_storage database in dir, each in a child process running self,
// and moves the damaged ones aside. A missing dir holds nothing to check. The error is for what
// would still make the collector fail: a damaged file left in place.
func checkDir(dir, self string, logger *log.Logger) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		// The collector will say what is wrong with the directory.
		logger.Printf("cannot list %s, nothing checked: %v", dir, err)
		return nil
	}
	sound := 0
	var failed []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !isStorageFile(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if info, err := e.Info(); err != nil || info.Size() == 0 {
			// Empty: bbolt writes a new database into it.
			continue
		}
		verdict := checkInChild(self, path)
		switch {
		case verdict == verdictSound:
			sound++
		case verdict == verdictBusy:
			logger.Printf("%s is locked, most likely by a running collector: not checked", path)
		case strings.HasPrefix(verdict, verdictUnreadable):
			logger.Printf("cannot read %s, not checked: %s", path, strings.TrimPrefix(verdict, verdictUnreadable))
		default:
			reason := strings.TrimPrefix(verdict, verdictDamaged)
			aside := path + ".damaged-" + time.Now().UTC().Format("20060102T150405Z")
			if err := os.Rename(path, aside); err != nil {
				logger.Printf("%s is damaged (%s) and cannot be moved aside: %v; the collector would fail on it: move or delete it by hand", path, reason, err)
				failed = append(failed, path)
				continue
			}
			logger.Printf("%s is damaged (%s): moved aside to %s; the collector starts with a new, empty one: %s",
				path, reason, filepath.Base(aside), loss(e.Name()))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("damaged and still in place: %s", strings.Join(failed, ", "))
	}
	if sound > 0 {
		logger.Printf("%d storage file(s) in %s checked, sound", sound, dir)
	}
	return nil
}

// loss says what starting with an empty database means for the component that owns it.
func loss(name string) string {
	switch {
	case strings.HasPrefix(name, "receiver_backbone_"):
		return "the backbone receiver no longer knows which message events it delivered and starts over as its start_at setting says"
	case strings.HasPrefix(name, "exporter_"):
		return "the data that waited in this exporter's persistent sending queue is lost"
	default:
		return "the state its component kept there is lost"
	}
}

// checkInChild runs self on path with childEnv set and returns its verdict. A child that dies
// without one (a panic, a fault) found the file damaged; the reason is the runtime's message.
func checkInChild(self, path string) string {
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if verdict := strings.TrimSpace(stdout.String()); err == nil && verdict != "" {
		return verdict
	}
	if reason := crashReason(&stderr); reason != "" {
		return verdictDamaged + reason
	}
	if err == nil {
		err = errors.New("no verdict")
	}
	return verdictDamaged + "checking it: " + err.Error()
}

// crashReason picks the lines of a Go crash that say what happened: the panic's value or the
// fatal error, and the signal of a fault.
func crashReason(stderr io.Reader) string {
	var parts []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		for _, p := range []string{"panic: ", "fatal error: ", "[signal "} {
			if strings.HasPrefix(line, p) && !seen[p] {
				seen[p] = true
				parts = append(parts, line)
			}
		}
	}
	return strings.Join(parts, " ")
}

// childMain opens path read-only as file_storage does and runs bbolt's consistency check on
// it, then writes its verdict to out. It may not return: bbolt can panic or fault on a damaged
// file, which is the verdict too.
func childMain(path string, out io.Writer) int {
	fmt.Fprintln(out, checkFile(path))
	return 0
}

func checkFile(path string) string {
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		ReadOnly:     true,
		Timeout:      lockTimeout,
		FreelistType: bolt.FreelistMapType,
	})
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return verdictBusy
	case errors.Is(err, fs.ErrPermission), errors.Is(err, fs.ErrNotExist):
		return verdictUnreadable + err.Error()
	case err != nil:
		return verdictDamaged + err.Error()
	}
	defer db.Close()
	var problems []string
	_ = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			problems = append(problems, err.Error())
		}
		return nil
	})
	switch len(problems) {
	case 0:
		return verdictSound
	case 1:
		return verdictDamaged + problems[0]
	default:
		return fmt.Sprintf("%s%s (and %d more problems)", verdictDamaged, problems[0], len(problems)-1)
	}
}
