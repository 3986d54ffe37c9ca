package backbonereceiver

import (
	"context"
	"errors"
	"time"
)

// errUnanswered is what a delivery reports when the next consumer had not answered by
// the time the loop stopped waiting.
var errUnanswered = errors.New("the next consumer has not answered yet")

// consumerCall is one call of a next consumer, run on a goroutine of its own so that the
// loop waits for the answer only until the next tick is due: a consumer that blocks holds
// up neither the other pipeline nor the next tick. A call cannot be taken back from a
// consumer that ignores its context, so the loop never starts another call of the same
// consumer while one is unanswered, and offers that pipeline nothing new meanwhile: the
// records of a logs request stay pending, and the answer, read at a later tick (or
// re-list), counts as if it had come in time, so that records are delivered only once
// accepted and never offered twice; the metrics of each interval are dropped. At shutdown
// an unanswered call is left to finish on its own; its records stay pending in the saved
// state.
type consumerCall struct {
	done chan struct{}
	err  error // the answer, once done is closed
}

// startCall calls consume with ctx on a goroutine of its own.
func startCall(ctx context.Context, consume func(context.Context) error) *consumerCall {
	c := &consumerCall{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.err = consume(ctx)
	}()
	return c
}

// wait waits for the answer until deadline or until ctx ends, and reports whether it came.
func (c *consumerCall) wait(ctx context.Context, deadline time.Time) bool {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-c.done:
		return true
	case <-ctx.Done():
	case <-t.C:
	}
	return c.answered()
}

// answered reports whether the answer came, without waiting.
func (c *consumerCall) answered() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}
