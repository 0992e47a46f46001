// Package memcached is the shared TokenDenylist of a scaled-out deployment, on
// gomemcache. Every revoked session is one key whose lifetime ends with the
// session's last access token. Each server also holds a marker key, set when the
// denylist was seeded: a server that restarted or was flushed has lost its marker
// with its entries, and Contains then says the denylist is stale instead of
// wrongly answering "not revoked". Run memcached with eviction disabled (-M): an
// evicted entry cannot be detected.
package memcached
