package backbonesim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Sim is one Jira with Backbone installed. All its state, the folder tree included, is
// guarded by one mutex, so the API always shows a consistent moment of the scenario.
type Sim struct {
	opts Options
	log  *slog.Logger

	mu           sync.Mutex
	integrations []*integration
	projects     []string // project keys without integration
	password     string
	token        string
	fault        Fault
	quirks       Quirks
	failures     int  // consecutive failed Basic logins of the configured user
	captcha      bool // the configured user must solve a CAPTCHA in a browser
	stats        Stats
	bucket       *bucket
	rng          *rand.Rand
	step         int
	script       script
	srv          *http.Server

	done      chan struct{}
	closeOnce sync.Once
}

// Stats counts what the Sim saw, for tests that check a client's manners.
type Stats struct {
	// Requests is every request that reached the Sim.
	Requests int
	// FailedLogins counts wrong Basic credentials and unknown bearer tokens.
	FailedLogins int
	// Denied counts requests refused because the account needs a CAPTCHA.
	Denied int
	// CaptchaTriggered counts the times the account went into CAPTCHA mode.
	CaptchaTriggered int
	// CaptchaRequired tells whether the account needs a CAPTCHA now.
	CaptchaRequired bool
	// RateLimited counts 429 answers.
	RateLimited int
}

// New creates the folder tree in opts.Dir and, unless opts.Empty, the default
// installation. The API is served by ServeHTTP or Start; the scenario by Step or Run.
func New(opts Options) (*Sim, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Sim{
		opts:     opts,
		log:      opts.Logger,
		password: opts.Password,
		token:    opts.Token,
		rng:      rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x5eed)),
		done:     make(chan struct{}),
		projects: append([]string(nil), opts.Projects...),
		quirks:   opts.Quirks,
	}
	if opts.RateLimit.PerSecond > 0 {
		s.bucket = newBucket(opts.RateLimit, time.Now())
	}
	if err := os.MkdirAll(filepath.Join(opts.Dir, namespace), 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(opts.Dir, tmpDirName), 0o755); err != nil {
		return nil, err
	}
	if !opts.Empty {
		s.projects = append(s.projects, defaultProjects...)
		for _, spec := range defaultInstallation(opts.Epoch) {
			if err := s.addIntegration(spec); err != nil {
				return nil, err
			}
		}
	}
	for key, text := range opts.Details {
		_, c := s.findConnector(key)
		if c == nil {
			return nil, fmt.Errorf(`"Details": unknown connector %q`, key)
		}
		c.outgoingDetails = text
	}
	if opts.UnexpectedSubfolder {
		if err := s.putUnexpected(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Dir returns the absolute path of the backbone-issue-sync folder.
func (s *Sim) Dir() string { return s.opts.Dir }

// Start serves the API on addr ("127.0.0.1:0" picks a free port) and returns Jira's base
// URL, context path included.
func (s *Sim) Start(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
		return "", errors.New("simulator is closed")
	default:
	}
	if s.srv != nil {
		return "", errors.New("simulator already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func(srv *http.Server) { _ = srv.Serve(ln) }(s.srv)
	return "http://" + ln.Addr().String() + s.opts.ContextPath, nil
}

// Close releases hanging and trickling requests, stops the server started by Start and
// stops Run. The folder tree stays.
func (s *Sim) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return srv.Close()
	}
	return nil
}

// Stats returns the counters.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.CaptchaRequired = s.captcha
	return st
}

// ClearCaptcha is an admin logging in by browser: the account may use Basic auth again.
func (s *Sim) ClearCaptcha() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.captcha, s.failures = false, 0
}

// SetPassword changes the configured user's password, as when it is rotated in Jira.
func (s *Sim) SetPassword(password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.password = password
}

// SetToken changes the accepted personal access token; empty revokes it.
func (s *Sim) SetToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// SetFault makes every following request fail in the given way; FaultNone heals.
func (s *Sim) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// projectExists tells whether Jira knows the project; callers hold s.mu.
func (s *Sim) projectExists(key string) bool {
	for _, p := range s.projects {
		if strings.EqualFold(p, key) {
			return true
		}
	}
	for _, in := range s.integrations {
		for _, c := range in.connectors {
			if strings.EqualFold(c.spec.ProjectKey, key) {
				return true
			}
		}
	}
	return false
}
