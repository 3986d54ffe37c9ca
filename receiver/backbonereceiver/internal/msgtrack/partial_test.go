package msgtrack

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// listing is one observation: a full scan (folders nil) or a re-list of
// folders, begun at minute began; then the pending events expected, and
// whether the pipeline accepts them.
type listing struct {
	folders    []string
	began      int
	files      []string
	unreadable []string
	want       []string
	deliver    bool
}

func TestObserveFolders(t *testing.T) {
	const (
		conn  = "/r/default/INT-1/AP-1"
		errs  = conn + "/RECEIVE/error"
		seq   = conn + "/RECEIVE/sequence-error"
		send  = conn + "/SEND/error"
		a7    = errs + "/AP-7/a.bac"
		a8    = errs + "/AP-8/a.bac"
		b7    = errs + "/AP-7/b.bac"
		s     = seq + "/s.bac"
		d     = send + "/d.bac"
		other = "/r/default/INT-2/AP-2/SEND/error/o.bac"
	)
	tests := []struct {
		desc     string
		listings []listing
	}{
		{
			desc: "a re-list of two folders never resolves files elsewhere",
			listings: []listing{
				{began: 0, files: []string{a7, s, d, other}, want: []string{"appeared " + a7, "appeared " + s, "appeared " + d, "appeared " + other}, deliver: true},
				{folders: []string{errs, send}, began: 1, files: []string{a7, d}},
				{folders: []string{errs, send}, began: 2, want: []string{"resolved " + a7, "resolved " + d}, deliver: true},
				{began: 3, files: []string{s, other}},
			},
		},
		{
			desc: "a file that moves to another issue's folder, both re-listed: resolved there, appeared here",
			listings: []listing{
				{began: 0, files: []string{a7, b7}, want: []string{"appeared " + a7, "appeared " + b7}, deliver: true},
				{folders: []string{errs}, began: 1, files: []string{a8, b7}, want: []string{"appeared " + a8, "resolved " + a7}, deliver: true},
				{began: 2, files: []string{a8, b7}},
			},
		},
		{
			desc: "a file that moves to another issue's folder, only the new one re-listed: the old stays until its folder is listed",
			listings: []listing{
				{began: 0, files: []string{a7, b7}, want: []string{"appeared " + a7, "appeared " + b7}, deliver: true},
				{folders: []string{errs + "/AP-8"}, began: 1, files: []string{a8}, want: []string{"appeared " + a8}, deliver: true},
				{folders: []string{errs + "/AP-7/"}, began: 2, files: []string{b7}, want: []string{"resolved " + a7}, deliver: true},
			},
		},
		{
			desc: "files outside the re-listed folders are ignored, even when listed",
			listings: []listing{
				{folders: []string{send}, began: 0, files: []string{d, other, s}, want: []string{"appeared " + d}, deliver: true},
				{began: 1, files: []string{d, other}, want: []string{"appeared " + other}},
			},
		},
		{
			desc: "a re-list of no folder changes nothing",
			listings: []listing{
				{began: 0, files: []string{a7}, want: []string{"appeared " + a7}, deliver: true},
				{folders: []string{}, began: 1},
			},
		},
		{
			desc: "an unreadable re-listed folder keeps its files",
			listings: []listing{
				{began: 0, files: []string{a7, d}, want: []string{"appeared " + a7, "appeared " + d}, deliver: true},
				{folders: []string{errs, send}, began: 1, unreadable: []string{errs}, want: []string{"resolved " + d}, deliver: true},
				{folders: []string{errs}, began: 2, files: []string{a7}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			tr := New(0)
			for i, l := range tt.listings {
				if l.folders == nil {
					tr.ObserveMessages(at(l.began), msgs(l.files...), l.unreadable)
				} else {
					tr.ObserveFolders(at(l.began), l.folders, msgs(l.files...), l.unreadable)
				}
				pending := tr.Pending(0)
				assert.Equal(t, tt.listings[i].want, brief(pending), "listing %d", i)
				if l.deliver {
					tr.Delivered(len(pending))
				}
			}
		})
	}
}

func TestFolderSetHolds(t *testing.T) {
	tests := []struct {
		desc    string
		folders []string
		path    string
		want    bool
	}{
		{desc: "file in the folder", folders: []string{"/a/b"}, path: "/a/b/c", want: true},
		{desc: "file in an issue subfolder", folders: []string{"/a/b"}, path: "/a/b/AP-1/c", want: true},
		{desc: "the folder itself is not below it", folders: []string{"/a/b"}, path: "/a/b", want: false},
		{desc: "sibling with the same start", folders: []string{"/a/b"}, path: "/a/bc/d", want: false},
		{desc: "trailing separator", folders: []string{"/a/b/"}, path: "/a/b/c", want: true},
		{desc: "root holds every absolute path", folders: []string{"/"}, path: "/a/b", want: true},
		{desc: "empty folder name holds nothing", folders: []string{""}, path: "/a", want: false},
		{desc: "no folder", path: "/a/b", want: false},
		{desc: "relative path", folders: []string{"a"}, path: "a/b", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			assert.Equal(t, tt.want, newFolderSet(tt.folders).holds(tt.path))
		})
	}
}
