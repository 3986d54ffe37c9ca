package backboneapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
)

// counted counts the requests h answers.
func counted(h http.Handler) (http.Handler, *atomic.Int64) {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h.ServeHTTP(w, r)
	}), &n
}

func redirectTo(target string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusFound)
	}
}

// withTimeout is a tick's budget.
func withTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// A Jira behind SSO redirects an API call to the identity provider's login page, on
// another host or on Jira's own: the client follows neither, reports error.type
// redirect naming the host, and holds nothing back, since no password was tried.
func TestRedirectToLoginPage(t *testing.T) {
	idpHandler, idpCalls := counted(respond(http.StatusOK, "text/html", []byte("<html>Sign in</html>")))
	idp := serve(t, idpHandler)
	idpHost := strings.TrimPrefix(idp.URL, "http://")

	tests := []struct {
		desc       string
		jira       func(jiraURL string) http.Handler
		wantHost   func(jiraURL string) string
		wantLogin  bool
		loginCalls func() int64
	}{
		{
			desc: "another host's SAML login page",
			jira: func(string) http.Handler {
				return redirectTo(idp.URL + "/saml2/sso?SAMLRequest=fVLLbtswEPwV")
			},
			wantHost:  func(string) string { return idpHost },
			wantLogin: true,
		},
		{
			desc: "Jira's own login.jsp",
			jira: func(string) http.Handler {
				mux := http.NewServeMux()
				mux.HandleFunc("/jira/login.jsp", respond(http.StatusOK, "text/html", []byte("<html>Log in</html>")))
				mux.Handle("/", redirectTo("/jira/login.jsp?permissionViolation=true&os_destination=%2Fplugins"))
				return mux
			},
			wantHost:  func(jiraURL string) string { return strings.TrimPrefix(jiraURL, "http://") },
			wantLogin: true,
		},
		{
			desc: "another host, not a login page",
			jira: func(string) http.Handler {
				return redirectTo(idp.URL + "/jira/plugins/servlet/backbone-issue-sync/api/1/integrations")
			},
			wantHost: func(string) string { return idpHost },
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			idpCalls.Store(0)
			var jiraURL string
			jiraHandler, jiraCalls := counted(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tt.jira(jiraURL).ServeHTTP(w, r)
			}))
			jira := serve(t, jiraHandler)
			jiraURL = jira.URL
			c, clock := newTestClient(t, jira.Client(), jira.URL+"/jira")

			for range 3 {
				_, err := c.Integrations(t.Context(), "")
				e, ok := err.(*Error)
				require.True(t, ok, "%v", err)
				assert.Equal(t, KindRedirect, e.Kind)
				assert.Equal(t, http.StatusFound, e.StatusCode)
				assert.False(t, e.Skipped, "no password was tried: nothing to hold back")
				assert.True(t, e.RetryAt.IsZero(), "no lockout back-off")
				assert.Contains(t, e.Error(), tt.wantHost(jira.URL))
				assert.NotContains(t, e.Error(), "SAMLRequest", "the target's query is not repeated")
				assert.NotContains(t, e.Error(), "credentials were not accepted")
				if tt.wantLogin {
					assert.Contains(t, e.Error(), "login page at "+tt.wantHost(jira.URL))
					assert.Contains(t, e.Error(), "nosso")
				}
				clock.Advance(5 * time.Second)
			}
			assert.Equal(t, int64(3), jiraCalls.Load(), "one call per attempt, none held back")
			assert.Zero(t, idpCalls.Load(), "the redirect is not followed")
		})
	}
}

// A redirect within Jira's host to somewhere other than a login page (a context path
// moved) is followed.
func TestRedirectWithinJiraFollowed(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/old/", redirectTo("/jira/plugins/servlet/backbone-issue-sync/api/1/integrations"))
	mux.Handle("/jira/", jsonOK(fixture(t, "integrations.json")))
	srv := serve(t, mux)
	c, _ := newTestClient(t, srv.Client(), srv.URL+"/old")
	list, err := c.Integrations(t.Context(), "")
	require.NoError(t, err)
	assert.NotEmpty(t, list)
}

// An endpoint with a query (Atlassian's SSO bypass) keeps it on every call, beside the
// call's own query; a proxy's token in it is never printed.
func TestEndpointQueryOnEveryCall(t *testing.T) {
	var (
		mu      sync.Mutex
		queries []url.Values
	)
	sim, err := backbonesim.New(backbonesim.Options{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.Query())
		mu.Unlock()
		if !r.URL.Query().Has("nosso") || r.URL.Query().Get("token") != "p-123" {
			http.Redirect(w, r, "https://idp.example.com/login", http.StatusFound)
			return
		}
		sim.ServeHTTP(w, r)
	}))
	c := NewClient(srv.Client(), Config{
		Endpoint: srv.URL + "/?nosso&token=p-123",
		Username: backbonesim.DefaultUsername, Password: backbonesim.DefaultPassword,
	})
	all, err := c.Integrations(t.Context(), "")
	require.NoError(t, err)
	require.NotEmpty(t, all)
	ap, err := c.Integrations(t.Context(), "AP")
	require.NoError(t, err)
	assert.NotEmpty(t, ap)
	_, err = c.IntegrationStatus(t.Context(), all[0].IntegrationKey)
	require.NoError(t, err)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, queries, 3, "three calls, no retries")
	for _, q := range queries {
		assert.True(t, q.Has("nosso"))
		assert.Equal(t, "p-123", q.Get("token"))
	}
	assert.Equal(t, "AP", queries[1].Get("projectKey"))

	srv.Close()
	_, err = c.Integrations(t.Context(), "")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "p-123", "the endpoint's query may be a proxy's token")
}

