// Package httpapi is authd's HTTP transport on Fiber v2: it owns the routes, the
// request and response DTOs of the public contract (docs/api.md), the strict JSON
// binder, the single error handler that turns domain errors into the contract's
// error body, and the middleware every request passes through (request id,
// security headers, per-request deadline, body limit, panic recovery, request log,
// CORS for the configured origins) or that protected routes add (access-token
// authentication and the origin check that refuses cross-site requests made with
// the session cookies).
//
// It calls the core only through the inbound ports and never logs or returns a
// secret: request logs name the route pattern, never the raw path, query, body,
// headers or cookies.
package httpapi
