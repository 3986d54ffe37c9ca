package backboneapi

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder keeps the requests a test server received.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
	body []byte
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Clone(req.Context()))
	body := r.body
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func (r *recorder) last(t *testing.T) *http.Request {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.reqs)
	return r.reqs[len(r.reqs)-1]
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

func TestRequestPaths(t *testing.T) {
	tests := []struct {
		desc       string
		path       string // appended to the server URL as endpoint
		projectKey string
		statusKey  string
		wantPath   string // escaped
		wantQuery  string // raw
	}{
		{desc: "root", wantPath: "/" + APIPath + "integrations"},
		{desc: "root with slash", path: "/", wantPath: "/" + APIPath + "integrations"},
		{desc: "context path", path: "/jira2", wantPath: "/jira2/" + APIPath + "integrations"},
		{desc: "context path with slash", path: "/jira2/", wantPath: "/jira2/" + APIPath + "integrations"},
		{desc: "context path with slashes", path: "/jira2//", wantPath: "/jira2/" + APIPath + "integrations"},
		{desc: "escaped context path", path: "/my%20jira", wantPath: "/my%20jira/" + APIPath + "integrations"},
		{desc: "project key", projectKey: "AP", wantPath: "/" + APIPath + "integrations", wantQuery: "projectKey=AP"},
		{desc: "project key escaped", projectKey: "A&B =?#", wantPath: "/" + APIPath + "integrations", wantQuery: "projectKey=A%26B+%3D%3F%23"},
		{desc: "status", path: "/jira", statusKey: "INT-16", wantPath: "/jira/" + APIPath + "integrations/INT-16/status"},
		{desc: "status key escaped", statusKey: "INT/1 ?", wantPath: "/" + APIPath + "integrations/INT%2F1%20%3F/status"},
		{desc: "status key dot-dot", statusKey: "..", wantPath: "/" + APIPath + "integrations/%2E%2E/status"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			rec := &recorder{body: []byte("[]")}
			if tt.statusKey != "" {
				rec.body = []byte(`{"status":"RUNNING"}`)
			}
			srv := serve(t, rec)
			c, _ := newTestClient(t, srv.Client(), srv.URL+tt.path)
			var err error
			if tt.statusKey != "" {
				_, err = c.IntegrationStatus(t.Context(), tt.statusKey)
			} else {
				_, err = c.Integrations(t.Context(), tt.projectKey)
			}
			require.NoError(t, err)
			req := rec.last(t)
			assert.Equal(t, tt.wantPath, req.URL.EscapedPath())
			assert.Equal(t, tt.wantQuery, req.URL.RawQuery)
			if tt.projectKey != "" {
				assert.Equal(t, tt.projectKey, req.URL.Query().Get("projectKey"))
			}
		})
	}
}

func TestRequestHeaders(t *testing.T) {
	tests := []struct {
		desc     string
		endpoint func(srvURL string) string
		edit     func(*Config)
		wantAuth func(t *testing.T, r *http.Request)
	}{
		{
			desc: "basic",
			wantAuth: func(t *testing.T, r *http.Request) {
				user, pass, ok := r.BasicAuth()
				assert.True(t, ok)
				assert.Equal(t, "monitor", user)
				assert.Equal(t, testPassword, pass)
			},
		},
		{
			desc: "bearer",
			edit: func(c *Config) { c.Username, c.Password, c.Token = "", "", testToken },
			wantAuth: func(t *testing.T, r *http.Request) {
				assert.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"))
			},
		},
		{
			desc: "none, left to the http client",
			edit: func(c *Config) { c.Username, c.Password = "", "" },
			wantAuth: func(t *testing.T, r *http.Request) {
				assert.Empty(t, r.Header.Values("Authorization"))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			rec := &recorder{body: []byte("[]")}
			srv := serve(t, rec)
			endpoint := srv.URL
			if tt.endpoint != nil {
				endpoint = tt.endpoint(srv.URL)
			}
			var edits []func(*Config)
			if tt.edit != nil {
				edits = append(edits, tt.edit)
			}
			c, _ := newTestClient(t, srv.Client(), endpoint, edits...)
			_, err := c.Integrations(t.Context(), "")
			require.NoError(t, err)
			req := rec.last(t)
			assert.Equal(t, http.MethodGet, req.Method)
			assert.Equal(t, "application/json", req.Header.Get("Accept"))
			assert.Equal(t, "no-check", req.Header.Get("X-Atlassian-Token"))
			tt.wantAuth(t, req)
		})
	}
}

// Unread bodies must be drained so keep-alive connections are reused.
func TestBodiesDrainedAndConnectionsReused(t *testing.T) {
	var mu sync.Mutex
	conns := map[string]bool{}
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
		respond(http.StatusInternalServerError, "text/html", []byte(strings.Repeat("<p>oops</p>", 500)))(w, r)
	}))
	c, _ := newTestClient(t, srv.Client(), srv.URL)
	for range 5 {
		_, err := c.Integrations(t.Context(), "")
		require.Equal(t, KindServerError, KindOf(err))
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, conns, 1)
}

func TestEmptyIntegrationKey(t *testing.T) {
	rec := &recorder{}
	srv := serve(t, rec)
	c, _ := newTestClient(t, srv.Client(), srv.URL)
	_, err := c.IntegrationStatus(t.Context(), "")
	assert.Equal(t, KindNotFound, KindOf(err))
	assert.Zero(t, rec.count())
}
