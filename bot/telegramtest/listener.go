package telegramtest

import (
	"fmt"
	"net"
	"sync"
	"time"
)

// gate is the server's listener. While down it holds no socket at all, so that a client
// dialling the fake gets "connection refused" exactly as when Telegram is unreachable;
// up again, it listens on the same address so the endpoint stays valid.
type gate struct {
	addr net.Addr

	mu     sync.Mutex
	cur    net.Listener  // nil while down
	up     chan struct{} // closed when cur is set again
	closed bool
	done   chan struct{}
}

func newGate(l net.Listener) *gate {
	return &gate{addr: l.Addr(), cur: l, up: make(chan struct{}), done: make(chan struct{})}
}

// Accept waits through down periods instead of failing, since http.Server stops serving
// for good on the first permanent Accept error.
func (g *gate) Accept() (net.Conn, error) {
	for {
		g.mu.Lock()
		cur, up, closed := g.cur, g.up, g.closed
		g.mu.Unlock()
		if closed {
			return nil, net.ErrClosed
		}
		if cur == nil {
			select {
			case <-up:
			case <-g.done:
			}
			continue
		}
		c, err := cur.Accept()
		if err == nil {
			return c, nil
		}
		g.mu.Lock()
		swapped := g.cur != cur && !g.closed
		g.mu.Unlock()
		if !swapped {
			return nil, err
		}
	}
}

// Close ends the listener for good, when the server closes.
func (g *gate) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	g.closed = true
	close(g.done)
	if g.cur != nil {
		return g.cur.Close()
	}
	return nil
}

// Addr is the address the server was first given, kept across Down and Up.
func (g *gate) Addr() net.Addr { return g.addr }

// down closes the socket; new connections are refused until raise.
func (g *gate) down() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cur == nil || g.closed {
		return
	}
	g.cur.Close()
	g.cur = nil
	g.up = make(chan struct{})
}

// raise listens on the old address again. The port was ours a moment ago and Go sets
// SO_REUSEADDR, so a short retry covers the rare race with the kernel releasing it.
func (g *gate) raise() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cur != nil || g.closed {
		return nil
	}
	var err error
	for range 50 {
		var l net.Listener
		if l, err = net.Listen("tcp", g.addr.String()); err == nil {
			g.cur = l
			close(g.up)
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("telegramtest: listen again on %s: %w", g.addr, err)
}
