package queuetree

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// folderWant is the part of FolderStats compared by the layout tests.
type folderWant struct {
	Exists, BytesKnown      bool
	Messages, Bytes, Issues int64
}

// summary keys each connector by namespace/integration/connector.
func summary(t *Tree) map[string]map[Folder]folderWant {
	out := map[string]map[Folder]folderWant{}
	for _, c := range t.Connectors {
		m := map[Folder]folderWant{}
		for i, f := range Folders {
			fs := c.Folders[i]
			m[f] = folderWant{Exists: fs.Exists, BytesKnown: fs.BytesKnown, Messages: fs.Messages, Bytes: fs.Bytes, Issues: fs.Issues}
		}
		out[c.Namespace+"/"+c.IntegrationKey+"/"+c.ConnectorKey] = m
	}
	return out
}

// busy is what connectorTree holds.
func busy() map[Folder]folderWant {
	return map[Folder]folderWant{
		Receive:       {Exists: true, BytesKnown: true, Messages: 1, Bytes: 2},
		Archive:       {Exists: true, Messages: 2},
		Error:         {Exists: true, BytesKnown: true, Messages: 3, Bytes: 9, Issues: 2},
		IssueMissing:  {Exists: true, BytesKnown: true, Messages: 1, Bytes: 2, Issues: 1},
		SequenceError: {Exists: true, BytesKnown: true, Messages: 1, Bytes: 2},
		Offline:       {Exists: true, BytesKnown: true, Messages: 1, Bytes: 2},
		Invalid:       {Exists: true, BytesKnown: true, Messages: 1, Bytes: 1},
		Discard:       {Exists: true, BytesKnown: true, Messages: 1, Bytes: 2},
		Send:          {Exists: true, BytesKnown: true, Messages: 2, Bytes: 8},
		SendError:     {Exists: true, BytesKnown: true, Messages: 1, Bytes: 3},
	}
}

// absent is a connector whose folders are all missing.
func absent() map[Folder]folderWant {
	m := map[Folder]folderWant{}
	for _, f := range Folders {
		m[f] = folderWant{BytesKnown: f != Archive}
	}
	return m
}

// with returns base with the given folders replaced.
func with(base map[Folder]folderWant, changes map[Folder]folderWant) map[Folder]folderWant {
	m := maps.Clone(base)
	maps.Copy(m, changes)
	return m
}

func merge(trees ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, t := range trees {
		maps.Copy(out, t)
	}
	return out
}

