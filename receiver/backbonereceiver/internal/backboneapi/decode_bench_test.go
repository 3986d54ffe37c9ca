package backboneapi

import (
	"bytes"
	"testing"
)

// BenchmarkDecodeIntegrations decodes a list of 1,000 integrations as the
// vendor's examples write them, and with every connector's field types
// changed, which takes the field-by-field path.
func BenchmarkDecodeIntegrations(b *testing.B) {
	for _, bm := range []struct {
		desc    string
		fixture string
	}{
		{desc: "vendor types", fixture: "integrations.json"},
		{desc: "changed types", fixture: "integrations_changed_types.json"},
	} {
		b.Run(bm.desc, func(b *testing.B) {
			body := repeatList(b, fixture(b, bm.fixture), 1000)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var l integrationList
				if err := decodeLenient(body, &l); err != nil || len(l.items) < 1000 {
					b.Fatalf("%d items: %v", len(l.items), err)
				}
			}
		})
	}
}

// repeatList returns a JSON list of at least n integrations, the fixture's
// repeated.
func repeatList(b *testing.B, list []byte, n int) []byte {
	b.Helper()
	inner := bytes.TrimSuffix(bytes.TrimPrefix(bytes.TrimSpace(list), []byte("[")), []byte("]"))
	var l integrationList
	if err := l.UnmarshalJSON(list); err != nil || len(l.items) == 0 {
		b.Fatalf("fixture: %v", err)
	}
	var out bytes.Buffer
	out.WriteByte('[')
	for i := 0; i*len(l.items) < n; i++ {
		if i > 0 {
			out.WriteByte(',')
		}
		out.Write(inner)
	}
	out.WriteByte(']')
	return out.Bytes()
}
