//go:build linux

package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/otlpsink"
)

// slot is one connector the driver drops messages into.
type slot struct{ integration, connector, project string }

// addIntegrations adds n centralized integrations to the simulator and returns their
// connectors.
func addIntegrations(sim *backbonesim.Sim, n int) ([]slot, error) {
	var slots []slot
	for i := range n {
		spec := backbonesim.IntegrationSpec{Key: fmt.Sprintf("BENCH-%d", i), Summary: fmt.Sprintf("Bench %d", i)}
		for _, side := range []string{"A", "B"} {
			project := fmt.Sprintf("B%d%s", i, side)
			c := backbonesim.ConnectorSpec{Key: fmt.Sprintf("%s-%d", project, 1000+len(slots)), ProjectKey: project}
			spec.Connectors = append(spec.Connectors, c)
			slots = append(slots, slot{integration: spec.Key, connector: c.Key, project: project})
		}
		if err := sim.AddIntegration(spec); err != nil {
			return nil, err
		}
	}
	return slots, nil
}

// put drops a new message into RECEIVE/error/<issue>/ or SEND/error/ of s and returns its
// path and the key of the record it must produce.
func (s slot) put(sim *backbonesim.Sim, rng *rand.Rand) (path, key string, err error) {
	folder, issue, event := backbonesim.FolderSendError, "", "backbone.message.send_error"
	if rng.IntN(2) == 0 {
		folder, issue, event = backbonesim.FolderError, fmt.Sprintf("%s-%d", s.project, 1+rng.IntN(20)), "backbone.message.error"
	}
	path, err = sim.PutMessage(s.integration, s.connector, folder, issue)
	return path, otlpsink.Key(event, path), err
}
