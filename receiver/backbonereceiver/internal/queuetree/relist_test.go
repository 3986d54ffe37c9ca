package queuetree

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func allFolders(Folder) bool { return true }

// watchedOf returns the stats of the watched folders of t, keyed by folder
// path, and the problems at or below their paths or their parents'.
func watchedOf(t *Tree, folders []Watched) (map[string]FolderStats, []Problem) {
	stats := map[string]FolderStats{}
	for _, c := range t.Connectors {
		for _, wf := range folders {
			if wf.ConnectorPath == c.Path {
				stats[wf.Path()] = *c.Folder(wf.Folder)
			}
		}
	}
	var problems []Problem
	for _, p := range t.Problems {
		for _, wf := range folders {
			if strings.HasPrefix(p.Path, wf.Path()) || p.Path == filepath.Dir(wf.Path()) {
				problems = append(problems, p)
				break
			}
		}
	}
	return stats, problems
}

func TestListWatchedAsFullScan(t *testing.T) {
	tests := []struct {
		desc  string
		files map[string]string
		setup func(t *testing.T, root string)
	}{
		{desc: "busy connectors", files: merge(connectorTree("default/INT-1/AP-1"), connectorTree("default/INT-1/BP-2"))},
		{desc: "watched folders missing", files: map[string]string{"default/INT-1/AP-1/RECEIVE/m.bac": "m", "default/INT-1/AP-1/SEND/": ""}},
		{desc: "messages directly in error, empty issue folders", files: map[string]string{
			"default/INT-1/AP-1/RECEIVE/error/loose.bac":        "l",
			"default/INT-1/AP-1/RECEIVE/error/AP-3/":            "",
			"default/INT-1/AP-1/RECEIVE/issue-missing/AP-4/":    "",
			"default/INT-1/AP-1/RECEIVE/issue-missing/AP-5/x.b": "x",
		}},
		{desc: "names that are not UTF-8", files: map[string]string{
			"default/INT-1/AP-1/RECEIVE/error/\xff/\xfe.bac":     "odd",
			"default/INT-1/AP-1/SEND/error/\xfd.bac":             "odd",
			"default/INT-1/AP-1/RECEIVE/sequence-error/s.bac":    "s",
			"default/INT-1/\xfcP-2/RECEIVE/sequence-error/s.bac": "left to full scans",
		}},
		{
			desc:  "RECEIVE is a symbolic link, SEND a file",
			files: map[string]string{"default/INT-1/AP-1/elsewhere/error/AP-1/e.bac": "e", "default/INT-1/AP-1/SEND": "a file"},
			setup: func(t *testing.T, root string) {
				require.NoError(t, os.Symlink("elsewhere", filepath.Join(root, "default/INT-1/AP-1/RECEIVE")))
			},
		},
		{
			desc:  "a watched folder is a symbolic link or a file; an issue folder a link",
			files: merge(connectorTree("default/INT-1/AP-1"), map[string]string{"default/INT-1/AP-2/RECEIVE/sequence-error": "a file", "default/INT-1/AP-2/RECEIVE/error/AP-1/e.bac": "e"}),
			setup: func(t *testing.T, root string) {
				require.NoError(t, os.Symlink("error", filepath.Join(root, "default/INT-1/AP-2/RECEIVE/offline")))
				require.NoError(t, os.Symlink("AP-1", filepath.Join(root, "default/INT-1/AP-2/RECEIVE/error/AP-9")))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, tt.files)
			if tt.setup != nil {
				tt.setup(t, root)
			}
			s := NewScanner(Options{Root: root})
			full := s.Scan(t.Context())
			folders := WatchedFolders(full, allFolders)
			require.NotEmpty(t, folders)
			wantStats, wantProblems := watchedOf(full, folders)
			for _, scanner := range []*Scanner{s, NewScanner(Options{Root: root})} { // with and without a warm cache
				got := scanner.ListWatched(t.Context(), folders)
				gotStats, gotProblems := watchedOf(got, folders)
				assert.Equal(t, wantStats, gotStats)
				assert.Equal(t, wantProblems, gotProblems)
				assert.Equal(t, got.Problems, gotProblems, "no problem outside the watched folders")
			}
		})
	}
}

func TestListWatchedOnlyThoseFolders(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, merge(connectorTree("default/INT-1/AP-1"), connectorTree("default/INT-2/BP-2")))
	s := NewScanner(Options{Root: root})
	full := s.Scan(t.Context())
	var pick []Watched
	for _, wf := range WatchedFolders(full, func(f Folder) bool { return f == Error || f == SendError }) {
		if wf.IntegrationKey == "INT-2" {
			pick = append(pick, wf)
		}
	}
	require.Len(t, pick, 2)

	// Changes after the full scan: a new issue folder, a message gone.
	writeTree(t, root, map[string]string{"default/INT-2/BP-2/RECEIVE/error/AP-9/new.bac": "n"})
	require.NoError(t, os.Remove(filepath.Join(root, "default/INT-2/BP-2/SEND/error/se1.bac")))

	got := s.ListWatched(t.Context(), pick)
	require.Len(t, got.Connectors, 1)
	c := got.Connectors[0]
	assert.Equal(t, "BP-2", c.ConnectorKey)
	var paths []string
	for i, f := range Folders {
		fs := c.Folders[i]
		if f != Error && f != SendError {
			assert.False(t, fs.Exists, "%s not listed", f)
			assert.Zero(t, fs.Messages, "%s not listed", f)
			continue
		}
		for _, file := range fs.Files {
			rel, err := filepath.Rel(root, file.Path)
			require.NoError(t, err)
			paths = append(paths, filepath.ToSlash(rel)+" "+file.Issue)
		}
	}
	assert.Equal(t, []string{
		"default/INT-2/BP-2/RECEIVE/error/AP-1/e1.bac AP-1",
		"default/INT-2/BP-2/RECEIVE/error/AP-1/e2.bac AP-1",
		"default/INT-2/BP-2/RECEIVE/error/AP-2/e3.bac AP-2",
		"default/INT-2/BP-2/RECEIVE/error/AP-9/new.bac AP-9",
	}, paths)
	assert.Equal(t, int64(3), c.Folder(Error).Issues)
	assert.True(t, c.Folder(SendError).Exists)
	assert.Empty(t, got.Problems)
}

