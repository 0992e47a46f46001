// Package verifier lets the product's other services accept authd's access
// tokens without calling authd on every request: it fetches and caches authd's
// JWKS, checks exactly what authd checks (alg EdDSA, typ at+jwt, kid, iss, aud,
// exp, the signature, one canonical spelling, claim JSON types), and optionally
// honours revocations at once by reading the memcached denylist authd writes.
//
// It depends on the standard library and gomemcache only; the Fiber middleware
// lives in the nested module authd/verifier/fiberverifier.
package verifier
