package feeds

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// ErrPrivateAddress is wrapped by the error for a connection or redirect
// from a source configured on a public host to a loopback, private or
// link-local address: a compromised or impersonated feed server must not
// make canhbao read the metrics endpoint, a router's page or a cloud
// metadata service and show the first bytes in /sources.
var ErrPrivateAddress = errors.New("loopback, private or link-local address")

var (
	sharedNet = netip.MustParsePrefix("100.64.0.0/10") // carrier-grade NAT (RFC 6598)
	thisNet   = netip.MustParsePrefix("0.0.0.0/8")
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
)

// privateAddr reports whether a is not a public unicast address: loopback,
// private (RFC 1918, fc00::/7), link-local (169.254/16 with cloud metadata,
// fe80::/10), carrier-grade NAT, unspecified or multicast, also when written
// as an IPv4-mapped or NAT64 IPv6 address.
func privateAddr(a netip.Addr) bool {
	a = a.Unmap()
	if nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:16]))
	}
	return !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() ||
		a.IsUnspecified() || sharedNet.Contains(a) || thisNet.Contains(a)
}

// privateName reports whether host names the local machine or network by
// itself: an address for which private is true, or localhost.
func privateName(host string, private func(netip.Addr) bool) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && private(a)
}

// netGuard keeps the fetches of a source configured on a public host on
// public addresses. It decides by the configured host alone, never by what
// its name resolves to at the time: a name whose DNS answer changes to
// 127.0.0.1 between two requests (DNS rebinding) is still a public source.
// Each connection resolves the name, checks every address and dials the
// checked address itself, so nothing can change between check and dial.
type netGuard struct {
	// private classifies addresses; nil means privateAddr. Tests treat
	// one loopback address as public.
	private func(netip.Addr) bool
	// lookup resolves a name; nil means net.DefaultResolver. Tests map
	// names to loopback addresses.
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	// proxies are the host:port of the environment's HTTP proxies, which
	// may be on the private network: the proxy resolves names itself.
	proxies map[string]bool
	dialer  net.Dialer
}

func newNetGuard() *netGuard {
	g := &netGuard{proxies: map[string]bool{}, dialer: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}}
	for _, scheme := range []string{"http", "https"} {
		req := &http.Request{URL: &url.URL{Scheme: scheme, Host: "example.com"}}
		if p, err := http.ProxyFromEnvironment(req); err == nil && p != nil {
			g.proxies[hostPort(p)] = true
		}
	}
	return g
}

func (g *netGuard) isPrivate(a netip.Addr) bool {
	if g.private != nil {
		return g.private(a)
	}
	return privateAddr(a)
}

// checkRedirect refuses a redirect whose target names a private host. A
// name is checked again when it is dialled.
func (g *netGuard) checkRedirect(u *url.URL) error {
	if privateName(u.Hostname(), g.isPrivate) {
		return fmt.Errorf("redirect to %s refused: %w (the source is configured on a public host)", RedactURL(u.String()), ErrPrivateAddress)
	}
	return nil
}

// dial connects to addr's first public address.
func (g *netGuard) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if g.proxies[addr] {
		return g.dialer.DialContext(ctx, network, addr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if g.lookup != nil {
		addrs, err = g.lookup(ctx, host)
	} else {
		addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	}
	if err != nil {
		return nil, err
	}
	// The first refusal is reported unless a public address was tried.
	err = fmt.Errorf("no address for %s", host)
	reported := false
	for _, a := range addrs {
		if g.isPrivate(a) {
			if !reported {
				err = fmt.Errorf("connection to %s (%s) refused: %w (the source is configured on a public host)", host, a, ErrPrivateAddress)
				reported = true
			}
			continue
		}
		conn, derr := g.dialer.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if derr == nil {
			return conn, nil
		}
		err, reported = derr, true
	}
	return nil, err
}

// hostPort is u's host with its port, the scheme's default if none.
func hostPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return u.Host
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}
