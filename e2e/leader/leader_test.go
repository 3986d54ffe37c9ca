// Package leader runs two collectors of the full distribution (the one with the
// k8s_leader_elector extension) side by side on one Backbone installation, electing their
// leader through a fake Kubernetes API, and checks that one works at a time and that a
// takeover skips no message. The tests skip unless BACKBONE_E2E_COLLECTOR_FULL names the
// built full collector (`make build-full`).
package leader

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/collectoryaml"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/otlpsink"
)

// fullCollectorEnv names the variable holding the absolute path of the full distribution's
// binary.
const fullCollectorEnv = "BACKBONE_E2E_COLLECTOR_FULL"

// Short election and collection settings, so that a takeover takes seconds.
const (
	interval      = time.Second
	leaseDuration = 3 * time.Second
	renewDeadline = 2 * time.Second
	retryPeriod   = 200 * time.Millisecond
	// lookback is the receiver's takeover_lookback: lease_duration plus five retry periods
	// (client-go jitters each retry by up to 1.2 times the period, on both sides of the
	// expiry it observes).
	lookback = leaseDuration + 5*retryPeriod
	// putEvery is how often a new error message appears.
	putEvery = 200 * time.Millisecond
)

// Credentials of the simulated Jira's monitoring user.
const (
	simUser     = "monitor"
	simPassword = "leader-Pa55w0rd"
)

// fullCollector returns the full distribution's binary, or skips the test.
func fullCollector(t *testing.T) string {
	t.Helper()
	path := os.Getenv(fullCollectorEnv)
	if path == "" {
		t.Skipf("%s is not set: run `make e2e`, or `make build-full` and set it to the full collector's "+
			"absolute path (%s=$PWD/dist/otelcol-backbone-full/otelcol-backbone-full)", fullCollectorEnv, fullCollectorEnv)
	}
	return path
}

// replica is one of the two collectors, with the API proxy and the OTLP backend only it uses.
type replica struct {
	name  string
	api   *countingProxy
	sink  *otlpsink.Sink
	proc  *e2eproc.Process
	start time.Time
}

// startReplica runs the full collector with its own API proxy, file_storage directory and
// OTLP backend, electing through the kubeconfig's API.
func startReplica(t *testing.T, bin, name string, sim *backbonesim.Sim, dir, kubeconfig string) *replica {
	t.Helper()
	snk, err := otlpsink.Start(otlpsink.Options{})
	require.NoError(t, err)
	t.Cleanup(snk.Close)
	r := &replica{name: name, api: newCountingProxy(t, sim), sink: snk}
	storage := filepath.Join(t.TempDir(), "storage")
	require.NoError(t, os.MkdirAll(storage, 0o700))
	receiver := collectoryaml.Receiver{
		Endpoint: r.api.url, Username: simUser, Password: simPassword, Directory: dir, Interval: interval,
		Extra: "    storage: file_storage\n" +
			"    k8s_leader_elector: k8s_leader_elector\n" +
			"    takeover_lookback: " + lookback.String() + "\n",
	}.YAML()
	config := fmt.Sprintf(`
receivers:%s
extensions:
  file_storage:
    directory: %q
  k8s_leader_elector:
    auth_type: kubeConfig
    lease_name: %s
    lease_namespace: %s
    lease_duration: %s
    renew_deadline: %s
    retry_period: %s
exporters:
  otlp_http:
    endpoint: %q
    compression: none
service:
  extensions: [file_storage, k8s_leader_elector]
  pipelines:
    metrics:
      receivers: [backbone]
      exporters: [otlp_http]
    logs:
      receivers: [backbone]
      exporters: [otlp_http]
  telemetry:
    metrics:
      level: none
`, receiver, storage, leaseName, leaseNamespace, leaseDuration, renewDeadline, retryPeriod, snk.URL)
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(config), 0o600))
	r.start = time.Now()
	r.proc = e2eproc.StartEnv(t, context.Background(), "collector "+name, bin, []string{"KUBECONFIG=" + kubeconfig}, "--config", path)
	return r
}

// putter puts an error message every putEvery until stopped, remembering when each was put.
type putter struct {
	mu   sync.Mutex
	put  map[string]time.Time // record key -> when the put began
	err  error
	stop context.CancelFunc
	done chan struct{}
}

func startPutter(sim *backbonesim.Sim) *putter {
	ctx, cancel := context.WithCancel(context.Background())
	p := &putter{put: map[string]time.Time{}, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(putEvery)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			at := time.Now()
			path, err := sim.PutMessage("INT-16", "AP-29", backbonesim.FolderError, fmt.Sprintf("AP-%d", 1+n%20))
			p.mu.Lock()
			if err != nil {
				p.err = err
			} else {
				p.put["backbone.message.error "+path] = at
			}
			p.mu.Unlock()
		}
	}()
	return p
}

// finish stops the putter and returns what it put.
func (p *putter) finish() (map[string]time.Time, error) {
	p.stop()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.put, p.err
}

// cutoffLine is the log line of a receiver that takes the lead, with its cutoff.
var cutoffLine = regexp.MustCompile(`holds the Lease.*"announces_messages_entered_after": "([^"]+)"`)

// cutoffs returns the cutoffs a collector's log announced, one per term.
func cutoffs(t *testing.T, log string) []time.Time {
	t.Helper()
	var out []time.Time
	for _, m := range cutoffLine.FindAllStringSubmatch(log, -1) {
		at, err := time.Parse("2006-01-02T15:04:05.000Z0700", m[1])
		require.NoError(t, err, m[0])
		out = append(out, at)
	}
	return out
}

