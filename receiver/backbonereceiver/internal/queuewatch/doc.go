// Package queuewatch tells, within moments, which of Backbone's watched
// folders changed, so that the receiver re-lists just those instead of
// waiting for the next full scan. It is deliberately dumb: it reports folder
// paths, never files, and the re-list and the tracker decide what changed. Of
// error/ and issue-missing/, it reports the issue subfolders that changed, so
// that a new message costs a listing of its issue's files, not of the whole
// folder's.
//
// Where notification cannot be trusted for a folder (no inotify, the watch
// limit reached, the folder removed or replaced, the event queue overflowed,
// the file system unmounted or shared over the network), that folder is
// "poll only": PollOnly lists it, for the receiver to poll: stat it at every
// poll, and list it when its times moved. Each such fallback is logged once
// when it starts and once when it ends. A folder that does not exist yet is
// polled silently, and watched as soon as it is made: its parent is watched
// for its creation. The full scan at each collection interval stays the
// reconciliation that nothing escapes; after it, Set hands the watcher the
// current folders and every fallback is retried.
package queuewatch
