package backbonereceiver

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"

	"github.com/otelcol-backbone/otelcol-backbone/internal/backboneapi"
	"github.com/otelcol-backbone/otelcol-backbone/internal/queuetree"
)

// snapshot is what one scrape learned about Backbone. It is the seam between reading
// (API client, folder scanner) and reporting (metrics, events): neither side knows the other.
type snapshot struct {
	time time.Time
	api  *apiSnapshot    // nil when no endpoint is configured
	tree *queuetree.Tree // nil when no directory is configured
}

// apiSnapshot holds the integrations the API returned in one scrape.
type apiSnapshot struct {
	integrations []backboneapi.Integration // unique, sorted by key
	err          error                     // the first failure of this scrape's calls; nil when all succeeded
	duration     time.Duration             // time spent in calls that reached the server
	requested    bool                      // false when the client held back every call (backoff)
}

// apiShareOfDeadline is the percentage of a scrape's deadline the API calls may use.
const apiShareOfDeadline = 80

// source takes one snapshot per collection interval and shares it between the metrics and
// the logs pipelines of one receiver config: the tree is walked and the API called once.
type source struct {
	cfg    *Config
	set    receiver.Settings
	logger *zap.Logger

	mu       sync.Mutex
	refs     int
	started  bool
	http     *http.Client        // nil without endpoint
	client   *backboneapi.Client // nil without endpoint
	scanner  *queuetree.Scanner  // nil without directory
	last     *snapshot
	problems *problemLog
}

func newSource(cfg *Config, set receiver.Settings) *source {
	s := &source{cfg: cfg, set: set, logger: set.Logger, problems: newProblemLog(set.Logger)}
	if cfg.Directory != "" {
		s.scanner = queuetree.NewScanner(queuetree.Options{Root: cfg.Directory, ArchiveDetails: cfg.ArchiveDetails})
	}
	return s
}

// start builds the HTTP client once, in Start because auth extensions and TLS files need the host.
func (s *source) start(ctx context.Context, host component.Host) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.cfg.Endpoint == "" {
		s.started = true
		return nil
	}
	if s.cfg.TLS.InsecureSkipVerify {
		s.logger.Warn("tls.insecure_skip_verify is set: the Jira server's certificate is not verified")
	}
	httpClient, err := s.cfg.ToClient(ctx, host.GetExtensions(), s.set.TelemetrySettings)
	if err != nil {
		return err
	}
	s.http = httpClient
	s.client, err = backboneapi.NewClient(httpClient, backboneapi.Config{
		Endpoint: s.cfg.Endpoint,
		Username: s.cfg.Username,
		Password: string(s.cfg.Password),
		Token:    string(s.cfg.Token),
		AuthBackoff: backboneapi.Backoff{
			InitialInterval: s.cfg.AuthBackoff.InitialInterval,
			MaxInterval:     s.cfg.AuthBackoff.MaxInterval,
		},
	})
	if err != nil {
		return err
	}
	s.started = true
	return nil
}

// snapshot returns the snapshot of the current interval, taking it if the other pipeline
// has not taken it yet. A snapshot younger than half an interval counts as current.
func (s *source) snapshot(ctx context.Context) *snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.last != nil && now.Sub(s.last.time) < s.cfg.CollectionInterval/2 {
		return s.last
	}
	snap := &snapshot{time: now}
	// The API and the folder tree are read side by side: a Jira that hangs until the scrape's
	// deadline must not take the folder metrics with it.
	var wg sync.WaitGroup
	if s.client != nil {
		wg.Go(func() { snap.api = s.fetchAPI(ctx) })
	}
	if s.scanner != nil {
		snap.tree = s.scanner.Scan(ctx)
	}
	wg.Wait()
	s.problems.update(problemsOf(snap))
	s.last = snap
	return snap
}

// fetchAPI lists the integrations once per configured project key (or once for all) and
// asks for the status of any integration listed without one.
func (s *source) fetchAPI(ctx context.Context) *apiSnapshot {
	keys := s.cfg.ProjectKeys
	if len(keys) == 0 {
		keys = []string{""}
	}
	// "timeout" is both the HTTP client's timeout and the scrape's deadline: a Jira that never
	// answers must leave part of the deadline for handing what was gathered to the pipeline.
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Until(deadline)*apiShareOfDeadline/100)
		defer cancel()
	}
	api := &apiSnapshot{}
	var errs []error
	byKey := map[string]backboneapi.Integration{}
	call := func(fn func() error) {
		start := time.Now()
		err := fn()
		if !isSkipped(err) {
			api.requested = true
			api.duration += time.Since(start)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	for _, key := range keys {
		call(func() error {
			list, err := s.client.Integrations(ctx, key)
			for _, it := range list { // a decode error may come with the integrations that decoded
				if it.IntegrationKey != "" {
					byKey[it.IntegrationKey] = it
				}
			}
			return err
		})
	}
	for key, it := range byKey {
		if it.Status != nil {
			continue
		}
		call(func() error {
			st, err := s.client.IntegrationStatus(ctx, key)
			if err == nil {
				it.Status = st
				byKey[key] = it
			}
			return err
		})
	}
	api.integrations = make([]backboneapi.Integration, 0, len(byKey))
	for _, it := range byKey {
		api.integrations = append(api.integrations, it)
	}
	slices.SortFunc(api.integrations, func(a, b backboneapi.Integration) int {
		return strings.Compare(a.IntegrationKey, b.IntegrationKey)
	})
	if len(errs) > 0 {
		api.err = errs[0]
	}
	return api
}

func isSkipped(err error) bool {
	apiErr, ok := errors.AsType[*backboneapi.Error](err)
	return ok && apiErr.Skipped
}

// jiraBaseURL identifies the Jira instance in resource attributes: the endpoint without
// credentials, query or trailing slash.
func jiraBaseURL(endpoint string) string {
	if endpoint == "" {
		return ""
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return strings.TrimRight(u.String(), "/")
}

// sourceRegistry shares one source between the receivers that the collector creates for one
// config used in a metrics and a logs pipeline.
type sourceRegistry struct {
	mu sync.Mutex
	m  map[*Config]*source
}

var sources = &sourceRegistry{m: map[*Config]*source{}}

func (r *sourceRegistry) acquire(cfg *Config, set receiver.Settings) *source {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.m[cfg]
	if !ok {
		s = newSource(cfg, set)
		r.m[cfg] = s
	}
	s.refs++
	return s
}

// release drops one user of the source; the last one closes it, so a restarted pipeline
// gets a fresh source.
func (r *sourceRegistry) release(s *source) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.refs--
	if s.refs > 0 {
		return
	}
	delete(r.m, s.cfg)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.http != nil {
		s.http.CloseIdleConnections()
	}
}
