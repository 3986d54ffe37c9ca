//go:build linux

package main

import (
	"context"
	"fmt"
	"time"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/otlpsink"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/wait"
)

// waitArrival waits for the record of key at the sink and returns how long after since it arrived.
func waitArrival(ctx context.Context, s *otlpsink.Sink, key string, since time.Time, timeout time.Duration) (time.Duration, error) {
	var at time.Time
	err := wait.For(ctx, timeout, func() bool {
		var n int
		at, n = s.Arrival(key)
		return n > 0
	})
	if err != nil {
		return 0, fmt.Errorf("record %s: %w", key, err)
	}
	return at.Sub(since), nil
}
