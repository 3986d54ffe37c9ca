package queuetree

import (
	"cmp"
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// walk is the state of one scan, shared by its goroutines.
type walk struct {
	ctx      context.Context
	s        *Scanner
	now      time.Time // when the scan started
	mu       sync.Mutex
	problems []Problem
	cached   atomic.Int64
}

// problem records a problem at path, made valid UTF-8 for reporting.
func (w *walk) problem(path string, kind ProblemKind, err error) {
	w.mu.Lock()
	w.problems = append(w.problems, Problem{Path: validUTF8(path), Kind: kind, Err: err})
	w.mu.Unlock()
}

// fail records err from reading path unless path merely vanished. It
// returns false in that case so the caller can tell a missing folder.
func (w *walk) fail(path string, err error) bool {
	kind, ok := kindOf(err)
	if ok {
		w.problem(path, kind, err)
	}
	return ok
}

// name returns name as valid UTF-8, recording an invalid_name problem for
// the entry at path when it was not.
func (w *walk) name(path, name string) string {
	if utf8.ValidString(name) {
		return name
	}
	w.problem(path, InvalidName, errInvalidName)
	return validUTF8(name)
}

func (w *walk) sortedProblems() []Problem {
	p := w.problems
	slices.SortFunc(p, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Kind, b.Kind))
	})
	return slices.CompactFunc(p, func(a, b Problem) bool { return a.Path == b.Path && a.Kind == b.Kind })
}

// adjust applies the test hook that simulates coarse timestamps.
func (w *walk) adjust(k *dirKey) {
	if w.s.adjustKey != nil {
		w.s.adjustKey(k)
	}
}

func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// join builds a child path by concatenation: paths come from the walk, so
// there is nothing to clean, and it is the cheapest way.
func join(dir, name string) string {
	return dir + string(os.PathSeparator) + name
}
