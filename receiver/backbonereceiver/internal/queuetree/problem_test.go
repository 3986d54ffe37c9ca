package queuetree

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// problemWant is a problem with its path relative to the scanned folder.
type problemWant struct {
	Path string
	Kind ProblemKind
}

func relProblems(t *testing.T, dir string, tree *Tree) []problemWant {
	t.Helper()
	var out []problemWant
	for _, p := range tree.Problems {
		rel, err := filepath.Rel(dir, p.Path)
		require.NoError(t, err)
		out = append(out, problemWant{Path: filepath.ToSlash(rel), Kind: p.Kind})
		assert.Error(t, p.Err)
	}
	return out
}

func TestScanProblems(t *testing.T) {
	const conn = "default/INT-1/AP-1"
	tests := []struct {
		desc     string
		files    map[string]string
		setup    func(t *testing.T, dir string)
		root     string // below the temporary folder
		want     []problemWant
		wantTree map[string]map[Folder]folderWant
	}{
		{
			desc:     "file where RECEIVE should be",
			files:    map[string]string{conn + "/RECEIVE": "oops", conn + "/SEND/s.bac": "s"},
			want:     []problemWant{{conn + "/RECEIVE", NotADirectory}},
			wantTree: map[string]map[Folder]folderWant{conn: with(absent(), map[Folder]folderWant{Receive: {}, Send: {Exists: true, BytesKnown: true, Messages: 1, Bytes: 1}})},
		},
		{
			desc:  "file where archive and error should be",
			files: map[string]string{conn + "/RECEIVE/archive": "oops", conn + "/RECEIVE/error": "oops"},
			want:  []problemWant{{conn + "/RECEIVE/archive", NotADirectory}, {conn + "/RECEIVE/error", NotADirectory}},
			wantTree: map[string]map[Folder]folderWant{conn: with(absent(), map[Folder]folderWant{
				Receive: {Exists: true, BytesKnown: true},
				Error:   {},
			})},
		},
		{
			desc:  "symbolic link where folders should be",
			files: merge(connectorTree(conn), map[string]string{"elsewhere/x.bac": "x"}),
			setup: func(t *testing.T, dir string) {
				target := filepath.Join(dir, "elsewhere")
				for _, p := range []string{conn + "/RECEIVE/offline", conn + "/RECEIVE/error/AP-1", "default/INT-9", "default/INT-1/AP-2", "other"} {
					path := filepath.Join(dir, p)
					require.NoError(t, os.RemoveAll(path))
					require.NoError(t, os.Symlink(target, path))
				}
			},
			want: []problemWant{
				{"default/INT-1/AP-1/RECEIVE/error/AP-1", Symlink},
				{"default/INT-1/AP-1/RECEIVE/offline", Symlink},
				{"default/INT-1/AP-2", Symlink},
				{"default/INT-9", Symlink},
				{"other", Symlink},
			},
			wantTree: map[string]map[Folder]folderWant{conn: with(busy(), map[Folder]folderWant{
				Offline: {},
				Error:   {Exists: true, BytesKnown: true, Messages: 1, Bytes: 4, Issues: 1},
			})},
		},
		{
			desc:  "symbolic link loops",
			files: connectorTree(conn),
			setup: func(t *testing.T, dir string) {
				for link, target := range map[string]string{
					conn + "/RECEIVE/archive/loop":        "..",
					conn + "/RECEIVE/sequence-error/loop": "../../..",
					conn + "/RECEIVE/error/AP-1/self":     "self",
					"default/INT-7":                       "INT-7",
				} {
					require.NoError(t, os.Symlink(target, filepath.Join(dir, link)))
				}
			},
			want:     []problemWant{{"default/INT-7", Symlink}},
			wantTree: map[string]map[Folder]folderWant{conn: busy()},
		},
		{
			desc: "names that are not UTF-8",
			files: map[string]string{
				"default/INT-\xff/AP-\xfe1/RECEIVE/archive/\xff.bac":       "a",
				"default/INT-\xff/AP-\xfe1/RECEIVE/error/\xff1/\xfe.bac":   "e",
				"default/INT-\xff/AP-\xfe1/RECEIVE/sequence-error/ok.bac":  "s",
				"default/INT-\xff/AP-\xfe1/RECEIVE/sequence-error/\xfe.bc": "s",
			},
			want: []problemWant{
				{"default/INT-\uFFFD", InvalidName},
				{"default/INT-\uFFFD/AP-\uFFFD1", InvalidName},
				{"default/INT-\uFFFD/AP-\uFFFD1/RECEIVE/error/\uFFFD1", InvalidName},
				{"default/INT-\uFFFD/AP-\uFFFD1/RECEIVE/error/\uFFFD1/\uFFFD.bac", InvalidName},
				{"default/INT-\uFFFD/AP-\uFFFD1/RECEIVE/sequence-error/\uFFFD.bc", InvalidName},
			},
			wantTree: map[string]map[Folder]folderWant{"default/INT-\uFFFD/AP-\uFFFD1": with(absent(), map[Folder]folderWant{
				Receive:       {Exists: true, BytesKnown: true},
				Archive:       {Exists: true, Messages: 1},
				Error:         {Exists: true, BytesKnown: true, Messages: 1, Bytes: 1, Issues: 1},
				SequenceError: {Exists: true, BytesKnown: true, Messages: 2, Bytes: 2},
			})},
		},
		{
			desc: "root is a file",
			root: "root",
			setup: func(t *testing.T, dir string) {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "root"), nil, 0o644))
			},
			want: []problemWant{{"root", NotADirectory}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tt.files)
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			tree := NewScanner(Options{Root: filepath.Join(dir, tt.root)}).Scan(t.Context())
			assert.Equal(t, tt.want, relProblems(t, dir, tree))
			if tt.wantTree == nil {
				tt.wantTree = map[string]map[Folder]folderWant{}
			}
			assert.Equal(t, tt.wantTree, summary(tree))
		})
	}
}

