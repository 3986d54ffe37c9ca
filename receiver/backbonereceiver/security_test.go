//go:build unix

package backbonereceiver

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
)

// leakWatch collects everything the receiver lets out: its log, its errors, the metrics
// and log records it emits.
type leakWatch struct {
	h   *faultHarness
	out []string
}

func newLeakWatch(t *testing.T, cfg *Config) *leakWatch {
	t.Helper()
	return &leakWatch{h: startHarness(t, cfg)}
}

// scrape runs one tick and keeps what both pipelines received and the error of the API call.
func (w *leakWatch) scrape(t *testing.T) pmetric.Metrics {
	t.Helper()
	records := len(w.h.events.AllLogs())
	md := w.h.scrape(t)
	mj, err := (&pmetric.JSONMarshaler{}).MarshalMetrics(md)
	require.NoError(t, err)
	w.out = append(w.out, string(mj))
	for _, ld := range w.h.events.AllLogs()[records:] {
		lj, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
		require.NoError(t, err)
		w.out = append(w.out, string(lj))
	}
	if api := w.h.last.api; api != nil && api.err != nil {
		w.out = append(w.out, api.err.Error(), fmt.Sprintf("%+v", api.err))
	}
	return md
}

// everything returns all that was collected, the log included with its fields.
func (w *leakWatch) everything() string {
	var b strings.Builder
	for _, s := range w.out {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	for _, e := range w.h.logs.All() {
		fmt.Fprintf(&b, "%s %s %v\n", e.Level, e.Message, e.ContextMap())
	}
	return b.String()
}

// echoCredentials is a broken proxy's error page that quotes the request's headers.
func echoCredentials(status int, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "<html><body>request dump: Authorization: %s; URL %s</body></html>", r.Header.Get("Authorization"), r.URL)
	}
}

// TestSecuritySecretsNeverLeak checks that password, token and the Authorization header
// appear nowhere: not in the log at debug level, not in errors, not in the metrics or log
// records emitted, not in the configuration as the collector prints it, whether the
// credentials are rejected, accepted, or quoted back by a broken proxy.
func TestSecuritySecretsNeverLeak(t *testing.T) {
	const secret = "Zq8-SECRET-credential-5vX"
	tests := []struct {
		desc string
		// setup configures the credentials, and returns what makes Jira accept them.
		setup      func(e *faultEnv) (accept func())
		wire       string   // the Authorization header the client sends
		redacted   []string // configuration keys that must read [REDACTED]
		configured string   // in the printed configuration: not redacted, but not a secret
	}{
		{
			desc: "password",
			setup: func(e *faultEnv) func() {
				e.cfg.Password = secret
				return func() { e.sim.SetPassword(secret) }
			},
			wire:     "Basic " + base64.StdEncoding.EncodeToString([]byte(faultUser+":"+secret)),
			redacted: []string{"password"},
		},
		{
			desc: "token",
			setup: func(e *faultEnv) func() {
				e.cfg.Username, e.cfg.Password, e.cfg.Token = "", "", secret
				return func() { e.sim.SetToken(secret) }
			},
			wire:     "Bearer " + secret,
			redacted: []string{"token"},
		},
		{
			desc: "Authorization in headers",
			setup: func(e *faultEnv) func() {
				e.cfg.Username, e.cfg.Password = "", ""
				e.cfg.Headers.Set("Authorization", "Bearer "+secret)
				return func() { e.sim.SetToken(secret) }
			},
			wire: "Bearer " + secret,
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			e := newFaultEnv(t)
			e.sim.SetPassword("not-yet")
			accept := tt.setup(e)
			e.cfg.StartAt = StartAtBeginning
			enableAllEvents(e.cfg)
			e.cfg.StuckAfter = 0 // every message event, at once
			const hold = 30 * time.Millisecond
			e.cfg.AuthBackoff = AuthBackoffConfig{InitialInterval: hold, MaxInterval: hold}
			w := newLeakWatch(t, e.cfg)

			// Rejected, then accepted, with the scenario writing message events.
			assert.Equal(t, int64(0), apiUp(t, w.scrape(t)).value)
			accept()
			deadline := time.Now().Add(5 * time.Second)
			for apiUp(t, w.scrape(t)).value != 1 {
				require.True(t, time.Now().Before(deadline), "the API did not recover")
				time.Sleep(20 * time.Millisecond)
			}
			for range 30 {
				require.NoError(t, e.sim.Step())
				w.scrape(t)
			}
			// Every fault Jira can show, and proxies quoting the request back; each one
			// reaches the server: the wait passes the back-off of rejected logins.
			faults := []func(){}
			for _, f := range []backbonesim.Fault{
				backbonesim.FaultServerError, backbonesim.FaultBadGateway, backbonesim.FaultMalformedJSON,
				backbonesim.FaultTruncated, backbonesim.FaultWrongShape, backbonesim.FaultLoginPage,
			} {
				faults = append(faults, func() { e.sim.SetFault(f) })
			}
			for _, h := range []http.HandlerFunc{
				echoCredentials(http.StatusInternalServerError, "text/html"),
				echoCredentials(http.StatusBadGateway, "text/html"),
				echoCredentials(http.StatusOK, "text/html"),
				echoCredentials(http.StatusOK, "application/json"),
				echoCredentials(http.StatusUnauthorized, "text/html"),
			} {
				faults = append(faults, func() { e.sim.SetFault(backbonesim.FaultNone); e.gate.set(h) })
			}
			for _, inject := range faults {
				inject()
				time.Sleep(hold)
				sent := len(e.gate.requests())
				assert.Equal(t, int64(0), apiUp(t, w.scrape(t)).value)
				assert.Greater(t, len(e.gate.requests()), sent)
			}

			require.Positive(t, w.h.logs.FilterLevelExact(zapcore.WarnLevel).Len(), "the failures were logged")
			all := w.everything()
			require.Contains(t, all, "backbone.message.", "the log records were collected")
			for _, s := range []string{secret, tt.wire, strings.TrimPrefix(tt.wire, "Basic ")} {
				assert.NotContains(t, all, s)
			}

			conf := confmap.New()
			require.NoError(t, conf.Marshal(e.cfg))
			printed := conf.ToStringMap()
			for _, key := range tt.redacted {
				assert.Equal(t, "[REDACTED]", printed[key], key)
			}
			assert.NotContains(t, fmt.Sprint(printed), secret)
		})
	}
}

