package queuewatch

import (
	"go.uber.org/zap"
)

// reason says why a folder is poll only.
type reason uint8

const (
	none      reason = iota
	missing          // not there (yet): Backbone creates folders when needed; polled silently
	limit            // the watch limit is reached
	removed          // removed or replaced while watched
	unmounted        // its file system was unmounted
	remote           // on a network file system: other machines' changes are not notified
	failed           // the watch could not be added for another reason
	numReasons
)

// fallbackText is what is logged when a reason starts applying to some
// folders and when it applies to none any more.
var fallbackText = [numReasons]struct{ start, end string }{
	limit: {
		"The inotify watch limit is reached: these watched folders are polled every events_poll_interval instead; raise fs.inotify.max_user_watches to have them notified",
		"The inotify watch limit no longer keeps watched folders from being notified",
	},
	removed: {
		"Watched folders were removed or replaced while watched: they are polled every events_poll_interval until the next full scan watches them again",
		"Watched folders that were removed or replaced are watched again, or polled silently while they do not exist",
	},
	unmounted: {
		"The file system holding watched folders was unmounted: they are polled every events_poll_interval until it is mounted again",
		"Watched folders whose file system was unmounted are watched again",
	},
	remote: {
		"Watched folders are on a network file system, where notifications miss changes made on other machines: they are polled every events_poll_interval",
		"No watched folder is on a network file system any more",
	},
	failed: {
		"Watched folders could not be watched: they are polled every events_poll_interval; the next full scan tries again",
		"Watched folders that could not be watched are watched again",
	},
}

// fallbackLog remembers which fallbacks were last logged as active, so that
// each is logged once when it starts and once when it ends.
type fallbackLog struct {
	active      [numReasons]bool
	unavailable bool
	overflow    bool
}

// logFallbacks logs the fallbacks that started or ended since the last
// call; the caller holds mu.
func (w *Watcher) logFallbacks() {
	var (
		count   [numReasons]int
		example [numReasons]*folder
	)
	for _, f := range w.folders {
		count[f.reason]++
		if e := example[f.reason]; e == nil || f.spec.Path < e.spec.Path {
			example[f.reason] = f
		}
	}
	for r := limit; r < numReasons; r++ {
		active := count[r] > 0
		if active == w.fallbacks.active[r] {
			continue
		}
		w.fallbacks.active[r] = active
		if !active {
			w.log.Info(fallbackText[r].end)
			continue
		}
		fields := []zap.Field{zap.Int("folders", count[r]), zap.String("example", example[r].spec.Path)}
		if r == remote {
			fields = append(fields, zap.String("file_system", w.fsName(example[r].spec.Path)))
		}
		if r == failed || r == limit {
			fields = append(fields, zap.Error(example[r].err))
		}
		w.log.Warn(fallbackText[r].start, fields...)
	}
	if unavailable := w.ino == nil && !w.closed; unavailable != w.fallbacks.unavailable {
		w.fallbacks.unavailable = unavailable
		if unavailable {
			w.log.Warn("Change notification is unavailable: every watched folder is polled every events_poll_interval; the next full scan tries again", zap.Error(w.initErr))
		} else {
			w.log.Info("Change notification works again: watched folders are notified")
		}
	}
	if w.overflow != w.fallbacks.overflow {
		w.fallbacks.overflow = w.overflow
		if w.overflow {
			w.log.Warn("The inotify event queue overflowed: every watched folder is re-listed and polled every events_poll_interval until the next full scan; raise fs.inotify.max_queued_events if this repeats")
		} else {
			w.log.Info("Watched folders are notified again after the event queue overflowed")
		}
	}
}
