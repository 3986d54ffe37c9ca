package backboneapi

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func rateHeaders(limit, remaining, fill, interval string) http.Header {
	h := http.Header{}
	for k, v := range map[string]string{
		headerRateLimit: limit, headerRateRemaining: remaining, headerRateFillRate: fill, headerRateIntervalSecs: interval,
	} {
		if v != "" {
			h.Set(k, v)
		}
	}
	return h
}

func TestPacer(t *testing.T) {
	p := &pacer{}
	wait, ok := p.reserve(t0, time.Time{})
	assert.True(t, ok)
	assert.Zero(t, wait, "without Jira's headers the client does not pace")

	p.observe(rateHeaders("", "3", "5", "1"), t0)
	_, known := p.remaining(t0)
	assert.False(t, known, "a header missing: nothing learnt")

	// 2 tokens left of 10, 5 more every 2 s.
	p.observe(rateHeaders("10", "2", "5", "2"), t0)
	for range 2 {
		wait, ok = p.reserve(t0, time.Time{})
		assert.True(t, ok)
		assert.Zero(t, wait)
	}
	wait, ok = p.reserve(t0, time.Time{})
	assert.True(t, ok)
	assert.Equal(t, 400*time.Millisecond, wait, "the next token comes at 2.5 a second")
	wait, ok = p.reserve(t0, t0.Add(500*time.Millisecond))
	assert.False(t, ok, "the second next token comes after the deadline")
	assert.Zero(t, wait)
	wait, ok = p.reserve(t0, t0.Add(time.Second))
	assert.True(t, ok, "the deadline refused nothing was taken: this one waits its turn")
	assert.Equal(t, 800*time.Millisecond, wait)

	tokens, known := p.remaining(t0.Add(time.Minute))
	assert.True(t, known)
	assert.Equal(t, 10.0, tokens, "refilled up to the bucket's size")
	p.observe(rateHeaders("10", "4", "5", "2"), t0.Add(time.Minute))
	tokens, _ = p.remaining(t0.Add(time.Minute))
	assert.Equal(t, 4.0, tokens, "never more than Jira says remain")
	p.observe(rateHeaders("10", "9", "5", ""), t0.Add(time.Minute))
	tokens, _ = p.remaining(t0.Add(time.Minute))
	assert.Equal(t, 4.0, tokens, "nor more than the mirror counts on")
}
