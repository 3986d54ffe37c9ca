package backbonereceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	storageID := component.MustNewID("file_storage")
	tests := []struct {
		id      component.ID
		want    func(*Config)
		wantErr error
	}{
		{
			id:      component.NewID(metadata.Type),
			want:    func(*Config) {},
			wantErr: errNoSource,
		},
		{
			id: component.NewIDWithName(metadata.Type, "api"),
			want: func(c *Config) {
				c.Endpoint = "https://jira.example.com/jira"
				c.Token = "secret-token"
				c.ProjectKeys = []string{"AP", "PB"}
				c.IdleIntegrations = []string{"INT-15"}
				c.CollectionInterval = 30 * time.Second
				c.ControllerConfig.Timeout = 5 * time.Second
				c.ClientConfig.Timeout = 5 * time.Second
			},
		},
		{
			id: component.NewIDWithName(metadata.Type, "basic"),
			want: func(c *Config) {
				c.Endpoint = "http://localhost:8080"
				c.Username = "monitor"
				c.Password = "secret-password"
				c.AuthBackoff = AuthBackoffConfig{InitialInterval: 10 * time.Minute, MaxInterval: time.Hour}
			},
		},
		{
			id: component.NewIDWithName(metadata.Type, "folders"),
			want: func(c *Config) {
				c.Directory = "/var/atlassian/application-data/jira/shared/data/backbone-issue-sync"
				c.ArchiveDetails = true
				c.ArchiveInterval = 15 * time.Minute
				c.ScanTimeout = 40 * time.Second
				c.StartAt = StartAtBeginning
				c.Storage = &storageID
				c.MaxEventsPerRequest = 200
				c.StuckAfter = 0
				c.EventsNotify = false
				c.EventsPollInterval = 30 * time.Second
				// Set through confmap, as the generated configs remember what the user set.
				require.NoError(t, confmap.NewFromStringMap(map[string]any{
					"metrics": map[string]any{"backbone.folder.size": map[string]any{"enabled": false}},
				}).Unmarshal(&c.MetricsBuilderConfig))
				require.NoError(t, confmap.NewFromStringMap(map[string]any{
					"backbone.message.issue_missing": map[string]any{"enabled": true},
				}).Unmarshal(&c.Events))
			},
		},
		{
			id: component.NewIDWithName(metadata.Type, "leader"),
			want: func(c *Config) {
				c.Directory = "/backbone-issue-sync"
				c.LeaderElector = &electorID
				c.TakeoverLookback = 40 * time.Second
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig().(*Config)
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))

			want := createDefaultConfig().(*Config)
			tt.want(want)
			assert.Equal(t, want, cfg)
			if tt.wantErr != nil {
				assert.ErrorIs(t, confmap.Validate(cfg), tt.wantErr)
			} else {
				assert.NoError(t, confmap.Validate(cfg))
			}
		})
	}
}

// TestDefaultTimeout checks that one default bounds both a snapshot and each HTTP call,
// so that a Jira that never answers cannot hold a tick for longer than timeout.
func TestDefaultTimeout(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, 10*time.Second, cfg.ControllerConfig.Timeout)
	assert.Equal(t, 10*time.Second, cfg.ClientConfig.Timeout)
	assert.Equal(t, 1000, cfg.MaxEventsPerRequest)
	assert.Equal(t, 15*time.Minute, cfg.StuckAfter)
}

// testSecret stands for a password that no error may repeat.
const testSecret = "s3cr3t-Passw0rd"

