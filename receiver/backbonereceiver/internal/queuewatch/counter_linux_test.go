//go:build linux

package queuewatch

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// archiveTree makes an archive folder holding n messages, a staging folder on the same
// file system to move messages from and to, and returns both.
func archiveTree(t testing.TB, n int) (archive, staging string) {
	t.Helper()
	root := t.TempDir()
	archive = filepath.Join(root, "RECEIVE", "archive")
	staging = filepath.Join(root, "RECEIVE")
	require.NoError(t, os.MkdirAll(archive, 0o755))
	for i := range n {
		write(t, filepath.Join(archive, fmt.Sprintf("old-%d.bac", i)))
	}
	return archive, staging
}

// startCounter returns a counter logging to the returned observer, closed at the end.
func startCounter(t *testing.T, opts CounterOptions, hook func(*Counter)) (*Counter, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.InfoLevel)
	opts.Logger = zap.New(core)
	c := NewCounter(opts)
	if hook != nil {
		hook(c)
	}
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c, logs
}

// listed counts the regular files of dir, the scan's rule.
func listed(t testing.TB, dir string) int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var n int64
	for _, e := range entries {
		if e.Type().IsRegular() {
			n++
		}
	}
	return n
}

// mustCount returns the counter's count of dir, which must be available.
func mustCount(t testing.TB, c *Counter, dir string) int64 {
	t.Helper()
	n, ok := c.Count(dir)
	require.True(t, ok, "no count of %s", dir)
	return n
}

// churn moves messages into archive and out again, creates and deletes some, and
// makes a folder and a symbolic link elsewhere, in bursts, until stop is closed.
func churn(t *testing.T, archive, staging string, seed int, stop <-chan struct{}) *sync.WaitGroup {
	t.Helper()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			name := fmt.Sprintf("m-%d-%d.bac", seed, i)
			in := filepath.Join(staging, name)
			_ = os.WriteFile(in, []byte("x"), 0o644)
			_ = os.Rename(in, filepath.Join(archive, name)) // moved in
			switch i % 4 {
			case 1:
				_ = os.Rename(filepath.Join(archive, name), in) // moved out
				_ = os.Remove(in)
			case 2:
				_ = os.Remove(filepath.Join(archive, fmt.Sprintf("m-%d-%d.bac", seed, i-1)))
			case 3:
				_ = os.WriteFile(filepath.Join(archive, "c-"+name), nil, 0o644) // created in place
			}
		}
	})
	return &wg
}

func TestCounterBurstsStayExact(t *testing.T) {
	archive, staging := archiveTree(t, 50)
	var listings atomic.Int64
	c, logs := startCounter(t, CounterOptions{}, func(c *Counter) { c.afterList = func(string) { listings.Add(1) } })
	require.Equal(t, int64(50), mustCount(t, c, archive))

	for burst := range 5 {
		stop := make(chan struct{})
		wg := churn(t, archive, staging, burst, stop)
		time.Sleep(100 * time.Millisecond)
		close(stop)
		wg.Wait()
		require.NoError(t, os.Mkdir(filepath.Join(archive, "sub"+strconv.Itoa(burst)), 0o755)) // folders do not count
		assert.Equal(t, listed(t, archive), mustCount(t, c, archive), "burst %d", burst)
	}
	assert.Equal(t, int64(1), listings.Load(), "the archive was listed once, at the start")
	assert.Empty(t, logs.All())
}

func TestCounterStartIsExactUnderChanges(t *testing.T) {
	for round := range 4 {
		archive, staging := archiveTree(t, 2000)
		stop := make(chan struct{})
		wg := churn(t, archive, staging, round, stop)
		// Between the listing and its closing drain, change listed and unlisted names too.
		c, _ := startCounter(t, CounterOptions{}, func(c *Counter) {
			c.afterList = func(dir string) {
				_ = os.Remove(filepath.Join(dir, "old-1.bac"))
				_ = os.Rename(filepath.Join(dir, "old-2.bac"), filepath.Join(staging, "old-2.bac"))
				write(t, filepath.Join(dir, "late.bac"))
			}
		})
		mustCount(t, c, archive) // starts while messages move
		close(stop)
		wg.Wait()
		c.afterList = nil
		assert.Equal(t, listed(t, archive), mustCount(t, c, archive), "round %d", round)
	}
}

