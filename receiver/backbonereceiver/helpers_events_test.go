package backbonereceiver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/logrecords"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/msgtrack"
)

// eventsMTime is the modification time given to message files, so that record timestamps
// are reproducible.
var eventsMTime = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// Folders of connector AP-29 of INT-16, relative to the tree root.
const (
	ap29     = "default/INT-16/AP-29/"
	ap29Recv = ap29 + "RECEIVE/"
)

// newEventsTree returns an empty backbone-issue-sync folder with the connectors AP-29 and
// PB-30 of INT-16.
func newEventsTree(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "backbone-issue-sync")
	for _, dir := range []string{ap29Recv, ap29 + "SEND", "default/INT-16/PB-30/RECEIVE", "default/INT-16/PB-30/SEND"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, filepath.FromSlash(dir)), 0o755))
	}
	return root
}

// putMessageFile writes a message file of size bytes at rel below root, modified at mtime, and
// returns its path.
func putMessageFile(t *testing.T, root, rel string, size int, mtime time.Time) string {
	t.Helper()
	path := filepath.Join(root, filepath.FromSlash(rel))
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, make([]byte, size), 0o644))
	require.NoError(t, os.Chtimes(path, mtime, mtime))
	return path
}

// removeMessageFile deletes a message file of the tree.
func removeMessageFile(t *testing.T, root, rel string) {
	t.Helper()
	require.NoError(t, os.Remove(filepath.Join(root, filepath.FromSlash(rel))))
}

// moveMessageFile renames a message inside the tree, keeping its modification time.
func moveMessageFile(t *testing.T, root, from, to string) {
	t.Helper()
	dst := filepath.Join(root, filepath.FromSlash(to))
	require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
	require.NoError(t, os.Rename(filepath.Join(root, filepath.FromSlash(from)), dst))
}

// newEventsConfig returns a folder-only config that scrapes every interval from the start.
func newEventsConfig(directory string, interval time.Duration) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Directory = directory
	cfg.CollectionInterval = interval
	cfg.InitialDelay = 0
	// These tests are about when a message is seen; stuck_after has tests of its own.
	cfg.StuckAfter = 0
	return cfg
}

// enableAllEvents switches on the events that are off by default.
func enableAllEvents(cfg *Config) {
	cfg.Events.BackboneMessageIssueMissing.Enabled = true
	cfg.Events.BackboneMessageOffline.Enabled = true
	cfg.Events.BackboneMessageInvalid.Enabled = true
}

// eventsReceiverID names the receiver across restarts.
var eventsReceiverID = component.NewIDWithName(metadata.Type, "events")

// stepScraper drives a receiver by hand, with a metrics and a logs pipeline: each step is
// one tick of its loop, which is not started.
type stepScraper struct {
	r       *backboneReceiver
	metrics *consumertest.MetricsSink
	next    *flakyLogs
	stopped bool
}

// newStepScraper starts the outputs of a receiver for cfg on host; it is shut down with
// the test.
func newStepScraper(t *testing.T, cfg *Config, host component.Host) *stepScraper {
	t.Helper()
	return newStepScraperWith(t, cfg, host, receivertest.NewNopSettings(metadata.Type))
}

