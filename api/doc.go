// Package api holds authd's OpenAPI 3.1 description of its public HTTP
// contract (openapi.yaml), embedded so that the HTTP adapter can serve it and
// the tests can check every exchange against it. It is a leaf package like
// migrations: adapters import it, it imports nothing of authd.
package api