// TestSecurityCredentialsInEndpoint checks that Basic credentials given in the endpoint's
// userinfo, which the API client accepts, do not leak through the configuration the
// collector prints: such an endpoint is refused, with a message that says where
// credentials belong.
func TestSecurityCredentialsInEndpoint(t *testing.T) {
	const secret = "Zq8-SECRET-in-url-5vX"
	cfg := newTestConfig("https://monitor:"+secret+"@jira.example.com/jira", "")
	err := cfg.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"endpoint" must not contain credentials`)
	assert.NotContains(t, err.Error(), secret)

	cfg = newTestConfig("https://monitor@jira.example.com/jira", "")
	assert.Error(t, cfg.Validate(), "a user name alone is refused too: it belongs in username")
}

// treeEntry is all a scan could change about an entry of the tree, but its access time.
type treeEntry struct {
	Mode    fs.FileMode
	Size    int64
	ModTime time.Time
	Link    string
}

func treeState(t *testing.T, root string) map[string]treeEntry {
	t.Helper()
	out := map[string]treeEntry{}
	require.NoError(t, filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
		require.NoError(t, err)
		fi, err := os.Lstat(path)
		require.NoError(t, err)
		e := treeEntry{Mode: fi.Mode(), Size: fi.Size(), ModTime: fi.ModTime()}
		if fi.Mode()&fs.ModeSymlink != 0 {
			e.Link, err = os.Readlink(path)
			require.NoError(t, err)
		}
		out[path] = e
		return nil
	}))
	return out
}

// TestSecurityNeverWritesToTree scrapes a tree many times with every event on, delivered
// and persisted, and checks that nothing in the tree changed: names, sizes, modes and
// modification times, of folders too.
func TestSecurityNeverWritesToTree(t *testing.T) {
	root := seedTree(t)
	writeFiles(t, root, map[string]string{
		"default/INT-16/AP-29/RECEIVE/error/\xff/odd-\xfe.bac": "odd name",
		"default/INT-16/AP-29/RECEIVE/offline/o.bac":           "offline",
	})
	require.NoError(t, os.Symlink("..", filepath.Join(root, "default/INT-16/AP-29/RECEIVE/archive/loop")))
	require.NoError(t, os.Symlink("INT-16", filepath.Join(root, "default/INT-17")))
	old := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	require.NoError(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type()&fs.ModeSymlink == 0 {
			err = os.Chtimes(path, old, old)
		}
		return err
	}))

	storage := newFileStorage(t, "")
	cfg := newEventsConfig(root, time.Nanosecond)
	cfg.ArchiveDetails = true
	cfg.StartAt = StartAtBeginning
	enableAllEvents(cfg)
	cfg.Storage = &storage.id
	before := treeState(t, root)

	s := newStepScraper(t, cfg, storage) // metrics and events
	for range 20 {
		_, err := s.step(t)
		require.NoError(t, err)
	}
	require.Len(t, s.metrics.AllMetrics(), 20)
	require.Positive(t, countRecords(s.next.AllLogs()), "events were on and reported")
	assert.Equal(t, before, treeState(t, root))
}

// TestSecurityTLS checks that the server's certificate is verified unless the
// configuration says otherwise, and that saying otherwise is warned about once.
func TestSecurityTLS(t *testing.T) {
	e := newFaultEnv(t)
	srv := newTLSServer(t, e.gate)
	e.cfg.Endpoint = srv.URL + "/jira"

	t.Run("verified by default", func(t *testing.T) {
		cfg := *e.cfg
		h := startHarness(t, &cfg)
		assert.Equal(t, apiUpPoint{value: 0, errorType: "connection"}, apiUp(t, h.scrape(t)))
		assert.Len(t, h.warnings("certificate signed by unknown authority"), 1)
		assert.Empty(t, e.sim.Stats().Requests, "no request was sent to the unverified server")
	})
	t.Run("trusted with ca_file", func(t *testing.T) {
		cfg := *e.cfg
		cfg.TLS.CAFile = writeCertPEM(t, srv)
		h := startHarness(t, &cfg)
		assert.Equal(t, apiUpPoint{value: 1}, apiUp(t, h.scrape(t)))
		assert.Empty(t, h.logs.FilterLevelExact(zapcore.WarnLevel).All())
	})
	t.Run("insecure_skip_verify warns once", func(t *testing.T) {
		cfg := *e.cfg
		cfg.TLS.InsecureSkipVerify = true
		w := newLeakWatch(t, &cfg) // the metrics and the logs pipeline share one source
		for range 5 {
			assert.Equal(t, apiUpPoint{value: 1}, apiUp(t, w.scrape(t)))
		}
		assert.Len(t, w.h.warnings("insecure_skip_verify"), 1)
		assert.Len(t, w.h.logs.FilterLevelExact(zapcore.WarnLevel).All(), 1, "nothing else to warn about")
	})
}
