package sharedcomponent

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
)

// counting records how often it was started and shut down.
type counting struct {
	starts, shutdowns int
}

func (c *counting) Start(context.Context, component.Host) error { c.starts++; return nil }
func (c *counting) Shutdown(context.Context) error              { c.shutdowns++; return nil }

func TestSharedByTwoUsers(t *testing.T) {
	m := NewMap[string, *counting]()
	created := 0
	create := func() (*counting, error) { created++; return &counting{}, nil }

	a, err := m.LoadOrStore("cfg", create)
	require.NoError(t, err)
	b, err := m.LoadOrStore("cfg", create)
	require.NoError(t, err)
	require.Same(t, a, b)
	assert.Equal(t, 1, created)

	host := componenttest.NewNopHost()
	require.NoError(t, a.Start(t.Context(), host))
	require.NoError(t, b.Start(t.Context(), host))
	assert.Equal(t, 1, a.Unwrap().starts, "started once")

	require.NoError(t, a.Shutdown(t.Context()))
	assert.Equal(t, 0, a.Unwrap().shutdowns, "the other user still runs")
	require.NoError(t, b.Shutdown(t.Context()))
	assert.Equal(t, 1, a.Unwrap().shutdowns, "the last user shuts it down")

	c, err := m.LoadOrStore("cfg", create)
	require.NoError(t, err)
	assert.NotSame(t, a, c, "a rebuilt pipeline gets a fresh instance")
	assert.Equal(t, 2, created)
}

func TestShutdownWithoutStart(t *testing.T) {
	m := NewMap[int, *counting]()
	c, err := m.LoadOrStore(1, func() (*counting, error) { return &counting{}, nil })
	require.NoError(t, err)
	require.NoError(t, c.Shutdown(t.Context()))
	assert.Equal(t, 1, c.Unwrap().shutdowns)
	assert.Equal(t, 0, c.Unwrap().starts)
}

func TestCreateFails(t *testing.T) {
	m := NewMap[int, *counting]()
	errCreate := errors.New("no")
	_, err := m.LoadOrStore(1, func() (*counting, error) { return nil, errCreate })
	require.ErrorIs(t, err, errCreate)
	c, err := m.LoadOrStore(1, func() (*counting, error) { return &counting{}, nil })
	require.NoError(t, err)
	assert.NotNil(t, c.Unwrap(), "a failed creation leaves nothing behind")
}