func TestScanLayouts(t *testing.T) {
	tests := []struct {
		desc    string
		files   map[string]string
		root    string // below the temporary folder
		details bool
		want    map[string]map[Folder]folderWant
	}{
		{
			desc: "centralized and distributed integrations below backbone-issue-sync",
			files: merge(
				connectorTree("default/INT-1/AP-1"),
				connectorTree("default/INT-1/BP-2"),
				connectorTree("default/INT-2/CP-3"),
			),
			want: map[string]map[Folder]folderWant{
				"default/INT-1/AP-1": busy(),
				"default/INT-1/BP-2": busy(),
				"default/INT-2/CP-3": busy(),
			},
		},
		{
			desc:  "root is a namespace folder",
			files: merge(connectorTree("default/INT-1/AP-1"), connectorTree("default/INT-2/CP-3")),
			root:  "default",
			want: map[string]map[Folder]folderWant{
				"default/INT-1/AP-1": busy(),
				"default/INT-2/CP-3": busy(),
			},
		},
		{
			desc:  "namespace root whose integrations are named unusually",
			files: map[string]string{"ns/sync-a/AP-1/SEND/x.bac": "x"},
			root:  "ns",
			want: map[string]map[Folder]folderWant{
				"ns/sync-a/AP-1": with(absent(), map[Folder]folderWant{Send: {Exists: true, BytesKnown: true, Messages: 1, Bytes: 1}}),
			},
		},
		{
			desc:  "several namespaces",
			files: merge(connectorTree("default/INT-1/AP-1"), connectorTree("other/INT-1/AP-1")),
			want: map[string]map[Folder]folderWant{
				"default/INT-1/AP-1": busy(),
				"other/INT-1/AP-1":   busy(),
			},
		},
		{
			desc:    "archive details",
			files:   connectorTree("default/INT-1/AP-1"),
			details: true,
			want: map[string]map[Folder]folderWant{
				"default/INT-1/AP-1": with(busy(), map[Folder]folderWant{Archive: {Exists: true, BytesKnown: true, Messages: 2, Bytes: 5}}),
			},
		},
		{
			desc: "empty folders",
			files: map[string]string{
				"default/INT-1/AP-1/RECEIVE/archive/":        "",
				"default/INT-1/AP-1/RECEIVE/error/":          "",
				"default/INT-1/AP-1/RECEIVE/issue-missing/":  "",
				"default/INT-1/AP-1/RECEIVE/sequence-error/": "",
				"default/INT-1/AP-1/RECEIVE/offline/":        "",
				"default/INT-1/AP-1/RECEIVE/invalid/":        "",
				"default/INT-1/AP-1/RECEIVE/discard/":        "",
				"default/INT-1/AP-1/SEND/error/":             "",
			},
			want: map[string]map[Folder]folderWant{"default/INT-1/AP-1": func() map[Folder]folderWant {
				m := absent()
				for f, w := range m {
					w.Exists = true
					m[f] = w
				}
				return m
			}()},
		},
		{
			desc:  "missing subfolders",
			files: map[string]string{"default/INT-1/AP-1/RECEIVE/": "", "default/INT-1/AP-2/SEND/": ""},
			want: map[string]map[Folder]folderWant{
				"default/INT-1/AP-1": with(absent(), map[Folder]folderWant{Receive: {Exists: true, BytesKnown: true}}),
				"default/INT-1/AP-2": with(absent(), map[Folder]folderWant{Send: {Exists: true, BytesKnown: true}}),
			},
		},
		{
			desc: "unexpected files and folders are ignored",
			files: merge(connectorTree("default/INT-1/AP-1"), map[string]string{
				"README.txt":                       "x",
				"default/notes.txt":                "x",
				"default/INT-1/notes.txt":          "x",
				"default/INT-1/backup/old.bac":     "x",
				"default/INT-1/AP-1/notes.txt":     "x",
				"default/INT-1/AP-1/TMP/x.bac":     "x",
				"default/INT-1/AP-1/receive/x.bac": "x",
				"default/lost+found/":              "",
			}),
			want: map[string]map[Folder]folderWant{"default/INT-1/AP-1": busy()},
		},
		{
			desc: "files directly in error are counted without an issue",
			files: map[string]string{
				"default/INT-1/AP-1/RECEIVE/error/loose.bac":  "abc",
				"default/INT-1/AP-1/RECEIVE/error/AP-7/e.bac": "e",
			},
			want: map[string]map[Folder]folderWant{
				"default/INT-1/AP-1": with(absent(), map[Folder]folderWant{
					Receive: {Exists: true, BytesKnown: true},
					Error:   {Exists: true, BytesKnown: true, Messages: 2, Bytes: 4, Issues: 1},
				}),
			},
		},
		{
			desc:  "empty root",
			files: map[string]string{"default/": ""},
			want:  map[string]map[Folder]folderWant{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tt.files)
			tree := NewScanner(Options{Root: filepath.Join(dir, tt.root), ArchiveDetails: tt.details}).Scan(t.Context())
			require.NotNil(t, tree)
			assert.Empty(t, tree.Problems)
			assert.Equal(t, tt.want, summary(tree))
		})
	}
}

func TestScanSortsConnectorsAndFiles(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, merge(
		connectorTree("default/INT-2/AP-1"),
		connectorTree("default/INT-10/ZP-1"),
		connectorTree("default/INT-10/BP-1"),
	))
	tree := NewScanner(Options{Root: dir}).Scan(t.Context())
	var keys []string
	for _, c := range tree.Connectors {
		keys = append(keys, c.IntegrationKey+"/"+c.ConnectorKey)
	}
	assert.Equal(t, []string{"INT-10/BP-1", "INT-10/ZP-1", "INT-2/AP-1"}, keys)

	c := tree.Connectors[0]
	assert.Equal(t, filepath.Join(dir, "default", "INT-10", "BP-1"), c.Path)
	errDir := filepath.Join(c.Path, "RECEIVE", "error")
	files := c.Folder(Error).Files
	require.Len(t, files, 3)
	for i, want := range []File{
		{Path: filepath.Join(errDir, "AP-1", "e1.bac"), Name: "e1.bac", Issue: "AP-1", Size: 2},
		{Path: filepath.Join(errDir, "AP-1", "e2.bac"), Name: "e2.bac", Issue: "AP-1", Size: 3},
		{Path: filepath.Join(errDir, "AP-2", "e3.bac"), Name: "e3.bac", Issue: "AP-2", Size: 4},
	} {
		assert.False(t, files[i].ModTime.IsZero())
		assert.False(t, files[i].Entered.Before(files[i].ModTime))
		files[i].ModTime, files[i].Entered = time.Time{}, time.Time{}
		assert.Equal(t, want, files[i])
	}
	for _, f := range Folders {
		if !f.Watched() {
			assert.Nil(t, c.Folder(f).Files, f)
		}
	}
	assert.Equal(t, "se1.bac", c.Folder(SendError).Files[0].Name)
	assert.Empty(t, c.Folder(SendError).Files[0].Issue)
}

