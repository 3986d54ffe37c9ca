package backboneapi

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
)

const (
	simUser     = "monitor"
	simPassword = "right-password"
	simToken    = "right-token"
)

// newLockoutSim serves a simulated Jira with its default "Maximum Authentication Attempts
// Allowed" (3) and returns it with its server.
func newLockoutSim(t *testing.T) (*backbonesim.Sim, *httptest.Server) {
	t.Helper()
	sim, err := backbonesim.New(backbonesim.Options{
		Dir: t.TempDir(), Username: simUser, Password: simPassword, Token: simToken, Empty: true,
	})
	require.NoError(t, err)
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		_ = sim.Close()
		srv.Close()
	})
	return sim, srv
}

// lockoutRun is what the simulated Jira saw of a client scraping every minute.
type lockoutRun struct {
	attempts  []time.Duration // when a request reached Jira, from the first scrape
	captchaAt time.Duration   // when Jira started to demand a CAPTCHA; -1 if it never did
	stats     backbonesim.Stats
}

// scrapeEveryMinute calls the API like a receiver with projectKeys scraping every 60 s for
// span, on the client's fake clock, and notes which scrapes reached Jira.
func scrapeEveryMinute(t *testing.T, sim *backbonesim.Sim, c *Client, clock *fakeClock, span time.Duration, projectKeys ...string) lockoutRun {
	t.Helper()
	if len(projectKeys) == 0 {
		projectKeys = []string{""}
	}
	run := lockoutRun{captchaAt: -1}
	for at := time.Duration(0); at < span; at += time.Minute {
		before := sim.Stats().Requests
		for _, key := range projectKeys {
			_, err := c.Integrations(t.Context(), key)
			require.Equal(t, KindAuth, KindOf(err), "at %v", at)
		}
		after := sim.Stats()
		require.LessOrEqual(t, after.Requests-before, 1, "at %v: one login attempt per scrape at most", at)
		if after.Requests > before {
			run.attempts = append(run.attempts, at)
		}
		if run.captchaAt < 0 && after.CaptchaTriggered > 0 {
			run.captchaAt = at
		}
		clock.Advance(time.Minute)
	}
	run.stats = sim.Stats()
	return run
}

