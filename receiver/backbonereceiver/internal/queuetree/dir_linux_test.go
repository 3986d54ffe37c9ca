//go:build linux

package queuetree

import (
	"encoding/binary"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
)

// dirent encodes one linux_dirent64 record, padded to 8 bytes.
func dirent(name string, typ byte) []byte {
	reclen := (direntName + len(name) + 1 + 7) &^ 7
	b := make([]byte, reclen)
	binary.NativeEndian.PutUint64(b, 1)
	binary.NativeEndian.PutUint16(b[direntReclen:], uint16(reclen))
	b[direntType] = typ
	copy(b[direntName:], name)
	return b
}

func TestParseDirents(t *testing.T) {
	var buf []byte
	for _, e := range []struct {
		name string
		typ  byte
	}{
		{".", syscall.DT_DIR},
		{"..", syscall.DT_DIR},
		{"a.bac", syscall.DT_REG},
		{"archive", syscall.DT_DIR},
		{"link", syscall.DT_LNK},
		{"unknown-type-of-a-long-name.bac", syscall.DT_UNKNOWN},
		{"fifo", syscall.DT_FIFO},
	} {
		buf = append(buf, dirent(e.name, e.typ)...)
	}
	got := map[string]entryType{}
	parseDirents(buf, func(name []byte, typ entryType) { got[string(name)] = typ })
	assert.Equal(t, map[string]entryType{
		"a.bac":                           typeRegular,
		"archive":                         typeDir,
		"link":                            typeSymlink,
		"unknown-type-of-a-long-name.bac": typeUnknown,
		"fifo":                            typeOther,
	}, got)

	// A truncated or corrupt record ends the parse instead of panicking.
	assert.NotPanics(t, func() { parseDirents(buf[:len(buf)-3], func([]byte, entryType) {}) })
	bad := dirent("x", syscall.DT_REG)
	binary.NativeEndian.PutUint16(bad[direntReclen:], 0)
	assert.NotPanics(t, func() { parseDirents(bad, func([]byte, entryType) {}) })
}

func TestCountDirents(t *testing.T) {
	var buf []byte
	for _, e := range []struct {
		name string
		typ  byte
	}{
		{".", syscall.DT_UNKNOWN},
		{"..", syscall.DT_UNKNOWN},
		{"a.bac", syscall.DT_REG},
		{"b.bac", syscall.DT_REG},
		{"archive", syscall.DT_DIR},
		{"link", syscall.DT_LNK},
		{"unknown-type-of-a-long-name.bac", syscall.DT_UNKNOWN},
		{"fifo", syscall.DT_FIFO},
	} {
		buf = append(buf, dirent(e.name, e.typ)...)
	}
	n, unknown := countDirents(buf, []string{"earlier"})
	assert.Equal(t, int64(2), n)
	assert.Equal(t, []string{"earlier", "unknown-type-of-a-long-name.bac"}, unknown)

	// A truncated or corrupt record ends the count instead of panicking.
	assert.NotPanics(t, func() { countDirents(buf[:len(buf)-3], nil) })
	bad := dirent("x", syscall.DT_REG)
	binary.NativeEndian.PutUint16(bad[direntReclen:], 0)
	n, _ = countDirents(bad, nil)
	assert.Zero(t, n)
}
