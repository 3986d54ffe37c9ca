// Package packaging_test checks the package definition without building a package: the nfpm
// configuration names files that exist and gives them the right paths, types, modes and
// owners; the environment file documents every variable the default configuration reads; the
// systemd unit runs that configuration as the service user with its hardening. When
// BACKBONE_E2E_COLLECTOR names a built collector (make e2e sets it), that collector validates
// the default configuration. scripts/test-package.sh tests the built .deb on a machine.
package packaging_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/collectoryaml"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/e2eproc"
)

const (
	serviceUser = "otelcol-backbone"
	configDst   = "/etc/otelcol-backbone/config.yaml"
	envDst      = "/etc/otelcol-backbone/otelcol-backbone.conf"
	unitDst     = "/lib/systemd/system/otelcol-backbone.service"
	binaryDst   = "/usr/bin/otelcol-backbone"
	checkDst    = "/usr/bin/otelcol-backbone-statecheck"
)

type nfpmConfig struct {
	Name     string            `yaml:"name"`
	Version  string            `yaml:"version"`
	Contents []nfpmContent     `yaml:"contents"`
	Scripts  map[string]string `yaml:"scripts"`
	Deb      struct {
		Predepends []string `yaml:"predepends"`
	} `yaml:"deb"`
}

type nfpmContent struct {
	Src      string `yaml:"src"`
	Dst      string `yaml:"dst"`
	Type     string `yaml:"type"`
	Expand   bool   `yaml:"expand"`
	FileInfo struct {
		Mode  os.FileMode `yaml:"mode"`
		Owner string      `yaml:"owner"`
		Group string      `yaml:"group"`
	} `yaml:"file_info"`
}

// repoPath turns a path relative to the repository root (nfpm runs there) into one relative to
// this package's folder (go test runs here).
func repoPath(p string) string { return filepath.Join("..", filepath.FromSlash(p)) }

func loadNFPM(t *testing.T) nfpmConfig {
	t.Helper()
	raw, err := os.ReadFile("nfpm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg nfpmConfig
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("nfpm.yaml: %v", err)
	}
	return cfg
}

func TestNFPMContents(t *testing.T) {
	cfg := loadNFPM(t)
	if cfg.Name != "otelcol-backbone" {
		t.Errorf("package name %q", cfg.Name)
	}
	byDst := map[string]nfpmContent{}
	for _, c := range cfg.Contents {
		if _, dup := byDst[c.Dst]; dup {
			t.Errorf("%s is listed twice", c.Dst)
		}
		byDst[c.Dst] = c
		switch {
		case c.Type == "dir":
		case strings.Contains(c.Src, "${"):
			if !c.Expand {
				t.Errorf("%s: src %s has a variable but no expand: true", c.Dst, c.Src)
			}
		default:
			if _, err := os.Stat(repoPath(c.Src)); err != nil {
				t.Errorf("%s: src %s: %v", c.Dst, c.Src, err)
			}
		}
		if c.Type != "dir" && c.FileInfo.Mode == 0 {
			t.Errorf("%s has no mode", c.Dst)
		}
		if c.FileInfo.Owner != "root" {
			t.Errorf("%s is owned by %q, want root", c.Dst, c.FileInfo.Owner)
		}
	}
	want := []struct {
		dst, typ, group string
		mode            os.FileMode
	}{
		{binaryDst, "", "root", 0o755},
		{checkDst, "", "root", 0o755},
		{unitDst, "", "root", 0o644},
		{configDst, "config|noreplace", "root", 0o644},
		// Holds the secrets: the service's group may read it, nobody else.
		{envDst, "config|noreplace", serviceUser, 0o640},
	}
	for _, w := range want {
		c, ok := byDst[w.dst]
		if !ok {
			t.Errorf("the package does not install %s", w.dst)
			continue
		}
		if c.Type != w.typ {
			t.Errorf("%s: type %q, want %q", w.dst, c.Type, w.typ)
		}
		if c.FileInfo.Mode != w.mode || c.FileInfo.Group != w.group {
			t.Errorf("%s: mode %o group %s, want %o %s", w.dst, c.FileInfo.Mode, c.FileInfo.Group, w.mode, w.group)
		}
	}
	for _, hook := range []string{"preinstall", "postinstall", "preremove", "postremove"} {
		script, ok := cfg.Scripts[hook]
		if !ok {
			t.Errorf("no %s script", hook)
			continue
		}
		fi, err := os.Stat(repoPath(script))
		if err != nil {
			t.Errorf("%s: %v", hook, err)
			continue
		}
		if fi.Mode()&0o111 == 0 {
			t.Errorf("%s is not executable", script)
		}
	}
	if !slices.Contains(cfg.Deb.Predepends, "passwd") {
		t.Error("the .deb must pre-depend on passwd: its preinst runs useradd")
	}
}

