// Package sharedcomponent lets one component instance serve several pipelines: the
// collector creates a receiver once per signal, but a receiver config used in a metrics and
// a logs pipeline must read its source once. It is the small equivalent of the collector
// contrib's internal package of the same name, which cannot be imported.
package sharedcomponent

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
)

// Map holds one shared component per key (a receiver's *Config).
type Map[K comparable, V component.Component] struct {
	mu         sync.Mutex
	components map[K]*Component[V]
}

// NewMap returns an empty Map.
func NewMap[K comparable, V component.Component]() *Map[K, V] {
	return &Map[K, V]{components: map[K]*Component[V]{}}
}

// LoadOrStore returns the component of key, creating it with create on first use. Each
// call adds a user: the component is started by the first Start and shut down by the
// Shutdown of its last user, which also removes it from the map, so that a rebuilt
// pipeline gets a fresh instance.
func (m *Map[K, V]) LoadOrStore(key K, create func() (V, error)) (*Component[V], error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.components[key]
	if !ok {
		v, err := create()
		if err != nil {
			return nil, err
		}
		c = &Component[V]{component: v}
		c.remove = func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			delete(m.components, key)
		}
		m.components[key] = c
	}
	c.mu.Lock()
	c.users++
	c.mu.Unlock()
	return c, nil
}

// Component is a component shared by several users, each of which calls Start and
// Shutdown once.
type Component[V component.Component] struct {
	component V
	remove    func()

	mu      sync.Mutex
	users   int
	started bool
}

// Unwrap returns the shared component.
func (c *Component[V]) Unwrap() V { return c.component }

// Start starts the component on its first call; later calls return nil.
func (c *Component[V]) Start(ctx context.Context, host component.Host) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return nil
	}
	c.started = true
	return c.component.Start(ctx, host)
}

// Shutdown drops one user; the last one shuts the component down, whether or not it was
// started.
func (c *Component[V]) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.users--
	if c.users > 0 {
		return nil
	}
	c.remove()
	return c.component.Shutdown(ctx)
}
