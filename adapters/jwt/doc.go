// Package jwt signs and verifies access tokens (RFC 9068 style JWTs) with
// golang-jwt v5: EdDSA with a key generated once into the data dir by default,
// HS256 as the alternative. Verification allow-lists exactly the configured
// algorithm and key and requires typ, exp, iss and aud.
package jwt