// TestEnvironmentFileCoversConfig: every ${env:NAME} of the default configuration is named in
// the environment file, set or as a commented example, so that an administrator finds it.
func TestEnvironmentFileCoversConfig(t *testing.T) {
	config, err := os.ReadFile("config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	envFile, err := os.ReadFile("otelcol-backbone.conf")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	assignment := regexp.MustCompile(`^#?([A-Z][A-Z0-9_]*)=`)
	sc := bufio.NewScanner(strings.NewReader(string(envFile)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := assignment.FindStringSubmatch(line); m != nil {
			documented[m[1]] = true
		}
		if line != "" && !strings.HasPrefix(line, "#") {
			// systemd's EnvironmentFile= takes KEY=value; "export" or a bare word is an error.
			if !regexp.MustCompile(`^[A-Z][A-Z0-9_]*=`).MatchString(line) {
				t.Errorf("otelcol-backbone.conf: %q is not KEY=value", line)
			}
		}
	}
	refs := regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(string(config), -1)
	if len(refs) == 0 {
		t.Fatal("config.yaml reads no environment variable")
	}
	for _, r := range refs {
		if !documented[r[1]] {
			t.Errorf("config.yaml reads %s, which otelcol-backbone.conf does not mention", r[1])
		}
	}
	for _, name := range []string{"JIRA_URL", "JIRA_TOKEN", "JIRA_USERNAME", "JIRA_PASSWORD", "BACKBONE_DIRECTORY", "OTLP_ENDPOINT"} {
		if !documented[name] {
			t.Errorf("otelcol-backbone.conf does not mention %s", name)
		}
	}
}

func TestDefaultConfig(t *testing.T) {
	raw, err := os.ReadFile("config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := collectoryaml.Parse(raw)
	if err != nil {
		t.Fatalf("config.yaml: %v", err)
	}
	backbone, ok := cfg.Receivers["backbone"]
	if !ok {
		t.Fatal("config.yaml has no backbone receiver")
	}
	if backbone["storage"] != "file_storage" {
		t.Errorf("the backbone receiver's storage is %v, want file_storage", backbone["storage"])
	}
	for name, e := range cfg.Exporters {
		q, _ := e["sending_queue"].(map[string]any)
		if q["storage"] != "file_storage" {
			t.Errorf("exporter %s has no persistent sending queue (sending_queue.storage: file_storage)", name)
		}
	}
	if dir, _ := cfg.Extensions["file_storage"]["directory"].(string); !strings.Contains(dir, "/var/lib/otelcol-backbone") {
		t.Errorf("file_storage's directory %q is not the service's state directory", dir)
	}
	if ep, _ := cfg.Extensions["health_check"]["endpoint"].(string); !strings.Contains(ep, "127.0.0.1:") {
		t.Errorf("health_check listens on %q; the default is 127.0.0.1", ep)
	}
	for _, signal := range []string{"metrics", "logs"} {
		p := cfg.Service.Pipelines[signal]
		if !slices.Contains(p.Receivers, "backbone") {
			t.Errorf("the %s pipeline does not receive from backbone", signal)
		}
		if len(p.Processors) == 0 || p.Processors[0] != "memory_limiter" {
			t.Errorf("the %s pipeline's processors are %v; want memory_limiter first", signal, p.Processors)
		}
	}
	// No batch processor: in the logs pipeline it would acknowledge message events before they
	// are safe, and in both the exporter's sending queue already batches by size (the collector
	// warns of double batching).
	for _, signal := range []string{"metrics", "logs"} {
		if p := cfg.Service.Pipelines[signal].Processors; slices.Contains(p, "batch") {
			t.Errorf("the %s pipeline's processors are %v; want no batch processor", signal, p)
		}
	}
	for name, e := range cfg.Exporters {
		if r, _ := e["retry_on_failure"].(map[string]any); r == nil || fmt.Sprint(r["max_elapsed_time"]) != "0" {
			t.Errorf("exporter %s gives up after a time limit; want retry_on_failure.max_elapsed_time: 0", name)
		}
	}
}

func TestSystemdUnit(t *testing.T) {
	raw, err := os.ReadFile("otelcol-backbone.service")
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string][]string{}
	section := ""
	for l := range strings.SplitSeq(string(raw), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "["):
			section = l
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				t.Errorf("%s: %q is not Key=value", section, l)
				continue
			}
			lines[section+k] = append(lines[section+k], v)
		}
	}
	want := map[string]string{
		"[Service]User":            serviceUser,
		"[Service]Group":           serviceUser,
		"[Service]EnvironmentFile": envDst,
		"[Service]Restart":         "on-failure",
		"[Service]StateDirectory":  "otelcol-backbone",
		"[Service]ProtectSystem":   "strict",
		"[Service]ProtectHome":     "yes",
		"[Service]PrivateTmp":      "yes",
		"[Service]NoNewPrivileges": "yes",
		"[Install]WantedBy":        "multi-user.target",
	}
	for k, v := range want {
		if got := lines[k]; !slices.Contains(got, v) {
			t.Errorf("%s=%s missing (have %q)", k, v, got)
		}
	}
	execStart := lines["[Service]ExecStart"]
	if len(execStart) != 1 || !strings.HasPrefix(execStart[0], binaryDst+" ") || !strings.Contains(execStart[0], "--config="+configDst) {
		t.Errorf("ExecStart=%q must run %s --config=%s", execStart, binaryDst, configDst)
	}
	// Runs as the service's user, before every start (a "+" or "!" prefix would run it as root).
	if pre := lines["[Service]ExecStartPre"]; !slices.Contains(pre, checkDst) {
		t.Errorf("ExecStartPre=%q must run %s", pre, checkDst)
	}
	ro := lines["[Service]ReadOnlyPaths"]
	if len(ro) == 0 || !strings.HasSuffix(ro[0], "/data/backbone-issue-sync") {
		t.Errorf("ReadOnlyPaths=%q must name Backbone's tree", ro)
	}
	if len(lines["[Service]ReadWritePaths"]) > 0 {
		t.Error("ReadWritePaths= is set: the state directory is the only writable place")
	}
}

