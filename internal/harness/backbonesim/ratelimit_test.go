package backbonesim

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRateLimit(t *testing.T) {
	s := newSim(t, Options{RateLimit: RateLimit{PerSecond: 0.5, Burst: 2}})
	base := serve(t, s)

	for i := range 2 {
		resp, _ := get(t, t.Context(), base, "integrations", goodAuth)
		require.Equal(t, http.StatusOK, resp.StatusCode, "request %d", i+1)
		assert.Equal(t, "2", resp.Header.Get("X-RateLimit-Limit"))
		assert.Equal(t, []string{"1", "0"}[i], resp.Header.Get("X-RateLimit-Remaining"))
	}
	resp, body := get(t, t.Context(), base, "integrations", goodAuth)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "2", resp.Header.Get("Retry-After"))
	assert.Equal(t, "2", resp.Header.Get("X-RateLimit-Limit"))
	assert.Equal(t, "0", resp.Header.Get("X-RateLimit-Remaining"))
	assert.Equal(t, "1", resp.Header.Get("X-RateLimit-FillRate"))
	assert.Equal(t, "2", resp.Header.Get("X-RateLimit-Interval-Seconds"))
	assert.Equal(t, contentTypeJSON, resp.Header.Get("Content-Type"))
	assert.Contains(t, string(body), "errorMessages")
	assert.Equal(t, 1, s.Stats().RateLimited)

	// Failed logins are refused before the bucket is touched.
	resp, _ = get(t, t.Context(), base, "integrations", basicAuth(testUser, "wrong"))
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestBucketRefills(t *testing.T) {
	start := time.Unix(0, 0)
	b := newBucket(RateLimit{PerSecond: 10, Burst: 1}, start)
	ok, _ := b.take(start)
	assert.True(t, ok)
	ok, wait := b.take(start)
	assert.False(t, ok)
	assert.Equal(t, 100*time.Millisecond, wait)
	assert.Equal(t, "1", retryAfterSeconds(wait))
	ok, _ = b.take(start.Add(100 * time.Millisecond))
	assert.True(t, ok)
	assert.Equal(t, 10, b.fill)
	assert.Equal(t, 1, b.interval)
}
