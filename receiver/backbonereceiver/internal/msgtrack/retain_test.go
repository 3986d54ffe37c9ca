package msgtrack

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	data, err := a.Marshal()
	require.NoError(t, err)

	b := New(0)
	require.NoError(t, b.Load(data))
	n := b.Retain(func(m Message) bool { return m.Folder != "issue_missing" })
	assert.Equal(t, 1, n)
	assert.Equal(t, 1, known(b))
	assert.True(t, b.Changed(), "the smaller state must reach storage")
	assert.False(t, b.Fresh(), "forgetting is no fresh start: start_at does not apply again")
	assert.Equal(t, []string{"appeared " + kept, "appeared " + forgotten}, brief(b.Pending(0)), "pending events stay")

	b.Delivered(2)
	b.ObserveMessages(at(1), []Message{msg(kept)}, nil)
	assert.Empty(t, b.Pending(0), "a forgotten file is not resolved")

	assert.Zero(t, b.Retain(func(Message) bool { return true }))
}
