//go:build unix

package backbonereceiver

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/metricpoints"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/backboneapi"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
)

// faultScrapes is how many scrapes each fault lasts: enough to see that a lasting problem
// is logged once, not once per scrape.
const faultScrapes = 3

// authHold is the auth back-off of the fault tests: longer than the scrapes of a fault take,
// so that a rejected login is tried once, and short enough to wait for.
const authHold = time.Second

const (
	faultUser     = "monitor"
	faultPassword = "monitor-pw"
)

// faultHarness drives a receiver with a metrics and a logs pipeline tick by tick, and
// records its log at debug level.
type faultHarness struct {
	r       *backboneReceiver
	metrics *consumertest.MetricsSink
	events  *consumertest.LogsSink
	logs    *observer.ObservedLogs
	last    *snapshot
}

func startHarness(t *testing.T, cfg *Config) *faultHarness {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	set := receivertest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	r, err := newReceiver(cfg, set)
	require.NoError(t, err)
	h := &faultHarness{r: r, metrics: &consumertest.MetricsSink{}, events: &consumertest.LogsSink{}, logs: logs}
	require.NoError(t, r.registerMetrics(h.metrics, set))
	require.NoError(t, r.registerLogs(h.events, set))
	require.NoError(t, r.startOutputs(t.Context(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, r.Shutdown(context.Background())) })
	return h
}

// scrape runs one tick and returns its metrics; a tick never fails, whatever the fault.
func (h *faultHarness) scrape(t *testing.T) pmetric.Metrics {
	t.Helper()
	h.last = h.r.tick(t.Context(), stepDue())
	all := h.metrics.AllMetrics()
	require.NotEmpty(t, all)
	return all[len(all)-1]
}

// waitUp scrapes until backbone.api.up is 1, as the controller would every interval.
func (h *faultHarness) waitUp(t *testing.T) pmetric.Metrics {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		md := h.scrape(t)
		if apiUp(t, md).value == 1 {
			return md
		}
		require.True(t, time.Now().Before(deadline), "the API did not recover: %v", h.warnings("Backbone API"))
		time.Sleep(20 * time.Millisecond)
	}
}

// warnings returns the messages of the warning lines that contain snippet.
func (h *faultHarness) warnings(snippet string) []string {
	var out []string
	for _, e := range h.logs.FilterLevelExact(zapcore.WarnLevel).FilterMessageSnippet(snippet).All() {
		out = append(out, e.Message)
	}
	return out
}

// resolved counts the lines that say a problem containing snippet cleared.
func (h *faultHarness) resolved(snippet string) int {
	return h.logs.FilterMessageSnippet("resolved: " + snippet).Len()
}

// gate stands in front of the simulator: it passes requests on, or answers them itself
// while a fault is set, and notes when each request came.
type gate struct {
	next    http.Handler
	fault   atomic.Pointer[http.HandlerFunc]
	written atomic.Int64 // body bytes a fault handler managed to send

	mu    sync.Mutex
	times []time.Time
}

func (g *gate) set(h http.HandlerFunc) {
	if h == nil {
		g.fault.Store(nil)
		return
	}
	g.fault.Store(&h)
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.times = append(g.times, time.Now())
	g.mu.Unlock()
	if h := g.fault.Load(); h != nil {
		(*h)(w, r)
		return
	}
	g.next.ServeHTTP(w, r)
}

func (g *gate) requests() []time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]time.Time(nil), g.times...)
}

// rewrite answers with the simulator's answer, its body changed by edit.
func (g *gate) rewrite(edit func([]byte) []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		g.next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(edit(rec.Body.Bytes()))
	}
}

// faultEnv is a simulated Jira, with its folder tree, behind a gate, and a receiver config
// that reads both.
type faultEnv struct {
	sim  *backbonesim.Sim
	gate *gate
	url  string // Jira's base URL through the gate
	cfg  *Config
}

func newFaultEnv(t *testing.T) *faultEnv {
	t.Helper()
	return newFaultEnvWith(t, backbonesim.Options{})
}

