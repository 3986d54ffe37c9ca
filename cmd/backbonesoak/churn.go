//go:build linux

package main

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/otlpsink"
	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/wait"
)

// soakKey names the i-th integration the driver adds; its connectors are <P>A-<n> and <P>B-<n>.
func soakKey(i int) string { return fmt.Sprintf("SOAK-%d", i) }

// addIntegrations adds n integrations, one in four distributed (one connector).
func addIntegrations(sim *backbonesim.Sim, n int) error {
	for i := range n {
		a, b := fmt.Sprintf("S%dA", i), fmt.Sprintf("S%dB", i)
		spec := backbonesim.IntegrationSpec{
			Key:     soakKey(i),
			Summary: fmt.Sprintf("Soak %d", i),
			Connectors: []backbonesim.ConnectorSpec{
				{Key: fmt.Sprintf("%s-%d", a, 2*i+1000), ProjectKey: a},
				{Key: fmt.Sprintf("%s-%d", b, 2*i+1001), ProjectKey: b},
			},
		}
		if i%4 == 3 {
			spec.Distributed, spec.Master = true, true
			spec.Connectors = spec.Connectors[:1]
		}
		if err := sim.AddIntegration(spec); err != nil {
			return err
		}
	}
	return nil
}

// churn is what the driver does to the simulator besides its own scenario.
type churn struct {
	sim   *backbonesim.Sim
	sink  *otlpsink.Sink
	rng   *rand.Rand
	n     int           // soak integrations
	dwell time.Duration // least time before a message may be resolved

	mu       sync.Mutex
	want     []string // record keys the driver's changes must produce
	errs     []error
	puts     int
	resolves int
	faults   map[string]int
	toggles  int
	pruned   int
	flaps    int
}

// placed is a message the driver put and has not resolved yet.
type placed struct {
	path   string
	folder string
	at     time.Time
}

var messageSlots = []struct{ folder, event string }{
	{backbonesim.FolderError, "backbone.message.error"},
	{backbonesim.FolderError, "backbone.message.error"},
	{backbonesim.FolderSequenceError, "backbone.message.sequence_error"},
	{backbonesim.FolderSendError, "backbone.message.send_error"},
}

// faults are the simulator's API faults, used in turn.
var faults = []backbonesim.Fault{
	backbonesim.FaultServerError, backbonesim.FaultBadGateway, backbonesim.FaultMalformedJSON,
	backbonesim.FaultTruncated, backbonesim.FaultHang, backbonesim.FaultSlow,
	backbonesim.FaultWrongShape, backbonesim.FaultLoginPage,
}

func (c *churn) fail(err error) {
	if err != nil {
		c.mu.Lock()
		c.errs = append(c.errs, err)
		c.mu.Unlock()
	}
}

// messages puts an error message every 1/rate seconds into a random soak connector and
// resolves, with each put, some of those older than dwell, until ctx ends.
func (c *churn) messages(ctx context.Context, rate float64) {
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	var present []placed
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		i := c.rng.IntN(c.n)
		integration := soakKey(i)
		conn := fmt.Sprintf("S%dA-%d", i, 2*i+1000)
		project := fmt.Sprintf("S%dA", i)
		if i%4 != 3 && c.rng.IntN(2) == 0 {
			conn, project = fmt.Sprintf("S%dB-%d", i, 2*i+1001), fmt.Sprintf("S%dB", i)
		}
		slot := messageSlots[c.rng.IntN(len(messageSlots))]
		issue := ""
		if slot.folder == backbonesim.FolderError {
			issue = fmt.Sprintf("%s-%d", project, 1+c.rng.IntN(30))
		}
		path, err := c.sim.PutMessage(integration, conn, slot.folder, issue)
		if err != nil {
			c.fail(err)
			continue
		}
		c.mu.Lock()
		c.want = append(c.want, otlpsink.Key(slot.event, path))
		c.puts++
		c.mu.Unlock()
		present = append(present, placed{path: path, folder: slot.folder, at: time.Now()})
		present = slices.DeleteFunc(present, func(p placed) bool {
			if time.Since(p.at) < c.dwell || c.rng.IntN(3) != 0 {
				return false
			}
			// Applied at last (archive/), or sent again (SEND/, whose files carry the
			// connector's own numbers, unlike archive/).
			to := backbonesim.FolderArchive
			if p.folder == backbonesim.FolderSendError {
				to = backbonesim.FolderSend
			}
			if _, err := c.sim.MoveMessage(p.path, to, ""); err != nil {
				c.fail(err)
				return true // left alone from now on; the error is reported
			}
			c.mu.Lock()
			c.want = append(c.want, otlpsink.Key("backbone.message.resolved", p.path))
			c.resolves++
			c.mu.Unlock()
			return true
		})
	}
}

