package backboneapi

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Jira Data Center's rate limiting headers: a token bucket per user and node, of Limit
// tokens, refilled with FillRate tokens every Interval-Seconds.
const (
	headerRateLimit         = "X-RateLimit-Limit"
	headerRateRemaining     = "X-RateLimit-Remaining"
	headerRateFillRate      = "X-RateLimit-FillRate"
	headerRateIntervalSecs  = "X-RateLimit-Interval-Seconds"
	defaultRateIntervalSecs = 1
)

// pacer mirrors the token bucket Jira announces in its rate limiting headers, so that the
// client spends its tokens no faster than Jira refills them instead of running into 429s.
// Until Jira has sent the headers (rate limiting off) it never waits.
type pacer struct {
	mu       sync.Mutex
	inflight int // calls sent whose answer has not come: Jira may have counted them or not
	known    bool
	limit    float64 // bucket size
	rate     float64 // tokens per second
	tokens   float64 // negative while calls wait for tokens they reserved
	last     time.Time
}

// send counts a call on its way; done, called with its answer's headers (nil: none),
// takes the bucket's state from them.
func (p *pacer) send() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight++
}

func (p *pacer) done(h http.Header, now time.Time) {
	p.mu.Lock()
	p.inflight--
	p.mu.Unlock()
	if h != nil {
		p.observe(h, now)
	}
}

// observe takes the bucket's state from a response's headers, if it has them. The mirror
// never holds more tokens than Jira says remain less the calls still in flight, which
// may reach Jira after it answered this one.
func (p *pacer) observe(h http.Header, now time.Time) {
	limit, err1 := strconv.ParseFloat(h.Get(headerRateLimit), 64)
	remaining, err2 := strconv.ParseFloat(h.Get(headerRateRemaining), 64)
	fill, err3 := strconv.ParseFloat(h.Get(headerRateFillRate), 64)
	if err1 != nil || err2 != nil || err3 != nil || limit <= 0 || fill <= 0 {
		return
	}
	interval, err := strconv.ParseFloat(h.Get(headerRateIntervalSecs), 64)
	if err != nil || interval <= 0 {
		interval = defaultRateIntervalSecs
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refill(now)
	remaining -= float64(p.inflight)
	if !p.known {
		p.tokens = remaining
	}
	p.known, p.limit, p.rate = true, limit, fill/interval
	p.tokens = min(p.tokens, remaining, limit)
}

// refill adds the tokens Jira has added since the last look; callers hold p.mu.
func (p *pacer) refill(now time.Time) {
	if d := now.Sub(p.last).Seconds(); p.known && d > 0 {
		p.tokens = min(p.limit, p.tokens+d*p.rate)
	}
	p.last = now
}

// reserve takes a token and returns how long to wait before using it; ok is false, and
// nothing is taken, when that wait would end after deadline (zero: no deadline).
func (p *pacer) reserve(now, deadline time.Time) (wait time.Duration, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.known {
		return 0, true
	}
	p.refill(now)
	p.tokens--
	if p.tokens >= 0 {
		return 0, true
	}
	wait = time.Duration(-p.tokens / p.rate * float64(time.Second))
	if !deadline.IsZero() && now.Add(wait).After(deadline) {
		p.tokens++
		return 0, false
	}
	return wait, true
}

// remaining returns the tokens the client counts on, once Jira has sent its headers.
func (p *pacer) remaining(now time.Time) (tokens float64, known bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refill(now)
	return max(p.tokens, 0), p.known
}

// wait sleeps for d, or until ctx ends; it reports whether it slept the whole time.
func wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