// newFaultEnvWith is newFaultEnv with a simulator of more options than the defaults.
func newFaultEnvWith(t *testing.T, opts backbonesim.Options) *faultEnv {
	t.Helper()
	opts.Dir = filepath.Join(t.TempDir(), "backbone-issue-sync")
	opts.Username, opts.Password, opts.ContextPath = faultUser, faultPassword, "/jira"
	sim, err := backbonesim.New(opts)
	require.NoError(t, err)
	g := &gate{next: sim}
	srv := httptest.NewServer(g)
	t.Cleanup(func() {
		_ = sim.Close() // releases hanging requests first
		srv.Close()
	})
	cfg := newTestConfig(srv.URL+"/jira", sim.Dir())
	cfg.CollectionInterval = time.Nanosecond // every scrape takes a fresh snapshot
	cfg.Username, cfg.Password = faultUser, faultPassword
	cfg.AuthBackoff = AuthBackoffConfig{InitialInterval: authHold, MaxInterval: authHold}
	cfg.ClientConfig.Timeout = 2 * time.Second
	return &faultEnv{sim: sim, gate: g, url: srv.URL + "/jira", cfg: cfg}
}

// integrationsURL is the simulator's list endpoint, bypassing nothing but the receiver.
func (e *faultEnv) integrationsURL() string {
	return e.url + "/plugins/servlet/backbone-issue-sync/api/1/integrations"
}

// statusKeys returns the integrations that have a backbone.integration.status point.
func statusKeys(md pmetric.Metrics) []string {
	var keys []string
	for _, p := range metricpoints.Flatten(md) {
		key, ok := p.Resource["backbone.integration.key"].(string)
		if ok && p.Metric == "backbone.integration.status" && !slices.Contains(keys, key) {
			keys = append(keys, key)
		}
	}
	return keys
}

// allStrings returns every attribute value of md as a string, those's data points and their resources.
func allStrings(md pmetric.Metrics) []string {
	var out []string
	for _, p := range metricpoints.Flatten(md) {
		for _, attrs := range []map[string]any{p.Resource, p.Attrs} {
			for _, raw := range attrs {
				v := pcommon.NewValueEmpty()
				_ = v.FromRaw(raw)
				out = append(out, v.AsString())
			}
		}
	}
	return out
}

