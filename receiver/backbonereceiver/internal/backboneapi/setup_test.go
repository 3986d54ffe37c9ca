package backboneapi

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// t0 is the fake clock's start; RetryAt values in messages are derived from it.
var t0 = time.Date(2030, 1, 2, 12, 0, 0, 0, time.UTC)

const (
	testPassword = "s3cr3t-Passw0rd"
	testToken    = "tok-ABCDEF0123456789"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "testdata", "api", name))
	require.NoError(t, err)
	return b
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// noContentType makes respond send no Content-Type header at all.
const noContentType = "none"

// respond answers with a fixed status, content type, body and header pairs.
func respond(code int, contentType string, body []byte, headerPairs ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headerPairs); i += 2 {
			w.Header().Add(headerPairs[i], headerPairs[i+1])
		}
		switch contentType {
		case "":
		case noContentType:
			w.Header()["Content-Type"] = nil // stops net/http from sniffing one
		default:
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(code)
		_, _ = w.Write(body)
	}
}

func jsonOK(body []byte) http.HandlerFunc {
	return respond(http.StatusOK, "application/json;charset=UTF-8", body)
}

func serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// newTestClient returns a client with Basic credentials and a fake clock.
func newTestClient(t testing.TB, httpClient *http.Client, endpoint string, edit ...func(*Config)) (*Client, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	cfg := Config{
		Endpoint: endpoint, Username: "monitor", Password: testPassword, Now: clock.Now,
		AuthBackoff: Backoff{InitialInterval: DefaultAuthBackoffInitial, MaxInterval: DefaultAuthBackoffMax},
	}
	for _, e := range edit {
		e(&cfg)
	}
	return NewClient(httpClient, cfg), clock
}
