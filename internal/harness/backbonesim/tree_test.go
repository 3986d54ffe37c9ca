package backbonesim

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func connectorLayout(prefix string) []string {
	out := []string{prefix + "/"}
	for _, d := range []string{"RECEIVE", "RECEIVE/archive", "RECEIVE/discard", "RECEIVE/error", "RECEIVE/invalid",
		"RECEIVE/issue-missing", "RECEIVE/offline", "RECEIVE/sequence-error", "SEND", "SEND/error"} {
		out = append(out, prefix+"/"+d+"/")
	}
	return out
}

func TestTreeLayout(t *testing.T) {
	s := newSim(t, Options{})
	all := listTree(t, s.Dir())
	tests := []struct {
		desc   string
		prefix string
		want   []string
	}{
		{
			desc: "centralized has two connectors", prefix: "default/INT-16",
			want: slices.Concat([]string{"default/INT-16/"}, connectorLayout("default/INT-16/AP-29"), connectorLayout("default/INT-16/PB-30")),
		},
		{
			desc: "distributed has one connector", prefix: "default/INT-15",
			want: slices.Concat([]string{"default/INT-15/"}, connectorLayout("default/INT-15/SP-28")),
		},
		{
			desc: "third integration", prefix: "default/INT-17",
			want: slices.Concat([]string{"default/INT-17/"}, connectorLayout("default/INT-17/AP-39"), connectorLayout("default/INT-17/SSD-38")),
		},
		{desc: "temporary files stay out of the tree", prefix: ".sim-tmp", want: []string{".sim-tmp/"}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var got []string
			for _, p := range all {
				if strings.HasPrefix(p, tt.prefix+"/") {
					got = append(got, p)
				}
			}
			assert.Equal(t, tt.want, got)
		})
	}
	assert.Equal(t, []string{"./", ".sim-tmp/", "default/", "default/INT-15/", "default/INT-16/", "default/INT-17/"},
		slices.DeleteFunc(slices.Clone(all), func(p string) bool { return strings.Count(p, "/") > 2 }), "top of the tree")
}

func TestAddAndRemoveIntegration(t *testing.T) {
	s := newSim(t, Options{Empty: true})
	base := serve(t, s)
	assert.Equal(t, []any{}, getJSON(t, t.Context(), base, "integrations"))

	require.NoError(t, s.AddIntegration(IntegrationSpec{
		Key: "INT-20", Summary: "Remote", Distributed: true,
		Connectors: []ConnectorSpec{{Key: "XY-50", ProjectKey: "XY"}},
	}))
	require.NoError(t, s.AddIntegration(IntegrationSpec{
		Key: "INT-21", Summary: "Local", Status: "RESTART REQUIRED",
		Connectors: []ConnectorSpec{{Key: "XY-51", ProjectKey: "XY"}, {Key: "ZZ-52", ProjectKey: "ZZ"}},
	}))
	assert.DirExists(t, filepath.Join(s.Dir(), "default", "INT-20", "XY-50", "RECEIVE", "sequence-error"))
	assert.DirExists(t, filepath.Join(s.Dir(), "default", "INT-21", "ZZ-52", "SEND", "error"))

	list := getJSON(t, t.Context(), base, "integrations?projectKey=XY").([]any)
	require.Len(t, list, 2)
	remote := list[0].(map[string]any)
	assert.Equal(t, true, remote["distributed"])
	assert.Equal(t, false, remote["master"])
	assert.Equal(t, "software", remote["partnerProjectType"])
	assert.Equal(t, "2017-01-10T16:48:40+0100", remote["createdDate"], "created at the simulated now")
	assert.Equal(t, map[string]any{"@type": "file", "path": "INT-20/SEND"},
		remote["firstConnector"].(map[string]any)["connection"].(map[string]any)["connector"].(map[string]any)["sendQueue"])
	assert.NotContains(t, remote, "secondConnector")
	assert.EqualValues(t, 1484063320000, remote["status"].(map[string]any)["firstConnector"].(map[string]any)["startTime"])

	local := list[1].(map[string]any)
	assert.NotContains(t, local, "distributed")
	assert.NotContains(t, local, "master")
	assert.Equal(t, "RESTART REQUIRED", local["status"].(map[string]any)["status"])
	assert.Equal(t, map[string]any{"@type": "vm", "name": "ZZ-52_XY-51"},
		local["secondConnector"].(map[string]any)["connection"].(map[string]any)["connector"].(map[string]any)["sendQueue"])

	require.NoError(t, s.RemoveIntegration("INT-20"))
	assert.NoDirExists(t, filepath.Join(s.Dir(), "default", "INT-20"))
	resp, _ := get(t, t.Context(), base, "integrations/INT-20/status", goodAuth)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Error(t, s.RemoveIntegration("INT-20"))
}

func TestAddIntegrationRejects(t *testing.T) {
	tests := []struct {
		desc string
		spec IntegrationSpec
		want string
	}{
		{desc: "existing key", spec: IntegrationSpec{Key: "INT-16", Connectors: []ConnectorSpec{{Key: "A-1", ProjectKey: "A"}, {Key: "B-2", ProjectKey: "B"}}}, want: `"INT-16" already exists`},
		{desc: "path in key", spec: IntegrationSpec{Key: "../x", Distributed: true, Connectors: []ConnectorSpec{{Key: "A-1", ProjectKey: "A"}}}, want: "not a valid folder name"},
		{desc: "centralized with one connector", spec: IntegrationSpec{Key: "INT-30", Connectors: []ConnectorSpec{{Key: "A-1", ProjectKey: "A"}}}, want: "needs 2 connectors"},
		{desc: "distributed with two", spec: IntegrationSpec{Key: "INT-30", Distributed: true, Connectors: []ConnectorSpec{{Key: "A-1", ProjectKey: "A"}, {Key: "B-2", ProjectKey: "B"}}}, want: "needs 1 connectors"},
		{desc: "existing connector", spec: IntegrationSpec{Key: "INT-30", Distributed: true, Connectors: []ConnectorSpec{{Key: "AP-29", ProjectKey: "AP"}}}, want: `"AP-29" already exists`},
		{desc: "same connector twice", spec: IntegrationSpec{Key: "INT-30", Connectors: []ConnectorSpec{{Key: "A-1", ProjectKey: "A"}, {Key: "A-1", ProjectKey: "A"}}}, want: "appears twice"},
		{desc: "no project", spec: IntegrationSpec{Key: "INT-30", Distributed: true, Connectors: []ConnectorSpec{{Key: "A-1"}}}, want: "no project key"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := newSim(t, Options{})
			assert.ErrorContains(t, s.AddIntegration(tt.spec), tt.want)
			assert.Len(t, s.Snapshot().Integrations, 3)
		})
	}
}

// A Sim started on an old tree numbers new messages after the old ones.
func TestSequencesResumeOnExistingTree(t *testing.T) {
	dir := t.TempDir()
	s := newSim(t, Options{Dir: dir})
	for range 3 {
		_, err := s.PutMessage("INT-16", "AP-29", FolderArchive, "")
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())

	again := newSim(t, Options{Dir: dir})
	path, err := again.PutMessage("INT-16", "PB-30", FolderSend, "")
	require.NoError(t, err)
	assert.Equal(t, "000004.bac", filepath.Base(path))
	names, err := os.ReadDir(filepath.Join(dir, "default", "INT-16", "AP-29", "RECEIVE", "archive"))
	require.NoError(t, err)
	assert.Len(t, names, 3)
}
