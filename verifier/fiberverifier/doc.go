// Package fiberverifier is the Fiber v2 middleware of authd/verifier, in a
// module of its own so that only the services that use Fiber pull it in.
package fiberverifier
