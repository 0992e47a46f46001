// Package httpapi is authd's HTTP transport on Fiber v2: it owns the routes, the
// request and response DTOs of the public contract (docs/api.md), the strict JSON
// binder, the single error handler that turns domain errors into the contract's
// error body, and the middleware every request passes through (request id,
// security headers, per-request deadline, body limit, panic recovery, request log,
// CORS for the configured origins) or that protected routes add (access-token
// authentication and the origin check that refuses cross-site requests made with
// the session cookies). Every response, whoever wrote it, passes one last step
// (JSON names its charset, a 405 lists the path's methods in Allow), and closed
// connections are drained for a moment so that an early answer such as a 413
// reaches a client that is still sending its body.
//
// It calls the core only through the inbound ports and never logs or returns a
// secret: request logs name the route pattern, never the raw path, query, body,
// headers or cookies.
package httpapi
