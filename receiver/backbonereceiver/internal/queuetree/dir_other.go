//go:build !linux

package queuetree

import (
	"io"
	"io/fs"
	"os"
)

// batchSize bounds the entries held in memory while listing a folder.
const batchSize = 1024

// lister is the portable fallback: os.File.ReadDir in batches, which also
// gives entry types without a stat on most systems. Empty folders are not
// remembered (keyOK is false) because the folder key needs inode and change
// time.
type lister struct{}

func newLister() *lister { return &lister{} }

// list calls fn for each entry of the folder at path, batch by batch. A
// symbolic link is not followed.
func (l *lister) list(path string, fn func(name string, typ entryType)) error {
	if fi, err := os.Lstat(path); err != nil {
		return err
	} else if fi.Mode()&fs.ModeSymlink != 0 {
		return errSymlink
	}
	return l.listFollowing(path, fn)
}

// listFollowing is list for the root, which may be a symbolic link.
func (l *lister) listFollowing(path string, fn func(name string, typ entryType)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for {
		entries, err := f.ReadDir(batchSize)
		for _, e := range entries {
			fn(e.Name(), fileModeType(e.Type()))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (l *lister) count(path string) (n int64, err error) {
	err = l.list(path, func(name string, typ entryType) {
		if typ == typeUnknown {
			if fs, err := lstat(join(path, name)); err == nil {
				typ = fs.typ
			}
		}
		if typ == typeRegular {
			n++
		}
	})
	return n, err
}

// lstat stats path without following a symbolic link. The change time is
// not portable: the modification time stands in for it, so a message moved
// into a folder counts as entered when it was last written.
func lstat(path string) (fileStat, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return fileStat{}, err
	}
	return fileStat{typ: fileModeType(fi.Mode()), size: fi.Size(), mtime: fi.ModTime(), ctime: fi.ModTime()}, nil
}

func fileModeType(m fs.FileMode) entryType {
	switch {
	case m.IsRegular():
		return typeRegular
	case m.IsDir():
		return typeDir
	case m&fs.ModeSymlink != 0:
		return typeSymlink
	}
	return typeOther
}
