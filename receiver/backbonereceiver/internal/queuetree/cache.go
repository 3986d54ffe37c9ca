package queuetree

import (
	"sync"
	"time"
)

// racyWindow covers the coarsest folder timestamps in use (FAT: 2 s; ext3,
// NFS and others: 1 s). A folder modified within it of its listing could be
// modified again without its timestamps changing, so its count is not
// trusted on the next scan: it is "racily clean", as git says of index
// entries.
const racyWindow = 2 * time.Second

// countCache remembers the counts of count-only folders (archive/) by path,
// so that a folder whose key has not changed is not listed again.
type countCache struct {
	mu      sync.Mutex
	entries map[string]countEntry
	gen     uint64 // current scan; entries not seen in a complete scan are dropped
}

type countEntry struct {
	key   dirKey
	count int64
	racy  bool // modified too close to its listing to be trusted
	seen  uint64
}

// lookup returns the cached count for the folder at path if key is the one
// it was listed with and that listing was not racy.
func (c *countCache) lookup(path string, key dirKey) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[path]
	if !ok {
		return 0, false
	}
	e.seen = c.gen
	c.entries[path] = e
	if e.racy || e.key != key {
		return 0, false
	}
	return e.count, true
}

// store remembers count for the folder at path, listed from listedAt on
// with key taken before its entries were read.
func (c *countCache) store(path string, key dirKey, count int64, listedAt time.Time) {
	limit := listedAt.Add(-racyWindow).UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[string]countEntry)
	}
	c.entries[path] = countEntry{key: key, count: count, racy: key.mtime >= limit || key.ctime >= limit, seen: c.gen}
}

// begin starts a scan.
func (c *countCache) begin() {
	c.mu.Lock()
	c.gen++
	c.mu.Unlock()
}

// sweep drops the folders not met during the scan that just completed, so
// the cache stays as large as the tree's folder count.
func (c *countCache) sweep() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for path, e := range c.entries {
		if e.seen != c.gen {
			delete(c.entries, path)
		}
	}
}

// forget drops path, for a folder that could not be counted.
func (c *countCache) forget(path string) {
	c.mu.Lock()
	delete(c.entries, path)
	c.mu.Unlock()
}