func TestCounterOverflowRelists(t *testing.T) {
	raw, err := os.ReadFile("/proc/sys/fs/inotify/max_queued_events")
	require.NoError(t, err)
	limit, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	require.NoError(t, err)
	if limit > 100_000 {
		t.Skipf("max_queued_events is %d: too many files to overflow it", limit)
	}
	archive, _ := archiveTree(t, 10)
	var listings atomic.Int64
	c, logs := startCounter(t, CounterOptions{}, func(c *Counter) { c.afterList = func(string) { listings.Add(1) } })
	require.Equal(t, int64(10), mustCount(t, c, archive))

	c.readMu.Lock() // the queue fills while nothing reads it
	for i := range limit + 100 {
		require.NoError(t, os.WriteFile(filepath.Join(archive, fmt.Sprintf("f-%d", i)), nil, 0o644))
	}
	c.readMu.Unlock()
	assert.Equal(t, int64(limit+110), mustCount(t, c, archive))
	assert.Equal(t, int64(2), listings.Load(), "listed again after the overflow")
	assert.Equal(t, 1, logs.FilterMessageSnippet("listed again at the next scan").Len())
	assert.Equal(t, 1, logs.FilterMessageSnippet("is counted again").Len())

	write(t, filepath.Join(archive, "after.bac"))
	assert.Equal(t, int64(limit+111), mustCount(t, c, archive))
	assert.Equal(t, int64(2), listings.Load(), "counted from notifications again")
}

func TestCounterWatchLostOrFolderReplaced(t *testing.T) {
	tests := []struct {
		desc   string
		change func(t *testing.T, archive, staging string)
		want   int64
	}{
		{desc: "replaced by another folder", want: 2, change: func(t *testing.T, archive, staging string) {
			require.NoError(t, os.Rename(archive, filepath.Join(staging, "archive.old")))
			require.NoError(t, os.Mkdir(archive, 0o755))
			write(t, filepath.Join(archive, "a"))
			write(t, filepath.Join(archive, "b"))
		}},
		{desc: "removed and made again", want: 1, change: func(t *testing.T, archive, _ string) {
			require.NoError(t, os.RemoveAll(archive))
			require.NoError(t, os.Mkdir(archive, 0o755))
			write(t, filepath.Join(archive, "a"))
		}},
		{desc: "a parent renamed, another archive in its place", want: 3, change: func(t *testing.T, archive, staging string) {
			require.NoError(t, os.Rename(staging, staging+".old"))
			require.NoError(t, os.MkdirAll(archive, 0o755))
			for _, n := range []string{"a", "b", "c"} {
				write(t, filepath.Join(archive, n))
			}
			write(t, filepath.Join(staging+".old", "archive", "ignored")) // the old folder, still watched
		}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			archive, staging := archiveTree(t, 5)
			var listings atomic.Int64
			c, logs := startCounter(t, CounterOptions{}, func(c *Counter) { c.afterList = func(string) { listings.Add(1) } })
			require.Equal(t, int64(5), mustCount(t, c, archive))
			tt.change(t, archive, staging)
			assert.Equal(t, tt.want, mustCount(t, c, archive))
			assert.Equal(t, int64(2), listings.Load(), "listed again")
			write(t, filepath.Join(archive, "new"))
			assert.Equal(t, tt.want+1, mustCount(t, c, archive))
			assert.Equal(t, int64(2), listings.Load(), "counted from notifications again")
			assert.Equal(t, 1, logs.FilterMessageSnippet("listed again at the next scan").Len())
			assert.Equal(t, 1, logs.FilterMessageSnippet("is counted again").Len())
		})
	}
}