// newTLSServer serves h over TLS with a self-signed certificate, without logging the
// handshakes that clients refuse.
func newTLSServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// writeCertPEM writes the test server's certificate as a CA file.
func writeCertPEM(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "jira-ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

// jsonEdit parses the simulator's integration list, lets edit change it, and writes it back.
func jsonEdit(t *testing.T, edit func(list []map[string]any)) func([]byte) []byte {
	return func(body []byte) []byte {
		var list []map[string]any
		if !assert.NoError(t, json.Unmarshal(body, &list)) {
			return body
		}
		edit(list)
		out, err := json.Marshal(list)
		assert.NoError(t, err)
		return out
	}
}

// TestAPIFaults injects each way the API can fail and checks that the receiver keeps
// scraping, reports the failure once in its log and through backbone.api.up/error.type,
// still reports the folder tree, and recovers by itself when the fault clears.
func TestAPIFaults(t *testing.T) {
	bigBody := int64(100 << 20)
	tests := []struct {
		desc string
		// arrange injects the fault and returns what clears it; nil when only a new
		// configuration can (reconfigure then shows that it does).
		arrange     func(t *testing.T, e *faultEnv) (heal func())
		reconfigure func(t *testing.T, e *faultEnv, cfg *Config)
		errorType   string // "" when the fault is tolerated: api.up stays 1
		logs        string // in the one warning line; none when tolerated and ""
		check       func(t *testing.T, e *faultEnv, h *faultHarness, md pmetric.Metrics)
	}{
		{
			desc: "connection refused",
			arrange: func(t *testing.T, e *faultEnv) func() {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				require.NoError(t, err)
				addr := ln.Addr().String()
				require.NoError(t, ln.Close())
				e.cfg.Endpoint = "http://" + addr + "/jira"
				return func() { // Jira comes back on the same port
					ln, err := net.Listen("tcp", addr)
					require.NoError(t, err)
					srv := httptest.NewUnstartedServer(e.gate)
					require.NoError(t, srv.Listener.Close())
					srv.Listener = ln
					srv.Start()
					t.Cleanup(srv.Close)
				}
			},
			errorType: "connection",
			logs:      "connection refused",
		},
		{
			desc: "DNS failure",
			arrange: func(_ *testing.T, e *faultEnv) func() {
				e.cfg.Endpoint = "http://jira.backbone.invalid/jira"
				return nil
			},
			reconfigure: func(_ *testing.T, e *faultEnv, cfg *Config) { cfg.Endpoint = e.url },
			errorType:   "connection",
			logs:        "cannot resolve Jira's host name",
		},
		{
			desc: "TLS certificate of an unknown authority",
			arrange: func(t *testing.T, e *faultEnv) func() {
				srv := newTLSServer(t, e.gate)
				e.cfg.Endpoint = srv.URL + "/jira"
				return nil
			},
			reconfigure: func(t *testing.T, e *faultEnv, cfg *Config) {
				srv := newTLSServer(t, e.gate)
				cfg.Endpoint = srv.URL + "/jira"
				cfg.TLS.CAFile = writeCertPEM(t, srv)
			},
			errorType: "connection",
			logs:      "TLS handshake with Jira failed",
		},
		{
			desc: "401 with X-Seraph-LoginReason: password changed in Jira",
			arrange: func(_ *testing.T, e *faultEnv) func() {
				e.sim.SetPassword("rotated-pw")
				return func() { e.sim.SetPassword(faultPassword) }
			},
			errorType: "auth",
			logs:      "HTTP 401: authentication failed (X-Seraph-LoginReason: AUTHENTICATED_FAILED)",
			check: func(t *testing.T, e *faultEnv, _ *faultHarness, _ pmetric.Metrics) {
				assert.Equal(t, 1, e.sim.Stats().FailedLogins, "one login attempt, then the back-off")
			},
		},
		{
			desc: "HTML login page with 200",
			arrange: func(_ *testing.T, e *faultEnv) func() {
				e.sim.SetFault(backbonesim.FaultLoginPage)
				return func() { e.sim.SetFault(backbonesim.FaultNone) }
			},
			errorType: "auth",
			logs:      "HTTP 200 with a text/html page instead of JSON",
			check: func(t *testing.T, e *faultEnv, _ *faultHarness, _ pmetric.Metrics) {
				assert.Len(t, e.gate.requests(), 1, "one attempt, then the back-off")
			},
		},
		{
			desc: "CAPTCHA challenge",
			arrange: func(t *testing.T, e *faultEnv) func() {
				for range 3 { // someone mistyped the password three times
					req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.integrationsURL(), http.NoBody)
					require.NoError(t, err)
					req.SetBasicAuth(faultUser, "typo")
					resp, err := http.DefaultClient.Do(req)
					require.NoError(t, err)
					require.NoError(t, resp.Body.Close())
				}
				require.True(t, e.sim.Stats().CaptchaRequired)
				return e.sim.ClearCaptcha // an admin logs in once by browser
			},
			errorType: "auth",
			logs:      "Jira demands a CAPTCHA for this account",
			check: func(t *testing.T, e *faultEnv, _ *faultHarness, _ pmetric.Metrics) {
				assert.Equal(t, 1, e.sim.Stats().Denied, "one attempt, then the back-off")
			},
		},
		{
			desc: "403 forbidden",
			arrange: func(_ *testing.T, e *faultEnv) func() {
				e.gate.set(func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "application/json;charset=UTF-8")
					w.Header().Set("X-Seraph-LoginReason", "OK")
					w.WriteHeader(http.StatusForbidden)
					_, _ = w.Write([]byte(`{"errorMessages":["You are not allowed to see this page."],"errors":{}}`))
				})
				return func() { e.gate.set(nil) }
			},
			errorType: "forbidden",
			logs:      "HTTP 403: access denied",
		},
		{
			desc: "redirect to an identity provider's login page",
			arrange: func(_ *testing.T, e *faultEnv) func() {
				e.gate.set(func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, "https://idp.example.com/saml2/login?SAMLRequest=fVLLbtsw", http.StatusFound)
				})
				return func() { e.gate.set(nil) }
			},
			errorType: "redirect",
			logs:      "redirected to a login page at idp.example.com",
			check: func(t *testing.T, e *faultEnv, _ *faultHarness, _ pmetric.Metrics) {
				assert.Len(t, e.gate.requests(), faultScrapes, "no lockout back-off: no password was tried")
			},
		},
		{
			desc: "429 with Retry-After",
			arrange: func(_ *testing.T, e *faultEnv) func() {
				e.gate.set(func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "application/json;charset=UTF-8")
					w.Header().Set("Retry-After", "1")
					w.Header().Set("X-RateLimit-Limit", "1")
					w.Header().Set("X-RateLimit-Remaining", "0")
					w.WriteHeader(http.StatusTooManyRequests)
					_, _ = w.Write([]byte(`{"errorMessages":["Rate limit exceeded."],"errors":{}}`))
				})
				return func() { e.gate.set(nil) }
			},
			errorType: "rate_limited",
			logs:      "HTTP 429",
			check: func(t *testing.T, e *faultEnv, _ *faultHarness, _ pmetric.Metrics) {
				requests := e.gate.requests()
				require.NotEmpty(t, requests)
				for i := 1; i < len(requests); i++ {
					assert.GreaterOrEqual(t, requests[i].Sub(requests[i-1]), time.Second, "no request before Retry-After has passed")
				}
			},
		},
		{
			desc: "500 from Jira",
			arrange: func(_ *testing.T, e *faultEnv) func() {
				e.sim.SetFault(backbonesim.FaultServerError)
				return func() { e.sim.SetFault(backbonesim.FaultNone) }
			},
			errorType: "server_error",
			logs:      "HTTP 500",
		},
		{
			desc: "502 HTML page from a proxy",
			arrange: func(_ *testing.T, e *faultEnv) func() {
				e.sim.SetFault(backbonesim.FaultBadGateway)
				return func() { e.sim.SetFault(backbonesim.FaultNone) }
			},
			errorType: "server_error",
			logs:      "HTTP 502: Jira or a proxy in front of it is unavailable",
		},
		{
			desc: "accepts and never answers",
			arrange: func(_ *testing.T, e *faultEnv) func() {
				e.cfg.ClientConfig.Timeout = 150 * time.Millisecond
				e.sim.SetFault(backbonesim.FaultHang)
				return func() { e.sim.SetFault(backbonesim.FaultNone) }
			},
			errorType: "timeout",
			logs:      "no answer from Jira in time",
		},
		{
			desc: "trickles bytes",
			arrange: func(_ *testing.T, e *faultEnv) func() {
				e.cfg.ClientConfig.Timeout = 150 * time.Millisecond
				e.sim.SetFault(backbonesim.FaultSlow)
				return func() { e.sim.SetFault(backbonesim.FaultNone) }
			},
			errorType: "timeout",
			logs:      "HTTP 200: reading the body failed: no answer from Jira in time",
		},
		{
			desc: "truncated body",
			arrange: func(_ *testing.T, e *faultEnv) func() {
				e.sim.SetFault(backbonesim.FaultTruncated)
				return func() { e.sim.SetFault(backbonesim.FaultNone) }
			},
			errorType: "connection",
			logs:      "HTTP 200: reading the body failed",
		},
		{
			desc: "100 MB body",
			arrange: func(_ *testing.T, e *faultEnv) func() {
				e.gate.set(func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					chunk := bytes.Repeat([]byte(" "), 64<<10)
					chunk[0] = '['
					for sent := int64(0); sent < bigBody; {
						n, err := w.Write(chunk[:min(int64(len(chunk)), bigBody-sent)])
						sent += int64(n)
						e.gate.written.Add(int64(n))
						if err != nil {
							return // the client hung up
						}
						chunk[0] = ' '
					}
				})
				return func() { e.gate.set(nil) }
			},
			errorType: "decode",
			logs:      fmt.Sprintf("exceeds the limit of %d bytes", backboneapi.DefaultMaxBodyBytes),
			check: func(t *testing.T, e *faultEnv, h *faultHarness, _ pmetric.Metrics) {
				// The client reads at most the cap and a drain's worth; what the server
				// could send beyond that sat in socket buffers when the connection closed.
				perScrape := e.gate.written.Load() / faultScrapes
				assert.Less(t, perScrape, bigBody/2, "the body was not read to its end")
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				h.scrape(t)
				runtime.ReadMemStats(&after)
				allocated := after.TotalAlloc - before.TotalAlloc
				// Reading the whole body would allocate more than its size; the race
				// detector's builds allocate about twice what plain builds do.
				assert.Less(t, allocated, uint64(bigBody), "allocated while reading a 100 MB body")
				t.Logf("100 MB body: server sent %d MiB per scrape, the scrape allocated %d MiB", perScrape>>20, allocated>>20)
			},
		},
		{
			desc: "invalid UTF-8 in strings",
			arrange: func(_ *testing.T, e *faultEnv) func() {
				e.gate.set(e.gate.rewrite(func(b []byte) []byte {
					b = bytes.ReplaceAll(b, []byte(`"Agile Project <> Project B"`), []byte("\"Agile \xff\xfe Project\""))
					return bytes.ReplaceAll(b, []byte(`"status":"RUNNING"`), []byte("\"status\":\"RUN\xc3NING\""))
				}))
				return func() { e.gate.set(nil) }
			},
			errorType: "", // decoded with U+FFFD in place of the invalid bytes
			check: func(t *testing.T, _ *faultEnv, _ *faultHarness, md pmetric.Metrics) {
				strs := allStrings(md)
				for _, s := range strs {
					assert.True(t, utf8.ValidString(s), "%q", s)
				}
				assert.Contains(t, strs, "Agile \uFFFD\uFFFD Project")
				assert.Contains(t, strs, "run\uFFFDning", "an unknown state is still reported")
			},
		},
		{
			desc: "object instead of array",
			arrange: func(_ *testing.T, e *faultEnv) func() {
				e.sim.SetFault(backbonesim.FaultWrongShape)
				return func() { e.sim.SetFault(backbonesim.FaultNone) }
			},
			errorType: "decode",
			logs:      "expected a JSON array, got a JSON object",
		},
		{
			desc: "strings where numbers belong in one integration",
			arrange: func(t *testing.T, e *faultEnv) func() {
				e.gate.set(e.gate.rewrite(jsonEdit(t, func(list []map[string]any) {
					for _, it := range list {
						if it["integrationKey"] == "INT-16" {
							c := it["status"].(map[string]any)["firstConnector"].(map[string]any)
							c["issuesInError"], c["startTime"] = "3", "yesterday"
						}
					}
				})))
				return func() { e.gate.set(nil) }
			},
			errorType: "", // the fields are read or dropped alone (tolerant_test.go has the goldens)
			logs:      "integration INT-16: fields left out because their type is not the one expected: status.firstConnector.startTime; the rest of the integration is reported",
			check: func(t *testing.T, _ *faultEnv, _ *faultHarness, md pmetric.Metrics) {
				assert.ElementsMatch(t, []string{"INT-15", "INT-16", "INT-17"}, statusKeys(md), "every integration is reported")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			e := newFaultEnv(t)
			folders := folderValues(t, scrapeOnce(t, newTestConfig("", e.sim.Dir()), receivertest.NewNopSettings(metadata.Type)), "AP-29")
			require.NotEmpty(t, folders)
			heal := tt.arrange(t, e)
			h := startHarness(t, e.cfg)

			var md pmetric.Metrics
			for range faultScrapes {
				md = h.scrape(t)
			}
			up := apiUp(t, md)
			warnings := h.warnings("Backbone API")
			switch {
			case tt.errorType == "" && tt.logs == "":
				assert.Equal(t, apiUpPoint{value: 1}, up)
				assert.Empty(t, warnings)
			case tt.errorType == "":
				assert.Equal(t, apiUpPoint{value: 1}, up)
				if assert.Len(t, warnings, 1, "one line for what was left out") {
					assert.Contains(t, warnings[0], tt.logs)
				}
			default:
				assert.Equal(t, apiUpPoint{value: 0, errorType: tt.errorType}, up)
				if assert.Len(t, warnings, 1, "one line for a lasting problem") {
					assert.Contains(t, warnings[0], tt.logs)
					t.Logf("logged: %s", warnings[0])
				}
			}
			assert.Equal(t, folders, folderValues(t, md, "AP-29"), "the folder tree is reported while the API fails")
			if tt.check != nil {
				tt.check(t, e, h, md)
			}
			assert.Empty(t, h.warnings("Backbone folder tree"))

			if heal == nil {
				if tt.reconfigure != nil {
					cfg := *e.cfg
					tt.reconfigure(t, e, &cfg)
					assert.Equal(t, int64(1), apiUp(t, startHarness(t, &cfg).scrape(t)).value, "fixed by configuration")
				}
				return
			}
			heal()
			md = h.waitUp(t)
			assert.NotEmpty(t, statusKeys(md))
			if tt.errorType != "" {
				assert.Equal(t, 1, h.resolved("Backbone API"), "one line when the problem clears")
			}
			lines := h.logs.Len()
			h.scrape(t)
			assert.Equal(t, lines, h.logs.Len(), "nothing more to say once recovered")
			assert.Len(t, h.warnings("Backbone API"), len(warnings))
		})
	}
}

