//go:build linux

package queuewatch

import "go.uber.org/zap"

// The reasons a counted folder is listed instead, beyond the events watcher's.
const (
	lost       = numReasons + iota // events were lost: overflow, watch lost, folder replaced
	nonRegular                     // it holds entries that are neither regular files nor folders
	numCountReasons
)

// countText is logged when a reason starts applying to some counted folders and when it
// applies to none any more.
var countText = map[reason]struct{ start, end string }{
	limit:      {"The inotify watch limit keeps archive folders from being counted from notifications: they are listed at every scan", "No archive folder is held back by the inotify watch limit any more"},
	remote:     {"Archive folders are on a network file system: they are listed at every scan", "No archive folder is on a network file system any more"},
	failed:     {"Archive folders could not be watched: they are listed at every scan until a watch succeeds", "Every archive folder that could not be watched is watched again"},
	lost:       {"Notifications of archive folders were lost (queue overflow, folder removed, replaced or unmounted): they are listed again at the next scan", "Every archive folder whose notifications were lost is counted again"},
	nonRegular: {"Archive folders hold entries that are neither files nor folders: they are listed at every scan", "No archive folder holds entries other than files and folders any more"},
}

// countLog counts the folders held back by each reason, to log once when a reason starts
// applying and once when it ends.
type countLog struct {
	folders [numCountReasons]int
}

// setReason moves f to reason r, logging a reason that starts or ends; the caller holds mu.
func (c *Counter) setReason(f *counted, r reason) {
	old := f.reason
	if old == r {
		return
	}
	f.reason = r
	if old != none {
		c.log1.folders[old]--
		if c.log1.folders[old] == 0 {
			c.log.Info(countText[old].end)
		}
	}
	if r != none {
		c.log1.folders[r]++
		if c.log1.folders[r] == 1 {
			c.log.Warn(countText[r].start, zap.String("example", f.path))
		}
	}
}
