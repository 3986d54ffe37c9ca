package backboneapi

import (
	"sync"
	"time"
)

// Jira asks for a CAPTCHA after 3 failed logins by default, and from then on
// every API call with that account fails until someone logs in by browser; if
// it is also Backbone's sync user, synchronization stops. Starting at 30 minutes
// and doubling keeps a wrong password at no more than 2 attempts per hour.
const (
	DefaultAuthBackoffInitial = 30 * time.Minute
	DefaultAuthBackoffMax     = 2 * time.Hour
	// MaxRetryAfter caps Jira's Retry-After so a bad header cannot silence the client for long.
	MaxRetryAfter = time.Hour
)

// Backoff is the waiting time after authentication failures: InitialInterval
// after the first, doubling on each further one up to MaxInterval.
type Backoff struct {
	InitialInterval time.Duration
	MaxInterval     time.Duration
}

// holdback decides whether a call may reach the server. After an auth failure
// only one call at a time probes the server once the wait is over, so
// concurrent callers cannot add failed logins.
type holdback struct {
	cfg Backoff

	mu       sync.Mutex
	failures int           // consecutive auth failures
	interval time.Duration // wait after the last auth failure
	until    time.Time     // no request before this
	last     *Error        // the failure that caused the hold
	probing  bool          // a call is testing the credentials again
}

// admit returns a skipped copy of the last error while holding back; probe is
// true when the admitted call is the one testing the credentials again. A wait
// Jira asked for (429 or 503 with Retry-After) that ends within budget is returned
// as hold instead: the call goes out after it. A negative budget (no deadline)
// waits for nothing.
func (h *holdback) admit(now time.Time, op string, budget time.Duration) (probe bool, hold time.Duration, skipped *Error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last != nil && (now.Before(h.until) || h.probing) {
		if d := h.until.Sub(now); h.last.Kind != KindAuth && !h.probing && d <= budget {
			return false, d, nil
		}
		e := *h.last
		e.Op, e.Skipped, e.RetryAt = op, true, h.until
		return false, 0, &e
	}
	if h.failures > 0 {
		h.probing = true
		return true, 0, nil
	}
	return false, 0, nil
}

// record updates the state with the outcome of an admitted call. accepted
// means the server answered with JSON, so the credentials work. It sets
// err.RetryAt for auth failures.
func (h *holdback) record(now time.Time, probe, accepted bool, err *Error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if probe {
		h.probing = false
	}
	switch {
	case err != nil && err.Kind == KindAuth:
		h.failures++
		switch {
		case h.failures == 1:
			h.interval = h.cfg.InitialInterval
		case h.interval > h.cfg.MaxInterval/2:
			h.interval = h.cfg.MaxInterval
		default:
			h.interval *= 2
		}
		h.until = now.Add(h.interval)
		err.RetryAt = h.until
		h.hold(err)
	case err != nil && !err.RetryAt.IsZero(): // 429 or 503 with Retry-After
		if err.RetryAt.After(h.until) {
			h.until = err.RetryAt
		}
		h.hold(err)
	case accepted:
		h.failures, h.interval, h.until, h.last = 0, 0, time.Time{}, nil
	}
}

func (h *holdback) hold(err *Error) {
	e := *err
	h.last = &e
}
