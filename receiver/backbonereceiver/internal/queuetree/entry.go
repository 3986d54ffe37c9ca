package queuetree

import "time"

// entryType is a folder entry's type as the directory listing tells it,
// which spares a stat per entry.
type entryType uint8

const (
	typeUnknown entryType = iota // the file system did not say: lstat to know
	typeRegular
	typeDir
	typeSymlink
	typeOther
)

// dirKey identifies a folder's state: any entry added, removed or renamed
// changes its modification and change times. Both are kept because a tool
// may set mtime back, while ctime can only move forward; the size, because
// on many file systems it moves with the entries even within one timestamp
// tick.
type dirKey struct {
	dev, ino     uint64
	mtime, ctime int64 // nanoseconds since the epoch
	size         int64
}

// fileStat is what a scan needs from lstat.
type fileStat struct {
	typ   entryType
	size  int64
	mtime time.Time
	ctime time.Time // the mtime where the platform does not give it
	key   dirKey
	keyOK bool // key is meaningful (false where the platform cannot tell)
}

// entered is when the file came into its folder: Backbone moves a message
// from folder to folder by renaming it, which keeps its modification time
// but sets its change time, so the later of the two is the move.
func (s fileStat) entered() time.Time {
	if s.ctime.After(s.mtime) {
		return s.ctime
	}
	return s.mtime
}
