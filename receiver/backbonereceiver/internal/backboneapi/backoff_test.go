package backboneapi

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// switchable answers with whichever handler is current and counts requests.
type switchable struct {
	mu       sync.Mutex
	h        http.Handler
	requests atomic.Int64
}

func (s *switchable) set(h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h = h
}

func (s *switchable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.mu.Lock()
	h := s.h
	s.mu.Unlock()
	h.ServeHTTP(w, r)
}

var authFailed = respond(http.StatusUnauthorized, "text/html", []byte("<html>login</html>"), headerLoginReason, "AUTHENTICATED_FAILED")

func TestAuthBackoffTimeline(t *testing.T) {
	sw := &switchable{h: authFailed}
	srv := serve(t, sw)
	c, clock := newTestClient(t, srv.Client(), srv.URL)

	type step struct {
		desc         string
		advance      time.Duration
		serve        http.Handler // nil keeps the current one
		wantRequests int64
		wantKind     ErrorKind
		wantSkipped  bool
		wantRetryAt  time.Duration // from t0; 0 means zero time
	}
	steps := []step{
		{desc: "first failure holds 30m", wantRequests: 1, wantKind: KindAuth, wantRetryAt: 30 * time.Minute},
		{desc: "skipped without request", advance: 10 * time.Minute, wantRequests: 1, wantKind: KindAuth, wantSkipped: true, wantRetryAt: 30 * time.Minute},
		{desc: "still skipped just before", advance: 20*time.Minute - time.Second, wantRequests: 1, wantKind: KindAuth, wantSkipped: true, wantRetryAt: 30 * time.Minute},
		{desc: "retry at RetryAt doubles to 1h", advance: time.Second, wantRequests: 2, wantKind: KindAuth, wantRetryAt: 90 * time.Minute},
		{desc: "skipped during 1h", advance: 59 * time.Minute, wantRequests: 2, wantKind: KindAuth, wantSkipped: true, wantRetryAt: 90 * time.Minute},
		{desc: "doubles to 2h", advance: time.Minute, wantRequests: 3, wantKind: KindAuth, wantRetryAt: 210 * time.Minute},
		{desc: "capped at 2h", advance: 2 * time.Hour, wantRequests: 4, wantKind: KindAuth, wantRetryAt: 330 * time.Minute},
		{desc: "success after the wait resets", advance: 2 * time.Hour, serve: jsonOK([]byte("[]")), wantRequests: 5},
		{desc: "next failure starts at 30m again", serve: authFailed, wantRequests: 6, wantKind: KindAuth, wantRetryAt: 360 * time.Minute},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		if s.serve != nil {
			sw.set(s.serve)
		}
		_, err := c.Integrations(t.Context(), "")
		assert.Equal(t, s.wantRequests, sw.requests.Load(), s.desc)
		assert.Equal(t, s.wantKind, KindOf(err), s.desc)
		if s.wantKind == "" {
			continue
		}
		var e *Error
		require.ErrorAs(t, err, &e, s.desc)
		assert.Equal(t, s.wantSkipped, e.Skipped, s.desc)
		assert.Equal(t, t0.Add(s.wantRetryAt), e.RetryAt, s.desc)
		if s.wantSkipped {
			// Every method is held back, not only the one that failed.
			_, err := c.IntegrationStatus(t.Context(), "INT-1")
			assert.Equal(t, s.wantRequests, sw.requests.Load(), s.desc)
			require.ErrorAs(t, err, &e, s.desc)
			assert.True(t, e.Skipped, s.desc)
			assert.Equal(t, `get status of integration "INT-1"`, e.Op, s.desc)
			assert.Contains(t, err.Error(), "skipped, no request sent before", s.desc)
			assert.Contains(t, err.Error(), "X-Seraph-LoginReason: AUTHENTICATED_FAILED", s.desc)
		}
	}
}

func TestAuthBackoffConfigured(t *testing.T) {
	sw := &switchable{h: authFailed}
	srv := serve(t, sw)
	c, clock := newTestClient(t, srv.Client(), srv.URL, func(c *Config) {
		c.AuthBackoff = Backoff{InitialInterval: time.Minute, MaxInterval: 3 * time.Minute}
	})
	var e *Error
	var waits []time.Duration
	for range 4 {
		_, err := c.Integrations(t.Context(), "")
		require.ErrorAs(t, err, &e)
		require.False(t, e.Skipped)
		waits = append(waits, e.RetryAt.Sub(clock.Now()))
		clock.Advance(e.RetryAt.Sub(clock.Now()))
	}
	assert.Equal(t, []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute, 3 * time.Minute}, waits)
}

