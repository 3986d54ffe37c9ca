package backbonesim

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	testUser     = "monitor"
	testPassword = "secret"
	testToken    = "NjM0MzQ1MzQ1OnRva2Vu"
)

// newSim creates a Sim in a temporary folder with the test credentials.
func newSim(t *testing.T, opts Options) *Sim {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.Username == "" && opts.Password == "" && opts.Token == "" {
		opts.Username, opts.Password, opts.Token = testUser, testPassword, testToken
	}
	s, err := New(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// serve serves s over real HTTP and returns Jira's base URL. The Sim is closed before
// the server so that hanging requests are released.
func serve(t *testing.T, s *Sim) string {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		_ = s.Close()
		srv.Close()
	})
	return srv.URL + s.opts.ContextPath
}

type auth func(*http.Request)

func basicAuth(user, password string) auth {
	return func(r *http.Request) { r.SetBasicAuth(user, password) }
}

func bearer(token string) auth {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

var goodAuth = basicAuth(testUser, testPassword)

// get sends a GET to base+APIPath+path and returns the response with its body read.
func get(t *testing.T, ctx context.Context, base, path string, a auth) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+strings.TrimSuffix(APIPath, "/")+"/"+path, nil)
	require.NoError(t, err)
	if a != nil {
		a(req)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

// getJSON GETs path with good credentials, expects 200 and decodes the body generically.
func getJSON(t *testing.T, ctx context.Context, base, path string) any {
	t.Helper()
	resp, body := get(t, ctx, base, path, goodAuth)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var v any
	require.NoError(t, json.Unmarshal(body, &v))
	return v
}

// connectorStatus returns the first or second connector's status of an integration.
func connectorStatus(t *testing.T, ctx context.Context, base, key string, second bool) map[string]any {
	t.Helper()
	st := getJSON(t, ctx, base, "integrations/"+key+"/status").(map[string]any)
	field := "firstConnector"
	if second {
		field = "secondConnector"
	}
	return st[field].(map[string]any)
}

func readJSONFile(t *testing.T, name string) any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	var v any
	require.NoError(t, json.Unmarshal(data, &v))
	return v
}

// listTree lists every folder and file under dir with file sizes, for comparing trees.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			out = append(out, filepath.ToSlash(rel)+"/")
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("%s %d %x", filepath.ToSlash(rel), len(data), sha256.Sum256(data)))
		return nil
	})
	require.NoError(t, err)
	return out
}
