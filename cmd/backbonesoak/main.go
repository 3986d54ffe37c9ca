//go:build linux

// Command backbonesoak runs the built collector for minutes against the Backbone simulator
// under heavy churn and reports whether its memory, goroutines, threads and file descriptors
// stay flat, whether every message event arrived exactly once, and whether the collector left
// the folder tree untouched.
//
// The simulator runs in this process with many integrations: ordinary traffic moves files
// through SEND, RECEIVE and archive/ at the chosen speed, the driver puts error messages and
// resolves them, stops and restarts integrations, takes connectors offline, makes the API fail
// in turns (every simulator fault), makes the OTLP backend refuse for a few seconds now and
// then, and empties archive/ as an admin would. The collector exports to an OTLP/HTTP server in
// this process, keeps its state and its exporter queue on file_storage, and runs as an
// unprivileged user when the driver runs as root.
//
// Exit status: 0 when everything held, 1 when an event was lost or repeated, the tree was
// written or the collector failed, 2 when only the resource use was not flat.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// options are the command line's settings.
type options struct {
	collector    string
	duration     time.Duration
	integrations int
	speed        float64
	interval     time.Duration
	events       float64
	sample       time.Duration
	faultEvery   time.Duration
	faultFor     time.Duration
	sinkFlap     time.Duration
	runAs        string
	seed         uint64
	keep         bool
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("backbonesoak", flag.ContinueOnError)
	fs.StringVar(&o.collector, "collector", "", "path of the built otelcol-backbone binary (required)")
	fs.DurationVar(&o.duration, "duration", 3*time.Minute, "how long the churn runs")
	fs.IntVar(&o.integrations, "integrations", 200, "integrations added to the simulator's default three")
	fs.Float64Var(&o.speed, "speed", 2, "simulator steps per second (each step moves every running integration's traffic)")
	fs.DurationVar(&o.interval, "interval", 2*time.Second, "the receiver's collection_interval")
	fs.Float64Var(&o.events, "events", 5, "error messages the driver puts per second")
	fs.DurationVar(&o.sample, "sample", 10*time.Second, "time between two resource samples")
	fs.DurationVar(&o.faultEvery, "fault-every", 20*time.Second, "time between two API faults")
	fs.DurationVar(&o.faultFor, "fault-for", 4*time.Second, "how long each API fault lasts")
	fs.DurationVar(&o.sinkFlap, "sink-flap", 30*time.Second, "time between two 3-second refusals of the OTLP backend (0: never)")
	fs.StringVar(&o.runAs, "run-as", "nobody", "user to run the collector as when this runs as root (empty: the same user)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the simulator and of the driver's choices")
	fs.BoolVar(&o.keep, "keep", false, "keep the work folder (tree, storage, collector log) at the end")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var errs []error
	if o.collector == "" {
		errs = append(errs, errors.New("-collector is required"))
	}
	if o.duration <= 0 || o.interval <= 0 || o.sample <= 0 || o.speed <= 0 || o.events <= 0 {
		errs = append(errs, errors.New("-duration, -interval, -sample, -speed and -events must be positive"))
	}
	if o.integrations < 0 {
		errs = append(errs, errors.New("-integrations must not be negative"))
	}
	return o, errors.Join(errs...)
}

func main() {
	o, err := parseOptions(os.Args[1:])
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "backbonesoak:", err)
		}
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code, err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "backbonesoak:", err)
		os.Exit(1)
	}
	os.Exit(code)
}
