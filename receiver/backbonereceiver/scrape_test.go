package backbonereceiver

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/metricpoints"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
)

// apiFixture serves a file of testdata/api as Backbone's integrations endpoint.
type apiFixture struct {
	file     atomic.Value // string: a fixture name, or "" for a 404
	status   atomic.Int32
	requests atomic.Int32
}

func newAPIServer(t *testing.T, file string) (*httptest.Server, *apiFixture) {
	t.Helper()
	fx := &apiFixture{}
	fx.file.Store(file)
	fx.status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fx.requests.Add(1)
		if !strings.HasPrefix(r.URL.Path, "/jira/plugins/servlet/backbone-issue-sync/api/1/integrations") {
			http.NotFound(w, r)
			return
		}
		if code := int(fx.status.Load()); code != http.StatusOK {
			w.Header().Set("Content-Type", "text/html")
			if code == http.StatusUnauthorized {
				w.Header().Set("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
			}
			w.WriteHeader(code)
			_, _ = w.Write([]byte("<html>no</html>"))
			return
		}
		body, err := os.ReadFile(filepath.Join("..", "..", "testdata", "api", fx.file.Load().(string)))
		if !assert.NoError(t, err) {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, fx
}

// writeFiles creates files below root; a key ending in "/" is an empty folder.
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		path := filepath.Join(root, filepath.FromSlash(rel))
		if strings.HasSuffix(rel, "/") {
			require.NoError(t, os.MkdirAll(path, 0o755))
			continue
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
}

// seedTree is the folder tree of the seed's two integrations: INT-16 centralized (AP-29,
// PB-30), INT-15 distributed (SP-28), plus INT-99, which the API does not list.
func seedTree(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "backbone-issue-sync")
	writeFiles(t, root, map[string]string{
		"default/INT-16/AP-29/RECEIVE/000010.bac":                    "new",
		"default/INT-16/AP-29/RECEIVE/archive/000001.bac":            "done",
		"default/INT-16/AP-29/RECEIVE/archive/000002.bac":            "done",
		"default/INT-16/AP-29/RECEIVE/error/AP-123/000003.bac":       "failed",
		"default/INT-16/AP-29/RECEIVE/error/AP-123/000004.bac":       "failed too",
		"default/INT-16/AP-29/RECEIVE/error/AP-124/000005.bac":       "x",
		"default/INT-16/AP-29/RECEIVE/issue-missing/AP-7/000006.bac": "wait",
		"default/INT-16/AP-29/RECEIVE/sequence-error/000007.bac":     "held",
		"default/INT-16/AP-29/RECEIVE/offline/":                      "",
		"default/INT-16/AP-29/SEND/000008.bac":                       "out",
		"default/INT-16/AP-29/SEND/error/000009.bac":                 "unsent",
		"default/INT-16/PB-30/RECEIVE/archive/000001.bac":            "done",
		"default/INT-16/PB-30/SEND/":                                 "",
		"default/INT-15/SP-28/RECEIVE/discard/000002.bac":            "old",
		"default/INT-15/SP-28/RECEIVE/invalid/readme.txt":            "?",
		"default/INT-15/SP-28/SEND/":                                 "",
		"default/INT-99/XY-1/RECEIVE/":                               "",
	})
	return root
}

func newTestConfig(endpoint, directory string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint = endpoint
	cfg.Directory = directory
	return cfg
}

// scrapeOnce runs one tick of a receiver in a metrics pipeline and returns its metrics.
func scrapeOnce(t *testing.T, cfg *Config, set receiverSettings) pmetric.Metrics {
	t.Helper()
	r, err := newReceiver(cfg, set)
	require.NoError(t, err)
	sink := &consumertest.MetricsSink{}
	require.NoError(t, r.registerMetrics(sink, set))
	require.NoError(t, r.startOutputs(t.Context(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, r.Shutdown(t.Context())) }()
	r.tick(t.Context(), stepDue())
	require.Len(t, sink.AllMetrics(), 1)
	return sink.AllMetrics()[0]
}

func TestScrapeAPIOnly(t *testing.T) {
	tests := []struct {
		desc      string
		fixture   string
		golden    string
		configure func(*Config) // nil: the defaults
	}{
		{desc: "the seed's two integrations", fixture: "integrations.json", golden: "api_seed.yaml"},
		{desc: "distributed", fixture: "integrations_distributed.json", golden: "api_distributed.yaml"},
		{desc: "unknown states are kept", fixture: "integrations_unknown_states.json", golden: "api_unknown_states.yaml"},
		{desc: "missing optional fields", fixture: "integrations_missing_fields.json", golden: "api_missing_fields.yaml"},
		{desc: "unknown extra fields", fixture: "integrations_extra_fields.json", golden: "api_extra_fields.yaml"},
		{desc: "empty array", fixture: "integrations_empty.json", golden: "api_empty.yaml"},
		{
			desc: "an integration marked idle", fixture: "integrations.json", golden: "api_idle.yaml",
			configure: func(cfg *Config) { cfg.IdleIntegrations = []string{"INT-15"} },
		},
		{
			desc: "opt-in attributes: integration facts and the queue type", fixture: "integrations_distributed.json", golden: "api_opt_in.yaml",
			configure: func(cfg *Config) {
				ra := &cfg.ResourceAttributes
				ra.BackboneIntegrationDistributed.Enabled = true
				ra.BackboneIntegrationMaster.Enabled = true
				ra.BackboneIntegrationPartnerProjectType.Enabled = true
				online := &cfg.Metrics.BackboneConnectorOnline
				online.EnabledAttributes = append(online.EnabledAttributes, metadata.BackboneConnectorOnlineMetricAttributeKeyBackboneConnectorQueueType)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			srv, _ := newAPIServer(t, tt.fixture)
			cfg := newTestConfig(srv.URL+"/jira", "")
			if tt.configure != nil {
				tt.configure(cfg)
			}
			md := scrapeOnce(t, cfg, receivertest.NewNopSettings(metadata.Type))
			compareGolden(t, filepath.Join("testdata", "metrics", tt.golden), md)
		})
	}
}

func TestScrapeFoldersOnly(t *testing.T) {
	md := scrapeOnce(t, newTestConfig("", seedTree(t)), receivertest.NewNopSettings(metadata.Type))
	compareGolden(t, filepath.Join("testdata", "metrics", "folders.yaml"), md)
}

func TestScrapeAPIAndFoldersShareResources(t *testing.T) {
	srv, _ := newAPIServer(t, "integrations.json")
	md := scrapeOnce(t, newTestConfig(srv.URL+"/jira", seedTree(t)), receivertest.NewNopSettings(metadata.Type))
	compareGolden(t, filepath.Join("testdata", "metrics", "api_and_folders.yaml"), md)

	// One resource per integration, holding its API and its folder metrics side by side.
	keys := map[string]int{}
	for _, rm := range md.ResourceMetrics().All() {
		key, ok := rm.Resource().Attributes().Get("backbone.integration.key")
		if !ok {
			continue
		}
		keys[key.Str()]++
		names := map[string]bool{}
		for _, m := range rm.ScopeMetrics().At(0).Metrics().All() {
			names[m.Name()] = true
		}
		if key.Str() == "INT-16" {
			assert.True(t, names["backbone.connector.online"], "API metrics of INT-16")
			assert.True(t, names["backbone.folder.messages"], "folder metrics of INT-16")
		}
	}
	assert.Equal(t, map[string]int{"INT-15": 1, "INT-16": 1, "INT-99": 1}, keys)
}

// TestScrapeFolderAges checks that a folder's age counts from when its oldest message
// entered it: a message moved in keeps its modification time, an hour old here, and sets
// only its change time, which a test cannot set back; it is as old as this test's write.
func TestScrapeFolderAges(t *testing.T) {
	root := seedTree(t)
	moved := filepath.Join(root, "default/INT-16/AP-29/SEND/000008.bac")
	written := time.Now()
	require.NoError(t, os.Chtimes(moved, written.Add(-time.Hour), written.Add(-time.Hour)))
	md := scrapeOnce(t, newTestConfig("", root), receivertest.NewNopSettings(metadata.Type))
	ages := folderGauge(t, md, "backbone.folder.oldest_message.age", "AP-29")
	// The file system's clock may lag this one by a tick: a second of slack.
	assert.LessOrEqual(t, ages["send"], time.Since(written).Seconds()+1, "from its entry, not its modification time an hour ago")
	assert.GreaterOrEqual(t, ages["send"], 0.0)
	assert.Zero(t, ages["offline"], "an empty folder is 0 s old")
	_, archive := ages["archive"]
	assert.False(t, archive, "archive age is opt-in (archive_details)")

	cfg := newTestConfig("", root)
	cfg.ArchiveDetails = true
	md = scrapeOnce(t, cfg, receivertest.NewNopSettings(metadata.Type))
	assert.Contains(t, folderGauge(t, md, "backbone.folder.oldest_message.age", "AP-29"), "archive")
	assert.Equal(t, float64(len("done")*2), folderGauge(t, md, "backbone.folder.size", "AP-29")["archive"])
}

func TestScrapeAPIFailures(t *testing.T) {
	tests := []struct {
		desc      string
		status    int
		fixture   string
		errorType string
	}{
		{desc: "wrong password", status: http.StatusUnauthorized, errorType: "auth"},
		{desc: "forbidden", status: http.StatusForbidden, errorType: "forbidden"},
		{desc: "server error", status: http.StatusInternalServerError, errorType: "server_error"},
		{desc: "rate limited", status: http.StatusTooManyRequests, errorType: "rate_limited"},
		{desc: "malformed JSON", status: http.StatusOK, fixture: "integrations_malformed.json", errorType: "decode"},
		{desc: "truncated JSON", status: http.StatusOK, fixture: "integrations_truncated.json", errorType: "decode"},
		{desc: "object instead of array", status: http.StatusOK, fixture: "integrations_object.json", errorType: "decode"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			srv, fx := newAPIServer(t, tt.fixture)
			fx.status.Store(int32(tt.status))
			md := scrapeOnce(t, newTestConfig(srv.URL+"/jira", seedTree(t)), receivertest.NewNopSettings(metadata.Type))
			up := apiUp(t, md)
			assert.Equal(t, int64(0), up.value)
			assert.Equal(t, tt.errorType, up.errorType)
			// The folder tree is still reported.
			assert.NotEmpty(t, folderGauge(t, md, "backbone.folder.messages", "AP-29"))
		})
	}
	t.Run("connection refused", func(t *testing.T) {
		srv, _ := newAPIServer(t, "integrations.json")
		srv.Close()
		md := scrapeOnce(t, newTestConfig(srv.URL+"/jira", ""), receivertest.NewNopSettings(metadata.Type))
		up := apiUp(t, md)
		assert.Equal(t, int64(0), up.value)
		assert.Equal(t, "connection", up.errorType)
	})
}

// TestScrapeLogsProblemsOncePerStateChange checks that a lasting problem gives one log line,
// that the auth backoff keeps the receiver from retrying a rejected password each interval,
// and that recovery is logged once.
func TestScrapeLogsProblemsOncePerStateChange(t *testing.T) {
	srv, fx := newAPIServer(t, "integrations.json")
	fx.status.Store(http.StatusUnauthorized)
	core, logs := observer.New(zap.InfoLevel)
	set := receivertest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)

	cfg := newTestConfig(srv.URL+"/jira", filepath.Join(t.TempDir(), "not-mounted-yet"))
	cfg.Password, cfg.Username = "s3cr3t-pa55", "monitor"
	r, err := newReceiver(cfg, set)
	require.NoError(t, err)
	require.NoError(t, r.registerMetrics(&consumertest.MetricsSink{}, set))
	require.NoError(t, r.startOutputs(t.Context(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, r.Shutdown(t.Context())) }()

	for range 5 {
		r.tick(t.Context(), stepDue())
	}
	assert.Equal(t, int32(1), fx.requests.Load(), "after a rejected login the receiver backs off")
	assert.Equal(t, 1, logs.FilterMessageSnippet("Backbone API").Len(), "one line for the API problem")
	assert.Equal(t, 1, logs.FilterMessageSnippet("Backbone folder tree").Len(), "one line for the missing directory")
	for _, entry := range logs.All() {
		assert.NotContains(t, entry.Message, "s3cr3t-pa55")
	}

	require.NoError(t, os.MkdirAll(cfg.Directory, 0o755))
	r.tick(t.Context(), stepDue())
	assert.Equal(t, 1, logs.FilterMessageSnippet("resolved: Backbone folder tree").Len())
}

type apiUpPoint struct {
	value     int64
	errorType string
}

// apiUp reads backbone.api.up and the backbone.api.error state set, checking that the set
// always carries every error.type, with at most one at 1 and none while the API is up.
func apiUp(t *testing.T, md pmetric.Metrics) apiUpPoint {
	t.Helper()
	var p apiUpPoint
	var found bool
	kinds := map[string]int64{}
	for _, pt := range metricpoints.Flatten(md) {
		switch pt.Metric {
		case "backbone.api.up":
			assert.Empty(t, pt.Attrs, "backbone.api.up carries no attributes")
			p.value, found = int64(pt.Value), true
		case "backbone.api.error":
			kind := pt.Attr("error.type")
			kinds[kind] = int64(pt.Value)
			if pt.Value == 1 {
				p.errorType = kind
			}
		}
	}
	if !found {
		t.Fatal("no backbone.api.up data point")
	}
	assert.Len(t, kinds, len(metadata.MapAttributeErrorType), "backbone.api.error carries every error.type")
	var failing int64
	for _, v := range kinds {
		failing += v
	}
	assert.Equal(t, 1-p.value, failing, "backbone.api.error has exactly one 1 while the API is down, none while up")
	return p
}

// folderGauge returns the values of a folder metric for one connector, by folder.
func folderGauge(t *testing.T, md pmetric.Metrics, name, connector string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, p := range metricpoints.Flatten(md) {
		if p.Metric == name && p.Attr("backbone.connector.key") == connector {
			out[p.Attr("backbone.folder")] = p.Value
		}
	}
	return out
}

// TestScrapeHangingAPIKeepsFolderMetrics checks that a Jira that hangs is cut off at the
// configured timeout, by default and whatever the HTTP client's own timeout, and takes
// neither the folder metrics nor their delivery with it.
func TestScrapeHangingAPIKeepsFolderMetrics(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	cfg := newTestConfig(srv.URL, seedTree(t))
	require.Equal(t, 10*time.Second, cfg.ControllerConfig.Timeout, "a tick is bounded by default")
	cfg.ControllerConfig.Timeout = 300 * time.Millisecond
	cfg.ClientConfig.Timeout = time.Hour
	h := startHarness(t, cfg)

	start := time.Now()
	md := h.scrape(t)
	assert.Less(t, time.Since(start), 5*time.Second, "the tick ended at its timeout")
	assert.Equal(t, "timeout", apiUp(t, md).errorType)
	assert.Equal(t, float64(3), folderGauge(t, md, "backbone.folder.messages", "AP-29")["error"])
	assert.Empty(t, h.last.tree.Problems)
}
