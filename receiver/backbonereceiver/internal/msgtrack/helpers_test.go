package msgtrack

import (
	"context"
	"fmt"
	"path"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// at is t0 plus i minutes: one scan per minute.
func at(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }

// msg builds the message of a file by its path, modified at t0.
func msg(p string) Message {
	return Message{
		Integration: "INT-1", Connector: "AP-1", ProjectKey: "AP",
		Folder: "error", Issue: "AP-7", Name: path.Base(p), Path: p,
		Size: 100, ModTime: t0,
	}
}

func msgs(paths ...string) []Message {
	out := make([]Message, 0, len(paths))
	for _, p := range paths {
		out = append(out, msg(p))
	}
	return out
}

// brief renders events as short lines, so that tables state the expected
// sequence at a glance.
func brief(evs []Event) []string {
	var out []string
	for _, ev := range evs {
		switch ev.Kind {
		case KindAppeared, KindResolved:
			out = append(out, fmt.Sprintf("%s %s", ev.Kind, ev.Message.Path))
		case KindStatusChanged:
			out = append(out, fmt.Sprintf("status %s %s->%s", ev.Integration, ev.PreviousState, ev.State))
		case KindOnlineChanged:
			out = append(out, fmt.Sprintf("online %s/%s %t", ev.Integration, ev.Connector, ev.Online))
		}
	}
	return out
}

// known returns the number of files t tracks in the watched folders.
func known(t *Tracker) int { return len(t.known) }

// memClient is contrib's in-memory storage client, counting what is written to it.
type memClient struct {
	*storagetest.TestClient
	writes  int // Set and Batch calls
	batches int // Batch calls
	bytes   int // of the values set
	fail    error
}

func newClient() *memClient {
	return &memClient{TestClient: storagetest.NewInMemoryClient(component.KindReceiver, component.MustNewID("backbone"), "")}
}

// valueClient returns a client holding data under StateKey, as an earlier
// version or a foreign writer left it.
func valueClient(t *testing.T, data string) *memClient {
	t.Helper()
	c := newClient()
	require.NoError(t, c.TestClient.Set(t.Context(), StateKey, []byte(data)))
	return c
}

func (c *memClient) Set(ctx context.Context, key string, value []byte) error {
	if c.fail != nil {
		return c.fail
	}
	c.writes++
	c.bytes += len(value)
	return c.TestClient.Set(ctx, key, value)
}

func (c *memClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	if c.fail != nil {
		return c.fail
	}
	c.writes++
	c.batches++
	for _, op := range ops {
		if op.Type == storage.Set {
			c.bytes += len(op.Value)
		}
	}
	return c.TestClient.Batch(ctx, ops...)
}

// stored returns the bytes the client holds, and the size of its largest value.
func (c *memClient) stored(t *testing.T) (bytes, largest int) {
	t.Helper()
	require.NoError(t, c.Walk(t.Context(), func(_ string, v []byte) ([]*storage.Operation, error) {
		bytes += len(v)
		largest = max(largest, len(v))
		return nil, nil
	}))
	return bytes, largest
}

// save saves tr to c.
func save(t *testing.T, c *memClient, tr *Tracker) {
	t.Helper()
	require.NoError(t, tr.Save(t.Context(), c))
}

// loaded returns a new tracker loaded from c, as after a restart.
func loaded(t *testing.T, c *memClient) *Tracker {
	t.Helper()
	tr := New(0)
	require.NoError(t, tr.Load(t.Context(), c))
	return tr
}
