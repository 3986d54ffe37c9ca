package backbonesim_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/otelcol-backbone/otelcol-backbone/internal/harness/backbonesim"
)

// A test drives the Sim step by step and puts messages where it needs them.
func Example() {
	dir, _ := os.MkdirTemp("", "backbone-issue-sync-")
	defer os.RemoveAll(dir)
	sim, err := backbonesim.New(backbonesim.Options{Dir: dir, Seed: 1})
	if err != nil {
		panic(err)
	}
	defer sim.Close()
	base, _ := sim.Start("127.0.0.1:0") // base + backbonesim.APIPath + "integrations"
	_ = base

	path, _ := sim.PutMessage("INT-16", "AP-29", backbonesim.FolderError, "AP-123")
	rel, _ := filepath.Rel(dir, path)
	fmt.Println(filepath.ToSlash(rel))
	for range 40 {
		_ = sim.Step()
	}
	snap := sim.Snapshot()
	// AP-123 and the issue the scenario failed at tick 36.
	fmt.Println(snap.Step, snap.Integrations[0].Connectors[0].IssuesInError)
	// Output:
	// default/INT-16/AP-29/RECEIVE/error/AP-123/000001.bac
	// 40 2
}
