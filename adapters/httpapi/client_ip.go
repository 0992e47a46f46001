package httpapi

import (
	"bytes"
	"net/netip"

	"github.com/gofiber/fiber/v2"
)

// clientIP is the caller's address as the limits, session lists and logs see
// it: the socket's peer, unless that peer is a trusted proxy
// (AUTH_TRUSTED_PROXIES); then the right-most X-Forwarded-For address that is
// not itself a trusted proxy. A client talking to an instance that trusts no
// proxy therefore cannot choose its own IP by sending X-Forwarded-For.
func (s *Server) clientIP(c *fiber.Ctx) string {
	if st, ok := stateOf(c); ok && st.ip != "" {
		return st.ip
	}
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	return deriveClientIP(peer.Unmap(), c.Request().Header.PeekAll(fiber.HeaderXForwardedFor), s.cfg.TrustedProxies)
}

// deriveClientIP walks X-Forwarded-For from the right, past trusted proxies. An
// entry that does not parse ends the walk: nothing left of it can be believed,
// so the last proxy that handed it on is taken as the client.
func deriveClientIP(peer netip.Addr, forwarded [][]byte, trusted []netip.Prefix) string {
	if !peer.IsValid() {
		return ""
	}
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	client := peer
	for i := len(forwarded) - 1; i >= 0; i-- {
		entries := bytes.Split(forwarded[i], []byte{','})
		for j := len(entries) - 1; j >= 0; j-- {
			addr, ok := parseForwarded(bytes.TrimSpace(entries[j]))
			if !ok {
				return client.String()
			}
			client = addr
			if !isTrusted(addr, trusted) {
				return addr.String()
			}
		}
	}
	return client.String()
}

// parseForwarded reads one X-Forwarded-For entry: an address, or an address
// with a port as some proxies write it.
func parseForwarded(b []byte) (netip.Addr, bool) {
	if addr, err := netip.ParseAddr(string(b)); err == nil {
		return addr.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(string(b)); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
