package httpapi

import (
	"net/netip"
	"testing"
)

func TestDeriveClientIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	cases := []struct {
		name    string
		peer    string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"no trusted proxy: the peer, whatever the header says", "198.51.100.7", []string{"1.2.3.4"}, nil, "198.51.100.7"},
		{"an untrusted peer's header is ignored", "198.51.100.7", []string{"1.2.3.4"}, proxies, "198.51.100.7"},
		{"a trusted peer: the right-most untrusted entry", "10.0.0.2", []string{"6.6.6.6, 203.0.113.9"}, proxies, "203.0.113.9"},
		{"trusted hops are skipped", "10.0.0.2", []string{"6.6.6.6, 203.0.113.9, 10.1.1.1"}, proxies, "203.0.113.9"},
		{"several headers read as one list", "10.0.0.2", []string{"6.6.6.6", "203.0.113.9, 10.1.1.1"}, proxies, "203.0.113.9"},
		{"garbage ends the walk at the last proxy", "10.0.0.2", []string{"203.0.113.9, not-an-ip, 10.1.1.1"}, proxies, "10.1.1.1"},
		{"entries with ports", "10.0.0.2", []string{"203.0.113.9:4711"}, proxies, "203.0.113.9"},
		{"IPv6 entries", "fd00::1", []string{"2001:db8::5"}, proxies, "2001:db8::5"},
		{"no header: the proxy itself", "10.0.0.2", nil, proxies, "10.0.0.2"},
		{"all trusted: the left-most", "10.0.0.2", []string{"10.9.9.9, 10.1.1.1"}, proxies, "10.9.9.9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hdr [][]byte
			for _, h := range tc.xff {
				hdr = append(hdr, []byte(h))
			}
			if got := deriveClientIP(netip.MustParseAddr(tc.peer), hdr, tc.trusted); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}