func TestListWatchedRootGone(t *testing.T) {
	tests := []struct {
		desc  string
		spoil func(t *testing.T, root string)
		kind  ProblemKind
	}{
		{desc: "root missing (share not mounted)", spoil: func(t *testing.T, root string) { require.NoError(t, os.RemoveAll(root)) }, kind: RootMissing},
		{desc: "root replaced by a file", spoil: func(t *testing.T, root string) {
			require.NoError(t, os.RemoveAll(root))
			require.NoError(t, os.WriteFile(root, nil, 0o644))
		}, kind: NotADirectory},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "backbone-issue-sync")
			writeTree(t, root, connectorTree("default/INT-1/AP-1"))
			s := NewScanner(Options{Root: root})
			folders := WatchedFolders(s.Scan(t.Context()), allFolders)
			tt.spoil(t, root)
			full := s.Scan(t.Context())
			got := s.ListWatched(t.Context(), folders)
			assert.Empty(t, got.Connectors, "no folder looks empty")
			assert.Equal(t, full.Problems, got.Problems)
			require.Len(t, got.Problems, 1)
			assert.Equal(t, tt.kind, got.Problems[0].Kind)
		})
	}
}

func TestListWatchedCanceled(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, connectorTree("default/INT-1/AP-1"))
	s := NewScanner(Options{Root: root})
	folders := WatchedFolders(s.Scan(t.Context()), allFolders)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	got := s.ListWatched(ctx, folders)
	require.NotEmpty(t, got.Problems)
	assert.Equal(t, ReadError, got.Problems[0].Kind)
	for _, c := range got.Connectors {
		for _, fs := range c.Folders {
			assert.Empty(t, fs.Files)
		}
	}
}

// TestListWatchedDuringScan runs re-lists while full scans run, for the
// race detector: the receiver re-lists while a slow full scan is under way.
func TestListWatchedDuringScan(t *testing.T) {
	root := t.TempDir()
	buildBenchTree(t, root, 10, 20)
	s := NewScanner(Options{Root: root})
	folders := WatchedFolders(s.Scan(t.Context()), allFolders)
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 5 {
			s.Scan(t.Context())
		}
	})
	for range 20 {
		got := s.ListWatched(t.Context(), folders)
		assert.Equal(t, int64(40), totalMessages(got), "an error and a sequence-error message per connector")
	}
	wg.Wait()
}

func TestListWatchedIssueFolder(t *testing.T) {
	const errs = "default/INT-1/AP-1/RECEIVE/error"
	root := t.TempDir()
	writeTree(t, root, merge(connectorTree("default/INT-1/AP-1"), map[string]string{errs + "/AP-8": "a file"}))
	require.NoError(t, os.Symlink("AP-1", filepath.Join(root, errs, "AP-9")))
	s := NewScanner(Options{Root: root})
	full := s.Scan(t.Context())
	var folder Watched
	for _, wf := range WatchedFolders(full, allFolders) {
		if wf.Folder == Error {
			folder = wf
		}
	}
	require.Equal(t, filepath.Join(root, errs), folder.Path())
	fullFiles := full.Connectors[0].Folder(Error).Files
	require.Len(t, full.Problems, 1)
	assert.Equal(t, Problem{Path: filepath.Join(root, errs, "AP-9"), Kind: Symlink, Err: errSymlink}, full.Problems[0])

	tests := []struct {
		issue    string
		files    []File
		problems []ProblemKind
	}{
		{issue: "AP-1", files: fullFiles[:2]},
		{issue: "AP-2", files: fullFiles[2:3]},
		{issue: "AP-3"},
		{issue: "AP-7"},                                   // gone
		{issue: "AP-8"},                                   // a file now: a message of error/ itself
		{issue: "AP-9", problems: []ProblemKind{Symlink}}, // as the full scan reports it
	}
	for _, tt := range tests {
		t.Run(tt.issue, func(t *testing.T) {
			wf := folder.IssueFolder(tt.issue)
			assert.Equal(t, filepath.Join(root, errs, tt.issue), wf.Path())
			got := s.ListWatched(t.Context(), []Watched{wf})
			require.Len(t, got.Connectors, 1)
			assert.Equal(t, tt.files, got.Connectors[0].Folder(Error).Files)
			var kinds []ProblemKind
			for _, p := range got.Problems {
				assert.Equal(t, wf.Path(), p.Path)
				kinds = append(kinds, p.Kind)
			}
			assert.Equal(t, tt.problems, kinds)
		})
	}
	require.NoError(t, os.RemoveAll(filepath.Join(root, errs)))
	got := s.ListWatched(t.Context(), []Watched{folder.IssueFolder("AP-1")})
	assert.Empty(t, got.Connectors[0].Folder(Error).Files, "error/ gone: nothing")
	assert.Empty(t, got.Problems)
}