// TestDefaultConfigValidatesWithCollector runs `otelcol-backbone validate` on the default
// configuration with the environment an administrator sets.
func TestDefaultConfigValidatesWithCollector(t *testing.T) {
	collector := e2eproc.CollectorBinary(t)
	for _, env := range [][]string{
		{"JIRA_URL=https://jira.example.com", "JIRA_TOKEN=secret", "BACKBONE_DIRECTORY=/srv/jira/data/backbone-issue-sync", "OTLP_ENDPOINT=https://otlp.example.com:4318"},
		{"JIRA_URL=https://jira.example.com", "JIRA_USERNAME=monitor", "JIRA_PASSWORD=secret", `OTLP_HEADERS={"Authorization": "Bearer x"}`},
		{"BACKBONE_DIRECTORY=/srv/jira/data/backbone-issue-sync"},
	} {
		cmd := exec.Command(collector, "validate", "--config=config.yaml")
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("validate with %q: %v\n%s", env, err, out)
		}
	}
	// Without JIRA_URL and BACKBONE_DIRECTORY the receiver has nothing to read: the service
	// must refuse to start rather than run idle.
	cmd := exec.Command(collector, "validate", "--config=config.yaml")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("validate without JIRA_URL and BACKBONE_DIRECTORY succeeded:\n%s", out)
	}
}
