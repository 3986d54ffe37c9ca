package backboneapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// maxListedProblems bounds how many skipped elements an error names.
const maxListedProblems = 3

// integrationList decodes each element of the integrations array on its own,
// so one integration that is not an object does not hide all the others,
// and one field of a changed type costs only that field (decodeLenient).
//
// Between two reads of a list most integrations are the same, byte for byte:
// an element found in known (the last read's elements, by their JSON) is
// taken from there instead of being decoded again, and decoded collects this
// read's for the next one. Decoding is most of the API's cost per interval.
type integrationList struct {
	items []Integration
	bad   []error
	total int

	known, decoded map[string]Integration
}

func (l *integrationList) UnmarshalJSON(data []byte) error {
	if elems, ok := splitArray(data); ok && l.decodeElements(elems) {
		return nil
	}
	// Not an array of balanced values, or an element that is not JSON: the
	// decoder says where. A body the split refuses but that is JSON (null)
	// still takes the element path.
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		return err
	}
	l.decodeElements(raws)
	return nil
}

// decodeElements fills l from the list's elements; it reports false, leaving
// l as it was, at the first element that is not JSON.
func (l *integrationList) decodeElements(elems []json.RawMessage) bool {
	items, decoded := make([]Integration, 0, len(elems)), make(map[string]Integration, len(elems))
	var bad []error
	for i, raw := range elems {
		if it, ok := l.known[string(raw)]; ok {
			items = append(items, it)
			decoded[string(raw)] = it
			continue
		}
		var it Integration
		err := decodeLenient(raw, &it)
		if _, syntax := errors.AsType[*json.SyntaxError](err); syntax {
			return false
		}
		if err == nil && bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			err = errors.New("null instead of an integration")
		}
		if err != nil {
			bad = append(bad, fmt.Errorf("%s: %w", elementName(i, raw), err))
			continue
		}
		// Callers get copies that share the rest: an append must not write
		// into the array the next read hands out again.
		it.Unread = slices.Clip(it.Unread)
		items = append(items, it)
		decoded[string(raw)] = it
	}
	l.items, l.bad, l.total, l.decoded = items, bad, len(elems), decoded
	return true
}

// splitArray returns the elements of the JSON array in data, without the
// whitespace around them, or false when data is not an array of balanced
// values. It checks the structure only: whether an element is JSON is for its
// decoder to say (or it equals, byte for byte, one that was).
func splitArray(data []byte) ([]json.RawMessage, bool) {
	i := skipSpace(data, 0)
	if i == len(data) || data[i] != '[' {
		return nil, false
	}
	elems := []json.RawMessage{}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return elems, skipSpace(data, i+1) == len(data)
	}
	for {
		end, ok := valueEnd(data, i)
		if !ok {
			return nil, false
		}
		elems = append(elems, data[i:end])
		i = skipSpace(data, end)
		if i == len(data) {
			return nil, false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case ']':
			return elems, skipSpace(data, i+1) == len(data)
		default:
			return nil, false
		}
	}
}

// valueEnd returns the index just past the value that starts at data[i]: a
// string, an object or array up to its matching bracket, or a literal up to
// the next delimiter; false when there is none.
func valueEnd(data []byte, i int) (int, bool) {
	start, depth := i, 0
	for i < len(data) {
		switch data[i] {
		case '"':
			end, ok := stringEnd(data, i+1)
			if !ok {
				return 0, false
			}
			if depth == 0 {
				return end, true
			}
			i = end
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i, i > start
			}
			if depth--; depth == 0 {
				return i + 1, true
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i, i > start
			}
		}
		i++
	}
	return 0, false
}

// stringEnd returns the index just past the closing quote of the string whose
// content starts at data[i].
func stringEnd(data []byte, i int) (int, bool) {
	for {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return 0, false
		}
		q := i + j
		escapes := 0
		for k := q - 1; k >= i && data[k] == '\\'; k-- {
			escapes++
		}
		if escapes%2 == 0 {
			return q + 1, true
		}
		i = q + 1
	}
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// problems summarises the skipped elements, or returns nil.
func (l *integrationList) problems() error {
	if len(l.bad) == 0 {
		return nil
	}
	shown := make([]string, 0, maxListedProblems)
	for _, err := range l.bad[:min(len(l.bad), maxListedProblems)] {
		shown = append(shown, err.Error())
	}
	more := ""
	if n := len(l.bad) - len(shown); n > 0 {
		more = fmt.Sprintf("; and %d more", n)
	}
	return &decodeProblems{
		errs: l.bad,
		text: fmt.Sprintf("%d of %d integrations could not be decoded and are left out, the others are reported: %s%s",
			len(l.bad), l.total, strings.Join(shown, "; "), more),
	}
}

// decodeProblems joins the element errors under one readable message.
type decodeProblems struct {
	errs []error
	text string
}

func (p *decodeProblems) Error() string   { return p.text }
func (p *decodeProblems) Unwrap() []error { return p.errs }

func elementName(i int, raw json.RawMessage) string {
	var k struct {
		IntegrationKey string `json:"integrationKey"`
	}
	if json.Unmarshal(raw, &k) == nil && k.IntegrationKey != "" {
		return fmt.Sprintf("element %d (integrationKey %q)", i, k.IntegrationKey)
	}
	return fmt.Sprintf("element %d", i)
}
