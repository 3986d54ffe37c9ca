package backbonesim

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tickOf returns the 0-based tick of the default cycle a named phase runs at.
func tickOf(t *testing.T, name string) int {
	t.Helper()
	for _, p := range phases {
		if p.name == name {
			return phaseTick(p.permille, DefaultCycle)
		}
	}
	t.Fatalf("no phase %q", name)
	return 0
}

func connectorState(t *testing.T, s *Sim, key string) ConnectorState {
	t.Helper()
	for _, in := range s.Snapshot().Integrations {
		for _, c := range in.Connectors {
			if c.Key == key {
				return c
			}
		}
	}
	t.Fatalf("no connector %q", key)
	return ConnectorState{}
}

// The API and the tree follow each scripted phase of one cycle.
func TestScenarioFollowsPhases(t *testing.T) {
	var logs bytes.Buffer
	s := newSim(t, Options{Seed: 1, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	base := serve(t, s)
	ctx := t.Context()
	initialStart := connectorStatus(t, ctx, base, "INT-17", false)["startTime"].(float64)
	var backlog int
	var atStop ConnectorState

	// The stuck sequence gap outlasts a short stuck_after, say 30 s: 40 ticks of 1 s.
	require.Equal(t, 40, tickOf(t, "stuck sequence gap filled")-tickOf(t, "sequence gap stuck"))
	checks := []struct {
		desc  string
		after int // number of Steps run
		check func(t *testing.T)
	}{
		{desc: "sequence gap that stays", after: tickOf(t, "sequence gap stuck") + 1, check: func(t *testing.T) {
			assert.Equal(t, 1, connectorState(t, s, "SSD-38").Files[FolderSequenceError])
		}},
		{desc: "partner goes offline", after: tickOf(t, "partner offline") + 1, check: func(t *testing.T) {
			c := connectorStatus(t, ctx, base, "INT-15", false)
			assert.Equal(t, false, c["online"])
			assert.Equal(t, true, c["reconnecting"])
			assert.Equal(t, "STARTED", c["outgoingRouteStatus"], "the route stays up")
			assert.Equal(t, "Partner not reachable", c["outgoingDetails"])
			assert.Equal(t, "", c["incomingDetails"])
			assert.Equal(t, "Partner not reachable", connectorState(t, s, "SP-28").OutgoingDetails)
		}},
		{desc: "SEND backs up while offline", after: tickOf(t, "partner online"), check: func(t *testing.T) {
			backlog = connectorState(t, s, "SP-28").Files[FolderSend]
			assert.Greater(t, backlog, 2)
		}},
		{desc: "partner back", after: tickOf(t, "partner online") + 1, check: func(t *testing.T) {
			c := connectorStatus(t, ctx, base, "INT-15", false)
			assert.Equal(t, true, c["online"])
			assert.Equal(t, false, c["reconnecting"])
			assert.Equal(t, "", c["outgoingDetails"], "details cleared")
		}},
		{desc: "SEND drains", after: tickOf(t, "partner online") + 2, check: func(t *testing.T) {
			assert.Less(t, connectorState(t, s, "SP-28").Files[FolderSend], backlog)
		}},
		{desc: "issue goes missing", after: tickOf(t, "issue missing") + 1, check: func(t *testing.T) {
			assert.Equal(t, 1, connectorState(t, s, "PB-30").Files[FolderIssueMissing])
			dirs, err := subdirs(filepath.Join(s.Dir(), "default", "INT-16", "PB-30", "RECEIVE", "issue-missing"))
			require.NoError(t, err)
			assert.Len(t, dirs, 1)
			assert.Regexp(t, `^PB-\d+$`, dirs[0])
		}},
		{desc: "missing issue created", after: tickOf(t, "missing issue created") + 1, check: func(t *testing.T) {
			assert.Equal(t, 0, connectorState(t, s, "PB-30").Files[FolderIssueMissing])
			dirs, err := subdirs(filepath.Join(s.Dir(), "default", "INT-16", "PB-30", "RECEIVE", "issue-missing"))
			require.NoError(t, err)
			assert.Empty(t, dirs)
		}},
		{desc: "first issue in error", after: tickOf(t, "apply fails") + 1, check: func(t *testing.T) {
			assert.EqualValues(t, 1, connectorStatus(t, ctx, base, "INT-16", false)["issuesInError"])
		}},
		{desc: "second issue in error", after: tickOf(t, "apply fails again") + 1, check: func(t *testing.T) {
			assert.EqualValues(t, 2, connectorStatus(t, ctx, base, "INT-16", false)["issuesInError"])
			assert.EqualValues(t, 0, connectorStatus(t, ctx, base, "INT-16", true)["issuesInError"])
		}},
		{desc: "sequence gap still there", after: tickOf(t, "stuck sequence gap filled"), check: func(t *testing.T) {
			assert.Equal(t, 1, connectorState(t, s, "SSD-38").Files[FolderSequenceError])
		}},
		{desc: "sequence gap that stayed filled", after: tickOf(t, "stuck sequence gap filled") + 1, check: func(t *testing.T) {
			assert.Equal(t, 0, connectorState(t, s, "SSD-38").Files[FolderSequenceError])
		}},
		{desc: "first error resolved", after: tickOf(t, "error resolved") + 1, check: func(t *testing.T) {
			assert.EqualValues(t, 1, connectorStatus(t, ctx, base, "INT-16", false)["issuesInError"])
		}},
		{desc: "second error resolved", after: tickOf(t, "error resolved again") + 1, check: func(t *testing.T) {
			assert.EqualValues(t, 0, connectorStatus(t, ctx, base, "INT-16", false)["issuesInError"])
			assert.Equal(t, 0, connectorState(t, s, "AP-29").Files[FolderError])
		}},
		{desc: "sequence gap", after: tickOf(t, "sequence gap") + 1, check: func(t *testing.T) {
			assert.Equal(t, 1, connectorState(t, s, "SSD-38").Files[FolderSequenceError])
		}},
		{desc: "sequence gap filled, send fails", after: tickOf(t, "sequence gap filled") + 1, check: func(t *testing.T) {
			assert.Equal(t, 0, connectorState(t, s, "SSD-38").Files[FolderSequenceError])
			assert.Equal(t, 1, connectorState(t, s, "PB-30").Files[FolderSendError])
		}},
		{desc: "send retried", after: tickOf(t, "send retried") + 1, check: func(t *testing.T) {
			assert.Equal(t, 0, connectorState(t, s, "PB-30").Files[FolderSendError])
			assert.Positive(t, connectorState(t, s, "PB-30").Files[FolderSend])
		}},
		{desc: "partial file in RECEIVE", after: tickOf(t, "partial file") + 1, check: func(t *testing.T) {
			names, err := files(filepath.Join(s.Dir(), "default", "INT-15", "SP-28", "RECEIVE"))
			require.NoError(t, err)
			assert.True(t, strings.HasSuffix(names[len(names)-1], ".bac.part"), "%v", names)
		}},
		{desc: "partial file moved to invalid", after: tickOf(t, "partial file") + 2, check: func(t *testing.T) {
			assert.Equal(t, 1, connectorState(t, s, "SP-28").Files[FolderInvalid])
		}},
		{desc: "integration stopped", after: tickOf(t, "integration stopped") + 1, check: func(t *testing.T) {
			st := getJSON(t, ctx, base, "integrations/INT-17/status").(map[string]any)
			assert.Equal(t, "STOPPED", st["status"])
			for _, side := range []string{"firstConnector", "secondConnector"} {
				c := st[side].(map[string]any)
				assert.NotContains(t, c, "startTime")
				for _, route := range []string{"incomingRouteStatus", "outgoingRouteStatus", "externalRouteStatus"} {
					assert.Equal(t, "STOPPED", c[route])
				}
			}
			atStop = connectorState(t, s, "SSD-38")
		}},
		{desc: "nothing moves while stopped", after: tickOf(t, "integration restarted"), check: func(t *testing.T) {
			assert.Equal(t, atStop, connectorState(t, s, "SSD-38"))
		}},
		{desc: "integration restarted", after: tickOf(t, "integration restarted") + 1, check: func(t *testing.T) {
			c := connectorStatus(t, ctx, base, "INT-17", false)
			assert.Equal(t, "STARTED", c["incomingRouteStatus"])
			want := defaultEpoch.Add(time.Duration(tickOf(t, "integration restarted")+1) * DefaultTick).UnixMilli()
			assert.EqualValues(t, want, c["startTime"])
			assert.Greater(t, c["startTime"].(float64), initialStart)
		}},
		{desc: "invalid cleaned up", after: tickOf(t, "invalid cleaned up") + 1, check: func(t *testing.T) {
			assert.Equal(t, 0, connectorState(t, s, "SP-28").Files[FolderInvalid])
		}},
	}
	ran := 0
	for step := 1; step <= DefaultCycle; step++ {
		require.NoError(t, s.Step())
		for _, c := range checks {
			if c.after == step {
				t.Run(c.desc, c.check)
				ran++
			}
		}
	}
	require.Equal(t, len(checks), ran, "every check had its step")
	for _, c := range connectorStateAll(s) {
		assert.Positive(t, c.Files[FolderArchive], "%s applied messages", c.Key)
	}
	assert.Regexp(t, `msg="INT-16/AP-29: message \d{6}\.bac failed to apply for issue AP-\d+"`, logs.String())
	assert.Contains(t, logs.String(), `msg="INT-15/SP-28: partner unreachable, reconnecting; outgoing details \"Partner not reachable\""`)
	assert.Equal(t, 2, strings.Count(logs.String(), "INT-17/SSD-38: missing message arrived"), "both sequence gaps healed")
	assert.Contains(t, logs.String(), `msg="INT-17: stopped by an admin"`)
	tmp, err := os.ReadDir(filepath.Join(s.Dir(), tmpDirName))
	require.NoError(t, err)
	assert.Empty(t, tmp)
}

func connectorStateAll(s *Sim) []ConnectorState {
	var out []ConnectorState
	for _, in := range s.Snapshot().Integrations {
		out = append(out, in.Connectors...)
	}
	return out
}

// Same seed and same number of steps: same tree, same API answers.
func TestScenarioIsDeterministic(t *testing.T) {
	run := func(seed uint64) (tree []string, list, status string) {
		s := newSim(t, Options{Seed: seed})
		base := serve(t, s)
		for range 2*DefaultCycle + 17 {
			require.NoError(t, s.Step())
		}
		_, l := get(t, t.Context(), base, "integrations", goodAuth)
		_, st := get(t, t.Context(), base, "integrations/INT-16/status", goodAuth)
		return listTree(t, s.Dir()), string(l), string(st)
	}
	tree1, list1, status1 := run(7)
	tree2, list2, status2 := run(7)
	assert.Greater(t, len(tree1), 200)
	assert.Equal(t, tree1, tree2)
	assert.Equal(t, list1, list2)
	assert.Equal(t, status1, status2)

	tree3, _, _ := run(8)
	assert.NotEqual(t, tree1, tree3, "another seed, another history")
}

func TestScenarioRepeats(t *testing.T) {
	var logs bytes.Buffer
	s := newSim(t, Options{Cycle: 20, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for range 3 * 20 {
		require.NoError(t, s.Step())
	}
	assert.Equal(t, 3, strings.Count(logs.String(), "partner unreachable"))
	assert.Equal(t, 6, strings.Count(logs.String(), "failed to apply for issue"))
	assert.Equal(t, 6, strings.Count(logs.String(), "resolved by an admin"))
	assert.Equal(t, 60, s.Snapshot().Step)
}

func TestSetOnlineAndStatus(t *testing.T) {
	s := newSim(t, Options{})
	base := serve(t, s)
	ctx := t.Context()

	require.NoError(t, s.SetOnline("PB-30", false))
	c := connectorStatus(t, ctx, base, "INT-16", true)
	assert.Equal(t, false, c["online"])
	assert.Equal(t, true, c["reconnecting"])
	_, err := s.PutMessage("INT-16", "PB-30", FolderSend, "")
	require.NoError(t, err)
	for range 5 {
		require.NoError(t, s.Step())
	}
	assert.GreaterOrEqual(t, connectorState(t, s, "PB-30").Files[FolderSend], 1, "nothing leaves while offline")
	require.NoError(t, s.SetOnline("PB-30", true))
	assert.Equal(t, true, connectorStatus(t, ctx, base, "INT-16", true)["online"])
	assert.Error(t, s.SetOnline("XX-1", true))

	tests := []struct {
		desc       string
		status     string
		wantRoute  string
		wantStart  bool
		wantStatus string
	}{
		{desc: "stop", status: StatusStopped, wantRoute: "STOPPED", wantStatus: "STOPPED"},
		{desc: "other status keeps routes", status: "RESTART REQUIRED", wantRoute: "STOPPED", wantStatus: "RESTART REQUIRED"},
		{desc: "start", status: StatusRunning, wantRoute: "STARTED", wantStart: true, wantStatus: "RUNNING"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			require.NoError(t, s.SetIntegrationStatus("INT-15", tt.status))
			st := getJSON(t, ctx, base, "integrations/INT-15/status").(map[string]any)
			assert.Equal(t, tt.wantStatus, st["status"])
			first := st["firstConnector"].(map[string]any)
			assert.Equal(t, tt.wantRoute, first["incomingRouteStatus"])
			if tt.wantStart {
				assert.EqualValues(t, s.Snapshot().Now.UnixMilli(), first["startTime"])
			} else {
				assert.NotContains(t, first, "startTime")
			}
		})
	}
	assert.Error(t, s.SetIntegrationStatus("INT-99", StatusRunning))
}

func TestRunStepsUntilCancelled(t *testing.T) {
	s := newSim(t, Options{Speed: 1000})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	require.Eventually(t, func() bool { return s.Snapshot().Step >= 20 }, 10*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	n := s.Snapshot().Step
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, n, s.Snapshot().Step, "stopped")

	go func() { done <- s.Run(t.Context()) }()
	require.NoError(t, s.Close())
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not stop Run")
	}
}

// The API, the Go API and the scenario may be used at once.
func TestConcurrentUse(t *testing.T) {
	s := newSim(t, Options{Speed: 1000})
	base := serve(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan struct{})
	go func() { defer close(ran); _ = s.Run(ctx) }()
	// The scenario writes into the tree: it must have stopped before the tree is removed.
	defer func() { cancel(); <-ran }()

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 10 {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+APIPath+"integrations", nil)
				goodAuth(req)
				resp, err := http.DefaultClient.Do(req)
				if assert.NoError(t, err) {
					assert.Equal(t, http.StatusOK, resp.StatusCode)
					resp.Body.Close()
				}
				if i%2 == 0 {
					_, err := s.PutMessage("INT-16", "AP-29", FolderArchive, "")
					assert.NoError(t, err)
				}
				_ = s.SetOnline("SP-28", i%3 == 0)
			}
		})
	}
	wg.Wait()
}