// TestAPIFaultRetryAfterHonoured checks that after a 429 no request reaches Jira before
// its Retry-After has passed, however often the receiver scrapes.
func TestAPIFaultRetryAfterHonoured(t *testing.T) {
	e := newFaultEnv(t)
	e.gate.set(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	h := startHarness(t, e.cfg)
	h.scrape(t)
	e.gate.set(nil)
	h.waitUp(t)
	times := e.gate.requests()
	require.Len(t, times, 2)
	assert.GreaterOrEqual(t, times[1].Sub(times[0]), time.Second, "the second request waited for Retry-After")
	assert.Len(t, h.warnings("Backbone API"), 1)
}

// folderValues returns the message counts and sizes of a connector's folders.
func folderValues(t *testing.T, md pmetric.Metrics, connector string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for name, prefix := range map[string]string{"backbone.folder.messages": "messages/", "backbone.folder.size": "size/", "backbone.folder.issues": "issues/"} {
		for folder, v := range folderGauge(t, md, name, connector) {
			out[prefix+folder] = v
		}
	}
	return out
}

// asNobody runs fn with the effective user ID of nobody when the test runs as root, so
// that file permissions apply; the folders above the tree must let nobody through.
func asNobody(t *testing.T, fn func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		fn()
		return
	}
	const nobody = 65534
	if err := syscall.Seteuid(nobody); err != nil {
		t.Skipf("running as root and cannot drop privileges (%v): permissions do not apply", err)
	}
	defer func() { require.NoError(t, syscall.Seteuid(0)) }()
	fn()
}

