package e2e

import (
	"encoding/base64"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
)

// apiProblem is what the receiver's log lines about the API start with.
const apiProblem = "Backbone API: "

// TestE2EAPIDownAndWrongPassword takes Jira away and changes the monitoring user's password
// under a running collector: it keeps running, reports backbone.api.up = 0 with the right
// error.type while folder metrics keep coming, recovers without a restart, logs each problem
// once per change rather than once per interval, and never logs the password.
func TestE2EAPIDownAndWrongPassword(t *testing.T) {
	e2eproc.CollectorBinary(t)
	t.Parallel()

	outer := t
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "backbone-issue-sync")
	sim, base := newSim(t, dir, "")
	u, err := url.Parse(base)
	require.NoError(t, err)
	metricsPath, logsPath := filepath.Join(tmp, "metrics.jsonl"), filepath.Join(tmp, "logs.jsonl")
	c := startCollector(t, writeConfig(t, collectorConfig{
		Endpoint: base, Username: simUser, Password: simPassword, Directory: dir,
		MetricsPath: metricsPath, LogsPath: logsPath,
	}))
	metrics := newMetricsOutput(metricsPath)

	// waitAPIUp waits for a new scrape with the given backbone.api.up and error.type and
	// returns its index.
	waitAPIUp := func(t *testing.T, value float64, errorType string) int {
		t.Helper()
		at := metrics.poll(t)
		e2eproc.Eventually(t, c, 20*time.Second, "backbone.api.up "+errorType, func() bool {
			n := metrics.poll(t)
			for i := at; i < n; i++ {
				if v, e, ok := metrics.scrapes[i].apiUp(); ok && v == value && e == errorType {
					at = i
					return true
				}
			}
			at = n
			return false
		})
		return at
	}
	// assertScrapesSince checks the scrapes from index from on: each has the folder metrics
	// of every integration and the API state expected.
	assertScrapesSince := func(t *testing.T, from int, value float64, errorType string) {
		t.Helper()
		metrics.poll(t)
		for i, s := range metrics.scrapes[from:] {
			assert.True(t, s.hasFolderMetrics(allIntegrations...), "scrape %d has no folder metrics of every integration", from+i)
			v, e, ok := s.apiUp()
			if assert.True(t, ok, "scrape %d has no backbone.api.up", from+i) {
				assert.Equal(t, value, v, "backbone.api.up of scrape %d", from+i)
				assert.Equal(t, errorType, e, "error.type of scrape %d", from+i)
			}
		}
	}

	start := waitAPIUp(t, 1, "")
	metrics.waitScrapes(t, c, 1)
	assertScrapesSince(t, start, 1, "")
	require.Zero(t, e2eproc.CountLines(c.Output(), apiProblem), "problems logged while Jira was fine:\n%s", describeLines(c.Output(), apiProblem))

	t.Run("Jira unreachable", func(t *testing.T) {
		require.NoError(t, sim.Close())
		down := waitAPIUp(t, 0, "connection")
		metrics.waitScrapes(t, c, 4) // a few intervals of the same problem
		assertScrapesSince(t, down, 0, "connection")
		assert.Equal(t, 1, e2eproc.CountLines(c.Output(), "\twarn\t", apiProblem),
			"the outage is logged once, not once per interval:\n%s", describeLines(c.Output(), apiProblem))

		// The same Jira comes back on the same address and tree, for the rest of the test.
		sim, _ = newSim(outer, dir, u.Host)
		up := waitAPIUp(t, 1, "")
		metrics.waitScrapes(t, c, 1)
		assertScrapesSince(t, up, 1, "")
		assert.Equal(t, 1, e2eproc.CountLines(c.Output(), "\tinfo\t", "resolved: "+apiProblem),
			"the recovery is logged once:\n%s", describeLines(c.Output(), apiProblem))
		assert.Equal(t, 1, e2eproc.CountLines(c.Output(), "\twarn\t", apiProblem), "no further problem logged after the recovery")
	})

	t.Run("password changed in Jira", func(t *testing.T) {
		before := sim.Stats()
		problemsBefore := e2eproc.CountLines(c.Output(), "\twarn\t", apiProblem)
		sim.SetPassword("e2e-rotated-Pa55w0rd-x2m4")
		down := waitAPIUp(t, 0, "auth")
		atFirst := sim.Stats()
		// With auth_backoff 2s/4s the receiver tries again about 2s after the first failure,
		// then not before 4s later: wait for the second failed login, then repair the password
		// before a third would lock the account (CAPTCHA after 3, Jira's default).
		e2eproc.Eventually(t, c, 10*time.Second, "a second login attempt", func() bool {
			return sim.Stats().FailedLogins-before.FailedLogins >= 2
		})
		metrics.waitScrapes(t, c, 1)
		wrong := sim.Stats()
		assertScrapesSince(t, down, 0, "auth")
		scrapesWrong := metrics.poll(t) - down
		sim.SetPassword(simPassword)
		up := waitAPIUp(t, 1, "")
		metrics.waitScrapes(t, c, 1)
		assertScrapesSince(t, up, 1, "")

		failed := wrong.FailedLogins - before.FailedLogins
		assert.Equal(t, 2, failed, "failed logins: the receiver backs off instead of trying every interval")
		// From the first failure on, every request is a failed login: the scrapes between
		// the attempts send nothing.
		assert.Equal(t, wrong.FailedLogins-atFirst.FailedLogins, wrong.Requests-atFirst.Requests,
			"requests after the first failed login, over %d scrapes", scrapesWrong)
		assert.Greater(t, scrapesWrong, failed, "scrapes while the password was wrong")
		assert.Zero(t, sim.Stats().CaptchaTriggered, "the account was locked (CAPTCHA)")
		// Each failed login changes the problem (it names the next attempt's time); the
		// intervals skipped in between log nothing.
		log := c.Output()
		authLines := e2eproc.CountLines(log, "\twarn\t", apiProblem) - problemsBefore
		assert.Equal(t, failed, authLines, "auth problem lines, one per failed login:\n%s", describeLines(log, apiProblem))
		assert.Less(t, authLines, up-down, "auth problem lines against the scrapes of the outage (%d)", up-down)
		assert.Equal(t, 2, e2eproc.CountLines(log, "\tinfo\t", "resolved: "+apiProblem), "recoveries logged:\n%s", describeLines(log, apiProblem))
	})

	t.Run("no secret in the log", func(t *testing.T) {
		log := c.Output()
		assert.NotContains(t, log, simPassword)
		assert.NotContains(t, log, "e2e-rotated-Pa55w0rd-x2m4")
		assert.NotContains(t, log, base64.StdEncoding.EncodeToString([]byte(simUser+":"+simPassword)), "the Basic credentials")
	})

	t.Run("no events from the outages", func(t *testing.T) {
		logs := newLogsOutput(logsPath)
		logs.poll(t)
		assert.Empty(t, logs.records, "nothing changed in Jira or the tree; records:\n%s", logs.dump())
	})

	require.False(t, c.Exited(), "collector exited: %v", c.Err())
}