func TestScanOldest(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, connectorTree("default/INT-1/AP-1"))
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	errDir := filepath.Join(dir, "default", "INT-1", "AP-1", "RECEIVE", "error")
	// Setting the modification time back sets the change time to now: the
	// message counts as entered now, like one moved in with an old mtime.
	require.NoError(t, chtimes(filepath.Join(errDir, "AP-2", "e3.bac"), old))

	for _, details := range []bool{false, true} {
		tree := NewScanner(Options{Root: dir, ArchiveDetails: details}).Scan(t.Context())
		require.Len(t, tree.Connectors, 1)
		c := tree.Connectors[0]
		errFiles := c.Folder(Error).Files
		require.Len(t, errFiles, 3)
		oldest := errFiles[0].Entered
		for _, f := range errFiles {
			if f.Name == "e3.bac" {
				assert.True(t, f.ModTime.Equal(old))
			}
			if f.Entered.Before(oldest) {
				oldest = f.Entered
			}
		}
		assert.True(t, c.Folder(Error).Oldest.Equal(oldest))
		assert.True(t, c.Folder(Error).Oldest.After(old))
		assert.True(t, c.Folder(Receive).Oldest.After(old))
		assert.Equal(t, !details, c.Folder(Archive).Oldest.IsZero())
		assert.True(t, c.Folder(Offline).Oldest.After(old))
	}
}

func TestScanRootBehindSymlink(t *testing.T) {
	tests := []struct {
		desc     string
		target   string // below the temporary folder
		wantPath string // of the connector, below the link
	}{
		{desc: "backbone-issue-sync folder", target: "data/backbone-issue-sync", wantPath: "default/INT-1/AP-1"},
		{desc: "namespace folder", target: "data/backbone-issue-sync/default", wantPath: "INT-1/AP-1"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, connectorTree("data/backbone-issue-sync/default/INT-1/AP-1"))
			link := filepath.Join(dir, "link")
			require.NoError(t, os.Symlink(filepath.Join(dir, tt.target), link))
			tree := NewScanner(Options{Root: link}).Scan(t.Context())
			assert.Empty(t, tree.Problems)
			assert.Equal(t, map[string]map[Folder]folderWant{"default/INT-1/AP-1": busy()}, summary(tree))
			require.Len(t, tree.Connectors, 1)
			assert.Equal(t, filepath.Join(link, filepath.FromSlash(tt.wantPath)), tree.Connectors[0].Path)
		})
	}
}

// TestScanWhileMessagesMove scans while files and issue folders come and go,
// as Backbone moves messages all the time: whatever vanishes between a
// listing and its stat is skipped without a problem.
func TestScanWhileMessagesMove(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, connectorTree("default/INT-1/AP-1"))
	recv := filepath.Join(dir, "default", "INT-1", "AP-1", "RECEIVE")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			issue := filepath.Join(recv, "error", fmt.Sprintf("AP-%d", 100+i%5))
			name := fmt.Sprintf("m%d.bac", i%50)
			_ = os.MkdirAll(issue, 0o755)
			_ = os.WriteFile(filepath.Join(recv, name), []byte("m"), 0o644)
			_ = os.WriteFile(filepath.Join(issue, name), []byte("e"), 0o644)
			_ = os.Rename(filepath.Join(recv, name), filepath.Join(recv, "archive", name))
			_ = os.Remove(filepath.Join(recv, "archive", fmt.Sprintf("m%d.bac", (i+25)%50)))
			_ = os.RemoveAll(filepath.Join(recv, "error", fmt.Sprintf("AP-%d", 100+(i+2)%5)))
		}
	}()
	s := NewScanner(Options{Root: dir})
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) {
		tree := s.Scan(t.Context())
		assert.Empty(t, tree.Problems)
		assert.Len(t, tree.Connectors, 1)
	}
	close(stop)
	<-done
}
