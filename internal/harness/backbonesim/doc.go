// Package backbonesim simulates one Jira with Backbone Issue Sync installed: its REST
// monitoring API, Jira's authentication quirks and the folder tree Backbone keeps under
// JIRA_HOME/data/backbone-issue-sync, driven by a deterministic scenario.
//
// It is written from the vendor's documentation alone and shares no code with the
// receiver, so that a misreading in the receiver cannot be mirrored here and hidden.
package backbonesim
