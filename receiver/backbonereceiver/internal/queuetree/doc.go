// Package queuetree walks Backbone Issue Sync's message folder tree once per
// call and returns plain values: per connector, how many messages each folder
// holds, how large and how old they are, and the files of the folders an
// administrator must react to. It knows nothing of OpenTelemetry.
//
// It is built to cost little more than `find -type f` on the same tree:
// archive/, which can hold millions of files, is counted from directory
// entries alone, and listed at most every Options.ArchiveInterval. It never
// writes, moves, locks or deletes anything and never follows symbolic links.
package queuetree
