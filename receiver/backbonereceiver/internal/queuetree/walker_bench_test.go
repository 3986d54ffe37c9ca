//go:build linux

package queuetree

import (
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// referenceWalker counts the regular files of a tree the way a plain C
// program would at the physical limit: one thread, openat and getdents64
// into a reused buffer per depth, entry types from d_type, no stat, no
// string built for any name. It is the floor a full scan is compared with.
type referenceWalker struct {
	bufs [][]byte // one getdents buffer per depth, reused
}

// count returns the regular files below the folder at path.
func (r *referenceWalker) count(path string) (int64, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	return r.countFD(fd, 0)
}

// countFD counts below the open folder fd and closes it.
func (r *referenceWalker) countFD(fd, depth int) (int64, error) {
	defer syscall.Close(fd)
	if depth == len(r.bufs) {
		r.bufs = append(r.bufs, make([]byte, direntBufSize))
	}
	buf := r.bufs[depth]
	var files int64
	for {
		n, err := readDirent(fd, buf)
		if err != nil || n <= 0 {
			return files, err
		}
		eachDirent(buf[:n], func(rec []byte, typ byte) {
			switch {
			case err != nil:
			case typ == syscall.DT_REG:
				files++
			case typ == syscall.DT_DIR && !isDots(nameOf(rec)):
				var sub int64
				sub, err = r.countAt(fd, rec[direntName:], depth+1)
				files += sub
			}
		})
		if err != nil {
			return files, err
		}
	}
}

// countAt opens name, NUL-terminated as getdents64 gives it, in the folder
// fd and counts below it.
func (r *referenceWalker) countAt(fd int, name []byte, depth int) (int64, error) {
	sub, _, errno := syscall.Syscall6(syscall.SYS_OPENAT, uintptr(fd), uintptr(unsafe.Pointer(&name[0])),
		syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return r.countFD(int(sub), depth)
}

// BenchmarkScanVsWalker measures, interleaved in one process, the CPU time
// (user and system, getrusage) of the reference walker and of a full scan of
// the same tree, and reports their ratio: what the scan costs beyond
// reading the directories. Each run ends with a garbage collection, counted
// in its CPU, so that neither pays for the other's garbage.
func BenchmarkScanVsWalker(b *testing.B) {
	root := benchTree(b)
	var walkerCPU, scanCPU time.Duration
	var walked, scanned int64
	var r referenceWalker
	for b.Loop() {
		before := cpuTime(b)
		n, err := r.count(root)
		if err != nil {
			b.Fatal(err)
		}
		walked = n
		runtime.GC()
		mid := cpuTime(b)
		scanned = totalMessages(scanFor(b, NewScanner(Options{Root: root})))
		runtime.GC()
		walkerCPU += mid - before
		scanCPU += cpuTime(b) - mid
	}
	if scanned == 0 || walked < scanned {
		b.Fatalf("walker found %d files, scan %d messages", walked, scanned)
	}
	b.ReportMetric(float64(walkerCPU.Microseconds())/1000/float64(b.N), "walker-cpu-ms/op")
	b.ReportMetric(float64(scanCPU.Microseconds())/1000/float64(b.N), "scan-cpu-ms/op")
	b.ReportMetric(float64(scanCPU)/float64(walkerCPU), "scan/walker")
	b.ReportMetric(float64(walked), "files/op")
}
