// Command backbonesim serves a simulated Jira with Backbone Issue Sync, its REST API and
// a live folder tree, so that the collector can run end to end without a real Jira.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return
	case err != nil:
		fmt.Fprintln(os.Stderr, "backbonesim:", err)
		stop()
		os.Exit(1)
	}
}

// run serves until ctx ends; it is main without the process around it, for tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	dir, created, err := prepareDir(cfg.dir)
	if err != nil {
		return err
	}
	defer func() {
		// A tree this run created is not left behind by a failed start either.
		if cfg.clean || (err != nil && created) {
			err = errors.Join(err, cleanDir(dir, created))
		}
	}()
	level := slog.LevelInfo
	if cfg.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	sim, err := backbonesim.New(backbonesim.Options{
		Dir:                 dir,
		Username:            cfg.user,
		Password:            cfg.password,
		Token:               cfg.token,
		ContextPath:         cfg.contextPath,
		CaptchaAfter:        cfg.captchaAfter,
		RateLimit:           backbonesim.RateLimit{PerSecond: cfg.rate, Burst: cfg.burst},
		Projects:            cfg.projects,
		Quirks:              cfg.quirks,
		Details:             cfg.details,
		UnexpectedSubfolder: cfg.subfolder,
		Seed:                cfg.seed,
		Speed:               cfg.speed,
		Tick:                cfg.tick,
		Cycle:               cfg.cycle,
		// Start times near the real now, so that uptimes look like a live Jira's.
		Epoch:  time.Now(),
		Logger: logger,
	})
	if err != nil {
		return err
	}
	defer sim.Close()
	sim.SetFault(cfg.fault)
	base, err := sim.Start(cfg.listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backbonesim: Jira base URL %s\n", base)
	fmt.Fprintf(stdout, "backbonesim: folder %s\n", sim.Dir())
	fmt.Fprintf(stdout, "backbonesim: Basic user %q, bearer token %s, fault %s, scenario %s\n",
		cfg.user, onOff(cfg.token != ""), cfg.fault, onOff(!cfg.noScenario))
	if q := cfg.quirks; q != (backbonesim.Quirks{}) {
		fmt.Fprintf(stdout, "backbonesim: quirks: content type %s, status failure %s, changed types %s\n",
			cmp.Or(string(q.ContentType), "json"), cmp.Or(q.StatusFailure, "off"), onOff(q.ChangedTypes))
	}

	scenario := make(chan struct{})
	if cfg.noScenario {
		close(scenario)
	} else {
		go func() {
			defer close(scenario)
			_ = sim.Run(ctx)
		}()
	}
	<-ctx.Done()
	<-scenario
	logger.Info("stopping")
	return sim.Close()
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
