package web

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot"
)

// remembered is how many addresses the limits hold now.
func (l *signInLimits) remembered() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

// TestSignInLimitsStayBounded: sign-in attempts from very many addresses
// neither grow memory without bound nor free a guesser that keeps trying.
func TestSignInLimitsStayBounded(t *testing.T) {
	const guesser = "198.51.100.7"
	tests := map[string]struct {
		addresses int
		// quiet is how long nobody tries after the flood.
		quiet time.Duration
		// held is how many addresses are remembered after the quiet
		// and one more attempt by the guesser, at least and at most.
		held [2]int
	}{
		"a flood, then a quiet window":         {addresses: 50_000, quiet: signInIdle, held: [2]int{1, 1}},
		"a flood, then less than a window":     {addresses: 3_000, quiet: signInIdle - time.Second, held: [2]int{3_001, 3_001}},
		"more addresses than are remembered":   {addresses: 3 * maxSignInClients, quiet: time.Second, held: [2]int{maxSignInClients * 9 / 10, maxSignInClients}},
		"a few addresses, then a quiet window": {addresses: 10, quiet: time.Hour, held: [2]int{1, 1}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var l signInLimits
			now := t0
			for range signInBurst {
				if !l.allow(guesser, now) {
					t.Fatal("the first attempts are refused")
				}
			}
			for i := range tc.addresses {
				addr := fmt.Sprintf("2001:db8:%x:%x::1", i>>16, i&0xffff) // one /64 each
				if !l.allow(addr, now) {
					t.Fatalf("first attempt from %s refused", addr)
				}
				if i%500 == 0 {
					// The guesser keeps trying during the flood and
					// stays refused.
					if l.allow(guesser, now) {
						t.Fatalf("the guesser got through after %d other addresses", i)
					}
				}
				if n := l.remembered(); n > maxSignInClients {
					t.Fatalf("%d addresses remembered, more than %d", n, maxSignInClients)
				}
				now = now.Add(time.Microsecond)
			}
			now = now.Add(tc.quiet)
			l.allow(guesser, now)
			if n := l.remembered(); n < tc.held[0] || n > tc.held[1] {
				t.Errorf("%d addresses remembered, want %d to %d", n, tc.held[0], tc.held[1])
			}
		})
	}
}

// TestSignInLimitEndsAfterItsWindow: an address refused for trying too
// often may try again once its window has passed, and is forgotten when
// it stays away.
func TestSignInLimitEndsAfterItsWindow(t *testing.T) {
	f := newFixture(t, bot.Vietnamese)
	codes := map[int]int{}
	for range signInBurst + 1 {
		codes[f.do("POST", bot.SignInPath+"guess", nil).code]++
	}
	if codes[http.StatusTooManyRequests] != 1 {
		t.Fatalf("attempts answered %v, want one refused", codes)
	}
	f.now = f.now.Add(signInIdle)
	if r := f.do("POST", bot.SignInPath+"guess", nil); r.code != http.StatusGone {
		t.Fatalf("after the window: %d, want %d", r.code, http.StatusGone)
	}
	f.now = f.now.Add(signInIdle)
	f.srv.limits.allow("192.0.2.2", f.now)
	if n := f.srv.limits.remembered(); n != 1 {
		t.Errorf("%d addresses remembered after the first stayed away, want 1", n)
	}
}

// TestSignInLimitKey: one limit per IPv4 address and per IPv6 /64 (one
// client's usual share), so that stepping through a /64 gains nothing.
func TestSignInLimitKey(t *testing.T) {
	tests := map[string]struct {
		a, b string
		same bool
	}{
		"two IPv4 addresses":                 {"192.0.2.1", "192.0.2.2", false},
		"two addresses in one IPv6 /64":      {"[2001:db8:1:2::1]", "2001:db8:1:2:ffff:ffff:ffff:9", true},
		"two IPv6 /64s":                      {"2001:db8:1:2::1", "2001:db8:1:3::1", false},
		"an IPv4 address written as IPv6":    {"::ffff:192.0.2.1", "192.0.2.1", true},
		"an IPv6 address with a zone":        {"fe80::1%eth0", "fe80::2", true},
		"not an address (kept as it is)":     {"@unix", "@unix", true},
		"not an address and another address": {"@unix", "192.0.2.1", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var l signInLimits
			for range signInBurst {
				l.allow(tc.a, t0)
			}
			if refused := !l.allow(tc.b, t0); refused != tc.same {
				t.Errorf("%s after %d attempts from %s: refused %v, want %v", tc.b, signInBurst, tc.a, refused, tc.same)
			}
		})
	}
}
