//go:build linux

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/latency"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/otlpsink"
)

// dwell is how long a message of the steady stream stays before it is removed, so that the
// folders hold a steady number of files.
const dwell = 10 * time.Second

// placed is a message the stream put.
type placed struct {
	path, key string
	at        time.Time
}

// steadyLoad puts o.rate new messages a second for o.load, removing each after dwell, and
// prints memory every 10 s, then whether every record arrived, once, and how late.
func steadyLoad(ctx context.Context, sim *backbonesim.Sim, snk *otlpsink.Sink, slots []slot, rng *rand.Rand, pid, port int, o options) error {
	fmt.Printf("steady stream: %d new messages/s for %s, each removed after %s\n", o.rate, o.load, dwell)
	fmt.Println("     t   rss MiB  heap MiB  records behind")
	var all, present []placed
	row := func(at time.Duration) {
		behind := 0
		for _, p := range all {
			if _, n := snk.Arrival(p.key); n == 0 {
				behind++
			}
		}
		fmt.Printf("%6s  %8.1f  %8.1f  %14d\n", at.Round(time.Second), rssMiB(pid), heapMiB(port), behind)
	}
	start := time.Now()
	row(0)
	cpuBefore, err := cpuSeconds(pid)
	if err != nil {
		return err
	}
	tick := time.NewTicker(time.Second / time.Duration(o.rate))
	defer tick.Stop()
	nextRow := 10 * time.Second
	for time.Since(start) < o.load {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		// Catch up when a put took longer than a tick: the stream keeps its rate.
		for due := int(time.Since(start).Seconds() * float64(o.rate)); len(all) < due; {
			path, key, err := slots[rng.IntN(len(slots))].put(sim, rng)
			if err != nil {
				return err
			}
			p := placed{path: path, key: key, at: time.Now()}
			all, present = append(all, p), append(present, p)
		}
		for len(present) > 0 && time.Since(present[0].at) >= dwell {
			if err := removeMessage(sim, present[0].path); err != nil {
				return err
			}
			present = present[1:]
		}
		if since := time.Since(start); since >= nextRow {
			row(since)
			nextRow += 10 * time.Second
		}
	}
	took := time.Since(start)
	cpuAfter, err := cpuSeconds(pid)
	if err != nil {
		return err
	}
	if took >= nextRow-5*time.Second {
		row(took)
	}
	var delays []time.Duration
	missing, repeated := 0, 0
	for _, p := range all {
		d, err := waitArrival(ctx, snk, p.key, p.at, arrivalWait)
		if err != nil {
			missing++
			continue
		}
		delays = append(delays, d.Round(100*time.Microsecond))
		if _, n := snk.Arrival(p.key); n > 1 {
			repeated++
		}
	}
	fmt.Printf("put %d messages (%.0f/s); CPU %.1f%% of one core; latency %s; missing %d, repeated %d\n",
		len(all), float64(len(all))/took.Seconds(), 100*(cpuAfter-cpuBefore)/took.Seconds(), latency.Of(delays), missing, repeated)
	return nil
}

// removeMessage removes a message; one already gone is fine.
func removeMessage(sim *backbonesim.Sim, path string) error {
	if err := sim.RemoveMessage(path); err != nil {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}
