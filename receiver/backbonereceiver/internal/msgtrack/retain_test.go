package msgtrack

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRetain(t *testing.T) {
	const (
		kept      = "/r/default/INT-1/AP-1/RECEIVE/error/AP-7/a.bac"
		forgotten = "/r/default/INT-1/AP-1/RECEIVE/issue-missing/AP-7/b.bac"
	)
	a := New(0)
	missing := msg(forgotten)
	missing.Folder = "issue_missing"
	a.ObserveMessages(at(0), []Message{msg(kept), missing}, nil)
	c := newClient()
	save(t, c, a)

	b := loaded(t, c)
	n := b.Retain(func(m Message) bool { return m.Folder != "issue_missing" })
	assert.Equal(t, 1, n)
	assert.Equal(t, 1, known(b))
	assert.True(t, b.dirty, "the smaller state must reach storage")
	assert.False(t, b.Fresh(), "forgetting is no fresh start: start_at does not apply again")
	assert.Equal(t, []string{"appeared " + kept, "appeared " + forgotten}, brief(b.Pending(0)), "pending events stay")

	b.Delivered(2)
	b.ObserveMessages(at(1), []Message{msg(kept)}, nil)
	assert.Empty(t, b.Pending(0), "a forgotten file is not resolved")

	assert.Zero(t, b.Retain(func(Message) bool { return true }))
	save(t, c, b)
	assert.Equal(t, 1, known(loaded(t, c)), "forgotten in storage too")
}
