package backbonesim

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// bucket is the token bucket behind Jira DC's REST rate limiting.
type bucket struct {
	rate     float64 // tokens per second
	burst    float64
	tokens   float64
	last     time.Time
	fill     int // X-RateLimit-FillRate: tokens added per interval
	interval int // X-RateLimit-Interval-Seconds
}

func newBucket(rl RateLimit, now time.Time) *bucket {
	b := &bucket{rate: rl.PerSecond, burst: float64(rl.Burst), tokens: float64(rl.Burst), last: now}
	// Jira states the rate as whole tokens per whole seconds.
	if rl.PerSecond >= 1 {
		b.fill, b.interval = int(math.Round(rl.PerSecond)), 1
	} else {
		b.fill, b.interval = 1, int(math.Round(1/rl.PerSecond))
	}
	return b
}

// take spends a token if there is one; otherwise it says how long until there is.
func (b *bucket) take(now time.Time) (ok bool, retryAfter time.Duration) {
	if d := now.Sub(b.last).Seconds(); d > 0 {
		b.tokens = min(b.burst, b.tokens+d*b.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// setHeaders adds the X-RateLimit-* headers Jira sends while rate limiting is on.
func (b *bucket) setHeaders(h http.Header) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(int(b.burst)))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(int(math.Floor(b.tokens))))
	h.Set("X-RateLimit-FillRate", strconv.Itoa(b.fill))
	h.Set("X-RateLimit-Interval-Seconds", strconv.Itoa(b.interval))
}

// retryAfterSeconds rounds up, so that a client waiting that long finds a token.
func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}