// A Jira node restarting answers 503 with Retry-After, in seconds or as an HTTP date:
// the client sends nothing before then, waits for it when the tick's budget allows, and
// holds no lockout.
func TestServiceUnavailableRetryAfter(t *testing.T) {
	for _, form := range []string{"seconds", "HTTP date"} {
		t.Run(form, func(t *testing.T) {
			var restarting atomic.Bool
			restarting.Store(true)
			var c *Client
			var clock *fakeClock
			h, calls := counted(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if restarting.Load() {
					retry := "2"
					if form == "HTTP date" {
						retry = clock.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)
					}
					respond(http.StatusServiceUnavailable, "text/html", []byte("<html>Jira is starting up</html>"), "Retry-After", retry)(w, r)
					return
				}
				jsonOK(fixture(t, "integrations.json"))(w, r)
			}))
			srv := serve(t, h)
			c, clock = newTestClient(t, srv.Client(), srv.URL)

			_, err := c.Integrations(withTimeout(t, time.Second), "")
			e, ok := err.(*Error)
			require.True(t, ok, "%v", err)
			assert.Equal(t, KindServerError, e.Kind)
			assert.Equal(t, clock.Now().Add(2*time.Second), e.RetryAt)
			assert.Contains(t, e.Error(), "as Jira asked")

			// A tick whose budget ends before the Retry-After sends nothing.
			_, err = c.Integrations(withTimeout(t, time.Second), "")
			e, ok = err.(*Error)
			require.True(t, ok, "%v", err)
			assert.True(t, e.Skipped)
			assert.Equal(t, KindServerError, e.Kind)
			assert.Equal(t, int64(1), calls.Load())

			// One whose budget reaches past it waits, then calls.
			restarting.Store(false)
			start := time.Now()
			list, err := c.Integrations(withTimeout(t, 5*time.Second), "")
			require.NoError(t, err)
			assert.NotEmpty(t, list)
			assert.GreaterOrEqual(t, time.Since(start), 1500*time.Millisecond)
			assert.Equal(t, int64(2), calls.Load())
		})
	}
}

// With Jira's rate limiting on, the client paces its calls to the token bucket that
// X-RateLimit-* describe: a burst beyond the bucket waits for tokens instead of running
// into 429s, and a call whose token would come after the budget is not sent.
func TestPacedToJiraRateLimit(t *testing.T) {
	sim, err := backbonesim.New(backbonesim.Options{Dir: t.TempDir(), RateLimit: backbonesim.RateLimit{PerSecond: 10, Burst: 5}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	srv := serve(t, sim)
	c := NewClient(srv.Client(), Config{Endpoint: srv.URL, Username: backbonesim.DefaultUsername, Password: backbonesim.DefaultPassword})

	_, known := c.RateLimitRemaining()
	assert.False(t, known, "nothing known before Jira's first answer")
	ctx := withTimeout(t, 10*time.Second)
	start := time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				_, err := c.Integrations(ctx, "")
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	// 20 calls from a bucket of 5 refilled at 10/s: at least 1.5 s.
	assert.GreaterOrEqual(t, time.Since(start), 1400*time.Millisecond)
	st := sim.Stats()
	assert.Equal(t, 20, st.Requests)
	assert.Zero(t, st.RateLimited, "no 429")
	tokens, known := c.RateLimitRemaining()
	assert.True(t, known)
	assert.Less(t, tokens, 5.0)

	// A budget too short for the next token: the call is not sent.
	slow, err := backbonesim.New(backbonesim.Options{Dir: t.TempDir(), RateLimit: backbonesim.RateLimit{PerSecond: 0.5, Burst: 1}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = slow.Close() })
	srv = serve(t, slow)
	c = NewClient(srv.Client(), Config{Endpoint: srv.URL, Username: backbonesim.DefaultUsername, Password: backbonesim.DefaultPassword})
	_, err = c.Integrations(t.Context(), "")
	require.NoError(t, err)
	_, err = c.Integrations(withTimeout(t, 500*time.Millisecond), "")
	e, ok := err.(*Error)
	require.True(t, ok, "%v", err)
	assert.Equal(t, KindRateLimited, e.Kind)
	assert.True(t, e.Skipped)
	assert.Equal(t, 1, slow.Stats().Requests, "the second call was not sent")
	assert.Zero(t, slow.Stats().RateLimited)
}
