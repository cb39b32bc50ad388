package relay

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// sources decides where a webhook call comes from and whether that
// address may call.
type sources struct {
	allow   []netip.Prefix // empty: every address may call
	trusted []netip.Prefix // proxies whose X-Forwarded-For is believed
}

// ParsePrefixes reads CIDR prefixes ("203.0.113.0/24", "2001:db8::/32");
// a bare address counts as a single-address prefix. what names the list
// in errors.
func ParsePrefixes(what string, list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a CIDR prefix such as 203.0.113.0/24 "+
				"or an address", what, s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// client is the address of the caller: the TCP peer, or, when the peer is
// a trusted proxy, the nearest address in X-Forwarded-For that is not a
// trusted proxy (the ones left of it could be made up by the caller).
func (s sources) client(r *http.Request) (netip.Addr, error) {
	peer, err := peerAddr(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, err
	}
	if !contains(s.trusted, peer) {
		return peer, nil
	}
	hops := forwardedFor(r.Header.Values("X-Forwarded-For"))
	addr := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			return netip.Addr{}, fmt.Errorf("X-Forwarded-For holds %q, not an address",
				hops[i])
		}
		addr = a.Unmap()
		if !contains(s.trusted, addr) {
			break
		}
	}
	return addr, nil
}

// allowed reports whether a may call (always true without an allowlist).
func (s sources) allowed(a netip.Addr) bool {
	return len(s.allow) == 0 || contains(s.allow, a)
}

func peerAddr(remote string) (netip.Addr, error) {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("peer address %q: %w", remote, err)
	}
	return a.Unmap(), nil
}

// forwardedFor splits X-Forwarded-For headers into hops, oldest first.
func forwardedFor(values []string) []string {
	var hops []string
	for _, v := range values {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hops = append(hops, h)
			}
		}
	}
	return hops
}

func contains(list []netip.Prefix, a netip.Addr) bool {
	for _, p := range list {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