// newStepScraperWith is newStepScraper with the receiver's settings (its telemetry).
func newStepScraperWith(t *testing.T, cfg *Config, host component.Host, set receiver.Settings) *stepScraper {
	t.Helper()
	set.ID = eventsReceiverID // the storage client is named after it
	r, err := newReceiver(cfg, set)
	require.NoError(t, err)
	s := &stepScraper{r: r, metrics: &consumertest.MetricsSink{}, next: &flakyLogs{}}
	require.NoError(t, r.registerMetrics(s.metrics, set))
	require.NoError(t, r.registerLogs(s.next, set))
	require.NoError(t, r.startOutputs(t.Context(), host))
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop shuts the receiver down, as the collector does on exit; later calls do nothing.
func (s *stepScraper) stop(t *testing.T) {
	t.Helper()
	if !s.stopped {
		s.stopped = true
		require.NoError(t, s.r.Shutdown(context.Background()))
	}
}

// step runs one tick and returns the records offered to the logs consumer during it, in
// one plog.Logs, and the consumer's last answer.
func (s *stepScraper) step(t *testing.T) (plog.Logs, error) {
	t.Helper()
	return s.stepWith(t.Context())
}

// testClock is the time of the receiver's snapshots, which a test moves by hand instead of
// waiting for it to pass.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

// newTestClock returns a clock that stands at the current time until the test moves it;
// a receiver uses it once its reader's now is set to its Now.
func newTestClock() *testClock { return &testClock{now: time.Now()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// stepDue is when the next tick is due for a tick run by hand: later than any consumer of
// these tests takes to answer, unless it blocks on purpose.
func stepDue() time.Time { return time.Now().Add(time.Minute) }

// stepWith runs one tick under ctx.
func (s *stepScraper) stepWith(ctx context.Context) (plog.Logs, error) {
	before := s.next.offeredCount()
	s.r.tick(ctx, stepDue())
	return s.next.offeredSince(before)
}

// flakyLogs is a logs sink that refuses everything while fail is set, and remembers every
// request it was offered.
type flakyLogs struct {
	consumertest.LogsSink
	fail    atomic.Bool
	refused atomic.Int64
	refuse  func(plog.Logs) error // when set, refuses what it returns an error for

	mu      sync.Mutex
	offered []plog.Logs
	answers []error
}

var errRefused = errors.New("pipeline refused the logs")

func (f *flakyLogs) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	var err error
	if f.refuse != nil {
		err = f.refuse(ld)
	}
	switch {
	case err != nil:
		f.refused.Add(1)
	case f.fail.Load():
		f.refused.Add(1)
		err = errRefused
	default:
		err = f.LogsSink.ConsumeLogs(ctx, ld)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.offered = append(f.offered, ld)
	f.answers = append(f.answers, err)
	return err
}

func (*flakyLogs) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (f *flakyLogs) offeredCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.offered)
}

// offeredSince merges the requests offered since the first n into one plog.Logs, in
// order, and returns the last answer.
func (f *flakyLogs) offeredSince(n int) (plog.Logs, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := plog.NewLogs()
	var err error
	for i := n; i < len(f.offered); i++ {
		f.offered[i].ResourceLogs().CopyTo(out.ResourceLogs())
		err = f.answers[i]
	}
	return out, err
}

// briefRecords renders each record as "event severity path-below-root", in order, so that tables
// state the expected sequence at a glance, followed by "found_at_start" for a message found
// at the first start. State changes show their attributes instead.
func briefRecords(root string, ld plog.Logs) []string {
	var out []string
	for _, r := range logrecords.Flatten(ld) {
		what := ""
		if p, ok := r.Attrs["file.path"]; ok {
			what = relToRoot(root, p.(string))
		} else if _, ok := r.Attrs["backbone.integration.state"]; ok {
			what = r.Attr("backbone.integration.previous_state") + "->" + r.Attr("backbone.integration.state")
		} else if c, ok := r.Attrs["backbone.connector.key"]; ok {
			online, _ := r.Attrs["backbone.connector.online"].(bool)
			what = fmt.Sprintf("%s online=%t", c, online)
		}
		if found, _ := r.Attrs[attrFoundAtStart].(bool); found {
			what += " found_at_start"
		}
		out = append(out, fmt.Sprintf("%s %s %s", r.Event, r.SeverityText, what))
	}
	return out
}

// briefAllRecords concatenates briefRecords over several deliveries.
func briefAllRecords(root string, lds []plog.Logs) []string {
	var out []string
	for _, ld := range lds {
		out = append(out, briefRecords(root, ld)...)
	}
	return out
}

func relToRoot(root, path string) string {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return path
	}
	return filepath.ToSlash(rel)
}

// resolvedAfter is the duration at the end of a resolved record's body.
var resolvedAfter = regexp.MustCompile(` after [0-9hms.]+$`)

