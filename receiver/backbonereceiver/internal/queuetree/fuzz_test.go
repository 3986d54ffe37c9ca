package queuetree

import (
	"bytes"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func FuzzClassify(f *testing.F) {
	for _, rel := range []string{
		"default/INT-16/AP-29/RECEIVE/000010.bac",
		"default/INT-16/AP-29/RECEIVE/archive/000001.bac",
		"default/INT-16/AP-29/RECEIVE/error/AP-123/000003.bac",
		"default/INT-16/AP-29/RECEIVE/error/000003.bac",
		"default/INT-16/AP-29/RECEIVE/issue-missing/AP-7/000006.bac",
		"default/INT-16/AP-29/RECEIVE/sequence-error/nested/n.bac",
		"default/INT-16/AP-29/RECEIVE/unexpected/u.bac",
		"default/INT-16/AP-29/RECEIVE/archive",
		"default/INT-16/AP-29/SEND/error/000009.bac",
		"default/INT-16/AP-29/SEND/error",
		"default/INT-16/AP-29/SEND/000008.bac",
		"INT-16/AP-29/SEND/000008.bac",
		"default/INT-16/AP-29/RECEIVE",
		"default/\xff/AP-\xfe/RECEIVE/error/\xff/m\xfe.bac",
		"", "/", "a//b/c/RECEIVE/x", "./INT-1/AP-1/SEND/x", "default/../AP-1/SEND/x", "d/i/c/SEND/x\x00",
	} {
		f.Add(rel, false)
		f.Add(rel, true)
	}
	f.Fuzz(func(t *testing.T, rel string, rootIsNamespace bool) {
		p, ok := Classify(rel, rootIsNamespace)
		if !ok {
			require.Equal(t, Place{}, p)
			return
		}
		require.GreaterOrEqual(t, p.Folder.index(), 0, "a known folder")
		require.NotEmpty(t, p.Integration)
		require.NotEmpty(t, p.Connector)
		require.Equal(t, rootIsNamespace, p.Namespace == "")
		if !p.Folder.HasIssues() {
			require.Empty(t, p.Issue)
		}
		if p.Folder.HasIssues() || p.Folder == Archive {
			require.Empty(t, p.Subfolder)
		}
		// The place and the file's name give the path back.
		var parts []string
		if !rootIsNamespace {
			parts = append(parts, p.Namespace)
		}
		parts = append(parts, p.Integration, p.Connector, p.Folder.Dir())
		if p.Issue != "" {
			parts = append(parts, p.Issue)
		}
		if p.Subfolder != "" {
			parts = append(parts, p.Subfolder)
		}
		require.Equal(t, rel, strings.Join(append(parts, path.Base(rel)), "/"))
		// The two layouts differ by the namespace only.
		if !rootIsNamespace {
			q, ok := Classify(strings.TrimPrefix(rel, p.Namespace+"/"), true)
			require.True(t, ok)
			p.Namespace = ""
			require.Equal(t, p, q)
		}
	})
}

// fuzzTokens stand for the names of the layout, so that the fuzzer reaches deep into a
// tree without having to guess them: a path segment of one byte 0x01..0x10 is replaced by
// the name at that index.
var fuzzTokens = [...]string{
	1: "default", 2: "INT-1", 3: "INT-2", 4: "AP-1", 5: "BP-2", 6: receiveDir, 7: sendDir,
	8: "archive", 9: "error", 10: "issue-missing", 11: "sequence-error", 12: "offline",
	13: "invalid", 14: "discard", 15: "AP-123", 16: "m.bac",
}

// Bounds of a generated tree.
const (
	maxFuzzEntries = 40
	maxFuzzDepth   = 9
)

// writeFuzzTree creates the entries described by data below root: one per line,
// segments separated by "/", a trailing "/" for a folder, anything else a file. Entries
// that cannot be created (a file in the way, a name the file system refuses) are left out;
// the tree is read back from disk afterwards.
func writeFuzzTree(root string, data []byte) {
	for i, line := range bytes.Split(data, []byte("\n")) {
		if i == maxFuzzEntries {
			return
		}
		isDir := bytes.HasSuffix(line, []byte("/"))
		segs := bytes.Split(bytes.TrimSuffix(line, []byte("/")), []byte("/"))
		if len(segs) > maxFuzzDepth {
			continue
		}
		names := make([]string, 0, len(segs))
		for _, s := range segs {
			name := string(s)
			if len(s) == 1 && int(s[0]) < len(fuzzTokens) && fuzzTokens[s[0]] != "" {
				name = fuzzTokens[s[0]]
			}
			if name == "" || name == "." || name == ".." || len(name) > 255 || strings.IndexByte(name, 0) >= 0 {
				names = nil
				break
			}
			names = append(names, name)
		}
		if names == nil {
			continue
		}
		p := filepath.Join(append([]string{root}, names...)...)
		if isDir {
			_ = os.MkdirAll(p, 0o755)
			continue
		}
		if os.MkdirAll(filepath.Dir(p), 0o755) == nil {
			_ = os.WriteFile(p, make([]byte, len(names[len(names)-1])%7), 0o644)
		}
	}
}

// diskTree is a tree as read back from disk: relative slash-separated paths.
type diskTree struct {
	dirs  map[string]bool
	files map[string]int64 // size
}

func readDiskTree(t *testing.T, root string) diskTree {
	t.Helper()
	d := diskTree{dirs: map[string]bool{}, files: map[string]int64{}}
	require.NoError(t, filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		require.NoError(t, err)
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		require.NoError(t, err)
		rel = filepath.ToSlash(rel)
		if e.IsDir() {
			d.dirs[rel] = true
			return nil
		}
		fi, err := e.Info()
		require.NoError(t, err)
		require.True(t, fi.Mode().IsRegular())
		d.files[rel] = fi.Size()
		return nil
	}))
	return d
}

