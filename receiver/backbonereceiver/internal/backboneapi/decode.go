package backboneapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// maxListedProblems bounds how many skipped elements an error names.
const maxListedProblems = 3

// integrationList decodes the integrations array. When an element is null or
// not an object, or a field's type changed, it decodes each element on its
// own, so that such an integration does not hide all the others and a changed
// field costs only that field (decodeLenient).
type integrationList struct {
	items []Integration
	bad   []error
	total int
}

func (l *integrationList) UnmarshalJSON(data []byte) error {
	// Most lists decode in one pass; element by element, each would be
	// scanned three times more.
	var all []*Integration
	if json.Unmarshal(data, &all) == nil && !slices.Contains(all, nil) {
		l.items, l.bad, l.total = make([]Integration, len(all)), nil, len(all)
		for i, it := range all {
			l.items[i] = *it
		}
		return nil
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		return err
	}
	l.items, l.bad, l.total = make([]Integration, 0, len(raws)), nil, len(raws)
	for i, raw := range raws {
		var it Integration
		err := decodeLenient(raw, &it)
		if err == nil && string(raw) == "null" {
			err = errors.New("null instead of an integration")
		}
		if err != nil {
			l.bad = append(l.bad, fmt.Errorf("%s: %w", elementName(i, raw), err))
			continue
		}
		l.items = append(l.items, it)
	}
	return nil
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
