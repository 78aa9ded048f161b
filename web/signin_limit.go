package web

import (
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Sign-in attempts: each client address may try signInBurst times at
// once, then once every signInEvery.
const (
	signInEvery = 10 * time.Second
	signInBurst = 5
	// signInIdle is how long an address's limiter takes to fill up again
	// from empty: one unused this long allows what a new one would, so
	// forgetting it loses nothing.
	signInIdle = signInEvery * signInBurst
	// maxSignInClients bounds how many addresses are remembered at once,
	// so that requests from very many addresses (an IPv6 network holds
	// billions) cannot grow memory without bound.
	maxSignInClients = 10_000
)

// signInLimits allows each client address a few sign-in attempts a
// minute, so that tokens cannot be guessed at speed (they are 128 random
// bits anyway). Addresses idle past signInIdle are forgotten, and when
// maxSignInClients are remembered those idle longest make room for new
// ones: someone with that many addresses gets as many attempts either
// way.
type signInLimits struct {
	mu      sync.Mutex
	clients map[string]*signInClient
	swept   time.Time // when idle addresses were last forgotten
}

// signInClient is one address's limiter and when it last tried.
type signInClient struct {
	limit *rate.Limiter
	last  time.Time
}

// allow reports whether addr may try to sign in at now.
func (l *signInLimits) allow(addr string, now time.Time) bool {
	addr = limitKey(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) >= signInIdle {
		l.forgetIdle(now)
	}
	c := l.clients[addr]
	if c == nil {
		if l.clients == nil {
			l.clients = make(map[string]*signInClient)
		}
		if len(l.clients) >= maxSignInClients {
			l.forgetIdlest()
		}
		c = &signInClient{limit: rate.NewLimiter(rate.Every(signInEvery), signInBurst)}
		l.clients[addr] = c
	}
	c.last = now
	return c.limit.AllowN(now, 1)
}

// forgetIdle drops the addresses that have not tried for signInIdle.
func (l *signInLimits) forgetIdle(now time.Time) {
	l.swept = now
	for addr, c := range l.clients {
		if now.Sub(c.last) >= signInIdle {
			delete(l.clients, addr)
		}
	}
}

// forgetIdlest drops the tenth of the addresses that have not tried for
// longest: one sort per thousand new addresses rather than a scan per
// address while the map is full.
func (l *signInLimits) forgetIdlest() {
	all := make([]string, 0, len(l.clients))
	for addr := range l.clients {
		all = append(all, addr)
	}
	slices.SortFunc(all, func(a, b string) int { return l.clients[a].last.Compare(l.clients[b].last) })
	for _, addr := range all[:max(1, len(all)/10)] {
		delete(l.clients, addr)
	}
}

// limitKey is what one limit covers: an IPv4 address, or the /64 network
// of an IPv6 address, since one IPv6 client usually holds a whole /64 and
// could otherwise try from a fresh address each time.
func limitKey(addr string) string {
	ip, err := netip.ParseAddr(strings.Trim(addr, "[]"))
	if err != nil {
		return addr
	}
	if ip = ip.Unmap(); ip.Is4() {
		return ip.String()
	}
	p, _ := ip.WithZone("").Prefix(64)
	return p.String()
}
