//go:build linux

package nfs

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/otlpsink"
)

// hangFor is how long the share answers no directory read: BACKBONE_E2E_NFS_HANG (a Go
// duration), two minutes by default.
func hangFor(t *testing.T) time.Duration {
	v := os.Getenv("BACKBONE_E2E_NFS_HANG")
	if v == "" {
		return 2 * time.Minute
	}
	d, err := time.ParseDuration(v)
	require.NoError(t, err, "BACKBONE_E2E_NFS_HANG")
	return d
}

// usage is what the kernel says of the collector: its threads (a goroutine blocked in a
// system call holds one) and its open files.
type usage struct{ threads, fds int }

func usageOf(t *testing.T, pid int) usage {
	t.Helper()
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	require.NoError(t, err)
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	defer f.Close()
	u := usage{fds: len(entries)}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Threads:"); ok {
			u.threads, err = strconv.Atoi(strings.TrimSpace(v))
			require.NoError(t, err)
		}
	}
	return u
}

// TestNFSHungShare makes the share answer no directory read for hangFor, as an NFS server
// that stops answering a hard mount: the API metrics keep coming every interval, with no
// backbone.folder.* point and no message event (least of all a resolved one); the collector's
// threads and open files do not grow; the stuck scan is logged once. When the share answers
// again, the messages that came and went meanwhile are reported, each once, and the folder
// metrics count them exactly.
func TestNFSHungShare(t *testing.T) {
	t.Parallel()
	hang := hangFor(t)
	s := settings{cache: time.Second, interval: 5 * time.Second, poll: time.Second, scanTimeout: 2 * time.Second}
	e := start(t, s)
	a := e.put(t, backbonesim.FolderError, "AP-200")
	e2eproc.Eventually(t, e.c, 30*time.Second, "the event of the message put before the hang", func() bool {
		_, n := e.sink.Arrival(eventKey(backbonesim.FolderError, a))
		return n > 0
	})

	hungAt := time.Now()
	e.mount.Hang()
	defer e.mount.Release()
	b := e.put(t, backbonesim.FolderSendError, "")
	e.remove(t, a)
	keys := []string{eventKey(backbonesim.FolderSendError, b), otlpsink.Key("backbone.message.resolved", a)}

	// Once the first stuck tick is over, nothing may grow.
	settled := hungAt.Add(s.interval + s.scanTimeout + 2*time.Second)
	time.Sleep(time.Until(settled))
	base := usageOf(t, e.c.Pid())
	peak := base
	for time.Since(hungAt) < hang {
		time.Sleep(min(5*time.Second, hang-time.Since(hungAt)))
		u := usageOf(t, e.c.Pid())
		peak.threads, peak.fds = max(peak.threads, u.threads), max(peak.fds, u.fds)
	}
	blocked := e.mount.Blocked()
	releasedAt := time.Now()
	stuckLog := e2eproc.CountLines(e.c.Output(), "has not returned within scan_timeout")
	for _, key := range keys {
		_, n := e.sink.Arrival(key)
		assert.Zero(t, n, "an event while the share hung: %s", key)
	}
	e.mount.Release()

	during := e.metrics.since(settled)
	var last time.Time
	for _, batch := range during {
		if batch.at.After(releasedAt) {
			break
		}
		assert.True(t, batch.api, "a metrics request without the API's metrics at %s", batch.at)
		assert.Nil(t, batch.folders, "backbone.folder.* while the share hung, at %s", batch.at)
		if !last.IsZero() {
			assert.LessOrEqual(t, batch.at.Sub(last), s.interval+time.Second, "a gap in the API metrics at %s", batch.at)
		}
		last = batch.at
	}
	hungFor := releasedAt.Sub(settled)
	assert.GreaterOrEqual(t, len(during), int(hungFor/s.interval)-1, "API metrics every interval while the share hung")
	assert.Equal(t, 1, stuckLog, "the stuck scan logged once:\n%s", e.c.Output())
	assert.LessOrEqual(t, peak.threads, base.threads+1, "threads piled up")
	assert.LessOrEqual(t, peak.fds, base.fds+1, "open files piled up")
	assert.Positive(t, blocked, "no directory read was blocked: the hang was not felt")

	bound := s.scanTimeout + s.interval + s.poll + s.cache + 5*time.Second
	starts := []time.Time{releasedAt, releasedAt}
	recovered := e.arrivals(t, keys, starts, bound)
	want := e.wantFolders()
	e2eproc.Eventually(t, e.c, bound, "folder metrics that count the messages exactly", func() bool {
		got, _ := e.metrics.lastFolders()
		return assert.ObjectsAreEqual(want, got)
	})
	e2eproc.Eventually(t, e.c, bound, "the end of the stuck scan logged", func() bool {
		return e2eproc.CountLines(e.c.Output(), "resolved: Backbone folder tree: a folder listing") == 1
	})
	time.Sleep(s.interval + s.poll) // time for a repeat to show
	accepted := e.sink.Accepted()
	for _, key := range append(keys, eventKey(backbonesim.FolderError, a)) {
		assert.Equal(t, 1, accepted[key], "each record once: %s", key)
	}
	assert.Len(t, accepted, 3, "no other message event: %v", accepted)
	assert.Equal(t, 2, e2eproc.CountLines(e.c.Output(), "has not returned within scan_timeout"), "its start and its end, once each")
	t.Logf("share hung %s (scan_timeout %s, collection_interval %s): %d metrics requests with the API's metrics and no folder metric; "+
		"threads %d -> peak %d, open files %d -> peak %d, %d directory reads blocked; after release: events %v, %v",
		hang, s.scanTimeout, s.interval, len(during), base.threads, peak.threads, base.fds, peak.fds, blocked, recovered[0], recovered[1])
}
