package queuetree

import (
	"cmp"
	"context"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Options configure a Scanner.
type Options struct {
	// Root is the backbone-issue-sync folder (namespaces below it) or one
	// namespace folder (integrations below it); Scan tells which.
	Root string
	// ArchiveDetails stats every archived file to report archive bytes and
	// oldest age. Off by default: archive/ can hold millions of files, and
	// since a file can be rewritten without its folder changing, every one of
	// them is stat'ed again at each listing, unchanged or not: about ten
	// times the cost of a listing without details (a stat per file instead
	// of a share of a directory read).
	ArchiveDetails bool
	// ArchiveInterval is how long an archive/ folder's last listing is
	// reused before the folder is listed again; 0 lists it at every scan.
	ArchiveInterval time.Duration
}

// workers is the number of connectors scanned at once. Scanning is mostly
// system calls; on two cores, two workers cut the wall time of a first scan
// by a quarter to a third, with the same CPU time. More would only contend.
const workers = 2

// Scanner scans one tree repeatedly, remembering what it needs to skip
// unchanged empty folders and archive/ folders listed lately. Scan calls
// must not overlap.
type Scanner struct {
	opts     Options
	empty    pathCache[emptyListing]
	archives pathCache[archiveListing]
	// polled holds the stamps of the folders the last poll met (see
	// PollWatched).
	polled  map[string]pollStamp
	workers int
	// lastCached counts the empty folders the last Scan did not list because
	// they had not changed since a previous listing, for the cache's tests.
	lastCached int
	// now and adjustKey let tests simulate file systems with coarse
	// timestamps.
	now       func() time.Time
	adjustKey func(*dirKey)
}

// NewScanner returns a Scanner for opts. It does no I/O.
func NewScanner(opts Options) *Scanner {
	if opts.Root != "" {
		opts.Root = filepath.Clean(opts.Root)
	}
	return &Scanner{opts: opts, workers: workers, now: time.Now}
}

// Scan walks the tree once and never returns nil. What could not be read is
// reported in Tree.Problems, the rest is still counted. If ctx ends, the
// connectors scanned so far are returned with a read_error problem.
func (s *Scanner) Scan(ctx context.Context) *Tree {
	t := &Tree{Root: s.opts.Root}
	w := &walk{ctx: ctx, s: s, now: s.now()}
	s.empty.begin()
	s.archives.begin()

	refs := w.discover(newLister())
	t.Connectors = w.scanConnectors(refs)
	if err := ctx.Err(); err != nil {
		w.problem(s.opts.Root, ReadError, err)
	} else {
		s.empty.sweep()
		s.archives.sweep()
	}

	slices.SortFunc(t.Connectors, func(a, b Connector) int {
		return cmp.Or(cmp.Compare(a.IntegrationKey, b.IntegrationKey),
			cmp.Compare(a.ConnectorKey, b.ConnectorKey),
			cmp.Compare(a.Namespace, b.Namespace))
	})
	t.Problems = w.sortedProblems()
	s.lastCached = int(w.cached.Load())
	return t
}

// scanConnectors scans refs with up to s.workers goroutines, each with its
// own buffer, and returns the connectors scanned before ctx ended.
func (w *walk) scanConnectors(refs []connectorRef) []Connector {
	out := make([]Connector, len(refs))
	done := make([]bool, len(refs))
	var (
		next int
		mu   sync.Mutex
		wg   sync.WaitGroup
	)
	claim := func() int {
		mu.Lock()
		defer mu.Unlock()
		if next >= len(refs) || w.ctx.Err() != nil {
			return -1
		}
		next++
		return next - 1
	}
	for range min(w.s.workers, len(refs)) {
		wg.Go(func() {
			l := newLister()
			for i := claim(); i >= 0; i = claim() {
				out[i] = w.scanConnector(l, refs[i])
				done[i] = true
			}
		})
	}
	wg.Wait()
	scanned := out[:0]
	for i := range out {
		if done[i] {
			scanned = append(scanned, out[i])
		}
	}
	return scanned
}