// treeConnectors are the connectors of seedTree.
var treeConnectors = []string{"AP-29", "PB-30", "SP-28", "XY-1"}

// TestFolderFaults breaks one part of the folder tree at a time and checks that the
// receiver reports it once, keeps reporting the rest of the tree exactly, and recovers by
// itself when the part is repaired.
func TestFolderFaults(t *testing.T) {
	const sp28 = "default/INT-15/SP-28/"
	tests := []struct {
		desc     string
		arrange  func(t *testing.T, root string) (heal func())
		problems []string // one warning line each, in order
		affected []string // connectors whose folder metrics may differ while the fault lasts
		dropPriv bool     // scrape as nobody when run as root
		maxTime  time.Duration
	}{
		{
			desc: "root missing, then appearing",
			arrange: func(t *testing.T, root string) func() {
				require.NoError(t, os.Rename(root, root+".not-mounted"))
				return func() { require.NoError(t, os.Rename(root+".not-mounted", root)) }
			},
			problems: []string{"does not exist"},
			affected: treeConnectors,
		},
		{
			desc: "permission denied on one integration",
			arrange: func(t *testing.T, root string) func() {
				dir := filepath.Join(root, "default", "INT-15")
				require.NoError(t, os.Chmod(dir, 0))
				return func() { require.NoError(t, os.Chmod(dir, 0o755)) }
			},
			problems: []string{"INT-15, permission denied"},
			affected: []string{"SP-28"},
			dropPriv: true,
		},
		{
			desc: "symbolic link loop where a folder should be",
			arrange: func(t *testing.T, root string) func() {
				dir := filepath.Join(root, sp28, "RECEIVE", "discard")
				require.NoError(t, os.RemoveAll(dir))
				require.NoError(t, os.Symlink("discard", dir))
				return func() {
					require.NoError(t, os.Remove(dir))
					writeFiles(t, root, map[string]string{sp28 + "RECEIVE/discard/000002.bac": "old"})
				}
			},
			problems: []string{"discard is a symbolic link"},
			affected: []string{"SP-28"},
		},
		{
			desc: "symbolic link to an ancestor in place of an issue folder",
			arrange: func(t *testing.T, root string) func() {
				link := filepath.Join(root, sp28, "RECEIVE", "error", "SP-1")
				require.NoError(t, os.MkdirAll(filepath.Dir(link), 0o755))
				require.NoError(t, os.Symlink("../../../../..", link))
				return func() { require.NoError(t, os.Remove(link)) }
			},
			problems: []string{"SP-1 is a symbolic link"},
			affected: []string{"SP-28"},
		},
		{
			desc: "file replacing a folder",
			arrange: func(t *testing.T, root string) func() {
				dir := filepath.Join(root, sp28, "RECEIVE", "discard")
				require.NoError(t, os.RemoveAll(dir))
				require.NoError(t, os.WriteFile(dir, []byte("oops"), 0o644))
				return func() {
					require.NoError(t, os.Remove(dir))
					writeFiles(t, root, map[string]string{sp28 + "RECEIVE/discard/000002.bac": "old"})
				}
			},
			problems: []string{"discard is a file where Backbone expects a folder"},
			affected: []string{"SP-28"},
		},
		{
			desc: "names that are not UTF-8",
			arrange: func(t *testing.T, root string) func() {
				writeFiles(t, root, map[string]string{
					sp28 + "RECEIVE/error/SP-\xff1/m\xfe.bac": "x",
					"default/INT-15/S\xffP-29/SEND/s.bac":     "y",
				})
				return func() {
					require.NoError(t, os.RemoveAll(filepath.Join(root, sp28, "RECEIVE", "error")))
					require.NoError(t, os.RemoveAll(filepath.Join(root, "default", "INT-15", "S\xffP-29")))
				}
			},
			problems: []string{"SP-\uFFFD1 is not valid UTF-8", "m\uFFFD.bac is not valid UTF-8", "S\uFFFDP-29 is not valid UTF-8"},
			affected: []string{"SP-28", "S\uFFFDP-29"},
		},
		{
			desc: "very deep unexpected subtrees",
			arrange: func(t *testing.T, root string) func() {
				var made []string
				for at, depth := range map[string]int{
					"deep/": 1000, // a namespace of no integration
					"default/INT-16/AP-29/RECEIVE/error/AP-123/": 1000, // below an issue folder
					"default/INT-16/notaconnector/":              100,  // an integration's odd folder
					"default/INT-16/AP-29/RECEIVE/unexpected/":   100,  // an unknown folder in RECEIVE
					"default/INT-16/AP-29/SEND/error/":           100,  // below a message folder: unexpected, its files counted one level deep
				} {
					deep := strings.Repeat("d/", depth)
					bottom := filepath.Join(root, filepath.FromSlash(at+deep))
					require.NoError(t, os.MkdirAll(bottom, 0o755))
					// Were the subtree walked, this would be counted and the loop reported.
					require.NoError(t, os.WriteFile(filepath.Join(bottom, "m.bac"), []byte("deep"), 0o644))
					require.NoError(t, os.Symlink(".", filepath.Join(bottom, "loop")))
					made = append(made, filepath.Join(root, filepath.FromSlash(at), "d"))
				}
				return func() {
					for _, dir := range made {
						require.NoError(t, os.RemoveAll(dir))
					}
					require.NoError(t, os.Remove(filepath.Join(root, "deep")))
					require.NoError(t, os.Remove(filepath.Join(root, filepath.FromSlash("default/INT-16/AP-29/RECEIVE/unexpected"))))
				}
			},
			// SEND/error/d holds only a folder at its first level: nothing to count, but
			// a layout Backbone does not make, logged once; so is the unknown folder.
			problems: []string{
				"SEND/error/d is a subfolder where Backbone keeps message files only",
				"RECEIVE/unexpected is none of the folders Backbone is known to keep there, found in 1 connector folder(s)",
			},
			maxTime: 250 * time.Millisecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			root := seedTree(t)
			if tt.dropPriv {
				for dir := filepath.Dir(root); dir != os.TempDir() && dir != "/"; dir = filepath.Dir(dir) {
					require.NoError(t, os.Chmod(dir, 0o755))
				}
			}
			base := scrapeOnce(t, newTestConfig("", root), receivertest.NewNopSettings(metadata.Type))

			heal := tt.arrange(t, root)
			cfg := newTestConfig("", root)
			cfg.CollectionInterval = time.Nanosecond
			h := startHarness(t, cfg)
			scrape := func() pmetric.Metrics {
				var md pmetric.Metrics
				start := time.Now()
				if tt.dropPriv {
					asNobody(t, func() { md = h.scrape(t) })
				} else {
					md = h.scrape(t)
				}
				if tt.maxTime > 0 {
					assert.Less(t, time.Since(start), tt.maxTime, "the unexpected subtrees were not walked")
				}
				return md
			}

			var md pmetric.Metrics
			for range faultScrapes {
				md = scrape()
			}
			warnings := h.warnings("Backbone folder tree")
			if assert.Len(t, warnings, len(tt.problems), "one line per problem, however many scrapes: %q", warnings) {
				for i, p := range tt.problems {
					assert.Contains(t, warnings[i], p)
				}
			}
			for _, s := range allStrings(md) {
				assert.True(t, utf8.ValidString(s), "%q", s)
			}
			for _, c := range treeConnectors {
				if !contains(tt.affected, c) {
					assert.Equal(t, folderValues(t, base, c), folderValues(t, md, c), "%s is reported as before", c)
				}
			}

			heal()
			md = scrape()
			assert.Equal(t, len(tt.problems), h.resolved("Backbone folder tree"), "one line per problem cleared")
			for _, c := range append(treeConnectors, tt.affected...) {
				assert.Equal(t, folderValues(t, base, c), folderValues(t, md, c), "%s recovered", c)
			}
			lines := h.logs.Len()
			scrape()
			assert.Equal(t, lines, h.logs.Len(), "nothing more to say once recovered")
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestFolderChurn scrapes while 10,000 message files and 100 issue folders appear and
// vanish, many of them between the listing of their folder and their stat: nothing is
// logged, nothing panics, and every count stays between what was there before and after.
func TestFolderChurn(t *testing.T) {
	const (
		flat     = 9000 // in sequence-error/
		issues   = 100  // issue folders in error/
		perIssue = 10
	)
	root := seedTree(t)
	base := scrapeOnce(t, newTestConfig("", root), receivertest.NewNopSettings(metadata.Type))
	recv := filepath.Join(root, "default", "INT-16", "AP-29", "RECEIVE")

	cfg := newTestConfig("", root)
	cfg.CollectionInterval = time.Nanosecond
	enableAllEvents(cfg)
	h := startHarness(t, cfg) // events on: the tick also lists and tracks every watched file

	// New files are hard links to one file outside the tree: to a scan they are new
	// directory entries like any other, and links are made ten times faster than inodes.
	src := filepath.Join(t.TempDir(), "message.bac")
	require.NoError(t, os.WriteFile(src, []byte("c"), 0o644))
	churn := func() error {
		for i := range flat {
			if err := os.Link(src, filepath.Join(recv, "sequence-error", fmt.Sprintf("churn-%05d.bac", i))); err != nil {
				return err
			}
		}
		for i := range issues {
			dir := filepath.Join(recv, "error", fmt.Sprintf("CH-%d", i))
			if err := os.Mkdir(dir, 0o755); err != nil {
				return err
			}
			for j := range perIssue {
				if err := os.Link(src, filepath.Join(dir, fmt.Sprintf("%d.bac", j))); err != nil {
					return err
				}
			}
		}
		for i := flat - 1; i >= 0; i-- { // the other way round, to meet the listing
			if err := os.Remove(filepath.Join(recv, "sequence-error", fmt.Sprintf("churn-%05d.bac", i))); err != nil {
				return err
			}
		}
		for i := range issues {
			if err := os.RemoveAll(filepath.Join(recv, "error", fmt.Sprintf("CH-%d", i))); err != nil {
				return err
			}
		}
		return nil
	}
	var cycles atomic.Int64
	stop := make(chan struct{})
	churned := make(chan error, 1)
	go func() {
		for {
			if err := churn(); err != nil {
				churned <- err
				return
			}
			cycles.Add(1)
			select {
			case <-stop:
				churned <- nil
				return
			default:
			}
		}
	}()

	before := folderValues(t, base, "AP-29")
	scrapes, partial := 0, 0
	for ; scrapes < 5 || cycles.Load() < 2; scrapes++ {
		md := h.scrape(t)
		got := folderValues(t, md, "AP-29")
		if n := got["messages/sequence_error"] - before["messages/sequence_error"]; n > 0 && n < flat {
			partial++
		}
		assert.GreaterOrEqual(t, got["messages/sequence_error"], before["messages/sequence_error"])
		assert.LessOrEqual(t, got["messages/sequence_error"], before["messages/sequence_error"]+flat)
		assert.GreaterOrEqual(t, got["messages/error"], before["messages/error"])
		assert.LessOrEqual(t, got["messages/error"], before["messages/error"]+issues*perIssue)
		assert.LessOrEqual(t, got["issues/error"], before["issues/error"]+issues)
		assert.LessOrEqual(t, got["issues/error"], got["messages/error"])
		for _, c := range []string{"PB-30", "SP-28", "XY-1"} {
			assert.Equal(t, folderValues(t, base, c), folderValues(t, md, c))
		}
		if t.Failed() {
			break
		}
	}
	close(stop)
	require.NoError(t, <-churned)
	t.Logf("%d scrapes during %d churn cycles of %d files; %d saw sequence-error/ half filled or half emptied",
		scrapes, cycles.Load(), flat+issues*perIssue, partial)
	assert.Zero(t, h.logs.FilterLevelExact(zapcore.WarnLevel).Len(), "%v", h.logs.All())

	md := h.scrape(t)
	assert.Equal(t, before, folderValues(t, md, "AP-29"), "all churned files gone")
}
