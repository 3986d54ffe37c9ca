//go:build linux

package queuewatch

import (
	"encoding/binary"
	"hash/maphash"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// nameSeed keys hashName for the life of the process.
var nameSeed = maphash.MakeSeed()

// hashName is what a listing keeps of each name it counted: 8 bytes instead of the name,
// enough to tell afterwards whether it counted a name an event touched. Two names
// colliding could miscount one file, once in about 2^64 lookups; the reconciliation
// would correct it.
func hashName(name string) uint64 { return maphash.String(nameSeed, name) }

// Offsets in a linux_dirent64: d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name.
const (
	direntReclen = 16
	direntType   = 18
	direntName   = 19
)

// listRegular lists the folder at path without following a symbolic link and returns
// its regular files (the scan's rule: d_type, or an lstat where the file system does not
// give it), the hashes of their names, and how many entries are neither regular files nor
// folders.
func listRegular(path string) (n int64, other int, hashes []uint64, err error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return 0, 0, nil, err
	}
	defer unix.Close(fd)
	buf := make([]byte, readBufSize)
	for {
		m, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, other, hashes, err
		}
		if m <= 0 {
			return n, other, hashes, nil
		}
		for b := buf[:m]; len(b) > direntName; {
			reclen := int(binary.NativeEndian.Uint16(b[direntReclen:]))
			if reclen <= direntName || reclen > len(b) {
				break
			}
			name := b[direntName:reclen]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			typ := b[direntType]
			b = b[reclen:]
			if string(name) == "." || string(name) == ".." {
				continue
			}
			if typ == unix.DT_UNKNOWN {
				var st unix.Stat_t
				if unix.Lstat(filepath.Join(path, string(name)), &st) != nil {
					continue // gone: an event tells
				}
				typ = dtOf(st.Mode)
			}
			switch typ {
			case unix.DT_REG:
				n++
				hashes = append(hashes, maphash.Bytes(nameSeed, name))
			case unix.DT_DIR:
			default:
				other++
			}
		}
	}
}

// dtOf maps a file mode to its directory entry type, as far as listRegular cares.
func dtOf(mode uint32) uint8 {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return unix.DT_REG
	case unix.S_IFDIR:
		return unix.DT_DIR
	}
	return unix.DT_UNKNOWN
}