// TestLeaderFailover runs two replicas while error messages keep arriving: exactly one calls
// the API and delivers; SIGKILL it, and the other takes the Lease within lease_duration plus
// one interval, announces every message the first did not, and repeats only messages that
// entered after its cutoff (takeover - takeover_lookback - collection_interval).
func TestLeaderFailover(t *testing.T) {
	bin := fullCollector(t)
	dir := filepath.Join(t.TempDir(), "backbone-issue-sync")
	sim, err := backbonesim.New(backbonesim.Options{Dir: dir, Username: simUser, Password: simPassword})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	kube := newKubeAPI(t)
	kubeconfig := writeKubeconfig(t, kube.url)
	puts := startPutter(sim)
	a := startReplica(t, bin, "a", sim, dir, kubeconfig)
	b := startReplica(t, bin, "b", sim, dir, kubeconfig)
	replicas := []*replica{a, b}

	// One of them takes the Lease and works; the other waits.
	var leader, follower *replica
	e2eproc.Eventually(t, nil, 20*time.Second, "a leader's API calls", func() bool {
		for i, r := range replicas {
			if r.api.calls.Load() > 0 {
				leader, follower = r, replicas[1-i]
				return true
			}
		}
		return false
	})
	t.Logf("leader %s after %s", leader.name, time.Since(leader.start).Round(10*time.Millisecond))
	e2eproc.Eventually(t, leader.proc, 10*time.Second, "the leader's events", func() bool { return leader.sink.Counts().Records > 0 })
	time.Sleep(3 * interval)
	require.False(t, follower.proc.Exited(), "the follower exited: %v", follower.proc.Err())
	assert.Zero(t, follower.api.calls.Load(), "API calls of the follower")
	assert.Zero(t, follower.sink.Counts().MetricsAccepted, "metrics of the follower")
	assert.Empty(t, follower.sink.Accepted(), "events of the follower")
	assert.Positive(t, leader.sink.Counts().MetricsAccepted, "metrics of the leader")

	// SIGKILL the leader while messages keep arriving.
	leader.proc.Kill(t)
	killed := time.Now()
	e2eproc.Eventually(t, follower.proc, 2*(leaseDuration+interval)+5*time.Second, "the follower's API calls", func() bool {
		return follower.api.calls.Load() > 0
	})
	takeover := time.Since(killed)
	t.Logf("takeover: first API call of the new leader %s after SIGKILL (lease_duration %s, collection_interval %s)",
		takeover.Round(10*time.Millisecond), leaseDuration, interval)
	assert.LessOrEqual(t, takeover, leaseDuration+interval, "the new leader leads within lease_duration plus one interval")

	time.Sleep(3 * interval)
	put, err := puts.finish()
	require.NoError(t, err)
	wantAll := slices.Sorted(func(yield func(string) bool) {
		for k := range put {
			if !yield(k) {
				return
			}
		}
	})
	e2eproc.Eventually(t, follower.proc, 3*interval+10*time.Second, "every message announced", func() bool {
		got := map[string]bool{}
		for _, r := range replicas {
			for k := range r.sink.Accepted() {
				got[k] = true
			}
		}
		for _, k := range wantAll {
			if !got[k] {
				return false
			}
		}
		return true
	})

	// Each replica announces a message at most once; those both announced entered after the
	// new leader's cutoff.
	fromLeader, fromFollower := leader.sink.Accepted(), follower.sink.Accepted()
	for name, counts := range map[string]map[string]int{leader.name: fromLeader, follower.name: fromFollower} {
		for k, n := range counts {
			assert.Equal(t, 1, n, "%s announced %s %d times", name, k, n)
		}
	}
	cut := cutoffs(t, follower.proc.Output())
	require.Len(t, cut, 1, "the new leader's terms")
	var repeats []string
	for k := range fromFollower {
		if fromLeader[k] > 0 {
			repeats = append(repeats, k)
		}
	}
	slices.Sort(repeats)
	// File times have the file system's granularity and the log's cutoff milliseconds: allow
	// a few milliseconds.
	const slack = 10 * time.Millisecond
	for _, k := range repeats {
		assert.False(t, put[k].Before(cut[0].Add(-slack)), "%s was put at %s, before the cutoff %s, and announced twice",
			k, put[k].Format(time.StampMilli), cut[0].Format(time.StampMilli))
	}
	for k := range fromFollower {
		if at, ok := put[k]; ok {
			assert.False(t, at.Before(cut[0].Add(-slack)), "the new leader announced %s, put before its cutoff", k)
		}
	}
	t.Logf("messages put: %d; announced by the first leader: %d, by the new one: %d; announced twice: %d "+
		"(put within %s before the takeover: %s)", len(put), len(fromLeader), len(fromFollower), len(repeats),
		lookback+interval, strings.Join(shortKeys(repeats), ", "))
	holders := kube.holderChanges()
	require.Len(t, holders, 2, "holders of the Lease")
	t.Logf("the fake API saw the Lease change holder %s after SIGKILL", holders[1].at.Sub(killed).Round(10*time.Millisecond))
}

// shortKeys keeps the file name of each record key.
func shortKeys(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = filepath.Base(k)
	}
	return out
}
