package examples

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"gopkg.in/yaml.v3"
)

// Lines in Jira's log4j pattern (%d %t %p %X{jira.username} %X{jira.request.id}
// %X{jira.request.assession.id} %X{jira.request.ipaddr} %X{jira.request.url} [%q{2}] %m%n), as
// atlassian-jira.log has them: a request thread renamed with its URL and user, MDC fields
// empty or not, a scheduler thread, a stack trace, a time without zone (older versions), and
// first (a later one would continue the entry before it) one line in no known format. The Backbone texts are made up: nothing public documents them.
var jiraLogLines = []string{
	"Some line a plugin wrote in its own format about INT-17",
	"2024-05-01 12:34:56,789+0000 http-nio-8080-exec-3 url: /jira/secure/admin/Backbone.jspa; user: admin INFO admin 754x1234x1 1abcdef 10.0.0.5 /secure/admin/Backbone.jspa [c.a.jira.web.Foo] Synchronization INT-16 started by admin",
	"2024-05-01 12:35:00,123+0200 Caesium-1-3 WARN ServiceRunner     [c.k.b.something] message 000123.bac for issue AP-123 failed to apply in INT-16/AP-29",
	"2024-05-01 12:36:07,000+0000 http-nio-8080-exec-7 url: /jira/rest/api/2/issue/AP-7 username: admin ERROR [c.a.j.rest.v2.issue.IssueResource] Could not update issue AP-7",
	"java.lang.IllegalStateException: field customfield_10001 is required",
	"\tat com.example.Foo.bar(Foo.java:42)",
	"2024-05-01 12:37:00,500 localhost-startStop-1 INFO      [c.a.jira.startup.JiraStartupLogger] Jira starting",
}

// TestJiraLogParsing runs contrib's file_log receiver with the operators, multiline rule and
// resource of examples/full/jira-log.yaml on a log file with these lines, and checks each
// record's timestamp, severity, resource and attributes.
func TestJiraLogParsing(t *testing.T) {
	home := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(home, "log"), 0o755))
	logFile := filepath.Join(home, "log", "atlassian-jira.log")
	require.NoError(t, os.WriteFile(logFile, []byte(strings.Join(jiraLogLines, "\n")+"\n"), 0o644))

	env := map[string]string{"JIRA_HOME": home, "JIRA_URL": "https://jira.example.com", "JIRA_NODE": "jira-node-1"}
	raw := envDefault.ReplaceAllStringFunc(string(readPack(t, "full/jira-log.yaml")), func(m string) string {
		name := strings.TrimPrefix(strings.SplitN(strings.TrimSuffix(m, "}"), ":-", 2)[0], "${env:")
		v, ok := env[name]
		require.True(t, ok, "jira-log.yaml reads %s, which the test does not set", name)
		return v
	})
	var pack struct {
		Receivers map[string]map[string]any `yaml:"receivers"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(raw), &pack))
	rcfg := pack.Receivers["file_log/jira"]
	require.NotNil(t, rcfg)
	require.Equal(t, []any{logFile}, rcfg["include"])
	// The test reads the file from its start and keeps no offsets.
	rcfg["start_at"] = "beginning"
	delete(rcfg, "storage")

	factory := filelogreceiver.NewFactory()
	cfg := factory.CreateDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(rcfg).Unmarshal(cfg))
	sink := new(consumertest.LogsSink)
	rcv, err := factory.CreateLogs(context.Background(), receivertest.NewNopSettings(factory.Type()), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, rcv.Shutdown(context.Background())) })

	// Five entries: the stack trace belongs to the ERROR entry.
	records := map[string]plog.LogRecord{}
	require.Eventually(t, func() bool {
		for _, ld := range sink.AllLogs() {
			for i := range ld.ResourceLogs().Len() {
				rl := ld.ResourceLogs().At(i)
				res := rl.Resource().Attributes().AsRaw()
				assert.Equal(t, map[string]any{"service.name": "jira", "jira.base_url": "https://jira.example.com", "host.name": "jira-node-1"}, res)
				for j := range rl.ScopeLogs().Len() {
					lrs := rl.ScopeLogs().At(j).LogRecords()
					for k := range lrs.Len() {
						body := lrs.At(k).Body().Str()
						records[body[:min(len(body), 28)]] = lrs.At(k)
					}
				}
			}
		}
		return len(records) == 5
	}, 10*time.Second, 50*time.Millisecond, "records read: %d", len(records))

	type want struct {
		time     time.Time
		severity plog.SeverityNumber
		text     string
		attrs    map[string]any
	}
	for prefix, w := range map[string]want{
		"2024-05-01 12:34:56,789+0000": {
			time: time.Date(2024, 5, 1, 12, 34, 56, 789e6, time.UTC), severity: plog.SeverityNumberInfo, text: "INFO",
			attrs: map[string]any{"thread.name": "http-nio-8080-exec-3", "jira.log.category": "c.a.jira.web.Foo", "backbone.integration.key": "INT-16"},
		},
		"2024-05-01 12:35:00,123+0200": {
			time: time.Date(2024, 5, 1, 10, 35, 0, 123e6, time.UTC), severity: plog.SeverityNumberWarn, text: "WARN",
			attrs: map[string]any{"thread.name": "Caesium-1-3", "jira.log.category": "c.k.b.something", "backbone.integration.key": "INT-16", "backbone.issue": "AP-123"},
		},
		"2024-05-01 12:36:07,000+0000": {
			time: time.Date(2024, 5, 1, 12, 36, 7, 0, time.UTC), severity: plog.SeverityNumberError, text: "ERROR",
			attrs: map[string]any{"thread.name": "http-nio-8080-exec-7", "jira.log.category": "c.a.j.rest.v2.issue.IssueResource", "backbone.issue": "AP-7"},
		},
		// No zone: the collector's local time, the node's.
		"2024-05-01 12:37:00,500 loca": {
			time: time.Date(2024, 5, 1, 12, 37, 0, 500e6, time.Local), severity: plog.SeverityNumberInfo, text: "INFO",
			attrs: map[string]any{"thread.name": "localhost-startStop-1", "jira.log.category": "c.a.jira.startup.JiraStartupLogger"},
		},
		// Kept whole; the integration key is still found.
		"Some line a plugin wrote in ": {
			attrs: map[string]any{"backbone.integration.key": "INT-17"},
		},
	} {
		r, ok := records[prefix]
		if !assert.True(t, ok, "no record for %q", prefix) {
			continue
		}
		if w.time.IsZero() {
			// Backends then use the time it was read.
			assert.Zero(t, r.Timestamp(), prefix)
			assert.NotZero(t, r.ObservedTimestamp(), prefix)
		} else {
			assert.Equal(t, w.time.UnixNano(), r.Timestamp().AsTime().UnixNano(), "%s: timestamp %s", prefix, r.Timestamp().AsTime())
		}
		assert.Equal(t, w.severity, r.SeverityNumber(), prefix)
		assert.Equal(t, w.text, r.SeverityText(), prefix)
		attrs := r.Attributes().AsRaw()
		delete(attrs, "log.file.name")
		assert.Equal(t, w.attrs, attrs, prefix)
	}
	assert.Contains(t, records["2024-05-01 12:36:07,000+0000"].Body().Str(), "\tat com.example.Foo.bar(Foo.java:42)", "the stack trace stays in its entry")
}
