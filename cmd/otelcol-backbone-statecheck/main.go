// Command otelcol-backbone-statecheck checks the collector's file_storage databases before the
// collector opens them, and moves a damaged one aside so that the collector starts with a fresh
// one. Without it, a database damaged in its middle (a full disk, a crash during a write) makes
// bbolt panic in a goroutine of its own at every start, which no component can recover: the
// service would restart into the same panic forever.
//
//	otelcol-backbone-statecheck [-dir DIR] [-- COMMAND [ARG...]]
//
// Without COMMAND it checks and exits (the systemd unit's ExecStartPre=); with one, it checks
// and then replaces itself with COMMAND, the collector (the container's ENTRYPOINT, where there
// is no shell to chain two commands).
//
// Exit status: 0 when every file is sound or was moved aside; 1 when a damaged file could not
// be moved aside (the collector would panic on it) or the arguments are wrong. A file it cannot
// judge (unreadable, locked by a running collector) is logged and left to the collector.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"syscall"
)

// defaultDir is the packaged configuration's file_storage directory; OTELCOL_STORAGE_DIR moves
// both, so the check follows the collector's configuration without reading it.
const defaultDir = "/var/lib/otelcol-backbone"

func main() {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(childMain(path, os.Stdout))
	}
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	logger := log.New(stderr, "otelcol-backbone-statecheck: ", 0)
	fs := flag.NewFlagSet("otelcol-backbone-statecheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "file_storage directory to check (default: $OTELCOL_STORAGE_DIR, else "+defaultDir+")")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: otelcol-backbone-statecheck [-dir DIR] [-- COMMAND [ARG...]]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		return 1
	}
	if *dir == "" {
		*dir = storageDir()
	}
	self, err := os.Executable()
	if err != nil {
		logger.Printf("cannot find its own executable to check files with: %v", err)
		return 1
	}
	if err := checkDir(*dir, self, logger); err != nil {
		logger.Print(err)
		return 1
	}
	command := fs.Args()
	if len(command) == 0 {
		return 0
	}
	path, err := exec.LookPath(command[0])
	if err != nil {
		logger.Print(err)
		return 1
	}
	err = syscall.Exec(path, command, os.Environ())
	logger.Printf("starting %s: %v", path, err)
	return 1
}

func storageDir() string {
	if d := os.Getenv("OTELCOL_STORAGE_DIR"); d != "" {
		return d
	}
	return defaultDir
}
