// Package wait holds the two waits of the drivers and tests that run the collector: a sleep
// that ends with its context, and a poll until a condition holds.
package wait

import (
	"context"
	"errors"
	"time"
)

// ErrTimeout is For's error when the condition did not hold in time.
var ErrTimeout = errors.New("timed out")

// poll is how often For checks its condition.
const poll = 100 * time.Millisecond

// Sleep waits d or until ctx ends; it tells whether the whole time passed.
func Sleep(ctx context.Context, d time.Duration) bool {
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

// For polls cond until it holds (nil), timeout passes (ErrTimeout) or ctx ends (its error).
func For(ctx context.Context, timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return ErrTimeout
		}
		if !Sleep(ctx, poll) {
			return ctx.Err()
		}
	}
	return nil
}
