//go:build linux

// Package nfs runs the built collector on Backbone's folder tree seen through nfsfixture, a
// FUSE mount that behaves like Jira's shared home on NFS seen from another node: changes
// made beside the mount, attributes and listings cached, and a share that can hang.
package nfs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/collectoryaml"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/metricpoints"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/otlpsink"
	"github.com/otelcol-backbone/otelcol-backbone/internal/nfsfixture"
)

const (
	simUser     = "monitor"
	simPassword = "e2e-Pa55w0rd-9f3kq"
)

// env is one run: the simulator writing its tree in a backing folder, the collector reading
// it through the mount, and an OTLP sink.
type env struct {
	sim     *backbonesim.Sim
	mount   *nfsfixture.Mount
	sink    *otlpsink.Sink
	metrics *metricLog
	c       *e2eproc.Process
}

// settings are what the runs vary.
type settings struct {
	cache       time.Duration // attribute and entry timeout of the mount
	interval    time.Duration // collection_interval
	poll        time.Duration // events_poll_interval
	scanTimeout time.Duration // 0: the receiver's default
}

func start(t *testing.T, s settings) *env {
	t.Helper()
	bin := e2eproc.CollectorBinary(t)
	backing := t.TempDir()
	sim, err := backbonesim.New(backbonesim.Options{Dir: filepath.Join(backing, "backbone-issue-sync"), Username: simUser, Password: simPassword})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	base, err := sim.Start("127.0.0.1:0")
	require.NoError(t, err)
	mount := nfsfixture.New(t, backing, nfsfixture.Options{AttrTimeout: s.cache, EntryTimeout: s.cache})

	e := &env{sim: sim, mount: mount, metrics: &metricLog{}}
	e.sink, err = otlpsink.Start(otlpsink.Options{Metrics: e.metrics.add})
	require.NoError(t, err)
	t.Cleanup(e.sink.Close)
	extra := fmt.Sprintf("    events_poll_interval: %s\n", s.poll)
	if s.scanTimeout > 0 {
		extra += fmt.Sprintf("    scan_timeout: %s\n", s.scanTimeout)
	}
	cfg := collectoryaml.Config{
		Receiver: collectoryaml.Receiver{
			Endpoint: base, Username: simUser, Password: simPassword,
			Directory: filepath.Join(mount.Dir, "backbone-issue-sync"), Interval: s.interval, Extra: extra,
		},
		Exporter: collectoryaml.Exporter{Endpoint: e.sink.URL, Compression: "none", Retry: &collectoryaml.Retry{Disabled: true}},
	}
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg.YAML()), 0o600))
	e.c = e2eproc.Start(t, t.Context(), "collector", bin, "--config", cfgPath)
	e2eproc.Eventually(t, e.c, 30*time.Second, "the first scan's folder metrics", func() bool {
		_, ok := e.metrics.lastFolders()
		return ok
	})
	return e
}

// onMount returns where the collector sees a path the simulator wrote.
func (e *env) onMount(path string) string {
	return filepath.Join(e.mount.Dir, strings.TrimPrefix(path, e.mount.Backing))
}

// put puts a message beside the mount and returns its path as the collector sees it.
func (e *env) put(t *testing.T, folder, issue string) string {
	t.Helper()
	path, err := e.sim.PutMessage("INT-16", "AP-29", folder, issue)
	require.NoError(t, err)
	return e.onMount(path)
}

// remove removes a message beside the mount, given its path on the mount.
func (e *env) remove(t *testing.T, path string) {
	t.Helper()
	require.NoError(t, e.sim.RemoveMessage(filepath.Join(e.mount.Backing, strings.TrimPrefix(path, e.mount.Dir))))
}

// eventKey is the sink's key of a message event.
func eventKey(folder, path string) string {
	if folder == backbonesim.FolderError {
		return otlpsink.Key("backbone.message.error", path)
	}
	return otlpsink.Key("backbone.message.send_error", path)
}

// wantFolders is backbone.folder.messages as the simulator's files say, by integration,
// connector and folder.
func (e *env) wantFolders() map[string]float64 {
	want := map[string]float64{}
	for _, in := range e.sim.Snapshot().Integrations {
		for _, c := range in.Connectors {
			for folder, n := range c.Files {
				want[in.Key+" "+c.Key+" "+folder] = float64(n)
			}
		}
	}
	return want
}

// metricLog keeps, for each metrics request the sink accepted, when it came and its
// backbone.folder.messages points, by integration, connector and folder.
type metricLog struct {
	mu      sync.Mutex
	batches []metricBatch
}

type metricBatch struct {
	at      time.Time
	api     bool               // holds backbone.api.up
	folders map[string]float64 // nil when the request held no backbone.folder.* point
}

func (l *metricLog) add(md pmetric.Metrics) {
	b := metricBatch{at: time.Now()}
	for _, p := range metricpoints.Flatten(md) {
		switch {
		case p.Metric == "backbone.api.up":
			b.api = true
		case strings.HasPrefix(p.Metric, "backbone.folder."):
			if b.folders == nil {
				b.folders = map[string]float64{}
			}
			if p.Metric == "backbone.folder.messages" {
				b.folders[p.ResourceAttr("backbone.integration.key")+" "+p.Attr("backbone.connector.key")+" "+p.Attr("backbone.folder")] = p.Value
			}
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.batches = append(l.batches, b)
}

// lastFolders returns the folder counts of the last request that had any.
func (l *metricLog) lastFolders() (map[string]float64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.batches) - 1; i >= 0; i-- {
		if l.batches[i].folders != nil {
			return l.batches[i].folders, true
		}
	}
	return nil, false
}

// since returns the requests that came after at.
func (l *metricLog) since(at time.Time) []metricBatch {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []metricBatch
	for _, b := range l.batches {
		if b.at.After(at) {
			out = append(out, b)
		}
	}
	return out
}

// arrivals waits for every key's record and returns, for each, how long after its start it
// arrived.
func (e *env) arrivals(t *testing.T, keys []string, starts []time.Time, wait time.Duration) []time.Duration {
	t.Helper()
	out := make([]time.Duration, len(keys))
	for i, key := range keys {
		var at time.Time
		e2eproc.Eventually(t, e.c, time.Until(starts[i].Add(wait)), key, func() bool {
			var n int
			at, n = e.sink.Arrival(key)
			return n > 0
		})
		out[i] = at.Sub(starts[i])
	}
	return out
}
