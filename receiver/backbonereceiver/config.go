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

// Where the event tracker starts when it has no stored state.
const (
	StartAtEnd       = "end"
	StartAtBeginning = "beginning"
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
	errStartAt         = fmt.Errorf(`"start_at" must be %q or %q`, StartAtEnd, StartAtBeginning)
	errAuthBackoff     = errors.New(`"auth_backoff": "initial_interval" must be positive and not above "max_interval"`)
	errMaxEvents       = errors.New(`"max_events_per_request" must be at least 1`)
	errStuckAfter      = errors.New(`"stuck_after" must not be negative (0 reports on arrival)`)
	errPollInterval    = errors.New(`"events_poll_interval" must not be negative (0 turns the poll off)`)
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

	// Storage is the ID of a storage extension that keeps which message events were
	// delivered across restarts.
	Storage *component.ID `mapstructure:"storage"`
	// StartAt decides whether messages present at the first start are reported.
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
	if cfg.StartAt != StartAtEnd && cfg.StartAt != StartAtBeginning {
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
	if cfg.MaxConcurrentRequests < 1 {
		errs = append(errs, errMaxConcurrent)
	}
	if cfg.StatusStaleAfter < 0 {
		errs = append(errs, errStatusStale)
	}
	return errors.Join(errs...)
}
