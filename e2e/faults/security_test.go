package faults

import (
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/selfmetrics"
)

// Secrets of TestFaultsNoSecretLeak, with characters that URL and YAML encodings change.
const (
	wrongPassword = "faults-wr0ng/Pa55+k8v1="
	simToken      = "faults-T0ken-q93mz/ZZ+9="
)

// secretForms are the ways a secret could show up: as it is, URL-encoded, and inside the
// Basic credentials of the monitoring user.
func secretForms(secret string) []string {
	return []string{
		secret,
		url.QueryEscape(secret),
		url.PathEscape(secret),
		base64.StdEncoding.EncodeToString([]byte(simUser + ":" + secret)),
		base64.StdEncoding.EncodeToString([]byte(secret)),
	}
}

// leaks returns the forms of secret that text contains.
func leaks(text, secret string) []string {
	var found []string
	for _, f := range secretForms(secret) {
		if strings.Contains(text, f) {
			found = append(found, f)
		}
	}
	return found
}

var hrefPattern = regexp.MustCompile(`href="([^"]+)"`)

// crawlZPages fetches the zpages under /debug on 127.0.0.1:port and the pages they link to on
// the same server, at most limit pages, and returns each page's body and status by path.
func crawlZPages(t *testing.T, port, limit int) (pages map[string]string, status map[string]int) {
	t.Helper()
	client := http.Client{Timeout: 5 * time.Second}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	queue := []string{"/debug/servicez", "/debug/pipelinez", "/debug/extensionz", "/debug/featurez",
		"/debug/tracez", "/debug/expvarz"}
	pages, status = map[string]string{}, map[string]int{}
	for len(queue) > 0 && len(pages) < limit {
		ref := queue[0]
		queue = queue[1:]
		if _, seen := pages[ref]; seen {
			continue
		}
		resp, err := client.Get(base + ref)
		require.NoError(t, err, "zpages %s", ref)
		body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		resp.Body.Close()
		require.NoError(t, err)
		pages[ref] = string(body)
		status[ref] = resp.StatusCode
		page, err := url.Parse(base + ref)
		require.NoError(t, err)
		for _, m := range hrefPattern.FindAllStringSubmatch(string(body), -1) {
			u, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
			if err != nil {
				continue
			}
			if u = page.ResolveReference(u); u.Host == page.Host && strings.HasPrefix(u.Path, "/debug/") {
				queue = append(queue, u.RequestURI())
			}
		}
	}
	return pages, status
}