func TestRateLimitHold(t *testing.T) {
	tests := []struct {
		desc       string
		retryAfter string // relative to the fake clock; "date+" adds 5m as an HTTP date
		wantHold   time.Duration
	}{
		{desc: "seconds", retryAfter: "120", wantHold: 2 * time.Minute},
		{desc: "HTTP date", retryAfter: "date+", wantHold: 5 * time.Minute},
		{desc: "capped at 1h", retryAfter: "86400", wantHold: time.Hour},
		{desc: "absent: no hold", retryAfter: ""},
		{desc: "garbage: no hold", retryAfter: "soon"},
		{desc: "date in the past: no hold", retryAfter: t0.Add(-time.Hour).Format(http.TimeFormat)},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			ra := tt.retryAfter
			if ra == "date+" {
				ra = t0.Add(5 * time.Minute).Format(http.TimeFormat)
			}
			var pairs []string
			if ra != "" {
				pairs = []string{"Retry-After", ra}
			}
			sw := &switchable{h: respond(http.StatusTooManyRequests, "application/json", nil, pairs...)}
			srv := serve(t, sw)
			c, clock := newTestClient(t, srv.Client(), srv.URL)

			_, err := c.Integrations(t.Context(), "")
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, KindRateLimited, e.Kind)
			if tt.wantHold == 0 {
				assert.True(t, e.RetryAt.IsZero())
				_, err = c.Integrations(t.Context(), "")
				assert.Equal(t, KindRateLimited, KindOf(err))
				assert.Equal(t, int64(2), sw.requests.Load(), "no hold: the next call reaches the server")
				return
			}
			assert.Equal(t, t0.Add(tt.wantHold), e.RetryAt)

			clock.Advance(tt.wantHold - time.Second)
			_, err = c.Integrations(t.Context(), "")
			require.ErrorAs(t, err, &e)
			assert.True(t, e.Skipped)
			assert.Equal(t, KindRateLimited, e.Kind)
			assert.Equal(t, int64(1), sw.requests.Load())

			clock.Advance(time.Second)
			sw.set(jsonOK([]byte("[]")))
			_, err = c.Integrations(t.Context(), "")
			require.NoError(t, err)
			assert.Equal(t, int64(2), sw.requests.Load())
		})
	}
}

func TestOtherErrorsDoNotHold(t *testing.T) {
	closed := serve(t, http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		desc    string
		handler http.Handler
		closed  bool
	}{
		{desc: "500", handler: respond(http.StatusInternalServerError, "", nil)},
		{desc: "404", handler: respond(http.StatusNotFound, "", nil)},
		{desc: "403", handler: respond(http.StatusForbidden, "application/json", nil)},
		{desc: "decode", handler: jsonOK([]byte("{"))},
		{desc: "connection", closed: true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			sw := &switchable{h: tt.handler}
			endpoint := closed.URL
			if !tt.closed {
				endpoint = serve(t, sw).URL
			}
			c, _ := newTestClient(t, &http.Client{}, endpoint)
			for range 3 {
				_, err := c.Integrations(t.Context(), "")
				var e *Error
				require.ErrorAs(t, err, &e)
				assert.False(t, e.Skipped)
				assert.True(t, e.RetryAt.IsZero())
			}
			if !tt.closed {
				assert.Equal(t, int64(3), sw.requests.Load())
			}
		})
	}
}

// Once the wait is over only one call tests the credentials; concurrent
// calls are skipped so they cannot add failed logins.
func TestOneProbeAfterAuthHold(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	sw := &switchable{h: authFailed}
	srv := serve(t, sw)
	c, clock := newTestClient(t, srv.Client(), srv.URL)

	_, err := c.Integrations(t.Context(), "")
	require.Equal(t, KindAuth, KindOf(err))
	clock.Advance(DefaultAuthBackoffInitial)

	sw.set(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		authFailed(w, r)
	}))
	done := make(chan error)
	go func() {
		_, err := c.Integrations(t.Context(), "")
		done <- err
	}()
	<-arrived
	_, err = c.IntegrationStatus(t.Context(), "INT-1")
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.True(t, e.Skipped)
	close(release)
	require.ErrorAs(t, <-done, &e)
	assert.False(t, e.Skipped)
	assert.Equal(t, clock.Now().Add(2*DefaultAuthBackoffInitial), e.RetryAt)
	assert.Equal(t, int64(2), sw.requests.Load())
}

// TestConcurrentCalls calls the client from many goroutines while the server starts
// rejecting the login and the clock jumps. It asserts nothing itself: it is there for the
// race detector (`make test` runs with -race), which fails it on unsynchronised backoff state.
func TestConcurrentCalls(t *testing.T) {
	sw := &switchable{h: jsonOK(fixture(t, "integrations.json"))}
	srv := serve(t, sw)
	c, clock := newTestClient(t, srv.Client(), srv.URL)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if i == 10 {
				sw.set(authFailed)
			}
			if i%3 == 0 {
				clock.Advance(time.Hour)
			}
			_, _ = c.Integrations(t.Context(), "")
			_, _ = c.IntegrationStatus(t.Context(), "INT-16")
		})
	}
	wg.Wait()
}