// subdirs returns the folders directly in the folder rel ("" for the root).
func (d diskTree) subdirs(rel string) []string {
	var out []string
	for dir := range d.dirs {
		parent, name := path.Split(dir)
		if strings.TrimSuffix(parent, "/") == rel {
			out = append(out, name)
		}
	}
	return out
}

func (d diskTree) exists(rel string) bool {
	_, file := d.files[rel]
	return file || d.dirs[rel]
}

// rootIsNamespace mirrors the scanner's choice of layout (discover.isNamespace): the root
// is a namespace folder when a child is named like an integration, or holds connectors
// without a child named so.
func (d diskTree) rootIsNamespace() bool {
	children := d.subdirs("")
	for _, c := range children {
		if isIntegrationKey(c) {
			return true
		}
	}
next:
	for _, c := range children {
		grandchildren := d.subdirs(c)
		for _, g := range grandchildren {
			if isIntegrationKey(g) {
				continue next
			}
		}
		for _, g := range grandchildren {
			if d.dirs[c+"/"+g+"/"+receiveDir] || d.dirs[c+"/"+g+"/"+sendDir] {
				return true
			}
		}
	}
	return false
}

func join2(a, b string) string {
	if a == "" {
		return b
	}
	return a + "/" + b
}

// connectorKey names a connector the way a scan reports it: names made valid UTF-8.
type connectorKey struct{ namespace, integration, connector string }

func newConnectorKey(ns, integration, connector string) connectorKey {
	return connectorKey{validUTF8(ns), validUTF8(integration), validUTF8(connector)}
}

// folderTotals adds up one folder over the connectors of one key.
type folderTotals struct {
	messages, bytes int64
	bytesKnown      bool
	issues          map[string]bool // expected: raw paths of issue folders holding a message
	issueCount      int64           // scanned
}

type treeTotals map[connectorKey]*[NumFolders]folderTotals

func (tt treeTotals) get(k connectorKey) *[NumFolders]folderTotals {
	if tt[k] == nil {
		tt[k] = &[NumFolders]folderTotals{}
		for i := range tt[k] {
			tt[k][i].bytesKnown = true
			tt[k][i].issues = map[string]bool{}
		}
	}
	return tt[k]
}

