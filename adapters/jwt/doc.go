// Package jwt signs and verifies access tokens (RFC 9068 style JWTs) with
// golang-jwt v5: EdDSA with a key generated once into the data dir by default,
// HS256 as the alternative. Verification allow-lists exactly the configured
// algorithm and key and requires typ, exp, iss and aud. It also accepts each
// token in one spelling only: canonical unpadded base64url, no duplicate or
// critical header members, and claims of their exact names and JSON types, so
// that no other reader of a token can see different claims than authd does.
package jwt
