package backboneapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeOneByOne is the list decoding without the split or the known
// elements: the whole body through encoding/json, then each element on its own.
func decodeOneByOne(data []byte) (items []Integration, bad int, err error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		return nil, 0, err
	}
	for _, raw := range raws {
		var it Integration
		err := decodeLenient(raw, &it)
		if err == nil && bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			err = errors.New("null")
		}
		if err != nil {
			bad++
			continue
		}
		items = append(items, it)
	}
	return items, bad, nil
}

// checkList decodes body knowing prev's elements and compares the result with
// decodeOneByOne's; it returns the list.
func checkList(t *testing.T, prev, body []byte) *integrationList {
	t.Helper()
	var first integrationList
	_ = first.UnmarshalJSON(prev)
	l := &integrationList{known: first.decoded}
	err := l.UnmarshalJSON(body)
	want, bad, wantErr := decodeOneByOne(body)
	if wantErr != nil {
		require.Error(t, err)
		return l
	}
	require.NoError(t, err)
	assert.Len(t, l.bad, bad)
	assert.Equal(t, len(want)+bad, l.total)
	if len(want) == 0 {
		assert.Empty(t, l.items)
	} else {
		assert.Equal(t, want, l.items)
	}
	return l
}

func TestListDecodesWhatChanged(t *testing.T) {
	var status atomic.Value
	status.Store("RUNNING")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `[{"integrationKey":"INT-1","status":{"status":"RUNNING"}},
			{"integrationKey":"INT-2","status":{"status":%q}, "summary": 7}]`, status.Load())
	}))
	defer srv.Close()
	c, err := NewClient(srv.Client(), Config{Endpoint: srv.URL})
	require.NoError(t, err)

	first, err := c.Integrations(t.Context(), "")
	require.NoError(t, err)
	require.Len(t, first, 2)
	// A caller's append to Unread must not reach the next read's copy.
	first[1].Unread = append(first[1].Unread, "status.changed")

	status.Store("STOPPED")
	second, err := c.Integrations(t.Context(), "")
	require.NoError(t, err)
	require.Len(t, second, 2)
	assert.Same(t, first[0].Status, second[0].Status, "INT-1 did not change: taken from the last read")
	assert.NotSame(t, first[1].Status, second[1].Status, "INT-2 changed: decoded again")
	assert.Equal(t, "STOPPED", second[1].Status.Status)
	assert.Equal(t, []string{"summary"}, second[1].Unread)

	other, err := c.Integrations(t.Context(), "AP")
	require.NoError(t, err)
	assert.NotSame(t, first[0].Status, other[0].Status, "each project key's list has its own elements")
}

func TestListSplit(t *testing.T) {
	integration := `{"integrationKey":"INT-1","summary":"a \"quoted\" ] } , \\"}`
	for _, body := range []string{
		`[]`, " [ ] ", `[` + integration + `]`,
		"\n[\t" + integration + " ,\r\n" + integration + "\n]\n",
		`[null, 1, "x", true, {"status": {"firstConnector": {"issuesInError": 1e400}}}]`,
		`[[1,2],{"a":[{}]}]`, `["\\\\", "\\""]`, `[1 2]`, `[1,]`, `[,1]`, `[{]`, `[}]`,
		`[{"a":1]}]`, `[{"a":1}`, `[{"a":1}] x`, `{"a":1}`, `null`, `"x"`, ``, `[`, `["a]`,
	} {
		t.Run(body, func(t *testing.T) {
			checkList(t, []byte("[]"), []byte(body))
			checkList(t, []byte(body), []byte(body))
		})
	}
}

// FuzzDecodeIntegrationsKnown: whatever was read before, a list decodes as its
// elements do one by one.
func FuzzDecodeIntegrationsKnown(f *testing.F) {
	seeds := fixtureSeeds(f)
	for i, s := range seeds {
		f.Add(s, s)
		f.Add(seeds[(i+1)%len(seeds)], s)
	}
	f.Add([]byte(`[{"integrationKey":"INT-1"},null]`), []byte(`[ {"integrationKey":"INT-1"} , {"integrationKey":"INT-2"}]`))
	f.Add([]byte(`[{"a":"\""}]`), []byte(`[{"a":"\""}, {"a":"\\"}]`))
	f.Fuzz(func(t *testing.T, prev, body []byte) {
		l := checkList(t, prev, body)
		for i := range l.items {
			require.Equal(t, len(l.items[i].Unread), cap(l.items[i].Unread))
		}
	})
}
