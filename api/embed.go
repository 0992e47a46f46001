package api

import _ "embed"

// OpenAPI is the OpenAPI 3.1 document, byte for byte as api/openapi.yaml; it is
// served at GET /api/v1/openapi.yaml and loaded by the contract tests.
//
//go:embed openapi.yaml
var OpenAPI []byte