// apiFaults makes the API fail every `every` for `length`, each fault in turn.
func (c *churn) apiFaults(ctx context.Context, every, length time.Duration) {
	if every <= 0 {
		return
	}
	for n := 0; ; n++ {
		if !wait.Sleep(ctx, every-length) {
			return
		}
		f := faults[n%len(faults)]
		c.sim.SetFault(f)
		c.mu.Lock()
		c.faults[f.String()]++
		c.mu.Unlock()
		ok := wait.Sleep(ctx, length)
		c.sim.SetFault(backbonesim.FaultNone)
		if !ok {
			return
		}
	}
}

// states stops or restarts a random soak integration and flips a random connector's partner
// online or offline every few seconds; at the end every one runs and is online again.
func (c *churn) states(ctx context.Context) {
	stopped := map[int]bool{}
	offline := map[string]bool{}
	defer func() {
		for i := range stopped {
			c.fail(c.sim.SetIntegrationStatus(soakKey(i), backbonesim.StatusRunning))
		}
		for conn := range offline {
			c.fail(c.sim.SetOnline(conn, true))
		}
	}()
	for {
		if !wait.Sleep(ctx, 3*time.Second) {
			return
		}
		i := c.rng.IntN(c.n)
		status := backbonesim.StatusStopped
		if stopped[i] {
			status = backbonesim.StatusRunning
			delete(stopped, i)
		} else {
			stopped[i] = true
		}
		c.fail(c.sim.SetIntegrationStatus(soakKey(i), status))
		j := c.rng.IntN(c.n)
		conn := fmt.Sprintf("S%dA-%d", j, 2*j+1000)
		c.fail(c.sim.SetOnline(conn, offline[conn]))
		if offline[conn] {
			delete(offline, conn)
		} else {
			offline[conn] = true
		}
		c.mu.Lock()
		c.toggles += 2
		c.mu.Unlock()
	}
}

// sinkFlaps makes the OTLP backend refuse for three seconds every `every`.
func (c *churn) sinkFlaps(ctx context.Context, every time.Duration) {
	if every <= 0 {
		return
	}
	for {
		if !wait.Sleep(ctx, every-3*time.Second) {
			return
		}
		c.sink.SetDown(true)
		ok := wait.Sleep(ctx, 3*time.Second)
		c.sink.SetDown(false)
		c.mu.Lock()
		c.flaps++
		c.mu.Unlock()
		if !ok {
			return
		}
	}
}

// pruneArchive empties every archive/ folder every ten seconds, as an admin's cron job would:
// Backbone never does, and the soak would otherwise fill the disk.
func (c *churn) pruneArchive(ctx context.Context, root string) {
	for {
		if !wait.Sleep(ctx, 10*time.Second) {
			return
		}
		var paths []string
		_ = filepath.WalkDir(filepath.Join(root, "default"), func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(filepath.Dir(path), string(filepath.Separator)+"archive") {
				paths = append(paths, path)
			}
			return nil
		})
		n := 0
		for _, p := range paths {
			if ctx.Err() != nil {
				break
			}
			if c.sim.RemoveMessage(p) == nil {
				n++
			}
		}
		c.mu.Lock()
		c.pruned += n
		c.mu.Unlock()
	}
}
