package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
)

// Paths of this repository's modules: the receiver, as a user's builder config names it, and
// the test harness its own tests use.
const (
	repoPath    = "github.com/otelcol-backbone/otelcol-backbone"
	modulePath  = repoPath + "/receiver/backbonereceiver"
	harnessPath = repoPath + "/internal/harness"
)

// Packages of this repository that the receiver may link; anything else of it in a user's
// build (simulator, soak driver, test helpers) is a leak through the import graph.
var componentPackages = []string{
	modulePath,
	modulePath + "/internal/metadata",
	modulePath + "/internal/backboneapi",
	modulePath + "/internal/msgtrack",
	modulePath + "/internal/queuetree",
	modulePath + "/internal/queuewatch",
	modulePath + "/internal/sharedcomponent",
}

// Modules only this repository's tests use. None may be reached from the receiver's packages;
// the last ones must not be linked at all (the others may be, for reasons of the collector's
// own: its exporterhelper imports testify, its telemetry otlptranslator, at v0.165).
var (
	testOnlyModules = append([]string{
		"github.com/stretchr/testify",
		"github.com/google/go-cmp",
		"github.com/prometheus/otlptranslator",
	}, neverLinkedModules...)
	neverLinkedModules = []string{
		"go.uber.org/goleak",
		"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden",
		"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest",
		"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage",
	}
)

// minimalBuilderConfig is what a user writes to add the receiver to their own distribution:
// one gomod line, next to the otlp and debug exporters. The replaces point the receiver and the
// harness its tests use at this checkout, as nothing here is published.
const minimalBuilderConfig = `dist:
  name: otelcol-minimal
  description: A user's own distribution with the backbone receiver
  version: 1.2.3
  module: example.com/otelcol-minimal
  output_path: %[1]s

receivers:
  - gomod: %[2]s v%[3]s

exporters:
  - gomod: go.opentelemetry.io/collector/exporter/debugexporter v0.165.0
  - gomod: go.opentelemetry.io/collector/exporter/otlpexporter v0.165.0

replaces:
  - %[2]s => %[4]s/receiver/backbonereceiver
  - %[5]s => %[4]s/internal/harness
`

// TestE2EComponentInOwnDistribution builds a second, minimal distribution with ocb from its
// own builder config, as a user would, lists what it links, and runs it on the simulator.
func TestE2EComponentInOwnDistribution(t *testing.T) {
	e2eproc.CollectorBinary(t) // the main build has filled the module and build caches
	t.Parallel()
	repo, err := filepath.Abs("..")
	require.NoError(t, err)
	tmp := t.TempDir()
	out := filepath.Join(tmp, "otelcol-minimal")
	cfgPath := filepath.Join(tmp, "builder-config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, minimalBuilderConfig, out, modulePath, distVersion(t), repo, harnessPath), 0o600))

	start := time.Now()
	build := exec.CommandContext(t.Context(), "go", "tool", "-modfile="+filepath.Join(repo, "tools", "go.mod"),
		"builder", "--config", cfgPath, "--skip-compilation=false")
	build.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	log, err := build.CombinedOutput()
	require.NoError(t, err, "ocb:\n%s", log)
	bin := filepath.Join(out, "otelcol-minimal")
	t.Logf("built %s in %s", bin, time.Since(start).Round(time.Second))

	t.Run("links only the component", func(t *testing.T) {
		mods, err := exec.Command("go", "version", "-m", bin).Output()
		require.NoError(t, err)
		t.Logf("modules linked into the minimal distribution:\n%s", mods)
		assert.Contains(t, string(mods), "\tdep\t"+modulePath+"\tv"+distVersion(t)+"\n\t=>\t"+repo+"/receiver/backbonereceiver")
		for _, m := range neverLinkedModules {
			assert.NotContains(t, string(mods), "\t"+m+"\t", "test-only module %s is linked", m)
		}
		deps := func(pattern string) []string {
			list := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{with .Module}}{{.Path}}{{end}}", pattern)
			list.Dir = out
			list.Env = append(os.Environ(), "GOTOOLCHAIN=local")
			pkgs, err := list.Output()
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				t.Fatalf("go list -deps %s: %v\n%s", pattern, err, exit.Stderr)
			}
			require.NoError(t, err)
			return strings.Split(strings.TrimSpace(string(pkgs)), "\n")
		}
		var ours []string
		for _, line := range deps(".") {
			if p, _, _ := strings.Cut(line, " "); strings.HasPrefix(p, repoPath+"/") {
				ours = append(ours, p)
			}
		}
		assert.ElementsMatch(t, componentPackages, ours, "packages of this module in the minimal distribution")
		for _, line := range deps(modulePath) {
			p, mod, _ := strings.Cut(line, " ")
			for _, m := range testOnlyModules {
				assert.NotEqual(t, m, mod, "the receiver reaches test-only module %s through %s", m, p)
			}
		}
	})

	t.Run("runs on the simulator", func(t *testing.T) {
		dir := filepath.Join(tmp, "backbone-issue-sync")
		_, base := newSim(t, dir, "")
		cfg := filepath.Join(tmp, "config.yaml")
		require.NoError(t, os.WriteFile(cfg, fmt.Appendf(nil, `receivers:
  backbone:
    endpoint: %q
    username: %q
    password: %q
    directory: %q
    collection_interval: 1s
    initial_delay: 0s
exporters:
  debug:
    verbosity: detailed
  otlp_grpc:
    endpoint: 127.0.0.1:%d
    tls: {insecure: true}
service:
  pipelines:
    metrics: {receivers: [backbone], exporters: [debug]}
    logs: {receivers: [backbone], exporters: [debug]}
  telemetry: {metrics: {level: none}}
`, base, simUser, simPassword, dir, e2eproc.FreePort(t)), 0o600))
		p := e2eproc.Start(t, t.Context(), "otelcol-minimal", bin, "--config", cfg)
		e2eproc.Eventually(t, p, 30*time.Second, "backbone metrics on the debug exporter", func() bool {
			o := p.Output()
			return strings.Contains(o, "backbone.api.up") && strings.Contains(o, "backbone.folder.messages") &&
				strings.Contains(o, "InstrumentationScope "+modulePath+" 1.2.3")
		})
	})
}
