//go:build linux

package nfs

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/latency"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/otlpsink"
)

// deliverySlack is what an event takes beyond the poll and the cache: the re-list, the
// delivery through the collector's pipeline to the sink.
const deliverySlack = time.Second

// TestNFSEventsCountsLatency puts messages beside the mount, as another node's Backbone
// writes them into the shared home, and removes them again, with the mount caching
// attributes and listings for 1 s and for 30 s (NFS's actimeo): the receiver detects the
// network file system and polls, each message event reaches the sink once, within
// events_poll_interval plus the cache time, and the folder metrics count exactly what the
// simulator wrote.
func TestNFSEventsCountsLatency(t *testing.T) {
	t.Parallel()
	for _, cache := range []time.Duration{time.Second, 30 * time.Second} {
		t.Run("cache "+cache.String(), func(t *testing.T) {
			t.Parallel()
			s := settings{cache: cache, interval: 30 * time.Second, poll: 2 * time.Second}
			e := start(t, s)
			assert.Equal(t, 1, e2eproc.CountLines(e.c.Output(), "network file system", `"file_system": "fuse"`),
				"the network file system is detected, and logged once:\n%s", e.c.Output())

			const messages = 8
			bound := s.poll + cache + deliverySlack
			var (
				paths, putKeys, goneKeys []string
				putAt, goneAt            []time.Time
			)
			for i := range messages {
				folder, issue := backbonesim.FolderSendError, ""
				if i%2 == 0 {
					folder, issue = backbonesim.FolderError, "AP-"+strconv.Itoa(100+i)
				}
				putAt = append(putAt, time.Now())
				path := e.put(t, folder, issue)
				paths = append(paths, path)
				putKeys = append(putKeys, eventKey(folder, path))
				goneKeys = append(goneKeys, otlpsink.Key("backbone.message.resolved", path))
				time.Sleep(spread(i, cache))
			}
			appeared := e.arrivals(t, putKeys, putAt, bound+5*time.Second)

			// The counts, from a full scan after the last message: a poll emits no metric.
			want := e.wantFolders()
			scanned := time.Now()
			e2eproc.Eventually(t, e.c, s.interval+cache+10*time.Second, "a full scan's folder metrics", func() bool {
				return len(e.metrics.since(scanned)) > 0
			})
			got, _ := e.metrics.lastFolders()
			assert.Equal(t, want, got, "backbone.folder.messages by connector and folder")

			for i, path := range paths {
				goneAt = append(goneAt, time.Now())
				e.remove(t, path)
				time.Sleep(spread(i, cache))
			}
			resolved := e.arrivals(t, goneKeys, goneAt, bound+5*time.Second)

			t.Logf("cache %s, events_poll_interval %s, bound %s: appeared %s; resolved %s",
				cache, s.poll, bound, latency.Of(appeared), latency.Of(resolved))
			for i := range messages {
				assert.LessOrEqual(t, appeared[i], bound, "%s", putKeys[i])
				assert.LessOrEqual(t, resolved[i], bound, "%s", goneKeys[i])
			}
			time.Sleep(s.poll + cache) // time for a repeat to show
			accepted := e.sink.Accepted()
			for _, key := range append(putKeys, goneKeys...) {
				assert.Equal(t, 1, accepted[key], "each record once: %s", key)
			}
			assert.Len(t, accepted, 2*messages, "no other message event: %v", accepted)
		})
	}
}

// spread spaces the messages over the cache time and the poll's phase, so that they do not
// all land just after a listing was cached.
func spread(i int, cache time.Duration) time.Duration {
	return cache/4 + time.Duration(i%4)*700*time.Millisecond
}
