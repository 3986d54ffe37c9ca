package collectoryaml

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestYAML(t *testing.T) {
	tests := []struct {
		desc string
		r    Receiver
		want map[string]any
	}{
		{
			desc: "API and folders, with extra keys",
			r: Receiver{
				Endpoint: "http://127.0.0.1:8095/jira", Username: "monitor", Password: `pa"ss: #1`,
				Directory: "/tmp/tree one", Interval: 2 * time.Second, Extra: "    storage: file_storage\n    timeout: 5s\n",
			},
			want: map[string]any{
				"endpoint": "http://127.0.0.1:8095/jira", "username": "monitor", "password": `pa"ss: #1`,
				"directory": "/tmp/tree one", "collection_interval": "2s", "initial_delay": "0s", "stuck_after": "0s",
				"storage": "file_storage", "timeout": "5s",
			},
		},
		{
			desc: "folders only",
			r:    Receiver{Directory: "/tree", Interval: time.Second},
			want: map[string]any{"directory": "/tree", "collection_interval": "1s", "initial_delay": "0s", "stuck_after": "0s"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var cfg struct {
				Receivers map[string]map[string]any
			}
			require.NoError(t, yaml.Unmarshal([]byte("receivers:"+tt.r.YAML()), &cfg))
			assert.Equal(t, map[string]map[string]any{"backbone": tt.want}, cfg.Receivers)
		})
	}
}
