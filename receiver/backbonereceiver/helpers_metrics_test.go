package backbonereceiver

import (
	"os"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver"
)

type receiverSettings = receiver.Settings

// compareGolden compares metrics with a golden file; UPDATE_GOLDEN=1 rewrites it. Values
// that depend on the clock or the test server's port are ignored.
func compareGolden(t *testing.T, path string, actual pmetric.Metrics) {
	t.Helper()
	if os.Getenv("UPDATE_GOLDEN") != "" {
		require.NoError(t, golden.WriteMetrics(t, path, actual))
	}
	expected, err := golden.ReadMetrics(path)
	require.NoError(t, err)
	require.NoError(t, pmetrictest.CompareMetrics(expected, actual,
		pmetrictest.IgnoreTimestamp(),
		pmetrictest.IgnoreStartTimestamp(),
		pmetrictest.IgnoreResourceAttributeValue("jira.base_url"),
		pmetrictest.IgnoreMetricValues("backbone.api.request.duration", "backbone.connector.uptime", "backbone.folder.oldest_message.age"),
		pmetrictest.IgnoreResourceMetricsOrder(),
		pmetrictest.IgnoreMetricsOrder(),
		pmetrictest.IgnoreMetricDataPointsOrder(),
		pmetrictest.IgnoreScopeVersion(),
	))
}
