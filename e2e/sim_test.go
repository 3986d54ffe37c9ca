package e2e

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
)

// Credentials of the simulated Jira's monitoring user. The password is distinctive so that
// a test can tell it never reaches the collector's log.
const (
	simUser     = "monitor"
	simPassword = "e2e-Pa55w0rd-9f3kq"
)

// summaries are the default installation's integrations and their summaries.
var summaries = map[string]string{
	"INT-15": "Some project",
	"INT-16": "Agile Project <> Project B",
	"INT-17": "Service Desk <> Agile Project",
}

// allIntegrations are the keys of the default installation.
var allIntegrations = []string{"INT-15", "INT-16", "INT-17"}

// folders are the values of backbone.folder, the simulator's folder names.
var folders = []string{
	backbonesim.FolderReceive, backbonesim.FolderArchive, backbonesim.FolderError,
	backbonesim.FolderIssueMissing, backbonesim.FolderSequenceError, backbonesim.FolderOffline,
	backbonesim.FolderInvalid, backbonesim.FolderDiscard, backbonesim.FolderSend,
	backbonesim.FolderSendError,
}

// integrationStates are the documented integration states (server/DC and cloud), normalised.
var integrationStates = []string{
	"running", "stopped", "restart_required", "handshake", "waiting_for_slave",
	"update_required", "request_sent", "incoming_request", "declined", "draft",
}

// errorTypes are the values of error.type, every one a series of backbone.api.error.
var errorTypes = []string{"auth", "forbidden", "not_found", "rate_limited", "timeout", "connection", "server_error", "decode", "redirect"}

// metricShapes are the type and unit of every metric, as metadata.yaml declares them.
var metricShapes = map[string]struct {
	typ  pmetric.MetricType
	unit string
}{
	"backbone.api.error":                   {pmetric.MetricTypeSum, "1"},
	"backbone.api.request.duration":        {pmetric.MetricTypeGauge, "s"},
	"backbone.api.up":                      {pmetric.MetricTypeGauge, "{api}"},
	"backbone.connector.issues_in_error":   {pmetric.MetricTypeGauge, "{issue}"},
	"backbone.connector.online":            {pmetric.MetricTypeGauge, "{connector}"},
	"backbone.connector.processing.status": {pmetric.MetricTypeSum, "1"},
	"backbone.connector.reconnecting":      {pmetric.MetricTypeGauge, "{connector}"},
	"backbone.connector.route.status":      {pmetric.MetricTypeSum, "1"},
	"backbone.connector.uptime":            {pmetric.MetricTypeGauge, "s"},
	"backbone.folder.issues":               {pmetric.MetricTypeGauge, "{issue}"},
	"backbone.folder.messages":             {pmetric.MetricTypeGauge, "{message}"},
	"backbone.folder.oldest_message.age":   {pmetric.MetricTypeGauge, "s"},
	"backbone.folder.size":                 {pmetric.MetricTypeGauge, "By"},
	"backbone.integration.status":          {pmetric.MetricTypeSum, "1"},
	"backbone.integration.status.age":      {pmetric.MetricTypeGauge, "s"},
}

// newSim creates a simulator on a folder tree and serves its API on addr ("" for any free
// port); it is closed when the test ends.
func newSim(t *testing.T, dir, addr string) (*backbonesim.Sim, string) {
	t.Helper()
	sim, err := backbonesim.New(backbonesim.Options{Dir: dir, Username: simUser, Password: simPassword})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	base, err := sim.Start(addr)
	require.NoError(t, err)
	return sim, base
}

// putMessage puts a message into a folder through the simulator and returns its path.
func putMessage(t *testing.T, sim *backbonesim.Sim, integration, connector, folder, issue string) string {
	t.Helper()
	path, err := sim.PutMessage(integration, connector, folder, issue)
	require.NoError(t, err)
	return path
}

// fileSize returns the size of a file.
func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Size()
}

// anyValue marks an expected series whose value is not checked, only its presence.
var anyValue = -1.0

