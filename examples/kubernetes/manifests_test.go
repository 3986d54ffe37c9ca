// Package kubernetes_test checks the Kubernetes example: every manifest parses, has the fields
// the API server requires, and the Deployment keeps the rules of a Backbone collector next to
// Jira Data Center (two replicas of which a Lease keeps one active, with the Lease's RBAC and
// nothing more; the shared home read-only, the token from a Secret, a non-root read-only
// container). The collector configuration in the ConfigMap must be valid YAML with the
// backbone receiver reading the mounted tree under the leader elector; when
// BACKBONE_E2E_COLLECTOR_FULL names a built full collector (make e2e sets it), that collector
// validates the configuration too.
package kubernetes_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/collectoryaml"
)

// The parts of the Kubernetes objects this test reads.
type object struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   metadata          `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	Spec       yaml.Node         `yaml:"spec"`
	// Of a Role and a RoleBinding.
	Rules    []policyRule `yaml:"rules"`
	RoleRef  roleRef      `yaml:"roleRef"`
	Subjects []subject    `yaml:"subjects"`

	file string
}

type metadata struct {
	Name      string            `yaml:"name"`
	Namespace string            `yaml:"namespace"`
	Labels    map[string]string `yaml:"labels"`
}

type policyRule struct {
	APIGroups []string `yaml:"apiGroups"`
	Resources []string `yaml:"resources"`
	Verbs     []string `yaml:"verbs"`
}

type roleRef struct {
	APIGroup string `yaml:"apiGroup"`
	Kind     string `yaml:"kind"`
	Name     string `yaml:"name"`
}

type subject struct {
	Kind string `yaml:"kind"`
	Name string `yaml:"name"`
}

type deploymentSpec struct {
	Replicas *int `yaml:"replicas"`
	Strategy struct {
		Type string `yaml:"type"`
	} `yaml:"strategy"`
	Selector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	} `yaml:"selector"`
	Template struct {
		Metadata metadata `yaml:"metadata"`
		Spec     podSpec  `yaml:"spec"`
	} `yaml:"template"`
}

type podSpec struct {
	ServiceAccountName           string `yaml:"serviceAccountName"`
	AutomountServiceAccountToken *bool  `yaml:"automountServiceAccountToken"`
	SecurityContext              struct {
		RunAsNonRoot *bool  `yaml:"runAsNonRoot"`
		RunAsUser    *int64 `yaml:"runAsUser"`
		FSGroup      *int64 `yaml:"fsGroup"`
	} `yaml:"securityContext"`
	Containers []container `yaml:"containers"`
	Volumes    []volume    `yaml:"volumes"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Env   []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
			FieldRef *struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	Resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		SubPath   string `yaml:"subPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

type volume struct {
	Name      string `yaml:"name"`
	ConfigMap *struct {
		Name string `yaml:"name"`
	} `yaml:"configMap"`
	PersistentVolumeClaim *struct {
		ClaimName string `yaml:"claimName"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"persistentVolumeClaim"`
	EmptyDir *yaml.Node `yaml:"emptyDir"`
}

const (
	sharedHomeClaim = "jira-shared-home"
	treeSubPath     = "data/backbone-issue-sync"
	configKey       = "config.yaml"
)

// loadManifests parses every YAML document of every .yaml file in this folder.
func loadManifests(t *testing.T) []object {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yml, err := filepath.Glob("*.yml")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, yml...)
	if len(files) == 0 {
		t.Fatal("no manifests (*.yaml) found")
	}
	var objects []object
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for i := 0; ; i++ {
			var doc yaml.Node
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: document %d is not valid YAML: %v", file, i+1, err)
			}
			if len(doc.Content) == 0 {
				continue // an empty document between two "---"
			}
			var obj object
			if err := doc.Decode(&obj); err != nil {
				t.Fatalf("%s: document %d: %v", file, i+1, err)
			}
			obj.file = file
			objects = append(objects, obj)
		}
	}
	return objects
}

func TestManifestsHaveRequiredFields(t *testing.T) {
	names := map[string]string{}
	for _, obj := range loadManifests(t) {
		where := obj.file + ": " + obj.Kind + " " + obj.Metadata.Name
		if obj.APIVersion == "" {
			t.Errorf("%s: apiVersion is missing", where)
		}
		if obj.Kind == "" {
			t.Errorf("%s: kind is missing", where)
		}
		if obj.Metadata.Name == "" {
			t.Errorf("%s: metadata.name is missing", where)
		}
		if obj.Metadata.Namespace != "" {
			t.Errorf("%s: sets metadata.namespace %q; the example is applied with kubectl -n <Jira's namespace>", where, obj.Metadata.Namespace)
		}
		key := obj.APIVersion + "/" + obj.Kind + "/" + obj.Metadata.Name
		if other, dup := names[key]; dup {
			t.Errorf("%s: %s is defined in %s too", where, key, other)
		}
		names[key] = obj.file
		switch obj.Kind {
		case "DaemonSet", "StatefulSet", "ReplicaSet", "Pod":
			t.Errorf("%s: the tree must be scanned by exactly one collector: use the Deployment whose replicas elect a leader, not a %s", where, obj.Kind)
		}
	}
}

// example is the parsed example: its Deployment, the collector container, the ConfigMap and
// the RBAC objects by kind and name.
type example struct {
	deployment deploymentSpec
	container  container
	configMaps map[string]object
	claims     map[string]object
	rbac       map[string]object // "Kind/name"
}

func loadExample(t *testing.T) example {
	t.Helper()
	ex := example{configMaps: map[string]object{}, claims: map[string]object{}, rbac: map[string]object{}}
	deployments := 0
	for _, obj := range loadManifests(t) {
		switch obj.Kind {
		case "Deployment":
			deployments++
			if err := obj.Spec.Decode(&ex.deployment); err != nil {
				t.Fatalf("%s: Deployment spec: %v", obj.file, err)
			}
		case "ConfigMap":
			ex.configMaps[obj.Metadata.Name] = obj
		case "PersistentVolumeClaim":
			ex.claims[obj.Metadata.Name] = obj
		case "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding":
			ex.rbac[obj.Kind+"/"+obj.Metadata.Name] = obj
		}
	}
	if deployments != 1 {
		t.Fatalf("want exactly one Deployment, found %d", deployments)
	}
	containers := ex.deployment.Template.Spec.Containers
	if len(containers) != 1 {
		t.Fatalf("want one container in the Deployment, found %d", len(containers))
	}
	ex.container = containers[0]
	return ex
}

func (ex example) volume(name string) (volume, bool) {
	i := slices.IndexFunc(ex.deployment.Template.Spec.Volumes, func(v volume) bool { return v.Name == name })
	if i < 0 {
		return volume{}, false
	}
	return ex.deployment.Template.Spec.Volumes[i], true
}

// mountOf returns the container's mount of the volume that satisfies match.
func (ex example) mountOf(t *testing.T, what string, match func(volume) bool) (mountPath, subPath string, readOnly bool) {
	t.Helper()
	for _, m := range ex.container.VolumeMounts {
		if v, ok := ex.volume(m.Name); ok && match(v) {
			return m.MountPath, m.SubPath, m.ReadOnly
		}
	}
	t.Fatalf("the container mounts no %s", what)
	return "", "", false
}

func TestDeploymentIsOneReadOnlyScanner(t *testing.T) {
	ex := loadExample(t)
	d := ex.deployment

	// Two replicas and more are safe only under the Lease (TestConfigMapHasBackboneCollectorConfig).
	if d.Replicas == nil || *d.Replicas != 2 {
		t.Errorf("spec.replicas must be 2 (one active, one standby), got %v", d.Replicas)
	}
	if len(d.Selector.MatchLabels) == 0 {
		t.Error("spec.selector.matchLabels is empty")
	}
	for k, v := range d.Selector.MatchLabels {
		if d.Template.Metadata.Labels[k] != v {
			t.Errorf("the pod template lacks the selector's label %s=%s", k, v)
		}
	}

	// The shared home: read-only as a volume (so the kubelet leaves its ownership alone) and
	// as a mount, the Backbone tree only.
	tree, ok := ex.volume("backbone-tree")
	if !ok || tree.PersistentVolumeClaim == nil {
		t.Fatal("no volume backbone-tree from a PersistentVolumeClaim")
	}
	if tree.PersistentVolumeClaim.ClaimName != sharedHomeClaim {
		t.Errorf("the tree's claim is %q, want %q", tree.PersistentVolumeClaim.ClaimName, sharedHomeClaim)
	}
	if !tree.PersistentVolumeClaim.ReadOnly {
		t.Error("the shared home's persistentVolumeClaim must be readOnly: true")
	}
	treeMount, treeSub, treeRO := ex.mountOf(t, "shared home", func(v volume) bool {
		return v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == sharedHomeClaim
	})
	if !treeRO {
		t.Error("the shared home must be mounted readOnly: true")
	}
	if treeSub != treeSubPath {
		t.Errorf("the shared home's subPath is %q, want %q", treeSub, treeSubPath)
	}

	// Secrets from a Secret, never in the manifest.
	var tokenFromSecret bool
	for _, e := range ex.container.Env {
		secretish := strings.Contains(e.Name, "TOKEN") || strings.Contains(e.Name, "PASSWORD") || strings.Contains(e.Name, "KEY")
		if secretish && e.Value != "" {
			t.Errorf("env %s holds a literal value; take it from a Secret", e.Name)
		}
		if e.Name == "JIRA_TOKEN" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil &&
			e.ValueFrom.SecretKeyRef.Name != "" && e.ValueFrom.SecretKeyRef.Key != "" {
			tokenFromSecret = true
		}
	}
	if !tokenFromSecret {
		t.Error("JIRA_TOKEN must come from valueFrom.secretKeyRef (name and key)")
	}

	// Non-root, read-only, no privileges.
	pod := d.Template.Spec.SecurityContext
	if pod.RunAsNonRoot == nil || !*pod.RunAsNonRoot {
		t.Error("the pod's securityContext.runAsNonRoot must be true")
	}
	if pod.RunAsUser == nil || *pod.RunAsUser == 0 {
		t.Error("the pod's securityContext.runAsUser must be a non-root uid")
	}
	if pod.FSGroup == nil {
		t.Error("the pod's securityContext.fsGroup must be the shared home's group")
	}
	sc := ex.container.SecurityContext
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("the container's readOnlyRootFilesystem must be true")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("the container's allowPrivilegeEscalation must be false")
	}
	if !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Error("the container must drop ALL capabilities")
	}
	for _, r := range []string{"cpu", "memory"} {
		if ex.container.Resources.Limits[r] == "" {
			t.Errorf("resources.limits.%s is missing", r)
		}
		if ex.container.Resources.Requests[r] == "" {
			t.Errorf("resources.requests.%s is missing", r)
		}
	}
	if ex.container.Image == "" {
		t.Error("the container has no image")
	}

	// The state volume: a PersistentVolumeClaim of this example, or an emptyDir.
	stateMount, _, stateRO := ex.mountOf(t, "state volume", func(v volume) bool {
		if v.EmptyDir != nil {
			return true
		}
		if v.PersistentVolumeClaim == nil {
			return false
		}
		_, ours := ex.claims[v.PersistentVolumeClaim.ClaimName]
		return ours
	})
	if stateRO {
		t.Error("the state volume must be writable")
	}

	cfg := ex.collectorConfig(t)
	backbone := cfg.Receivers["backbone"]
	if dir, _ := backbone["directory"].(string); path.Clean(dir) != path.Clean(treeMount) {
		t.Errorf("the backbone receiver's directory is %q, but the tree is mounted at %q", dir, treeMount)
	}
	if dir, _ := cfg.Extensions["file_storage"]["directory"].(string); path.Clean(dir) != path.Clean(stateMount) {
		t.Errorf("file_storage's directory is %q, but the state volume is mounted at %q", dir, stateMount)
	}
}

// TestLeaseRBAC checks that the pods run as a service account of the example that may get,
// create and update Leases in their namespace, and nothing else.
func TestLeaseRBAC(t *testing.T) {
	ex := loadExample(t)
	pod := ex.deployment.Template.Spec
	if pod.AutomountServiceAccountToken == nil || !*pod.AutomountServiceAccountToken {
		t.Error("automountServiceAccountToken must be true: the elector renews the Lease with the pod's token")
	}
	account := pod.ServiceAccountName
	if _, ok := ex.rbac["ServiceAccount/"+account]; account == "" || !ok {
		t.Fatalf("the pods' serviceAccountName %q names no ServiceAccount of the example", account)
	}
	var bound []string
	for _, obj := range ex.rbac {
		switch obj.Kind {
		case "ClusterRole", "ClusterRoleBinding":
			t.Errorf("%s %s: the Lease is namespaced; a Role and a RoleBinding are enough", obj.Kind, obj.Metadata.Name)
		case "RoleBinding":
			if slices.Contains(obj.Subjects, subject{Kind: "ServiceAccount", Name: account}) && obj.RoleRef.Kind == "Role" {
				bound = append(bound, obj.RoleRef.Name)
			}
		}
	}
	if len(bound) != 1 {
		t.Fatalf("want one Role bound to ServiceAccount %s, found %v", account, bound)
	}
	role, ok := ex.rbac["Role/"+bound[0]]
	if !ok {
		t.Fatalf("the RoleBinding names Role %s, which the example does not define", bound[0])
	}
	want := []policyRule{{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "create", "update"}}}
	for i := range role.Rules {
		slices.Sort(role.Rules[i].Verbs)
	}
	slices.Sort(want[0].Verbs)
	if !reflect.DeepEqual(role.Rules, want) {
		t.Errorf("Role %s grants %+v, want exactly %+v", role.Metadata.Name, role.Rules, want)
	}
}

// collectorConfig returns the collector configuration the container reads: the ConfigMap
// mounted where its --config argument points.
func (ex example) collectorConfig(t *testing.T) collectoryaml.Parsed {
	t.Helper()
	cfg, err := collectoryaml.Parse([]byte(ex.collectorConfigText(t)))
	if err != nil {
		t.Fatalf("the ConfigMap's %s is not valid YAML: %v", configKey, err)
	}
	return cfg
}

func (ex example) collectorConfigText(t *testing.T) string {
	t.Helper()
	var configPath string
	for _, a := range ex.container.Args {
		if p, ok := strings.CutPrefix(a, "--config="); ok {
			configPath = p
		}
	}
	if configPath == "" {
		t.Fatalf("the container's args %q have no --config=<file>", ex.container.Args)
	}
	for _, m := range ex.container.VolumeMounts {
		v, ok := ex.volume(m.Name)
		if !ok || v.ConfigMap == nil || path.Dir(configPath) != path.Clean(m.MountPath) {
			continue
		}
		cm, ok := ex.configMaps[v.ConfigMap.Name]
		if !ok {
			t.Fatalf("the Deployment mounts ConfigMap %q, which the example does not define", v.ConfigMap.Name)
		}
		raw, ok := cm.Data[path.Base(configPath)]
		if !ok {
			t.Fatalf("ConfigMap %q has no key %q (the file --config names)", v.ConfigMap.Name, path.Base(configPath))
		}
		return raw
	}
	t.Fatalf("no ConfigMap is mounted at %s, where --config=%s points", path.Dir(configPath), configPath)
	return ""
}

func TestConfigMapHasBackboneCollectorConfig(t *testing.T) {
	ex := loadExample(t)
	cfg := ex.collectorConfig(t)

	backbone, ok := cfg.Receivers["backbone"]
	if !ok {
		t.Fatalf("the collector configuration has no backbone receiver; receivers: %v", keys(cfg.Receivers))
	}
	for _, field := range []string{"endpoint", "token", "directory"} {
		if s, _ := backbone[field].(string); s == "" {
			t.Errorf("receivers.backbone.%s is empty", field)
		}
	}
	// Without the elector, every replica would scan and report every message.
	if backbone["k8s_leader_elector"] != "k8s_leader_elector" {
		t.Errorf("receivers.backbone.k8s_leader_elector is %v, want k8s_leader_elector (one active replica)", backbone["k8s_leader_elector"])
	}
	elector, ok := cfg.Extensions["k8s_leader_elector"]
	if !ok {
		t.Error("the k8s_leader_elector extension is not configured")
	}
	if elector["auth_type"] != "serviceAccount" || elector["lease_name"] == nil || elector["lease_namespace"] == nil {
		t.Errorf("k8s_leader_elector must use the pod's service account and name its Lease: %v", elector)
	}
	for _, ext := range []string{"file_storage", "k8s_leader_elector"} {
		if _, ok := cfg.Extensions[ext]; !ok {
			t.Errorf("the %s extension is not configured", ext)
		}
		if !slices.Contains(cfg.Service.Extensions, ext) {
			t.Errorf("service.extensions does not start %s", ext)
		}
	}
	for _, signal := range []string{"metrics", "logs"} {
		p, ok := cfg.Service.Pipelines[signal]
		if !ok {
			t.Errorf("no %s pipeline", signal)
			continue
		}
		if !slices.Contains(p.Receivers, "backbone") {
			t.Errorf("the %s pipeline does not receive from backbone", signal)
		}
		if len(p.Processors) == 0 || p.Processors[0] != "memory_limiter" {
			t.Errorf("the %s pipeline must start with memory_limiter, has %v", signal, p.Processors)
		}
		if len(p.Exporters) == 0 {
			t.Errorf("the %s pipeline has no exporter", signal)
		}
		for _, e := range p.Exporters {
			if _, ok := cfg.Exporters[e]; !ok {
				t.Errorf("the %s pipeline uses exporter %s, which is not configured", signal, e)
			}
		}
	}
	// Every variable the configuration reads without a default must be set by the Deployment.
	set := map[string]bool{}
	for _, e := range ex.container.Env {
		set[e.Name] = true
	}
	for _, name := range envReferences(ex.collectorConfigText(t)) {
		if !set[name] {
			t.Errorf("the configuration reads ${env:%s} without a default, but the container does not set it", name)
		}
	}
}

// TestConfigMapValidatesWithCollector runs the full distribution's `validate` on the
// ConfigMap's configuration, with the Deployment's plain environment values and a dummy token.
func TestConfigMapValidatesWithCollector(t *testing.T) {
	collector := os.Getenv("BACKBONE_E2E_COLLECTOR_FULL")
	if collector == "" {
		t.Skip("BACKBONE_E2E_COLLECTOR_FULL is not set: run `make e2e`, or `make build-full` and set it to " +
			"the full collector's absolute path (the example's image carries k8s_leader_elector)")
	}
	ex := loadExample(t)
	file := filepath.Join(t.TempDir(), configKey)
	if err := os.WriteFile(file, []byte(ex.collectorConfigText(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(collector, "validate", "--config="+file)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for _, e := range ex.container.Env {
		switch {
		case e.Value != "":
			cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
		case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil:
			cmd.Env = append(cmd.Env, e.Name+"=127.0.0.1")
		default:
			cmd.Env = append(cmd.Env, e.Name+"=test-secret")
		}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s validate: %v\n%s", collector, err, out)
	}
}

// envReferences lists the variables referenced as ${env:NAME} without a ":-" default.
func envReferences(config string) []string {
	var names []string
	for rest := config; ; {
		i := strings.Index(rest, "${env:")
		if i < 0 {
			break
		}
		rest = rest[i+len("${env:"):]
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			break
		}
		ref := rest[:end]
		if !strings.Contains(ref, ":-") && !slices.Contains(names, ref) {
			names = append(names, ref)
		}
	}
	return names
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
