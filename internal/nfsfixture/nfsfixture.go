//go:build linux

// Package nfsfixture mounts a folder through FUSE so that the receiver sees it as it sees
// Jira's shared home on NFS, from a node other than the one Backbone runs on:
//
//   - Changes are made in the backing folder, beside the mount, as another node's Backbone
//     makes them on the server: the mount is not notified of them (inotify sees only what
//     passes through the mount).
//   - The kernel caches what the mount answered, as an NFS client does: attributes for
//     AttrTimeout (NFS's actimeo, acdirmin/acdirmax), names for EntryTimeout (NFS's
//     lookupcache), and a folder's listing until its attributes, refreshed after AttrTimeout,
//     show another modification time (FUSE's readdir cache, which NFS's readdir cache
//     matches: it is dropped when the folder's change is seen).
//   - It can hang: every directory read (lookup, getattr, opendir, readdir) blocks, without
//     error and regardless of signals, until released, as on a hard mount whose server
//     stops answering.
//
// It does not imitate NFS's close-to-open consistency, its adaptive attribute timeout
// (acregmin to acregmax grow with a file's age), its READDIRPLUS batching, nor a soft mount
// (whose calls fail with EIO after retrans): the receiver reads folders and attributes, never
// file contents.
package nfsfixture

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// Options set the mount's caching.
type Options struct {
	// AttrTimeout is how long the kernel trusts a file's or folder's attributes, and so a
	// folder's cached listing (NFS: actimeo).
	AttrTimeout time.Duration
	// EntryTimeout is how long the kernel trusts a name it looked up, found or not (NFS:
	// lookupcache; 0 is lookupcache=none).
	EntryTimeout time.Duration
}

// Mount is a mounted fixture.
type Mount struct {
	// Dir is where the folder is mounted: what the receiver is given.
	Dir string
	// Backing is the folder behind it: where changes are made.
	Backing string

	server *fuse.Server
	gate   *gate
	counts *counters
}

// Requests counts the requests the kernel sent the mount: what an NFS client would have
// asked its server, the rest being answered from its caches.
type Requests struct {
	Lookup, Getattr, Opendir int64
}

type counters struct {
	lookup, getattr, opendir atomic.Int64
}

// Start mounts backing on dir, an empty folder. It needs root (or CAP_SYS_ADMIN) and
// /dev/fuse.
func Start(dir, backing string, opts Options) (*Mount, error) {
	m := &Mount{Dir: dir, Backing: backing, gate: &gate{}, counts: &counters{}}
	root, err := fs.NewLoopbackRoot(backing)
	if err != nil {
		return nil, err
	}
	data := root.(*fs.LoopbackNode).RootData
	data.NewNode = func(data *fs.LoopbackRoot, _ *fs.Inode, _ string, _ *syscall.Stat_t) fs.InodeEmbedder {
		return &node{LoopbackNode: fs.LoopbackNode{RootData: data}, gate: m.gate, counts: m.counts}
	}
	data.RootNode = data.NewNode(data, nil, "", nil)
	attr, entry := opts.AttrTimeout, opts.EntryTimeout
	m.server, err = fs.Mount(dir, data.RootNode, &fs.Options{
		AttrTimeout:     &attr,
		EntryTimeout:    &entry,
		NegativeTimeout: &entry,
		MountOptions: fuse.MountOptions{
			FsName:            "nfsfixture",
			Name:              "nfsfixture",
			AllowOther:        true,
			DirectMountStrict: true, // mount(2) itself: fusermount is not needed
		},
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Close answers any blocked read and unmounts.
func (m *Mount) Close() error {
	m.Release()
	return m.server.Unmount()
}

// New mounts backing on a new folder for the test's duration, or skips the test where FUSE
// cannot be mounted (no /dev/fuse, not root, no FUSE in the kernel).
func New(t testing.TB, backing string, opts Options) *Mount {
	t.Helper()
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skipf("FUSE is unavailable (%v): the network file system fixture needs /dev/fuse", err)
	}
	m, err := Start(t.TempDir(), backing, opts)
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.ENOENT) {
		t.Skipf("FUSE cannot be mounted here (%v): the network file system fixture needs root and FUSE", err)
	}
	if err != nil {
		t.Fatalf("mount %s: %v", backing, err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("unmount %s: %v", m.Dir, err)
		}
	})
	return m
}

// Requests returns the requests counted since the mount.
func (m *Mount) Requests() Requests {
	return Requests{Lookup: m.counts.lookup.Load(), Getattr: m.counts.getattr.Load(), Opendir: m.counts.opendir.Load()}
}

// Hang makes every directory read of the mount block until Release.
func (m *Mount) Hang() { m.gate.close() }

// Release answers the reads blocked since Hang, and the next ones at once.
func (m *Mount) Release() { m.gate.open() }

// Blocked returns how many reads are waiting for Release.
func (m *Mount) Blocked() int64 {
	m.gate.mu.Lock()
	defer m.gate.mu.Unlock()
	return m.gate.waiting
}

// gate holds reads back while it is closed.
type gate struct {
	mu      sync.Mutex
	closed  chan struct{} // closed when the gate opens again; nil while open
	waiting int64
}

func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed == nil {
		g.closed = make(chan struct{})
	}
}

func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed != nil {
		close(g.closed)
		g.closed = nil
	}
}

// pass waits while the gate is closed. A hard mount ignores the caller's signals (the
// kernel's interrupt of the request), so the context is not consulted.
func (g *gate) pass() {
	g.mu.Lock()
	ch := g.closed
	if ch != nil {
		g.waiting++
	}
	g.mu.Unlock()
	if ch == nil {
		return
	}
	<-ch
	g.mu.Lock()
	g.waiting--
	g.mu.Unlock()
}

// node is a loopback node whose directory reads pass the gate, and whose folders' listings
// the kernel caches.
type node struct {
	fs.LoopbackNode
	gate   *gate
	counts *counters
}

var (
	_ fs.NodeLookuper       = (*node)(nil)
	_ fs.NodeGetattrer      = (*node)(nil)
	_ fs.NodeOpendirHandler = (*node)(nil)
	_ fs.NodeReaddirer      = (*node)(nil)
)

func (n *node) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	n.counts.lookup.Add(1)
	n.gate.pass()
	return n.LoopbackNode.Lookup(ctx, name, out)
}

func (n *node) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	n.counts.getattr.Add(1)
	n.gate.pass()
	return n.LoopbackNode.Getattr(ctx, f, out)
}

// OpendirHandle asks the kernel to keep the folder's listing (FOPEN_CACHE_DIR) across
// opens (FOPEN_KEEP_CACHE): it is read again only once the folder's attributes, refreshed
// after AttrTimeout, show that it changed.
func (n *node) OpendirHandle(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	n.counts.opendir.Add(1)
	n.gate.pass()
	fh, fuseFlags, errno := n.LoopbackNode.OpendirHandle(ctx, flags)
	return fh, fuseFlags | fuse.FOPEN_CACHE_DIR | fuse.FOPEN_KEEP_CACHE, errno
}

func (n *node) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	n.gate.pass()
	return n.LoopbackNode.Readdir(ctx)
}
