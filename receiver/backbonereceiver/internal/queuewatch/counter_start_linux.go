//go:build linux

package queuewatch

import (
	"path/filepath"
	"slices"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// list starts or proves the count of f, exact under concurrent changes:
//
//  1. The watch is in place before the listing starts, and every event from then until a
//     drain of the queue after the listing (the window) names the entry it touched. An
//     entry no event touched kept its state throughout, so the listing counted it right.
//  2. The touched entries are taken out of the listing's count (each listed name's hash
//     is kept) and become pending: their events no longer count, the others' do.
//  3. A pending entry is resolved by an lstat between two drains: when the second drain
//     brings no event for it, the lstat saw its state as of that drain, and its events
//     count from then on. One with an event in between is tried again; only entries
//     changed within that instant are, so this ends under steady traffic.
//
// It rests on the kernel queueing an event before the system call that made the change
// returns, so that a drain after a listing or an lstat holds every event of a change
// they could see. Events keep applying to n throughout, so a reconciliation compares the
// count kept by events with the listing's at the same point.
func (c *Counter) list(f *counted) (int64, bool) {
	listed, other, hashes, err := listRegular(f.path)
	if c.afterList != nil {
		c.afterList(f.path)
	}
	if err != nil {
		c.mu.Lock()
		f.touched, f.trusted = nil, false
		c.mu.Unlock()
		return 0, false
	}
	slices.Sort(hashes)
	c.readMu.Lock()
	c.drainLocked()
	c.mu.Lock()
	if f.lost || f.wd < 0 || other > 0 {
		c.abort(f, other > 0)
		c.mu.Unlock()
		c.readMu.Unlock()
		return listed, true // this listing is as good as the scan's own
	}
	f.fresh, f.pending = listed, make(map[string]bool, len(f.touched))
	for name := range f.touched {
		if _, found := slices.BinarySearch(hashes, hashName(name)); found {
			f.fresh--
		}
		f.pending[name] = false
	}
	f.touched = nil
	c.mu.Unlock()
	c.readMu.Unlock()

	state := map[string]int64{}
	for {
		c.drain()
		c.mu.Lock()
		if f.lost || f.wd < 0 {
			c.abort(f, false)
			c.mu.Unlock()
			return listed, true
		}
		names := make([]string, 0, len(f.pending))
		for name := range f.pending {
			names = append(names, name)
			f.pending[name] = false
		}
		c.mu.Unlock()
		if len(names) == 0 {
			break
		}
		for _, name := range names {
			state[name] = regularNow(filepath.Join(f.path, name))
		}
		c.drain()
		c.mu.Lock()
		for _, name := range names {
			if changed, ok := f.pending[name]; ok && !changed {
				f.fresh += state[name]
				delete(f.pending, name)
			}
		}
		c.mu.Unlock()
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	n := f.fresh
	if f.trusted && f.n != n {
		c.log.Warn("An archive's count kept from notifications disagreed with a listing: corrected to the listed value",
			zap.String("folder", f.path), zap.Int64("counted", f.n), zap.Int64("listed", n))
	}
	if f.trusted {
		f.next = c.now().Add(c.every)
	} else {
		f.next = c.now().Add(offset(f.path, c.every))
	}
	f.n, f.trusted, f.pending = n, true, nil
	c.setReason(f, none)
	return n, true
}

// abort ends a listing of f whose events cannot be trusted; the caller holds mu.
func (c *Counter) abort(f *counted, nonRegularSeen bool) {
	f.touched, f.pending, f.trusted = nil, nil, false
	if nonRegularSeen {
		c.setReason(f, nonRegular)
	}
}

// regularNow returns 1 if the entry at path is a regular file now, else 0.
func regularNow(path string) int64 {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return 0
	}
	return 1
}
