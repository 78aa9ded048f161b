package etcdtest

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy stands between one client and every member of the cluster, so
// that a test can slow one node's connection to etcd (a distant data
// centre, a congested link) and leave the others' alone.
//
// Every byte it carries is delivered Delay after it arrived, in each
// direction, so that a round trip takes 2 × Delay longer; bandwidth is
// not limited, and bytes are never reordered.
type Proxy struct {
	endpoints []string
	delay     atomic.Int64
	listeners []net.Listener
	wg        sync.WaitGroup

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
}

// Proxy starts a proxy in front of every member's client URL; it stops
// when t ends. Members stopped and restarted behind it are reached again
// on the next connection.
func (c *Cluster) Proxy(t testing.TB) *Proxy {
	t.Helper()
	p := &Proxy{conns: make(map[net.Conn]struct{})}
	for _, m := range c.members {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			p.Close()
			t.Fatal(err)
		}
		p.listeners = append(p.listeners, l)
		p.endpoints = append(p.endpoints, "http://"+l.Addr().String())
		target := m.clnt.Host
		p.wg.Go(func() { p.accept(l, target) })
	}
	t.Cleanup(p.Close)
	return p
}

// Endpoints are the proxy's client URLs, one per member, for the client
// whose connection the test slows.
func (p *Proxy) Endpoints() []string { return append([]string(nil), p.endpoints...) }

// SetDelay sets the one-way delay from now on; 0 forwards at once.
func (p *Proxy) SetDelay(d time.Duration) { p.delay.Store(int64(d)) }

// Cut closes every connection through the proxy, as a member's crash or
// a network failure resets its clients' connections; new connections are
// accepted as before.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// Close stops the proxy and cuts every connection through it.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	for _, l := range p.listeners {
		l.Close()
	}
	p.wg.Wait()
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) accept(l net.Listener, target string) {
	for {
		in, err := l.Accept()
		if err != nil {
			return
		}
		if !p.track(in) {
			return
		}
		p.wg.Go(func() {
			defer p.untrack(in)
			out, err := net.DialTimeout("tcp", target, 3*time.Second)
			if err != nil {
				return // the member is down: the client sees the connection close
			}
			if !p.track(out) {
				return
			}
			defer p.untrack(out)
			var both sync.WaitGroup
			both.Go(func() { p.pipe(out, in) })
			both.Go(func() { p.pipe(in, out) })
			both.Wait()
		})
	}
}

// chunk is what one read returned, and when it is due at the other end.
type chunk struct {
	data []byte
	due  time.Time
}

// pipe copies src to dst, each read delivered Delay after it was read.
// When either side ends, both are closed.
func (p *Proxy) pipe(dst, src net.Conn) {
	chunks := make(chan chunk, 1024)
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				chunks <- chunk{data: buf[:n], due: time.Now().Add(time.Duration(p.delay.Load()))}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range chunks {
		if wait := time.Until(c.due); wait > 0 {
			time.Sleep(wait)
		}
		if _, err := dst.Write(c.data); err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
	for range chunks { // let the reader end
	}
}
