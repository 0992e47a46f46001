// Command authd-load is the load benchmark behind `make load`: it starts authd
// (a built binary, as a subprocess, so that the memory it reports is the
// server's) on the embedded store and, when a Docker engine answers, on
// MySQL-compatible + memcached containers, plus a minimal Fiber hello-world
// server as the ceiling, drives each with a closed-loop generator over
// loopback and prints rps, p50, p99 and errors per endpoint and concurrency,
// each also as a fraction of the ceiling measured just before its cells.
//
// Everything it starts it stops again, also on Ctrl-C; the whole run is
// bounded (-d per cell). Several binaries can be compared in one run
// (-authd before=old/authd,after=bin/authd): their cells are interleaved, so
// a noisy shared machine affects them alike.
package main
