package wait

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSleep(t *testing.T) {
	assert.True(t, Sleep(t.Context(), time.Millisecond))
	assert.True(t, Sleep(t.Context(), 0))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start := time.Now()
	assert.False(t, Sleep(ctx, time.Minute))
	assert.Less(t, time.Since(start), time.Second)
	assert.False(t, Sleep(ctx, 0))
}

func TestFor(t *testing.T) {
	var n atomic.Int32
	assert.NoError(t, For(t.Context(), time.Minute, func() bool { return n.Add(1) == 3 }))
	assert.Equal(t, int32(3), n.Load())

	assert.ErrorIs(t, For(t.Context(), 50*time.Millisecond, func() bool { return false }), ErrTimeout)

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, For(ctx, time.Minute, func() bool { return false }), context.DeadlineExceeded)
}
