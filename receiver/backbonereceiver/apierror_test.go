package backbonereceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/backboneapi"
	"github.com/otelcol-backbone/otelcol-backbone/receiver/backbonereceiver/internal/metadata"
)

// TestErrorTypeEnumCoversEveryKind fails when the API client gains an error kind that the
// backbone.api.error state set (the error.type enum in metadata.yaml) cannot report.
func TestErrorTypeEnumCoversEveryKind(t *testing.T) {
	kinds := []backboneapi.ErrorKind{
		backboneapi.KindAuth, backboneapi.KindForbidden, backboneapi.KindNotFound, backboneapi.KindRateLimited,
		backboneapi.KindTimeout, backboneapi.KindConnection, backboneapi.KindServerError, backboneapi.KindDecode,
		backboneapi.KindRedirect,
	}
	assert.Len(t, metadata.MapAttributeErrorType, len(kinds))
	for _, k := range kinds {
		v, ok := metadata.MapAttributeErrorType[string(k)]
		if assert.True(t, ok, "error.type %q missing from metadata.yaml", k) {
			assert.Equal(t, string(k), v.String())
		}
	}
	assert.Equal(t, "redirect", metadata.AttributeErrorTypeRedirect.String(), "recordAPIHealth loops from auth to redirect: redirect must stay the last enum value")
}