func TestScanInvalidNamesAreReportedValid(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"default/INT-1/AP-\xfe/RECEIVE/error/\xff/\xfe.bac": "e"})
	tree := NewScanner(Options{Root: dir}).Scan(t.Context())
	require.Len(t, tree.Connectors, 1)
	c := tree.Connectors[0]
	assert.Equal(t, "AP-\uFFFD", c.ConnectorKey)
	f := c.Folder(Error).Files[0]
	assert.Equal(t, File{Path: filepath.Join(dir, "default/INT-1/AP-\uFFFD/RECEIVE/error/\uFFFD/\uFFFD.bac"), Name: "\uFFFD.bac", Issue: "\uFFFD", Size: 1, ModTime: f.ModTime, Entered: f.Entered}, f)
	assert.False(t, f.Entered.IsZero())
}

func TestScanPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every folder; TestScanProblems covers unreadable places with files where folders should be")
	}
	dir := t.TempDir()
	writeTree(t, dir, merge(connectorTree("default/INT-1/AP-1"), connectorTree("default/INT-2/BP-1"), connectorTree("default/INT-3/CP-1")))
	// offline/ can be listed but its files not stat'ed.
	locked := map[string]os.FileMode{
		"default/INT-2":                      0,
		"default/INT-3/CP-1/RECEIVE/error":   0,
		"default/INT-3/CP-1/RECEIVE/archive": 0,
		"default/INT-3/CP-1/RECEIVE/offline": 0o444,
	}
	for p, mode := range locked {
		path := filepath.Join(dir, p)
		require.NoError(t, os.Chmod(path, mode))
		t.Cleanup(func() { _ = os.Chmod(path, 0o755) })
	}
	tree := NewScanner(Options{Root: dir}).Scan(t.Context())
	assert.Equal(t, []problemWant{
		{"default/INT-2", PermissionDenied},
		{"default/INT-3/CP-1/RECEIVE/archive", PermissionDenied},
		{"default/INT-3/CP-1/RECEIVE/error", PermissionDenied},
		{"default/INT-3/CP-1/RECEIVE/offline", PermissionDenied},
	}, relProblems(t, dir, tree))
	assert.Equal(t, map[string]map[Folder]folderWant{
		"default/INT-1/AP-1": busy(),
		"default/INT-3/CP-1": with(busy(), map[Folder]folderWant{
			Archive: {Exists: true},
			Error:   {Exists: true},
			Offline: {Exists: true},
		}),
	}, summary(tree))
}

func TestScanRootMissingThenAppearing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backbone-issue-sync")
	s := NewScanner(Options{Root: dir})
	tree := s.Scan(t.Context())
	assert.Empty(t, tree.Connectors)
	require.Len(t, tree.Problems, 1)
	assert.Equal(t, Problem{Path: dir, Kind: RootMissing, Err: tree.Problems[0].Err}, tree.Problems[0])
	assert.ErrorIs(t, tree.Problems[0].Err, os.ErrNotExist)

	writeTree(t, dir, connectorTree("default/INT-1/AP-1"))
	tree = s.Scan(t.Context())
	assert.Empty(t, tree.Problems)
	assert.Equal(t, map[string]map[Folder]folderWant{"default/INT-1/AP-1": busy()}, summary(tree))
}

func TestScanEmptyRoot(t *testing.T) {
	tree := NewScanner(Options{}).Scan(t.Context())
	require.Len(t, tree.Problems, 1)
	assert.Equal(t, RootMissing, tree.Problems[0].Kind)
}

func TestProblemString(t *testing.T) {
	for _, kind := range []ProblemKind{RootMissing, PermissionDenied, NotADirectory, Symlink, InvalidName, ReadError} {
		t.Run(string(kind), func(t *testing.T) {
			s := Problem{Path: "/data/backbone-issue-sync/default/INT-1", Kind: kind, Err: os.ErrPermission}.String()
			assert.Contains(t, s, "/data/backbone-issue-sync/default/INT-1")
			assert.True(t, strings.HasSuffix(s, "."), s)
			assert.Equal(t, 1, strings.Count(s, ". ")+1, "one sentence: %s", s)
		})
	}
}

func TestKindOf(t *testing.T) {
	pathErr := func(err error) error { return &fs.PathError{Op: "open", Path: "/x", Err: err} }
	tests := []struct {
		desc     string
		err      error
		want     ProblemKind
		reported bool
	}{
		{desc: "vanished, as Backbone moves messages", err: pathErr(syscall.ENOENT)},
		{desc: "permission denied", err: pathErr(syscall.EACCES), want: PermissionDenied, reported: true},
		{desc: "operation not permitted", err: pathErr(syscall.EPERM), want: PermissionDenied, reported: true},
		{desc: "file where a folder should be", err: pathErr(syscall.ENOTDIR), want: NotADirectory, reported: true},
		{desc: "symbolic link opened without following", err: pathErr(syscall.ELOOP), want: Symlink, reported: true},
		{desc: "symbolic link seen in a listing", err: errSymlink, want: Symlink, reported: true},
		{desc: "input/output error", err: pathErr(syscall.EIO), want: ReadError, reported: true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			kind, reported := kindOf(tt.err)
			assert.Equal(t, tt.want, kind)
			assert.Equal(t, tt.reported, reported)
		})
	}
}
