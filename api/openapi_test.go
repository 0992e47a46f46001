package api_test

import (
	"context"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"authd/api"
)

// TestDescriptionIsValidOpenAPI31 keeps api/openapi.yaml a document that tools
// accept: it parses, says 3.1, resolves every $ref and passes the library's
// validation, examples and defaults included.
func TestDescriptionIsValidOpenAPI31(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation(), openapi3.EnableSchemaDefaultsValidation()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if doc.Paths.Len() == 0 {
		t.Fatal("no paths")
	}
}