func TestValidate(t *testing.T) {
	tests := []struct {
		desc    string
		modify  func(*Config)
		wantErr []error
	}{
		{desc: "endpoint only", modify: func(c *Config) { c.Endpoint = "https://jira.example.com" }},
		{desc: "directory only", modify: func(c *Config) { c.Directory = "/data/backbone-issue-sync" }},
		{desc: "context path", modify: func(c *Config) { c.Endpoint = "http://localhost:8081/jira2" }},
		{desc: "basic auth", modify: func(c *Config) {
			c.Endpoint = "https://jira.example.com"
			c.Username, c.Password = "monitor", "secret"
		}},
		{desc: "token", modify: func(c *Config) {
			c.Endpoint = "https://jira.example.com"
			c.Token = "secret"
		}},
		{desc: "neither endpoint nor directory", modify: func(*Config) {}, wantErr: []error{errNoSource}},
		{desc: "not http", modify: func(c *Config) { c.Endpoint = "ftp://jira.example.com" }, wantErr: []error{errEndpointScheme}},
		{desc: "no scheme", modify: func(c *Config) { c.Endpoint = "jira.example.com" }, wantErr: []error{errEndpointScheme}},
		{desc: "no host", modify: func(c *Config) { c.Endpoint = "http:///jira" }, wantErr: []error{errEndpointScheme}},
		{desc: "unparsable with password", modify: func(c *Config) {
			c.Endpoint = "http://user:" + testSecret + "@host:port/%zz"
		}, wantErr: []error{errEndpointScheme}},
		{desc: "credentials in the URL", modify: func(c *Config) {
			c.Endpoint = "http://user:" + testSecret + "@jira.example.com/jira"
		}, wantErr: []error{errEndpointUser}},
		{desc: "query kept", modify: func(c *Config) { c.Endpoint = "https://jira.example.com/?nosso" }},
		{desc: "empty query", modify: func(c *Config) { c.Endpoint = "https://jira.example.com/jira?" }},
		{desc: "fragment", modify: func(c *Config) { c.Endpoint = "https://jira.example.com/jira#top" }, wantErr: []error{errFragment}},
		{desc: "empty fragment", modify: func(c *Config) { c.Endpoint = "https://jira.example.com/jira?nosso#" }, wantErr: []error{errFragment}},
		{desc: "no concurrency", modify: func(c *Config) { c.Endpoint, c.MaxConcurrentRequests = "https://jira.example.com", 0 }, wantErr: []error{errMaxConcurrent}},
		{desc: "negative staleness", modify: func(c *Config) { c.Endpoint, c.StatusStaleAfter = "https://jira.example.com", -time.Second }, wantErr: []error{errStatusStale}},
		{desc: "status unknown at once", modify: func(c *Config) { c.Endpoint, c.StatusStaleAfter = "https://jira.example.com", 0 }},
		{desc: "token and basic", modify: func(c *Config) {
			c.Endpoint = "https://jira.example.com"
			c.Token, c.Username, c.Password = "t", "u", "p"
		}, wantErr: []error{errTokenAndBasic}},
		{desc: "token and password", modify: func(c *Config) {
			c.Endpoint = "https://jira.example.com"
			c.Token, c.Password = "t", "p"
		}, wantErr: []error{errTokenAndBasic}},
		{desc: "username without password", modify: func(c *Config) {
			c.Endpoint = "https://jira.example.com"
			c.Username = "monitor"
		}, wantErr: []error{errUsernameNoPass}},
		{desc: "password without username", modify: func(c *Config) {
			c.Endpoint = "https://jira.example.com"
			c.Password = "secret"
		}, wantErr: []error{errPasswordNoUser}},
		{desc: "empty project key", modify: func(c *Config) {
			c.Endpoint = "https://jira.example.com"
			c.ProjectKeys = []string{"AP", " "}
		}, wantErr: []error{errEmptyProjectKey}},
		{desc: "empty idle integration key", modify: func(c *Config) {
			c.Directory = "/data"
			c.IdleIntegrations = []string{"INT-7", ""}
		}, wantErr: []error{errEmptyIdleKey}},
		{desc: "start_at end", modify: func(c *Config) {
			c.Directory = "/data/backbone-issue-sync"
			c.StartAt = StartAtEnd
		}},
		{desc: "start_at beginning", modify: func(c *Config) {
			c.Directory = "/data/backbone-issue-sync"
			c.StartAt = StartAtBeginning
		}},
		{desc: "bad start_at", modify: func(c *Config) {
			c.Directory = "/data"
			c.StartAt = "middle"
		}, wantErr: []error{errStartAt}},
		{desc: "bad auth backoff", modify: func(c *Config) {
			c.Endpoint = "https://jira.example.com"
			c.AuthBackoff.MaxInterval = time.Minute
		}, wantErr: []error{errAuthBackoff}},
		{desc: "no records per request", modify: func(c *Config) {
			c.Directory = "/data"
			c.MaxEventsPerRequest = 0
		}, wantErr: []error{errMaxEvents}},
		{desc: "negative stuck_after", modify: func(c *Config) {
			c.Directory = "/data"
			c.StuckAfter = -time.Second
		}, wantErr: []error{errStuckAfter}},
		{desc: "poll off", modify: func(c *Config) {
			c.Directory = "/data"
			c.EventsPollInterval = 0
		}},
		{desc: "negative poll interval", modify: func(c *Config) {
			c.Directory = "/data"
			c.EventsPollInterval = -time.Second
		}, wantErr: []error{errPollInterval}},
		{desc: "archive listed at every scan", modify: func(c *Config) {
			c.Directory = "/data"
			c.ArchiveInterval = 0
		}},
		{desc: "negative archive interval", modify: func(c *Config) {
			c.Directory = "/data"
			c.ArchiveInterval = -time.Second
		}, wantErr: []error{errArchiveInterval}},
		{desc: "negative takeover_lookback", modify: func(c *Config) {
			c.Directory = "/data"
			c.TakeoverLookback = -time.Second
		}, wantErr: []error{errLookback}},
		{desc: "negative scan timeout", modify: func(c *Config) {
			c.Directory = "/data"
			c.ScanTimeout = -time.Second
		}, wantErr: []error{errScanTimeout}},
		{desc: "every problem at once", modify: func(c *Config) {
			c.Token, c.Username = "t", "u"
			c.StartAt = ""
		}, wantErr: []error{errNoSource, errTokenAndBasic, errUsernameNoPass, errStartAt}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.modify(cfg)
			err := cfg.Validate()
			if len(tt.wantErr) == 0 {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, want := range tt.wantErr {
				assert.ErrorIs(t, err, want)
			}
			assert.NotContains(t, err.Error(), testSecret)
		})
	}
}
