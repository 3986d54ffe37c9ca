package queuetree

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A layout Backbone does not document is counted, not dropped: the files of a
// subfolder in a flat folder are that folder's messages, and the subfolder is
// reported.
func TestScanUnexpectedSubfolder(t *testing.T) {
	const conn = "default/INT-1/AP-1"
	tests := []struct {
		desc         string
		files        map[string]string
		details      bool
		folder       Folder
		want         folderWant
		wantFiles    []string // relative to the connector
		wantProblems []problemWant
	}{
		{
			desc:         "sequence-error",
			files:        map[string]string{"RECEIVE/sequence-error/s1.bac": "s1", "RECEIVE/sequence-error/held/s2.bac": "s22", "RECEIVE/sequence-error/held/deeper/x.bac": "too deep"},
			folder:       SequenceError,
			want:         folderWant{Exists: true, BytesKnown: true, Messages: 2, Bytes: 5},
			wantFiles:    []string{"RECEIVE/sequence-error/held/s2.bac", "RECEIVE/sequence-error/s1.bac"},
			wantProblems: []problemWant{{conn + "/RECEIVE/sequence-error/held", UnexpectedSubfolder}},
		},
		{
			desc:         "offline, subfolder only",
			files:        map[string]string{"RECEIVE/offline/2026-12-01/o1.bac": "o1", "RECEIVE/offline/2026-12-01/o2.bac": "o2"},
			folder:       Offline,
			want:         folderWant{Exists: true, BytesKnown: true, Messages: 2, Bytes: 4},
			wantFiles:    []string{"RECEIVE/offline/2026-12-01/o1.bac", "RECEIVE/offline/2026-12-01/o2.bac"},
			wantProblems: []problemWant{{conn + "/RECEIVE/offline/2026-12-01", UnexpectedSubfolder}},
		},
		{
			desc:         "invalid",
			files:        map[string]string{"RECEIVE/invalid/x/partial.tmp": "p"},
			folder:       Invalid,
			want:         folderWant{Exists: true, BytesKnown: true, Messages: 1, Bytes: 1},
			wantFiles:    []string{"RECEIVE/invalid/x/partial.tmp"},
			wantProblems: []problemWant{{conn + "/RECEIVE/invalid/x", UnexpectedSubfolder}},
		},
		{
			desc:   "discard is counted, its files not listed",
			files:  map[string]string{"RECEIVE/discard/a/d1.bac": "d1", "RECEIVE/discard/b/": ""},
			folder: Discard,
			want:   folderWant{Exists: true, BytesKnown: true, Messages: 1, Bytes: 2},
			wantProblems: []problemWant{
				{conn + "/RECEIVE/discard/a", UnexpectedSubfolder},
				{conn + "/RECEIVE/discard/b", UnexpectedSubfolder},
			},
		},
		{
			desc:         "SEND/error",
			files:        map[string]string{"SEND/error/retry/se1.bac": "se1", "SEND/error/se2.bac": "se2"},
			folder:       SendError,
			want:         folderWant{Exists: true, BytesKnown: true, Messages: 2, Bytes: 6},
			wantFiles:    []string{"SEND/error/retry/se1.bac", "SEND/error/se2.bac"},
			wantProblems: []problemWant{{conn + "/SEND/error/retry", UnexpectedSubfolder}},
		},
		{
			desc:      "a file directly in error/ is counted as before, without a problem",
			files:     map[string]string{"RECEIVE/error/loose.bac": "l", "RECEIVE/error/AP-1/e1.bac": "e1"},
			folder:    Error,
			want:      folderWant{Exists: true, BytesKnown: true, Messages: 2, Bytes: 3, Issues: 1},
			wantFiles: []string{"RECEIVE/error/AP-1/e1.bac", "RECEIVE/error/loose.bac"},
		},
		{
			desc:   "archive keeps to its files",
			files:  map[string]string{"RECEIVE/archive/a1.bac": "a1", "RECEIVE/archive/2025/a0.bac": "a0"},
			folder: Archive,
			want:   folderWant{Exists: true, Messages: 1},
		},
		{
			desc:    "archive with details keeps to its files too",
			files:   map[string]string{"RECEIVE/archive/a1.bac": "a1", "RECEIVE/archive/2025/a0.bac": "a0"},
			details: true,
			folder:  Archive,
			want:    folderWant{Exists: true, BytesKnown: true, Messages: 1, Bytes: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{}
			for rel, content := range tt.files {
				files[conn+"/"+rel] = content
			}
			writeTree(t, dir, files)
			tree := NewScanner(Options{Root: dir, ArchiveDetails: tt.details}).Scan(t.Context())
			assert.Equal(t, tt.wantProblems, relProblems(t, dir, tree))
			for _, p := range tree.Problems {
				assert.False(t, p.Kind.Unreadable(), "the subfolder was read")
				assert.Contains(t, p.String(), "its files are counted with the folder around it")
			}
			require.Len(t, tree.Connectors, 1)
			c := tree.Connectors[0]
			fs := c.Folder(tt.folder)
			assert.Equal(t, tt.want, folderWant{Exists: fs.Exists, BytesKnown: fs.BytesKnown, Messages: fs.Messages, Bytes: fs.Bytes, Issues: fs.Issues})
			var got []string
			for _, f := range fs.Files {
				rel, err := filepath.Rel(c.Path, f.Path)
				require.NoError(t, err)
				got = append(got, filepath.ToSlash(rel))
				assert.Equal(t, filepath.Base(f.Path), f.Name)
				if f.Issue != "" {
					assert.Equal(t, filepath.Base(filepath.Dir(f.Path)), f.Issue, "only issue folders name an issue")
				}
			}
			assert.Equal(t, tt.wantFiles, got)
		})
	}
}

