// Package backbonereceiver implements a receiver that watches Backbone Issue Sync, a Jira
// Server / Data Center app that synchronizes issues between Jira projects: its REST
// monitoring API, its folder tree of message queues, and the messages that fail.
package backbonereceiver

//go:generate go tool -modfile=../../tools/go.mod mdatagen metadata.yaml
