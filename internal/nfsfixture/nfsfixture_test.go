//go:build linux

package nfsfixture

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestCachedListing: a file made beside the mount shows in the mount's listing only once
// the folder's attributes have expired, as on NFS; the mount is a FUSE file system.
func TestCachedListing(t *testing.T) {
	const attr = 2 * time.Second
	backing := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(backing, "error"), 0o755))
	m := New(t, backing, Options{AttrTimeout: attr, EntryTimeout: attr})

	var st unix.Statfs_t
	require.NoError(t, unix.Statfs(m.Dir, &st))
	assert.Equal(t, int64(unix.FUSE_SUPER_MAGIC), int64(st.Type))

	dir := filepath.Join(m.Dir, "error")
	assert.Empty(t, names(t, dir))
	written := time.Now()
	require.NoError(t, os.WriteFile(filepath.Join(backing, "error", "a.bac"), nil, 0o644))
	assert.Empty(t, names(t, dir), "the listing was not cached")
	require.Eventually(t, func() bool { return len(names(t, dir)) == 1 }, 2*attr, 10*time.Millisecond)
	seen := time.Since(written)
	assert.Greater(t, seen, attr/2, "seen before the attributes expired")
	t.Logf("a file written beside the mount was listed after %v (attribute timeout %v)", seen.Round(time.Millisecond), attr)
}

// TestHang: while hung, a directory read blocks; released, it returns.
func TestHang(t *testing.T) {
	backing := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(backing, "error"), 0o755))
	m := New(t, backing, Options{})
	m.Hang()
	done := make(chan error, 1)
	go func() {
		_, err := os.ReadDir(filepath.Join(m.Dir, "error"))
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("a directory read returned while hung: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	assert.Positive(t, m.Blocked())
	m.Release()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the read did not return after Release")
	}
}