// A flat folder holding only a subfolder is not remembered as empty: files
// that arrive in the subfolder do not change the folder around it.
func TestScanSeesFilesArrivingInASubfolder(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"default/INT-1/AP-1/RECEIVE/offline/sub/": ""})
	sub := filepath.Join(dir, "default", "INT-1", "AP-1", "RECEIVE", "offline", "sub")
	s := NewScanner(Options{Root: dir})
	s.now = func() time.Time { return time.Now().Add(time.Minute) } // nothing is racy: the cache is used
	var got []int64
	for _, change := range []func(){
		func() {},
		func() { writeTree(t, sub, map[string]string{"o1.bac": "o1"}) },
		func() { writeTree(t, sub, map[string]string{"o2.bac": "o2"}) },
		func() {},
	} {
		change()
		tree := s.Scan(t.Context())
		require.Len(t, tree.Problems, 1)
		got = append(got, tree.Connectors[0].Folder(Offline).Messages)
	}
	assert.Equal(t, []int64{0, 1, 2, 2}, got)
}

// A folder in RECEIVE/ or SEND/ that the layout does not know, as an upgrade of Backbone
// that adds or renames one makes, is reported and its files are not counted; a known
// folder renamed is then absent.
func TestScanUnknownFolder(t *testing.T) {
	const conn = "default/INT-1/AP-1"
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		conn + "/RECEIVE/r.bac":                   "r",
		conn + "/RECEIVE/retry/u.bac":             "not counted",
		conn + "/RECEIVE/sequence-errors/s.bac":   "renamed: not counted",
		conn + "/RECEIVE/error/AP-1/e.bac":        "e",
		conn + "/SEND/later/":                     "",
		conn + "/SEND/error/se.bac":               "se",
		conn + "/RECEIVE/retry.bac":               "a file is a message",
		conn + "/RECEIVE/sequence-error-old.bac/": "",
	})
	tree := NewScanner(Options{Root: dir}).Scan(t.Context())
	assert.Equal(t, []problemWant{
		{conn + "/RECEIVE/retry", UnknownFolder},
		{conn + "/RECEIVE/sequence-error-old.bac", UnknownFolder},
		{conn + "/RECEIVE/sequence-errors", UnknownFolder},
		{conn + "/SEND/later", UnknownFolder},
	}, relProblems(t, dir, tree))
	for _, p := range tree.Problems {
		assert.False(t, p.Kind.Unreadable(), "nothing known is left unread")
		assert.Contains(t, p.String(), "is none of the folders Backbone is known to keep there: its files are not counted")
	}
	assert.Equal(t, map[string]map[Folder]folderWant{conn: with(absent(), map[Folder]folderWant{
		Receive:   {Exists: true, BytesKnown: true, Messages: 2, Bytes: 20},
		Error:     {Exists: true, BytesKnown: true, Messages: 1, Bytes: 1, Issues: 1},
		Send:      {Exists: true, BytesKnown: true},
		SendError: {Exists: true, BytesKnown: true, Messages: 1, Bytes: 2},
	})}, summary(tree))
}

func TestProblemKindUnreadable(t *testing.T) {
	tests := []struct {
		desc string
		kind ProblemKind
		want bool
	}{
		{desc: "root missing", kind: RootMissing, want: true},
		{desc: "permission denied", kind: PermissionDenied, want: true},
		{desc: "file for a folder", kind: NotADirectory, want: true},
		{desc: "symbolic link", kind: Symlink, want: true},
		{desc: "read error", kind: ReadError, want: true},
		{desc: "invalid name is read", kind: InvalidName},
		{desc: "unexpected subfolder is read", kind: UnexpectedSubfolder},
		{desc: "unknown folder holds nothing known", kind: UnknownFolder},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.kind.Unreadable())
		})
	}
}
