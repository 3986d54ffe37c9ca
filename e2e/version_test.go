package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
)

// distVersion reads dist.version from builder-config.yaml, the one place the version is set.
func distVersion(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("../scripts/version.sh").Output()
	require.NoError(t, err)
	v := strings.TrimSpace(string(out))
	require.Regexp(t, `^[0-9]+\.[0-9]+\.[0-9]+`, v)
	return v
}

// TestE2EVersionAgrees checks that the binary, the .deb package, the container image label
// and the receiver's scope version all carry dist.version of builder-config.yaml.
func TestE2EVersionAgrees(t *testing.T) {
	bin := e2eproc.CollectorBinary(t)
	t.Parallel()
	want := distVersion(t)

	out, err := exec.Command(bin, "--version").Output()
	require.NoError(t, err)
	assert.Equal(t, "otelcol-backbone version "+want, strings.TrimSpace(string(out)), "--version")

	dockerfile, err := os.ReadFile("../Dockerfile")
	require.NoError(t, err)
	assert.Contains(t, string(dockerfile), "\nARG VERSION="+want+"\n", "Dockerfile's image label")

	t.Run("deb package", func(t *testing.T) {
		outDir := t.TempDir()
		cmd := exec.Command("./scripts/package.sh", "deb")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "COLLECTOR="+bin, "OUT_DIR="+outDir)
		log, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", log)
		debs, err := filepath.Glob(filepath.Join(outDir, "*.deb"))
		require.NoError(t, err)
		require.Len(t, debs, 1)
		assert.Regexp(t, regexp.MustCompile(`/otelcol-backbone_`+regexp.QuoteMeta(want)+`-1_[a-z0-9]+\.deb$`), debs[0])

		cmd = exec.Command("./scripts/package.sh", "deb")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "COLLECTOR="+bin, "OUT_DIR="+outDir, "VERSION=9.9.9")
		log, err = cmd.CombinedOutput()
		assert.Error(t, err, "a VERSION other than the binary's must be refused")
		assert.Contains(t, string(log), "differs from the binary's version "+want)
	})

	t.Run("scope version", func(t *testing.T) {
		tmp := t.TempDir()
		dir := filepath.Join(tmp, "backbone-issue-sync")
		_, base := newSim(t, dir, "")
		metricsPath := filepath.Join(tmp, "metrics.jsonl")
		c := startCollector(t, writeConfig(t, collectorConfig{
			Endpoint: base, Username: simUser, Password: simPassword, Directory: dir,
			MetricsPath: metricsPath, LogsPath: filepath.Join(tmp, "logs.jsonl"),
		}))
		s := newMetricsOutput(metricsPath).waitScrapes(t, c, 1)
		require.NotEmpty(t, s.points)
		for _, p := range s.points {
			assert.Equal(t, want, p.Scope, "scope version of %s", series(p))
		}
	})
}

// TestBuilderConfigsAgree checks that the full distribution's builder config holds every
// module of the default one at the same version, and the same dist.version: the full build is
// the default build plus components, never a different release.
func TestBuilderConfigsAgree(t *testing.T) {
	type manifest struct {
		Dist struct {
			Version string `yaml:"version"`
		} `yaml:"dist"`
		Receivers, Processors, Exporters, Extensions, Providers []struct {
			GoMod string `yaml:"gomod"`
		}
		Replaces []string `yaml:"replaces"`
	}
	read := func(path string) (manifest, []string) {
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		var m manifest
		require.NoError(t, yaml.Unmarshal(raw, &m))
		var mods []string
		for _, list := range [][]struct {
			GoMod string `yaml:"gomod"`
		}{m.Receivers, m.Processors, m.Exporters, m.Extensions, m.Providers} {
			for _, c := range list {
				mods = append(mods, c.GoMod)
			}
		}
		return m, mods
	}
	def, defMods := read("../builder-config.yaml")
	full, fullMods := read("../builder-config-full.yaml")
	assert.Equal(t, distVersion(t), def.Dist.Version)
	assert.Equal(t, def.Dist.Version, full.Dist.Version, "dist.version")
	assert.Subset(t, fullMods, defMods, "builder-config-full.yaml must hold every module of builder-config.yaml, same versions")
	assert.Greater(t, len(fullMods), len(defMods))
	assert.Equal(t, def.Replaces, full.Replaces, "replaces")
}