// TestFaultsNoSecretLeak looks for the configured password or token everywhere a running
// collector shows itself: its log (with a wrong password, so that authentication failures are
// logged), the debug exporter at detailed verbosity, every zpages page, its own metrics, and
// `print-config` in its default (redacted) mode.
func TestFaultsNoSecretLeak(t *testing.T) {
	bin := e2eproc.CollectorBinary(t)
	t.Parallel()

	tests := []struct {
		desc   string
		auth   string   // the receiver's credential lines
		env    []string // the collector's environment
		secret string
	}{
		{
			desc:   "wrong password",
			auth:   fmt.Sprintf("    username: %q\n    password: %q\n", simUser, wrongPassword),
			secret: wrongPassword,
		},
		{
			desc:   "token from the environment",
			auth:   "    token: ${env:FAULTS_JIRA_TOKEN}\n",
			env:    []string{"FAULTS_JIRA_TOKEN=" + simToken},
			secret: simToken,
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir() + "/backbone-issue-sync"
			sim, err := backbonesim.New(backbonesim.Options{Dir: dir, Username: simUser, Password: simPassword, Token: simToken})
			require.NoError(t, err)
			t.Cleanup(func() { _ = sim.Close() })
			base, err := sim.Start("127.0.0.1:0")
			require.NoError(t, err)
			zpagesPort, telemetryPort := e2eproc.FreePort(t), e2eproc.FreePort(t)
			cfg := writeFile(t, fmt.Sprintf(`
receivers:
  backbone:
    endpoint: %q
%s    directory: %q
    collection_interval: %s
    initial_delay: 0s
    auth_backoff:
      initial_interval: 2s
      max_interval: 4s
exporters:
  debug:
    verbosity: detailed
extensions:
  zpages:
    endpoint: 127.0.0.1:%d
    expvar:
      enabled: true
service:
  extensions: [zpages]
  pipelines:
    metrics:
      receivers: [backbone]
      exporters: [debug]
    logs:
      receivers: [backbone]
      exporters: [debug]%s
`, base, tt.auth, dir, interval, zpagesPort, selfmetrics.TelemetryYAML(telemetryPort)))
			c := startCollector(t, tt.desc, cfg, tt.env...)

			// Something for the debug exporter to print in detail: message events and, when
			// the credentials are right, everything the API returns.
			e2eproc.Eventually(t, c, 20*time.Second, "a first scrape", func() bool { return sim.Stats().Requests > 0 })
			time.Sleep(2 * interval)
			putMessage(t, sim, "INT-16", "AP-29", backbonesim.FolderError, "AP-7")
			putMessage(t, sim, "INT-17", "AP-39", backbonesim.FolderSendError, "")
			e2eproc.Eventually(t, c, 20*time.Second, "message events in the debug exporter's output", func() bool {
				return strings.Contains(c.Output(), "backbone.message.send_error")
			})
			if tt.secret == wrongPassword {
				e2eproc.Eventually(t, c, 20*time.Second, "a second failed login", func() bool { return sim.Stats().FailedLogins >= 2 })
				assert.Contains(t, c.Output(), "Backbone API: ", "the authentication failure is logged")
			} else {
				e2eproc.Eventually(t, c, 20*time.Second, "integration metrics", func() bool {
					return strings.Contains(c.Output(), "backbone.connector.online")
				})
				assert.Zero(t, sim.Stats().FailedLogins, "the token was accepted")
			}

			pages, status := crawlZPages(t, zpagesPort, 60)
			assert.Equal(t, http.StatusOK, status["/debug/servicez"], "zpages /debug/servicez")
			assert.Equal(t, http.StatusOK, status["/debug/pipelinez"], "zpages /debug/pipelinez")
			for _, ref := range slices.Sorted(maps.Keys(pages)) {
				assert.Empty(t, leaks(pages[ref], tt.secret), "secret in zpages %s", ref)
			}
			self, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", telemetryPort))
			require.NoError(t, err)
			selfBody, _ := io.ReadAll(self.Body)
			self.Body.Close()
			assert.Empty(t, leaks(string(selfBody), tt.secret), "secret in the collector's own metrics")

			printConfig := func(mode string) string {
				cmd := exec.Command(bin, "print-config", "--mode", mode, "--config", cfg)
				cmd.Env = append(cmd.Environ(), tt.env...)
				out, err := cmd.CombinedOutput()
				require.NoError(t, err, "print-config --mode %s:\n%s", mode, out)
				return string(out)
			}
			redacted := printConfig("redacted")
			assert.Empty(t, leaks(redacted, tt.secret), "secret in print-config:\n%s", redacted)
			assert.Contains(t, redacted, "[REDACTED]", "print-config marks the secret as redacted")
			// The check above can see the secret: the unredacted mode, meant for it, shows it.
			assert.Contains(t, printConfig("unredacted"), tt.secret, "print-config --mode unredacted")

			require.NoError(t, c.Stop(t), "exit status after SIGTERM")
			log := c.Output()
			assert.Empty(t, leaks(log, tt.secret), "secret in the collector's log and the debug exporter's output")
			var fetched []string
			for _, ref := range slices.Sorted(maps.Keys(pages)) {
				fetched = append(fetched, fmt.Sprintf("%s (%d, %d bytes)", ref, status[ref], len(pages[ref])))
			}
			t.Logf("searched %d bytes of log and debug output, %d bytes of own metrics, %d bytes of print-config, %d zpages pages: %s",
				len(log), len(selfBody), len(redacted), len(pages), strings.Join(fetched, ", "))
		})
	}
}
