package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
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

// started is a running command: its base URL and folder as printed, and its end.
type started struct {
	base, dir string
	cancel    context.CancelFunc
	done      chan error
	stderr    *syncBuffer
}

// start runs the command with args and waits for it to print where it serves.
func start(t *testing.T, args ...string) *started {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	st := &started{cancel: cancel, done: make(chan error, 1), stderr: &syncBuffer{}}
	go func() {
		st.done <- run(ctx, args, pw, st.stderr)
		_ = pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		<-st.done
	})
	sc := bufio.NewScanner(pr)
	for st.base == "" || st.dir == "" {
		require.True(t, sc.Scan(), "output ended early; stderr: %s", st.stderr.String())
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "backbonesim: Jira base URL "); ok {
			st.base = v
		}
		if v, ok := strings.CutPrefix(line, "backbonesim: folder "); ok {
			st.dir = v
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return st
}

// stop ends the command as SIGINT would and returns its error.
func (st *started) stop(t *testing.T) error {
	t.Helper()
	st.cancel()
	select {
	case err := <-st.done:
		st.done <- err // for the cleanup
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("command did not stop")
		return nil
	}
}

func getIntegrations(t *testing.T, base, user, password string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/plugins/servlet/backbone-issue-sync/api/1/integrations", nil)
	require.NoError(t, err)
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func archived(dir string) int {
	n := 0
	_ = filepath.WalkDir(filepath.Join(dir, "default"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(filepath.Dir(path)) == "archive" {
			n++
		}
		return nil
	})
	return n
}

func TestServesRunsScenarioAndCleans(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backbone-issue-sync")
	st := start(t, "-listen", "127.0.0.1:0", "-dir", dir, "-clean", "-speed", "500", "-context-path", "/jira")
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/jira$`, st.base)
	assert.Equal(t, dir, st.dir)

	assert.Equal(t, http.StatusOK, getIntegrations(t, st.base, "monitor", "monitor"))
	assert.Equal(t, http.StatusUnauthorized, getIntegrations(t, st.base, "monitor", "wrong"))
	assert.Eventually(t, func() bool { return archived(dir) > 0 }, 10*time.Second, 10*time.Millisecond, "scenario moves messages")

	require.NoError(t, st.stop(t))
	assert.NoDirExists(t, dir)
}

func TestNoScenarioKeepsTree(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("x"), 0o600))
	st := start(t, "-listen", "127.0.0.1:0", "-dir", dir, "-no-scenario", "-user", "ops", "-password", "pw", "-speed", "500")
	assert.Equal(t, http.StatusOK, getIntegrations(t, st.base, "ops", "pw"))
	time.Sleep(50 * time.Millisecond)
	assert.Zero(t, archived(dir), "no scenario")
	require.NoError(t, st.stop(t))
	assert.DirExists(t, filepath.Join(dir, "default", "INT-16", "AP-29", "RECEIVE"), "no -clean")
}

func TestCleanSparesWhatWasThere(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("x"), 0o600))
	st := start(t, "-listen", "127.0.0.1:0", "-dir", dir, "-clean")
	require.NoError(t, st.stop(t))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "keep.txt", entries[0].Name())
}

func TestTemporaryFolder(t *testing.T) {
	st := start(t, "-listen", "127.0.0.1:0", "-clean", "-no-scenario")
	assert.DirExists(t, filepath.Join(st.dir, "default", "INT-15", "SP-28", "SEND", "error"))
	require.NoError(t, st.stop(t))
	assert.NoDirExists(t, st.dir)
}

func TestFaultFlag(t *testing.T) {
	st := start(t, "-listen", "127.0.0.1:0", "-dir", t.TempDir(), "-no-scenario", "-fault", "bad-gateway")
	assert.Equal(t, http.StatusBadGateway, getIntegrations(t, st.base, "monitor", "monitor"))
}

// Each quirk a tolerant client must read through has its flag.
func TestQuirkFlags(t *testing.T) {
	st := start(t, "-listen", "127.0.0.1:0", "-dir", t.TempDir(), "-no-scenario",
		"-content-type", "none", "-status-failure", "INT-17:404", "-changed-types",
		"-details", "PB-30=Partner not reachable", "-unexpected-subfolder", "-project", "HR")
	tests := []struct {
		desc     string
		path     string
		wantCode int
		wantBody []string
	}{
		{desc: "list: types changed, details shown", path: "integrations", wantCode: http.StatusOK, wantBody: []string{
			`"online":"true"`, `"outgoingDetails":"Partner not reachable"`,
		}},
		{desc: "failing status", path: "integrations/INT-17/status", wantCode: http.StatusNotFound},
		{desc: "project without integrations", path: "integrations?projectKey=HR", wantCode: http.StatusOK, wantBody: []string{"[]"}},
		{desc: "unknown project", path: "integrations?projectKey=NOPE", wantCode: http.StatusNotFound, wantBody: []string{"No project could be found with key 'NOPE'."}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, st.base+"/plugins/servlet/backbone-issue-sync/api/1/"+tt.path, nil)
			require.NoError(t, err)
			req.SetBasicAuth("monitor", "monitor")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tt.wantCode, resp.StatusCode)
			assert.Empty(t, resp.Header.Values("Content-Type"))
			for _, want := range tt.wantBody {
				assert.Contains(t, string(body), want)
			}
			if tt.path == "integrations" {
				var list []map[string]any
				require.NoError(t, json.Unmarshal(body, &list))
				for _, in := range list {
					_, hasStatus := in["status"]
					assert.Equal(t, in["integrationKey"] != "INT-17", hasStatus, "only the failing integration is listed without status")
				}
			}
		})
	}
	held, err := os.ReadDir(filepath.Join(st.dir, "default", "INT-16", "PB-30", "RECEIVE", "sequence-error", "held"))
	require.NoError(t, err)
	assert.Len(t, held, 1)
}

func TestRejectsBadArguments(t *testing.T) {
	tests := []struct {
		desc string
		args []string
		want string
	}{
		{desc: "unknown flag", args: []string{"-nope"}, want: "flag provided but not defined"},
		{desc: "unknown fault", args: []string{"-fault", "meteor"}, want: "unknown fault"},
		{desc: "negative speed", args: []string{"-speed", "-1", "-dir", t.TempDir()}, want: `"Speed" must be positive`},
		{desc: "short cycle", args: []string{"-cycle", "3", "-dir", t.TempDir()}, want: `"Cycle" must be at least`},
		{desc: "bad address", args: []string{"-listen", "256.0.0.1:x", "-dir", t.TempDir()}, want: "listen"},
		{desc: "stray argument", args: []string{"extra"}, want: "unexpected arguments"},
		{desc: "unknown content type", args: []string{"-content-type", "xml"}, want: "unknown content type"},
		{desc: "status failure without key", args: []string{"-status-failure", ":404"}, want: "an integration key is needed"},
		{desc: "details without text", args: []string{"-details", "PB-30"}, want: "want CONNECTOR=TEXT"},
		{desc: "details of an unknown connector", args: []string{"-details", "XX-1=x", "-dir", t.TempDir()}, want: `unknown connector "XX-1"`},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var stderr syncBuffer
			err := run(t.Context(), tt.args, io.Discard, &stderr)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

// syncBuffer is a bytes buffer safe for the command's logger and the test at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
