package queuetree

import "sync"

// pathCache keeps a value per folder path between scans, safe for the scan's
// goroutines, and drops the folders that a complete scan did not meet, so
// that it stays as large as the tree.
type pathCache[V any] struct {
	mu      sync.Mutex
	entries map[string]cached[V]
	gen     uint64 // the current scan
}

type cached[V any] struct {
	v    V
	seen uint64 // the last scan that met the folder
}

// get returns the value kept for path and marks path met by this scan.
func (c *pathCache[V]) get(path string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[path]
	if ok {
		e.seen = c.gen
		c.entries[path] = e
	}
	return e.v, ok
}

func (c *pathCache[V]) put(path string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[string]cached[V])
	}
	c.entries[path] = cached[V]{v: v, seen: c.gen}
}

func (c *pathCache[V]) forget(path string) {
	c.mu.Lock()
	delete(c.entries, path)
	c.mu.Unlock()
}

// begin starts a scan.
func (c *pathCache[V]) begin() {
	c.mu.Lock()
	c.gen++
	c.mu.Unlock()
}

// sweep drops the folders not met during the scan that just completed.
func (c *pathCache[V]) sweep() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for path, e := range c.entries {
		if e.seen != c.gen {
			delete(c.entries, path)
		}
	}
}
