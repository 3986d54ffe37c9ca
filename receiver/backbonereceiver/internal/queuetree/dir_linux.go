//go:build linux

package queuetree

import (
	"bytes"
	"encoding/binary"
	"syscall"
	"time"
)

// direntBufSize is the getdents buffer: 64 KiB takes about 900 entries per
// system call; larger buffers measured no faster.
const direntBufSize = 64 << 10

// lister reads folders with getdents into a reused buffer, so that counting
// archive/ costs no allocation per entry and no memory per file.
type lister struct {
	buf []byte
}

func newLister() *lister { return &lister{buf: make([]byte, direntBufSize)} }

// openDir opens a folder for listing. Unless follow is set, a symbolic link
// is not followed but fails with ELOOP, even if it replaced the folder since
// its parent was listed.
func openDir(path string, follow bool) (int, error) {
	flags := syscall.O_RDONLY | syscall.O_DIRECTORY | syscall.O_CLOEXEC
	if !follow {
		flags |= syscall.O_NOFOLLOW
	}
	for {
		fd, err := syscall.Open(path, flags, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

// readDirent wraps getdents, retrying on EINTR.
func readDirent(fd int, buf []byte) (int, error) {
	for {
		n, err := syscall.ReadDirent(fd, buf)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// linux_dirent64: d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name.
const (
	direntReclen = 16
	direntType   = 18
	direntName   = 19
)

// eachDirent calls fn for each record in b, as getdents64 filled it, with
// the entry's d_type. It is the one reader of that layout.
func eachDirent(b []byte, fn func(rec []byte, typ byte)) {
	for len(b) > direntName {
		reclen := int(binary.NativeEndian.Uint16(b[direntReclen:]))
		if reclen <= direntName || reclen > len(b) {
			return
		}
		fn(b[:reclen], b[direntType])
		b = b[reclen:]
	}
}

// parseDirents calls fn for each entry in b except "." and "..". The name
// aliases b and is only valid during the call.
func parseDirents(b []byte, fn func(name []byte, typ entryType)) {
	eachDirent(b, func(rec []byte, typ byte) {
		if name := nameOf(rec); !isDots(name) {
			fn(name, direntTypeOf(typ))
		}
	})
}

// countDirents returns the regular files among the entries in b and
// appends the names of the entries of unknown type to unknown. It reads a
// name only for those: archive/ is counted at the cost of reading d_type.
func countDirents(b []byte, unknown []string) (int64, []string) {
	var n int64
	eachDirent(b, func(rec []byte, typ byte) {
		switch typ {
		case syscall.DT_REG:
			n++
		case syscall.DT_UNKNOWN:
			if name := nameOf(rec); !isDots(name) {
				unknown = append(unknown, string(name))
			}
		}
	})
	return n, unknown
}

// nameOf returns the name of the record rec, up to its NUL padding.
func nameOf(rec []byte) []byte {
	name := rec[direntName:]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		return name[:i]
	}
	return name
}

// isDots tells whether name is "." or "..".
func isDots(name []byte) bool {
	return (len(name) == 1 && name[0] == '.') || (len(name) == 2 && name[0] == '.' && name[1] == '.')
}

func direntTypeOf(t byte) entryType {
	switch t {
	case syscall.DT_REG:
		return typeRegular
	case syscall.DT_DIR:
		return typeDir
	case syscall.DT_LNK:
		return typeSymlink
	case syscall.DT_UNKNOWN:
		return typeUnknown
	}
	return typeOther
}

// list calls fn for each entry of the folder at path, batch by batch, in
// directory order. A symbolic link is not followed.
func (l *lister) list(path string, fn func(name string, typ entryType)) error {
	return l.read(path, false, fn)
}

// listFollowing is list for the root, which may be a symbolic link.
func (l *lister) listFollowing(path string, fn func(name string, typ entryType)) error {
	return l.read(path, true, fn)
}

func (l *lister) read(path string, follow bool, fn func(name string, typ entryType)) error {
	fd, err := openDir(path, follow)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	for {
		n, err := readDirent(fd, l.buf)
		if err != nil {
			return err
		}
		if n <= 0 {
			return nil
		}
		parseDirents(l.buf[:n], func(name []byte, typ entryType) { fn(string(name), typ) })
	}
}

// count returns the number of regular files directly in the folder at path.
// It reads entry types only; an lstat happens only where the file system
// does not give the type.
func (l *lister) count(path string) (int64, error) {
	fd, err := openDir(path, false)
	if err != nil {
		return 0, err
	}
	defer syscall.Close(fd)
	var n int64
	var unknown []string
	for {
		m, err := readDirent(fd, l.buf)
		if err != nil {
			return n, err
		}
		if m <= 0 {
			return n, nil
		}
		var regular int64
		regular, unknown = countDirents(l.buf[:m], unknown)
		n += regular
		for _, name := range unknown {
			if fs, err := lstat(join(path, name)); err == nil && fs.typ == typeRegular {
				n++
			}
		}
		unknown = unknown[:0]
	}
}

// lstat stats path without following a symbolic link.
func lstat(path string) (fileStat, error) {
	var st syscall.Stat_t
	for {
		err := syscall.Lstat(path, &st)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return fileStat{}, err
		}
		break
	}
	return fileStat{
		typ:   modeType(st.Mode),
		size:  st.Size,
		mtime: time.Unix(int64(st.Mtim.Sec), int64(st.Mtim.Nsec)),
		ctime: time.Unix(int64(st.Ctim.Sec), int64(st.Ctim.Nsec)),
		key:   keyOf(&st),
		keyOK: true,
	}, nil
}

func keyOf(st *syscall.Stat_t) dirKey {
	return dirKey{
		dev:   uint64(st.Dev),
		ino:   uint64(st.Ino),
		mtime: int64(st.Mtim.Sec)*1e9 + int64(st.Mtim.Nsec),
		ctime: int64(st.Ctim.Sec)*1e9 + int64(st.Ctim.Nsec),
		size:  st.Size,
	}
}

func modeType(mode uint32) entryType {
	switch mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		return typeRegular
	case syscall.S_IFDIR:
		return typeDir
	case syscall.S_IFLNK:
		return typeSymlink
	}
	return typeOther
}