// maskEvents makes records comparable with a golden file: what depends on the clock, the
// temporary directory or the test server's port is replaced. The observed timestamp
// becomes 0, and so does the timestamp: where it equals the observed one (resolved records
// and state changes), and for a new message, when it entered its folder, the file's change
// time as the test wrote it (the tests check it on their own).
func maskEvents(root string, ld plog.Logs) plog.Logs {
	out := plog.NewLogs()
	ld.CopyTo(out)
	for _, rl := range out.ResourceLogs().All() {
		if _, ok := rl.Resource().Attributes().Get("jira.base_url"); ok {
			rl.Resource().Attributes().PutStr("jira.base_url", "<endpoint>")
		}
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				if _, message := lr.Attributes().Get("file.path"); message || lr.Timestamp() == lr.ObservedTimestamp() {
					lr.SetTimestamp(0)
				}
				lr.SetObservedTimestamp(0)
				if p, ok := lr.Attributes().Get("file.path"); ok {
					p.SetStr(relToRoot(root, p.Str()))
				}
				if lr.EventName() == eventMessageResolved {
					lr.Attributes().PutDouble("backbone.message.time_in_folder", 0)
					lr.Body().SetStr(resolvedAfter.ReplaceAllString(lr.Body().Str(), " after <time_in_folder>"))
				}
			}
		}
	}
	return out
}

// updateEventsGolden rewrites the golden files of the events tests instead of comparing with them.
var updateEventsGolden = os.Getenv("UPDATE_GOLDEN") != ""

// compareEventsGolden compares masked records with testdata/events/<name>.yaml, order
// included: records reach the pipeline in the order their events happened. UPDATE_GOLDEN=1
// rewrites the file.
func compareEventsGolden(t *testing.T, name, root string, actual plog.Logs) {
	t.Helper()
	path := filepath.Join("testdata", "events", name+".yaml")
	masked := maskEvents(root, actual)
	if updateEventsGolden {
		require.NoError(t, golden.WriteLogs(t, path, masked))
	}
	expected, err := golden.ReadLogs(path)
	require.NoError(t, err)
	require.NoError(t, plogtest.CompareLogs(expected, masked))
}

// testFileStorage is contrib's file-backed test storage extension on a temporary directory,
// exposed through a component.Host as the collector does, counting the writes of its clients.
// It keeps what a client stored when that client is closed, so a receiver shut down and
// started again finds its state.
type testFileStorage struct {
	id     component.ID
	ext    *storagetest.TestStorage
	writes atomic.Int64 // Set and Batch calls
	bytes  atomic.Int64 // of the values set
}

func (s *testFileStorage) GetExtensions() map[component.ID]component.Component {
	return map[component.ID]component.Component{s.id: countingExtension{s.ext, s}}
}

// countingExtension hands out clients that count their writes in s.
type countingExtension struct {
	*storagetest.TestStorage
	s *testFileStorage
}

func (e countingExtension) GetClient(ctx context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	c, err := e.TestStorage.GetClient(ctx, kind, id, name)
	return countingClient{c, e.s}, err
}

type countingClient struct {
	storage.Client
	s *testFileStorage
}

func (c countingClient) Set(ctx context.Context, key string, value []byte) error {
	c.s.writes.Add(1)
	c.s.bytes.Add(int64(len(value)))
	return c.Client.Set(ctx, key, value)
}

func (c countingClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	c.s.writes.Add(1)
	for _, op := range ops {
		if op.Type == storage.Set {
			c.s.bytes.Add(int64(len(op.Value)))
		}
	}
	return c.Client.Batch(ctx, ops...)
}

// newFileStorage returns a file-backed storage extension on dir (a fresh one when empty).
func newFileStorage(t *testing.T, dir string) *testFileStorage {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	ext := storagetest.NewFileBackedStorageExtension("state", dir)
	return &testFileStorage{id: ext.ID, ext: ext}
}

// stored returns a tracker loaded from the state the receiver with id saved, as at its next
// start. Call it only while that receiver is shut down.
func (s *testFileStorage) stored(t *testing.T, id component.ID) *msgtrack.Tracker {
	t.Helper()
	client, err := s.ext.GetClient(t.Context(), component.KindReceiver, id, "")
	require.NoError(t, err)
	defer func() { require.NoError(t, client.Close(context.Background())) }()
	tr := msgtrack.New(0)
	require.NoError(t, tr.Load(t.Context(), client))
	return tr
}

// countRecords returns how many log records the sink received in all.
func countRecords(lds []plog.Logs) int {
	n := 0
	for _, ld := range lds {
		n += ld.LogRecordCount()
	}
	return n
}

// nonEmpty drops deliveries without records: the controller delivers every scrape.
func nonEmpty(lds []plog.Logs) []plog.Logs {
	var out []plog.Logs
	for _, ld := range lds {
		if ld.LogRecordCount() > 0 {
			out = append(out, ld)
		}
	}
	return out
}
