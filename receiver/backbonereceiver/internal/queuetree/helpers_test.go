package queuetree

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// writeTree creates files below root: each key is a slash-separated path
// relative to root, its value the content; a key ending in "/" is an empty
// folder.
func writeTree(tb testing.TB, root string, files map[string]string) {
	tb.Helper()
	for rel, content := range files {
		path := filepath.Join(root, filepath.FromSlash(rel))
		if strings.HasSuffix(rel, "/") {
			require.NoError(tb, os.MkdirAll(path, 0o755))
			continue
		}
		require.NoError(tb, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(tb, os.WriteFile(path, []byte(content), 0o644))
	}
}

// connectorTree returns the files of one busy connector below prefix.
func connectorTree(prefix string) map[string]string {
	return map[string]string{
		prefix + "/RECEIVE/m1.bac":                       "r1",
		prefix + "/RECEIVE/archive/a1.bac":               "a1",
		prefix + "/RECEIVE/archive/a2.bac":               "a22",
		prefix + "/RECEIVE/error/AP-1/e1.bac":            "e1",
		prefix + "/RECEIVE/error/AP-1/e2.bac":            "e22",
		prefix + "/RECEIVE/error/AP-2/e3.bac":            "e333",
		prefix + "/RECEIVE/error/AP-3/":                  "",
		prefix + "/RECEIVE/issue-missing/AP-4/i1.bac":    "i1",
		prefix + "/RECEIVE/sequence-error/s1.bac":        "s1",
		prefix + "/RECEIVE/offline/o1.bac":               "o1",
		prefix + "/RECEIVE/invalid/not-a-bac.txt":        "x",
		prefix + "/RECEIVE/discard/d1.bac":               "d1",
		prefix + "/SEND/out1.bac":                        "out1",
		prefix + "/SEND/out2":                            "out2",
		prefix + "/SEND/error/se1.bac":                   "se1",
		prefix + "/RECEIVE/archive/nested/n.bac":         "not counted: too deep",
		prefix + "/RECEIVE/error/AP-1/nested/n.bac":      "not counted: too deep",
		prefix + "/RECEIVE/issue-missing/AP-5/sub/x.bac": "not counted: too deep",
	}
}

// buildBenchTree writes a tree like cmd/backbonetree's, small enough to be
// built for each benchmark run, and returns its file count.
func buildBenchTree(tb testing.TB, root string, integrations, archive int) int {
	tb.Helper()
	files := map[string]string{}
	for i := 1; i <= integrations; i++ {
		for c := 1; c <= 2; c++ {
			conn := fmt.Sprintf("default/INT-%d/P%d-%d", i, c, i)
			for k := range archive {
				files[fmt.Sprintf("%s/RECEIVE/archive/msg-%09d.bac", conn, k)] = "archived"
			}
			files[conn+"/RECEIVE/m.bac"] = "received"
			files[conn+"/RECEIVE/error/ISSUE-1/e.bac"] = "error"
			files[conn+"/RECEIVE/sequence-error/s.bac"] = "sequence"
			files[conn+"/SEND/s.bac"] = "send"
		}
	}
	writeTree(tb, root, files)
	return len(files)
}

// totalMessages sums the messages of every folder of every connector.
func totalMessages(t *Tree) int64 {
	var n int64
	for _, c := range t.Connectors {
		for _, fs := range c.Folders {
			n += fs.Messages
		}
	}
	return n
}

func chtimes(path string, t time.Time) error { return os.Chtimes(path, t, t) }
