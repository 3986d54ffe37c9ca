package backbonereceiver

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/metricpoints"
)

// integrationState is what the metrics say of one integration: its state (the series at
// 1) and how long ago it was read.
type integrationState struct {
	state string
	age   float64
}

func integrationStates(md pmetric.Metrics) map[string]integrationState {
	out := map[string]integrationState{}
	for _, pt := range metricpoints.Flatten(md) {
		key, _ := pt.Resource["backbone.integration.key"].(string)
		s := out[key]
		switch {
		case pt.Metric == "backbone.integration.status" && pt.Value == 1:
			s.state = pt.Attr("backbone.integration.state")
		case pt.Metric == "backbone.integration.status.age":
			s.age = pt.Value
		default:
			continue
		}
		out[key] = s
	}
	return out
}

// newLastStateEnv is a Backbone 4.x (lists without status) behind a gate, read by a
// receiver through the API alone, whose snapshots take their time from clock.
func newLastStateEnv(t *testing.T, opts backbonesim.Options) (*faultEnv, *faultHarness, *testClock) {
	t.Helper()
	opts.Quirks.ListWithoutStatus = true
	e := newFaultEnvWith(t, opts)
	e.cfg.Directory = ""
	e.cfg.ControllerConfig.Timeout = time.Second
	h := startHarness(t, e.cfg)
	clock := newTestClock()
	h.r.reader.now = clock.Now
	return e, h, clock
}

// A Jira node restarting answers 503 with Retry-After: no call goes out before it, the
// integrations keep their last known state, aging, until status_stale_after, and the
// problem is logged once.
func TestNodeRestartKeepsLastKnownState(t *testing.T) {
	e, h, clock := newLastStateEnv(t, backbonesim.Options{})
	running := map[string]integrationState{
		"INT-15": {state: "running"}, "INT-16": {state: "running"}, "INT-17": {state: "running"},
	}
	assert.Equal(t, running, integrationStates(h.scrape(t)))
	require.Len(t, e.gate.requests(), 4, "a list and three status calls")

	e.gate.set(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "2")
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("<html><body>Jira is starting up</body></html>"))
	})
	for _, step := range []time.Duration{time.Minute, time.Minute, 2 * time.Minute} {
		clock.Add(step)
		md := h.scrape(t)
		assert.Equal(t, apiUpPoint{value: 0, errorType: "server_error"}, apiUp(t, md))
		states := integrationStates(md)
		for key, s := range states {
			assert.Equal(t, "running", s.state, "%s keeps its last known state", key)
			assert.Greater(t, s.age, 0.0, key)
		}
		assert.Len(t, states, 3)
	}
	assert.Len(t, e.gate.requests(), 5, "one call met the 503; none before its Retry-After")
	assert.Len(t, h.warnings("Backbone API"), 1, "logged once")

	clock.Add(2 * time.Minute) // past status_stale_after (5m) since the last read
	for key, s := range integrationStates(h.scrape(t)) {
		assert.Equal(t, stateUnknown, s.state, key)
	}

	e.gate.set(nil)
	time.Sleep(2 * time.Second) // Retry-After
	clock.Add(time.Minute)
	assert.Equal(t, running, integrationStates(h.waitUp(t)))
	t.Logf("calls: %d in all", len(e.gate.requests()))
	assert.Equal(t, 1, h.resolved("Backbone API: get integrations"), "the restart's line clears once")
}

// With Jira's rate limiting on, the receiver spends no token Jira has not refilled: the
// status calls that do not fit the tick's budget are not sent (no 429), and those
// integrations keep their last known state, with its age, logged once.
func TestRateLimitKeepsLastKnownState(t *testing.T) {
	e, h, clock := newLastStateEnv(t, backbonesim.Options{RateLimit: backbonesim.RateLimit{PerSecond: 2, Burst: 4}})
	// One call at a time, so that the client's count of the bucket is exact: in each
	// tick after the first, the list's token comes 0.5 s on, within the 1 s timeout; the
	// status calls' tokens come after it.
	h.r.cfg.MaxConcurrentRequests = 1
	md := h.scrape(t)
	require.Len(t, e.gate.requests(), 4, "a list and three status calls, the whole bucket")
	for key, s := range integrationStates(md) {
		assert.Equal(t, integrationState{state: "running"}, s, key)
	}

	for range 2 {
		clock.Add(time.Minute)
		md = h.scrape(t)
		assert.Equal(t, apiUpPoint{value: 1}, apiUp(t, md), "the list waited for its token")
		states := integrationStates(md)
		assert.Len(t, states, 3)
		for key, s := range states {
			assert.Equal(t, "running", s.state, "%s keeps its last known state", key)
		}
	}
	assert.Zero(t, e.sim.Stats().RateLimited, "no 429: the calls were paced")
	assert.Less(t, len(e.gate.requests()), 4+2*4, "status calls without a token in time were not sent")
	t.Logf("calls: %d in three ticks, %d answered 429", len(e.gate.requests()), e.sim.Stats().RateLimited)
	assert.Len(t, h.warnings("the last known state is reported"), 1, "logged once")
}
