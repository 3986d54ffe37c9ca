package backbonereceiver

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/scraper/scraperhelper"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
)

// What the first start without stored state reports of the messages already in the
// watched folders.
const (
	// StartAtNeedsAttention reports those that need a person, marked as found at start, and
	// those of the folders that heal by themselves once they have stayed stuck_after from then.
	StartAtNeedsAttention = "needs_attention"
	StartAtEnd            = "end"       // none
	StartAtBeginning      = "beginning" // all, as if they had just arrived
)

var (
	errNoSource        = errors.New(`"endpoint" (Jira's base URL) or "directory" (Backbone's folder tree) must be specified`)
	errEndpointScheme  = errors.New(`"endpoint" must be an http:// or https:// URL, e.g. https://jira.example.com`)
	errEndpointUser    = errors.New(`"endpoint" must not contain credentials (user:password@): set "username" and "password", or "token", which are never printed`)
	errFragment        = errors.New(`"endpoint" must be Jira's base URL, without a fragment (a query, such as ?nosso, is kept on every call)`)
	errTokenAndBasic   = errors.New(`"token" cannot be combined with "username"/"password": use a Personal Access Token or HTTP Basic, not both`)
	errUsernameNoPass  = errors.New(`"username" requires "password"`)
	errPasswordNoUser  = errors.New(`"password" requires "username"`)
	errEmptyProjectKey = errors.New(`"project_keys" must not contain an empty key`)
	errEmptyIdleKey    = errors.New(`"idle_integrations" must not contain an empty key`)
	errStartAt         = fmt.Errorf(`"start_at" must be %q, %q or %q`, StartAtNeedsAttention, StartAtEnd, StartAtBeginning)
	errAuthBackoff     = errors.New(`"auth_backoff": "initial_interval" must be positive and not above "max_interval"`)
	errMaxEvents       = errors.New(`"max_events_per_request" must be at least 1`)
	errStuckAfter      = errors.New(`"stuck_after" must not be negative (0 reports on arrival)`)
	errPollInterval    = errors.New(`"events_poll_interval" must not be negative (0 turns the poll off)`)
	errArchiveInterval = errors.New(`"archive_interval" must not be negative (0 lists archive/ at every scan)`)
	errLookback        = errors.New(`"takeover_lookback" must not be negative`)
	errScanTimeout     = errors.New(`"scan_timeout" must not be negative (0 is the collection interval)`)
	errMaxConcurrent   = errors.New(`"max_concurrent_requests" must be at least 1`)
	errStatusStale     = errors.New(`"status_stale_after" must not be negative (0 reports an unread status as unknown at once)`)
)

// Config defines the configuration of the backbone receiver.
type Config struct {
	scraperhelper.ControllerConfig `mapstructure:",squash"`
	confighttp.ClientConfig        `mapstructure:",squash"`
	metadata.MetricsBuilderConfig  `mapstructure:",squash"`

	// Events switches the log events on and off, like metrics.
	Events metadata.EventsConfig `mapstructure:"events"`

	// Username and Password authenticate with HTTP Basic.
	Username string              `mapstructure:"username"`
	Password configopaque.String `mapstructure:"password"`
	// Token is a Jira Personal Access Token, sent as a Bearer token.
	Token configopaque.String `mapstructure:"token"`
	// ProjectKeys queries the API once per project key; required when the user is only a
	// project administrator.
	ProjectKeys []string `mapstructure:"project_keys"`
	// IdleIntegrations are the keys of integrations an admin keeps stopped or unfinished on
	// purpose; their resources say backbone.integration.idle: true, which the alerts honour.
	IdleIntegrations []string `mapstructure:"idle_integrations"`
	// AuthBackoff is how long the receiver waits after Jira rejected its credentials.
	AuthBackoff AuthBackoffConfig `mapstructure:"auth_backoff"`
	// MaxConcurrentRequests bounds the API calls in flight at once (lists and statuses).
	MaxConcurrentRequests int `mapstructure:"max_concurrent_requests"`
	// StatusStaleAfter is how long an integration whose list or status could not be read
	// keeps its last known state before it is reported unknown: a node restart or a rate
	// limit does not page.
	StatusStaleAfter time.Duration `mapstructure:"status_stale_after"`

	// Directory is Backbone's folder tree: the backbone-issue-sync folder in Jira's (shared)
	// home, or one namespace folder in it.
	Directory string `mapstructure:"directory"`
	// ArchiveDetails also stats every archived message, for the archive's size and oldest
	// message age; archive/ can hold millions of files.
	ArchiveDetails bool `mapstructure:"archive_details"`
	// ArchiveInterval is how often archive/ is listed: at the first scan, then at most this
	// often, its figures reused by the scans in between; archive/ can hold millions of files.
	ArchiveInterval time.Duration `mapstructure:"archive_interval"`
	// ScanTimeout bounds one listing of the folder tree (a full scan or a re-list), apart
	// from the API's timeout: a scan still running then reports what it has read; one that
	// a share that does not answer holds in the kernel is left to return on its own, and no
	// other starts meanwhile. 0 is the collection interval.
	ScanTimeout time.Duration `mapstructure:"scan_timeout"`

	// Storage is the ID of a storage extension that keeps which message events were
	// delivered across restarts.
	Storage *component.ID `mapstructure:"storage"`
	// StartAt decides which messages present at the first start are reported.
	StartAt string `mapstructure:"start_at"`
	// MaxEventsPerRequest caps the log records of one call to the next consumer, so that a
	// burst of failures never becomes one request too large for the backend.
	MaxEventsPerRequest int `mapstructure:"max_events_per_request"`
	// StuckAfter is how long a message must stay in a folder that heals by itself
	// (sequence-error/, issue-missing/, offline/) before it is an event; 0 reports it on arrival.
	StuckAfter time.Duration `mapstructure:"stuck_after"`
	// EventsNotify asks the platform (inotify on Linux) to tell when a watched folder
	// changes, so that its events go out within moments instead of at the next interval.
	EventsNotify bool `mapstructure:"events_notify"`
	// EventsPollInterval re-lists the watched folders that notification does not cover
	// (all of them without it; on a network share it misses other machines' changes); 0
	// leaves them to the full scan at each collection interval.
	EventsPollInterval time.Duration `mapstructure:"events_poll_interval"`

	// LeaderElector is the ID of a k8s_leader_elector extension: the receiver then works
	// only while this collector holds the Lease, and each takeover starts as leader.go says.
	LeaderElector *component.ID `mapstructure:"k8s_leader_elector"`
	// TakeoverLookback is how far before a takeover, beyond one collection interval, a new
	// leader announces the messages it finds: at least the extension's lease_duration plus
	// five retry_period, so that what entered while nobody led is not skipped.
	TakeoverLookback time.Duration `mapstructure:"takeover_lookback"`

	_ struct{}
}