// expectedSeries derives, from the simulator's state, every series one scrape must hold and
// its value (anyValue: present, value not checked).
func expectedSeries(snap backbonesim.Snapshot) map[string]float64 {
	want := map[string]float64{}
	set := func(metric, integration string, value float64, attrs ...string) {
		m := map[string]any{}
		for i := 0; i < len(attrs); i += 2 {
			m[attrs[i]] = attrs[i+1]
		}
		want[seriesKey(metric, integration, m)] = value
	}
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	for _, in := range snap.Integrations {
		state := strings.ToLower(strings.ReplaceAll(in.Status, " ", "_"))
		for _, s := range integrationStates {
			set("backbone.integration.status", in.Key, b(s == state), "backbone.integration.state", s)
		}
		set("backbone.integration.status.age", in.Key, 0)
		routeState := "stopped"
		if in.Status == backbonesim.StatusRunning {
			routeState = "started"
		}
		for _, c := range in.Connectors {
			conn := []string{"backbone.connector.key", c.Key, "jira.project.key", c.ProjectKey, "backbone.connector.base_url", c.BaseURL}
			set("backbone.connector.online", in.Key, b(c.Online), conn...)
			set("backbone.connector.reconnecting", in.Key, b(c.Reconnecting), conn...)
			set("backbone.connector.issues_in_error", in.Key, float64(c.IssuesInError), conn...)
			if !c.StartTime.IsZero() {
				set("backbone.connector.uptime", in.Key, anyValue, conn...)
			}
			for _, route := range []string{"incoming", "outgoing", "external"} {
				for _, s := range []string{"started", "stopped"} {
					set("backbone.connector.route.status", in.Key, b(s == routeState),
						append(slices.Clone(conn), "backbone.route", route, "backbone.route.state", s)...)
				}
			}
			for _, dir := range []string{"incoming", "outgoing"} {
				set("backbone.connector.processing.status", in.Key, 1,
					append(slices.Clone(conn), "backbone.direction", dir, "backbone.processing.state", "idle")...)
			}
			for _, f := range folders {
				attrs := append(slices.Clone(conn), "backbone.folder", f)
				n := float64(c.Files[f])
				set("backbone.folder.messages", in.Key, n, attrs...)
				if f != backbonesim.FolderArchive {
					ifEmpty := anyValue
					if n == 0 {
						ifEmpty = 0
					}
					set("backbone.folder.size", in.Key, ifEmpty, attrs...)
					set("backbone.folder.oldest_message.age", in.Key, ifEmpty, attrs...)
				}
				switch f {
				case backbonesim.FolderError:
					set("backbone.folder.issues", in.Key, float64(c.IssuesInError), attrs...)
				case backbonesim.FolderIssueMissing:
					ifEmpty := anyValue
					if n == 0 {
						ifEmpty = 0
					}
					set("backbone.folder.issues", in.Key, ifEmpty, attrs...)
				}
			}
		}
	}
	set("backbone.api.up", "", 1)
	for _, kind := range errorTypes {
		set("backbone.api.error", "", 0, "error.type", kind)
	}
	set("backbone.api.request.duration", "", anyValue)
	return want
}

// assertScrape compares one scrape with the series expected from the simulator's state:
// nothing missing, nothing extra, no series twice, the right values, types, units and resources.
func assertScrape(t *testing.T, s scrape, want map[string]float64, base string) {
	t.Helper()
	seen := map[string]int{}
	for _, p := range s.points {
		key := series(p)
		seen[key]++
		shape, known := metricShapes[p.Metric]
		if assert.True(t, known, "unknown metric %s", key) {
			assert.Equal(t, shape.typ, p.Type, "type of %s", key)
			assert.Equal(t, shape.unit, p.Unit, "unit of %s", key)
		}
		if key := integrationKey(p); key != "" {
			assert.Equal(t, map[string]any{
				"backbone.integration.idle":    false,
				"backbone.integration.key":     key,
				"backbone.integration.summary": summaries[key],
				"jira.base_url":                base,
			}, p.Resource, "resource of %s", series(p))
		} else {
			assert.Equal(t, map[string]any{"jira.base_url": base}, p.Resource, "resource of %s", series(p))
		}
		v, ok := want[key]
		if !assert.True(t, ok, "unexpected series %s = %v", key, p.Value) {
			continue
		}
		if v != anyValue {
			assert.Equal(t, v, p.Value, "value of %s", key)
		} else {
			assert.GreaterOrEqual(t, p.Value, 0.0, "value of %s", key)
		}
	}
	var missing, twice []string
	for key := range want {
		switch seen[key] {
		case 0:
			missing = append(missing, key)
		case 1:
		default:
			twice = append(twice, fmt.Sprintf("%s (%d times)", key, seen[key]))
		}
	}
	slices.Sort(missing)
	slices.Sort(twice)
	assert.Empty(t, missing, "series missing from the scrape")
	assert.Empty(t, twice, "series repeated in one scrape")
}
