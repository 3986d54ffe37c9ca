// Command backbonetree writes a synthetic Backbone Issue Sync folder tree, the
// size of a busy production Jira, so that scans can be benchmarked against
// find on the same disk.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
)

func main() {
	var l layout
	dir := flag.String("dir", "", "backbone-issue-sync folder to create (must not exist or be empty)")
	flag.IntVar(&l.integrations, "integrations", 100, "number of integrations")
	flag.IntVar(&l.archive, "archive", 5000, "archived messages per connector")
	flag.Float64Var(&l.centralized, "centralized", 1, "share of integrations that are centralized (two connectors); the rest are distributed (one)")
	workers := flag.Int("workers", runtime.GOMAXPROCS(0)*4, "files created in parallel")
	flag.Parse()

	if err := run(*dir, l, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "backbonetree:", err)
		os.Exit(1)
	}
}

func run(dir string, l layout, workers int) error {
	if dir == "" {
		return errors.New("-dir is required")
	}
	if l.integrations < 0 || l.archive < 0 || l.centralized < 0 || l.centralized > 1 || workers < 1 {
		return errors.New("-integrations and -archive must be >= 0, -centralized within [0,1], -workers >= 1")
	}
	if err := ensureEmpty(dir); err != nil {
		return err
	}
	n, err := write(dir, l, workers)
	if err != nil {
		return err
	}
	fmt.Printf("%d files written to %s\n", n, dir)
	return nil
}

// ensureEmpty refuses to mix a new tree into existing content, which would
// make the printed file count wrong.
func ensureEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s is not empty", dir)
	}
	return nil
}