// AuthBackoffConfig bounds the wait after an authentication failure. Jira locks an account
// (CAPTCHA) after a few failed logins, and that account may be Backbone's own sync user.
type AuthBackoffConfig struct {
	InitialInterval time.Duration `mapstructure:"initial_interval"`
	MaxInterval     time.Duration `mapstructure:"max_interval"`

	_ struct{}
}

// Validate checks the receiver configuration; it reports every problem at once.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.Endpoint == "" && cfg.Directory == "" {
		errs = append(errs, errNoSource)
	}
	if cfg.Endpoint != "" {
		// The parse error is not kept: it repeats the URL, which may hold a password.
		u, err := url.Parse(cfg.Endpoint)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			errs = append(errs, errEndpointScheme)
		case u.User != nil:
			errs = append(errs, errEndpointUser)
		case strings.Contains(cfg.Endpoint, "#"): // an empty fragment too
			errs = append(errs, errFragment)
		}
	}
	if cfg.Token != "" && (cfg.Username != "" || cfg.Password != "") {
		errs = append(errs, errTokenAndBasic)
	}
	if cfg.Username != "" && cfg.Password == "" {
		errs = append(errs, errUsernameNoPass)
	}
	if cfg.Username == "" && cfg.Password != "" && cfg.Token == "" {
		errs = append(errs, errPasswordNoUser)
	}
	for _, key := range cfg.ProjectKeys {
		if strings.TrimSpace(key) == "" {
			errs = append(errs, errEmptyProjectKey)
			break
		}
	}
	if slices.ContainsFunc(cfg.IdleIntegrations, func(key string) bool { return strings.TrimSpace(key) == "" }) {
		errs = append(errs, errEmptyIdleKey)
	}
	if b := cfg.AuthBackoff; b.InitialInterval <= 0 || b.MaxInterval < b.InitialInterval {
		errs = append(errs, errAuthBackoff)
	}
	if !slices.Contains([]string{StartAtNeedsAttention, StartAtEnd, StartAtBeginning}, cfg.StartAt) {
		errs = append(errs, errStartAt)
	}
	if cfg.MaxEventsPerRequest < 1 {
		errs = append(errs, errMaxEvents)
	}
	if cfg.StuckAfter < 0 {
		errs = append(errs, errStuckAfter)
	}
	if cfg.EventsPollInterval < 0 {
		errs = append(errs, errPollInterval)
	}
	if cfg.ArchiveInterval < 0 {
		errs = append(errs, errArchiveInterval)
	}
	if cfg.TakeoverLookback < 0 {
		errs = append(errs, errLookback)
	}
	if cfg.ScanTimeout < 0 {
		errs = append(errs, errScanTimeout)
	}
	if cfg.MaxConcurrentRequests < 1 {
		errs = append(errs, errMaxConcurrent)
	}
	if cfg.StatusStaleAfter < 0 {
		errs = append(errs, errStatusStale)
	}
	return errors.Join(errs...)
}

// apiTimeout is the budget of the API's part of a snapshot: timeout, or the collection
// interval when it is 0.
func (cfg *Config) apiTimeout() time.Duration {
	if cfg.ControllerConfig.Timeout > 0 {
		return cfg.ControllerConfig.Timeout
	}
	return cfg.CollectionInterval
}

// scanTimeout is the budget of one listing of the folder tree: scan_timeout, or the
// collection interval when it is 0.
func (cfg *Config) scanTimeout() time.Duration {
	if cfg.ScanTimeout > 0 {
		return cfg.ScanTimeout
	}
	return cfg.CollectionInterval
}
