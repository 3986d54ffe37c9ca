package queuewatch

import (
	"hash/fnv"
	"time"

	"go.uber.org/zap"
)

// DefaultReconcileEvery is how often each counted folder is listed again to prove that
// its kept count and a listing agree. Each folder's first reconciliation falls at a point
// of its own within one period, so that the listings of many archives spread out.
const DefaultReconcileEvery = 10 * time.Minute

// CounterOptions configure a Counter.
type CounterOptions struct {
	Logger *zap.Logger
	// ReconcileEvery overrides DefaultReconcileEvery; for tests.
	ReconcileEvery time.Duration
}

// offset spreads the reconciliations of folders across one period, by path.
func offset(path string, every time.Duration) time.Duration {
	h := fnv.New64a()
	_, _ = h.Write([]byte(path))
	return time.Duration(h.Sum64() % uint64(every))
}
