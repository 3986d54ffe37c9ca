package backbonereceiver

import (
	"maps"
	"slices"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/backboneapi"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/queuetree"
)

// integrationGroup joins what the API and the folder tree know of one integration: the
// connector folder's name is the API's connectorKey. Either side may be missing.
type integrationGroup struct {
	key     string
	api     *backboneapi.Integration
	folders []*queuetree.Connector
}

// groupByIntegration returns the integrations of a snapshot sorted by key.
func groupByIntegration(snap *snapshot) []*integrationGroup {
	groups := map[string]*integrationGroup{}
	get := func(key string) *integrationGroup {
		g, ok := groups[key]
		if !ok {
			g = &integrationGroup{key: key}
			groups[key] = g
		}
		return g
	}
	if snap.api != nil {
		for i := range snap.api.integrations {
			it := &snap.api.integrations[i]
			get(it.IntegrationKey).api = it
		}
	}
	if snap.tree != nil {
		for i := range snap.tree.Connectors {
			c := &snap.tree.Connectors[i]
			g := get(c.IntegrationKey)
			g.folders = append(g.folders, c)
		}
	}
	out := make([]*integrationGroup, 0, len(groups))
	for _, key := range slices.Sorted(maps.Keys(groups)) {
		out = append(out, groups[key])
	}
	return out
}
