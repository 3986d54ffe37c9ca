package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// prepareDir returns the folder to build the tree in and whether it was created here:
// only then may -clean remove it whole.
func prepareDir(dir string) (string, bool, error) {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "backbone-issue-sync-")
		return tmp, err == nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false, err
	}
	_, err = os.Stat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return abs, true, os.MkdirAll(abs, 0o755)
	}
	return abs, false, err
}

// cleanDir removes the tree. A folder that existed before keeps whatever else it
// holds, and is removed only if nothing is left.
func cleanDir(dir string, created bool) error {
	if created {
		return os.RemoveAll(dir)
	}
	err := errors.Join(
		os.RemoveAll(filepath.Join(dir, "default")),
		os.RemoveAll(filepath.Join(dir, ".sim-tmp")),
	)
	if entries, rerr := os.ReadDir(dir); rerr == nil && len(entries) == 0 {
		err = errors.Join(err, os.Remove(dir))
	}
	return err
}