// maxPerRollingHour is the largest number of attempts in any window [t, t+1h).
func maxPerRollingHour(attempts []time.Duration) int {
	most := 0
	for i, start := range attempts {
		n := 0
		for _, a := range attempts[i:] {
			if a < start+time.Hour {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

// perClockHour counts the attempts in each hour of the run, e.g. "2 1 0".
func perClockHour(attempts []time.Duration, span time.Duration) string {
	counts := make([]string, int(span/time.Hour))
	for h := range counts {
		n := 0
		for _, a := range attempts {
			if a >= time.Duration(h)*time.Hour && a < time.Duration(h+1)*time.Hour {
				n++
			}
		}
		counts[h] = fmt.Sprint(n)
	}
	return strings.Join(counts, " ")
}

// TestLockoutWrongPassword scrapes every minute with a wrong password at the default
// back-off (30 minutes, doubling to 2 hours) and counts the login attempts Jira sees. No
// rolling hour ever holds more than 2, so Jira's default of 3 failed logins is never
// reached within an hour. Jira counts consecutive failures, not failures per hour, so the
// third attempt, 90 minutes after the first, does trigger the CAPTCHA: the back-off buys
// an hour and a half for someone to notice backbone.api.up{error.type="auth"}, no more.
func TestLockoutWrongPassword(t *testing.T) {
	tests := []struct {
		desc          string
		span          time.Duration
		projectKeys   []string
		wantAttempts  []time.Duration
		wantCaptchaAt time.Duration
	}{
		{desc: "one hour", span: time.Hour, wantAttempts: []time.Duration{0, 30 * time.Minute}, wantCaptchaAt: -1},
		{
			desc: "one hour, two project keys", span: time.Hour, projectKeys: []string{"AP", "PB"},
			wantAttempts: []time.Duration{0, 30 * time.Minute}, wantCaptchaAt: -1,
		},
		{
			desc: "three hours", span: 3 * time.Hour,
			wantAttempts:  []time.Duration{0, 30 * time.Minute, 90 * time.Minute},
			wantCaptchaAt: 90 * time.Minute,
		},
		{
			desc: "one day", span: 24 * time.Hour,
			// After 30 min, 1 h, then every 2 h: 14 attempts a day, refused for the CAPTCHA from the third on.
			wantAttempts: func() []time.Duration {
				out := []time.Duration{0, 30 * time.Minute}
				for at := 90 * time.Minute; at < 24*time.Hour; at += 2 * time.Hour {
					out = append(out, at)
				}
				return out
			}(),
			wantCaptchaAt: 90 * time.Minute,
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			sim, srv := newLockoutSim(t)
			c, clock := newTestClient(t, srv.Client(), srv.URL, func(cfg *Config) {
				cfg.Username, cfg.Password = simUser, "wrong-password"
			})
			run := scrapeEveryMinute(t, sim, c, clock, tt.span, tt.projectKeys...)

			assert.Equal(t, tt.wantAttempts, run.attempts)
			assert.Less(t, maxPerRollingHour(run.attempts), 3, "attempts in any rolling hour")
			assert.Equal(t, tt.wantCaptchaAt, run.captchaAt)
			if tt.span <= time.Hour {
				assert.Zero(t, run.stats.CaptchaTriggered, "no CAPTCHA within the hour")
				assert.False(t, run.stats.CaptchaRequired)
			}
			captcha := "never"
			if run.captchaAt >= 0 {
				captcha = run.captchaAt.String()
			}
			t.Logf("%v of scrapes every 60 s: %d login attempts at %v; per clock hour: %s; at most %d in a rolling hour; "+
				"failed logins %d, refused for CAPTCHA %d, CAPTCHA triggered: %s",
				tt.span, len(run.attempts), run.attempts, perClockHour(run.attempts, tt.span), maxPerRollingHour(run.attempts),
				run.stats.FailedLogins, run.stats.Denied, captcha)
		})
	}
}

// TestLockoutCorrectedInTime shows the way out: a password corrected before the third
// attempt resets Jira's count and the client's back-off alike.
func TestLockoutCorrectedInTime(t *testing.T) {
	sim, srv := newLockoutSim(t)
	c, clock := newTestClient(t, srv.Client(), srv.URL, func(cfg *Config) {
		cfg.Username, cfg.Password = simUser, "wrong-password"
	})
	run := scrapeEveryMinute(t, sim, c, clock, time.Hour)
	require.Len(t, run.attempts, 2)

	sim.SetPassword("wrong-password") // Jira's password now matches the configuration
	clock.Advance(30 * time.Minute)   // the third attempt: 90 minutes after the first
	_, err := c.Integrations(t.Context(), "")
	require.NoError(t, err)

	sim.SetPassword("rotated-again")
	run = scrapeEveryMinute(t, sim, c, clock, time.Hour)
	assert.Equal(t, []time.Duration{0, 30 * time.Minute}, run.attempts, "the back-off starts again at 30 minutes")
	assert.Zero(t, run.stats.CaptchaTriggered, "the success reset Jira's count of failed logins")
}

// TestLockoutTokenFailuresDoNotCount checks, in the simulator's model of Jira, that a
// rejected Personal Access Token does not count towards the account's CAPTCHA: a Bearer
// token that Jira does not know names no user whose failures could be counted.
func TestLockoutTokenFailuresDoNotCount(t *testing.T) {
	sim, srv := newLockoutSim(t)
	c, clock := newTestClient(t, srv.Client(), srv.URL, func(cfg *Config) {
		cfg.Username, cfg.Password, cfg.Token = "", "", "revoked-token"
	})
	run := scrapeEveryMinute(t, sim, c, clock, 24*time.Hour)
	assert.Len(t, run.attempts, 14)
	assert.Equal(t, len(run.attempts), run.stats.FailedLogins)
	assert.Zero(t, run.stats.CaptchaTriggered)
	assert.False(t, run.stats.CaptchaRequired)

	// The account was never locked: Basic auth with its password still works.
	basic, _ := newTestClient(t, srv.Client(), srv.URL, func(cfg *Config) {
		cfg.Username, cfg.Password = simUser, simPassword
	})
	_, err := basic.Integrations(t.Context(), "")
	require.NoError(t, err)
}