// expectedTotals is what a scan of d must report, derived from Classify.
func expectedTotals(t *testing.T, d diskTree, rootName string) treeTotals {
	t.Helper()
	ns := d.rootIsNamespace()
	out := treeTotals{}
	namespaces := []string{""}
	if !ns {
		namespaces = d.subdirs("")
	}
	for _, n := range namespaces {
		for _, i := range d.subdirs(n) {
			for _, c := range d.subdirs(join2(n, i)) {
				conn := join2(n, i) + "/" + c
				if d.exists(conn+"/"+receiveDir) || d.exists(conn+"/"+sendDir) {
					out.get(newConnectorKey(or(n, rootName), i, c))
				}
			}
		}
	}
	for rel, size := range d.files {
		p, ok := Classify(rel, ns)
		if !ok {
			continue
		}
		k := newConnectorKey(or(p.Namespace, rootName), p.Integration, p.Connector)
		require.Contains(t, out, k, "%q lies in a connector", rel)
		ft := &out.get(k)[p.Folder.index()]
		ft.messages++
		ft.bytes += size
		if p.Issue != "" {
			ft.issues[strings.Join([]string{p.Namespace, p.Integration, p.Connector, p.Issue}, "/")] = true
		}
	}
	return out
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// scannedTotals adds up a scan and checks what holds for each connector on its own.
func scannedTotals(t *testing.T, tree *Tree) treeTotals {
	t.Helper()
	out := treeTotals{}
	for _, c := range tree.Connectors {
		require.True(t, utf8.ValidString(c.Path))
		require.True(t, strings.HasPrefix(c.Path, tree.Root+"/"), c.Path)
		totals := out.get(connectorKey{c.Namespace, c.IntegrationKey, c.ConnectorKey})
		for i, f := range Folders {
			st := c.Folders[i]
			ft := &totals[i]
			require.GreaterOrEqual(t, st.Messages, int64(0))
			ft.messages += st.Messages
			ft.issueCount += st.Issues
			if st.BytesKnown {
				ft.bytes += st.Bytes
			} else {
				ft.bytesKnown = false
			}
			if !f.HasIssues() {
				require.Zero(t, st.Issues)
			}
			require.LessOrEqual(t, st.Issues, st.Messages)
			if !f.Watched() {
				require.Empty(t, st.Files)
				continue
			}
			require.Len(t, st.Files, int(st.Messages), "every message of a watched folder is listed")
			var size int64
			for _, file := range st.Files {
				size += file.Size
				require.True(t, utf8.ValidString(file.Path) && utf8.ValidString(file.Name) && utf8.ValidString(file.Issue))
				require.True(t, strings.HasPrefix(file.Path, c.Path+"/"+f.Dir()+"/"), file.Path)
				if !f.HasIssues() {
					require.Empty(t, file.Issue)
				}
			}
			require.Equal(t, st.Bytes, size)
		}
	}
	return out
}

func requireSameTotals(t *testing.T, want, got treeTotals) {
	t.Helper()
	require.Len(t, got, len(want), "connectors")
	for k, w := range want {
		g, ok := got[k]
		require.True(t, ok, "connector %+v not reported", k)
		for i, f := range Folders {
			require.Equal(t, w[i].messages, g[i].messages, "%+v %s messages", k, f)
			require.Equal(t, int64(len(w[i].issues)), g[i].issueCount, "%+v %s issues", k, f)
			if g[i].bytesKnown {
				require.Equal(t, w[i].bytes, g[i].bytes, "%+v %s bytes", k, f)
			}
		}
	}
}

// FuzzScanTree writes a tree whose names and shape come from the fuzzer, scans it twice
// (the second time from the cache of unchanged folders) and checks that the scans never
// fail, agree with each other, and count exactly the files Classify says they count.
func FuzzScanTree(f *testing.F) {
	f.Add([]byte("\x01/\x02/\x04/\x06/m1.bac\n\x01/\x02/\x04/\x06/\x08/a1.bac\n\x01/\x02/\x04/\x06/\x09/\x0f/e1.bac\n\x01/\x02/\x04/\x07/\x09/s.bac"), false)
	f.Add([]byte("\x01/\x02/\x04/\x06/\x08/a.bac\n\x01/\x02/\x04/\x06/\x08/b.bac\n\x01/\x02/\x05/\x07/"), true)
	f.Add([]byte("\x02/\x04/\x06/\x0a/\x0f/i.bac\n\x02/\x04/\x06/\x0b/x/deep.bac\n\x02/\x04/\x07/\x09"), false)
	f.Add([]byte("\x01/\x02/\x04/\x06/\x08\n\x01/\x02/\x04/\x06/\x09/f\n\x01/\x02/\x04/\x07"), false)
	f.Add([]byte("\x01/\xff/A\xfeP/\x06/\x09/\xfe/m\xff.bac\n\x01/\xff/A\xfdP/\x07/s.bac"), false)
	f.Add([]byte("x/y/\x06/\x0c/o.bac\nx/\x03/"), false)
	f.Fuzz(func(t *testing.T, data []byte, archiveDetails bool) {
		root := filepath.Join(t.TempDir(), "backbone-issue-sync")
		require.NoError(t, os.Mkdir(root, 0o755))
		writeFuzzTree(root, data)
		want := expectedTotals(t, readDiskTree(t, root), filepath.Base(root))

		s := NewScanner(Options{Root: root, ArchiveDetails: archiveDetails})
		s.now = func() time.Time { return time.Now().Add(time.Hour) } // listings are not racy: the cache is used
		var trees [2]*Tree
		for i := range trees {
			tree := s.Scan(t.Context())
			require.NotNil(t, tree)
			require.Equal(t, root, tree.Root)
			for _, p := range tree.Problems {
				require.Contains(t, []ProblemKind{NotADirectory, InvalidName, UnexpectedSubfolder, UnknownFolder}, p.Kind, "%s: %v", p.Path, p.Err)
				require.True(t, utf8.ValidString(p.Path))
				require.True(t, strings.HasPrefix(p.Path, root+"/"), p.Path)
			}
			requireSameTotals(t, want, scannedTotals(t, tree))
			trees[i] = tree
		}
		require.Equal(t, trees[0].Problems, trees[1].Problems)
	})
}

// TestFuzzTreeHarness checks the generator and the expectations of FuzzScanTree on a tree
// of known content, so that the fuzz target cannot pass by comparing two empty results.
func TestFuzzTreeHarness(t *testing.T) {
	root := filepath.Join(t.TempDir(), "backbone-issue-sync")
	require.NoError(t, os.Mkdir(root, 0o755))
	writeFuzzTree(root, []byte("\x01/\x02/\x04/\x06/r.bac\n\x01/\x02/\x04/\x06/\x09/\x0f/e.bac\n\x01/\x02/\x04/\x06/\x09/loose.bac\n"+
		"\x01/\x02/\x04/\x07/\x09/se.bac\n\x01/\x02/\x04/\x06/\x08\n\x01/\x02/\x04/\x06/\x0b/sub/deep.bac\n\x01/\x02/odd/"))
	want := expectedTotals(t, readDiskTree(t, root), filepath.Base(root))
	require.Len(t, want, 1)
	got := want[connectorKey{"default", "INT-1", "AP-1"}]
	require.NotNil(t, got)
	counts := map[Folder]int64{}
	for i, f := range Folders {
		counts[f] = got[i].messages
	}
	require.Equal(t, map[Folder]int64{Receive: 1, Archive: 0, Error: 2, IssueMissing: 0, SequenceError: 1, Offline: 0,
		Invalid: 0, Discard: 0, Send: 0, SendError: 1}, counts)
	require.Len(t, got[Error.index()].issues, 1)

	tree := NewScanner(Options{Root: root}).Scan(t.Context())
	requireSameTotals(t, want, scannedTotals(t, tree))
	require.Len(t, tree.Problems, 2)
	require.Equal(t, NotADirectory, tree.Problems[0].Kind, "archive is a file")
	require.Equal(t, UnexpectedSubfolder, tree.Problems[1].Kind, "sequence-error/sub")
}
