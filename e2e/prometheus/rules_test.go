package prometheus

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// promtool checks the alerting rules and runs their unit tests (backbone-alerts.test.yaml),
// as scripts/promtest.sh does. Skips without promtool.
func TestPrometheusRulesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("no promtool on PATH: install Prometheus (apt-get install prometheus) to check the alerting rules")
	}
	dir := filepath.Join(repoRoot(t), "examples", "prometheus")
	for _, args := range [][]string{
		{"check", "rules", "backbone-alerts.yaml"},
		{"test", "rules", "backbone-alerts.test.yaml"},
	} {
		cmd := exec.CommandContext(t.Context(), promtool, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// Every rule has a severity the routing can rely on.
	src, err := os.ReadFile(filepath.Join(dir, "backbone-alerts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	severities := regexp.MustCompile(`(?m)^\s+severity:\s*(critical|warning)\s*$`).FindAllIndex(src, -1)
	if names := ruleNames(t); len(names) == 0 || len(severities) != len(names) {
		t.Errorf("%d rules, %d with severity critical or warning", len(names), len(severities))
	}
}
