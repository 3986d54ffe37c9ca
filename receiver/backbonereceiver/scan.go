package backbonereceiver

import (
	"context"
	"time"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuetree"
)

// scanGrace is how long past its deadline a listing is still waited for. A listing whose
// deadline passed stops after the folder it is reading, which takes milliseconds on a share
// that answers; one that has not returned by then is blocked in the kernel.
const scanGrace = time.Second

// folderLister runs the scanner's listings (full scans and re-lists of watched folders) one
// at a time, each on a goroutine of its own, and waits for each only until its deadline plus
// scanGrace. A directory read blocked in the kernel (a hard-mounted network share that stops
// answering) cannot be cancelled: the listing is then left in flight, the loop goes on
// without folder data, and no other listing starts until that one returns, so that a hung
// share costs one goroutine and one open folder, however long it hangs. A listing that
// returns late is discarded: its tree is from an earlier interval and was cut at its deadline.
// It is used by the loop goroutine only.
type folderLister struct {
	timeout   time.Duration
	telemetry *metadata.TelemetryBuilder
	// before runs on the listing's goroutine before it reads anything; tests block it there,
	// as a directory read of a share that does not answer blocks.
	before func()

	inFlight chan struct{} // closed when the listing left in flight returns; nil when none
	since    time.Time     // when the listing in flight started
}

// scan runs a full scan of scanner. It returns nil when no scan could be taken: a listing
// left in flight has not returned, or this one did not return in time.
func (l *folderLister) scan(ctx context.Context, scanner *queuetree.Scanner) *queuetree.Tree {
	return l.list(ctx, func(ctx context.Context) *queuetree.Tree {
		start := time.Now()
		tree := scanner.Scan(ctx)
		// Recorded when the scan returns, however late: a stuck scan shows as a long one.
		l.telemetry.BackboneScanDuration.Record(context.Background(), time.Since(start).Seconds())
		return tree
	})
}

// relist re-lists the given watched folders (at a poll, only those whose folder changed) and
// returns what it listed, or nil as scan does.
func (l *folderLister) relist(ctx context.Context, scanner *queuetree.Scanner, folders []queuetree.Watched, poll bool) (*queuetree.Tree, []queuetree.Watched) {
	listed := folders
	tree := l.list(ctx, func(ctx context.Context) *queuetree.Tree {
		if !poll {
			return scanner.ListWatched(ctx, folders)
		}
		var tree *queuetree.Tree
		tree, listed = scanner.PollWatched(ctx, folders) // read once the listing returned
		return tree
	})
	if tree == nil {
		return nil, nil
	}
	return tree, listed
}

func (l *folderLister) list(ctx context.Context, read func(context.Context) *queuetree.Tree) *queuetree.Tree {
	if l.stuck() {
		return nil
	}
	l.inFlight = nil
	var tree *queuetree.Tree
	done := make(chan struct{})
	started := time.Now()
	listCtx, cancel := context.WithTimeout(ctx, l.timeout)
	go func() {
		defer close(done)
		defer cancel()
		if l.before != nil {
			l.before()
		}
		tree = read(listCtx)
	}()
	wait := time.NewTimer(l.timeout + scanGrace)
	defer wait.Stop()
	select {
	case <-done:
		return tree
	case <-wait.C:
	case <-ctx.Done(): // shutdown: the listing stops after the folder it is reading
		wait.Reset(scanGrace)
		select {
		case <-done:
			return tree
		case <-wait.C:
		}
	}
	l.inFlight, l.since = done, started
	return nil
}

// stuck reports whether a listing left in flight has yet to return.
func (l *folderLister) stuck() bool {
	if l.inFlight == nil {
		return false
	}
	select {
	case <-l.inFlight:
		return false
	default:
		return true
	}
}

// stuckSince returns when the listing in flight started, or the zero time when none is.
func (l *folderLister) stuckSince() time.Time {
	if !l.stuck() {
		return time.Time{}
	}
	return l.since
}