func TestCounterFolderGone(t *testing.T) {
	archive, _ := archiveTree(t, 3)
	c, _ := startCounter(t, CounterOptions{}, nil)
	require.Equal(t, int64(3), mustCount(t, c, archive))
	require.NoError(t, os.RemoveAll(archive))
	_, ok := c.Count(archive)
	assert.False(t, ok, "the caller lists it and reports it missing")
}

func TestCounterRestartStartsFromListing(t *testing.T) {
	archive, staging := archiveTree(t, 500)
	stop := make(chan struct{})
	wg := churn(t, archive, staging, 7, stop)
	first, _ := startCounter(t, CounterOptions{}, nil)
	mustCount(t, first, archive)
	require.NoError(t, first.Close()) // a restart in the middle of the churn
	second, _ := startCounter(t, CounterOptions{}, nil)
	mustCount(t, second, archive)
	close(stop)
	wg.Wait()
	assert.Equal(t, listed(t, archive), mustCount(t, second, archive))
	_, ok := first.Count(archive)
	assert.False(t, ok, "a closed counter counts nothing")
}

func TestCounterReconciliationFixesACorruptedCount(t *testing.T) {
	archive, _ := archiveTree(t, 20)
	now := time.Now()
	var listings atomic.Int64
	c, logs := startCounter(t, CounterOptions{ReconcileEvery: time.Minute}, func(c *Counter) {
		c.now = func() time.Time { return now }
		c.afterList = func(string) { listings.Add(1) }
	})
	require.Equal(t, int64(20), mustCount(t, c, archive))
	c.mu.Lock()
	c.folders[archive].n += 7 // as a lost notification would leave it
	c.mu.Unlock()
	assert.Equal(t, int64(27), mustCount(t, c, archive), "trusted until the reconciliation")

	now = now.Add(2 * time.Minute) // past the first reconciliation, wherever the spread put it
	assert.Equal(t, int64(20), mustCount(t, c, archive))
	assert.Equal(t, int64(2), listings.Load())
	require.Equal(t, 1, logs.FilterMessageSnippet("disagreed").Len())
	entry := logs.FilterMessageSnippet("disagreed").All()[0]
	assert.Equal(t, zap.WarnLevel, entry.Level)
	assert.Equal(t, int64(27), entry.ContextMap()["counted"])
	assert.Equal(t, int64(20), entry.ContextMap()["listed"])

	now = now.Add(2 * time.Minute) // a reconciliation that agrees logs nothing
	assert.Equal(t, int64(20), mustCount(t, c, archive))
	assert.Equal(t, int64(3), listings.Load())
	assert.Equal(t, 1, logs.FilterMessageSnippet("disagreed").Len())
}

func TestCounterFallsBackToListing(t *testing.T) {
	t.Run("network file system", func(t *testing.T) {
		archive, _ := archiveTree(t, 2)
		c, logs := startCounter(t, CounterOptions{}, func(c *Counter) { c.fsName = func(string) string { return "nfs" } })
		for range 3 {
			_, ok := c.Count(archive)
			assert.False(t, ok)
		}
		assert.Equal(t, 1, logs.FilterMessageSnippet("network file system").Len())
	})
	t.Run("entries that are not files", func(t *testing.T) {
		archive, _ := archiveTree(t, 2)
		require.NoError(t, os.Symlink("old-0.bac", filepath.Join(archive, "link")))
		var listings atomic.Int64
		c, logs := startCounter(t, CounterOptions{}, func(c *Counter) { c.afterList = func(string) { listings.Add(1) } })
		assert.Equal(t, int64(2), mustCount(t, c, archive))
		require.NoError(t, os.Remove(filepath.Join(archive, "link")))
		assert.Equal(t, int64(2), mustCount(t, c, archive))
		assert.Equal(t, int64(2), listings.Load(), "listed while it held a link")
		write(t, filepath.Join(archive, "x"))
		assert.Equal(t, int64(3), mustCount(t, c, archive))
		assert.Equal(t, int64(2), listings.Load(), "counted from notifications once it holds none")
		assert.Equal(t, 1, logs.FilterMessageSnippet("neither files nor folders").Len())
		assert.Equal(t, 1, logs.FilterMessageSnippet("other than files").Len())
	})
}
