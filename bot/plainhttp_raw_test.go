//go:build linux && !race

package bot

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// socketPair is a connected pair of TCP connections on the loopback
// interface: ours, read and written by socketIO, and the peer's.
func socketPair(t *testing.T) (ours net.Conn, rw io.ReadWriter, peer *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	ours, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	p := <-accepted
	if p == nil {
		t.Fatal("nothing accepted")
	}
	t.Cleanup(func() { ours.Close(); p.Close() })
	rw = socketIO(ours)
	if _, ok := rw.(*rawSocket); !ok {
		t.Fatalf("socketIO gave %T for a TCP connection", rw)
	}
	return ours, rw, p.(*net.TCPConn)
}

// pattern is n bytes that a lost, repeated or reordered stretch would
// change.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

func TestRawSocketCarriesMoreThanTheSocketHolds(t *testing.T) {
	_, rw, peer := socketPair(t)
	want := pattern(16 << 20) // far more than the kernel's buffers: writes must wait
	got := make(chan []byte, 1)
	go func() {
		var buf bytes.Buffer
		chunk := make([]byte, 64<<10)
		for buf.Len() < len(want) {
			n, err := peer.Read(chunk)
			buf.Write(chunk[:n])
			if err != nil {
				break
			}
			if buf.Len() < 1<<20 {
				time.Sleep(time.Millisecond) // a slow reader at first
			}
		}
		got <- buf.Bytes()
		peer.Write(buf.Bytes()) // and everything back
		peer.CloseWrite()
	}()
	if n, err := rw.Write(want); n != len(want) || err != nil {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(want))
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("the peer read %d bytes, not the %d written", len(b), len(want))
	}
	back, err := io.ReadAll(rw) // small reads, many of them finding nothing yet
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	if !bytes.Equal(back, want) {
		t.Fatalf("read back %d bytes, not the %d sent", len(back), len(want))
	}
}

func TestRawSocketErrors(t *testing.T) {
	tests := []struct {
		name string
		// do makes the failure and then uses rw; it returns the error
		// rw's call gave.
		do   func(ours net.Conn, rw io.ReadWriter, peer *net.TCPConn) error
		want error
	}{
		{"the peer closes: the end of the stream", func(_ net.Conn, rw io.ReadWriter, peer *net.TCPConn) error {
			peer.Close()
			_, err := rw.Read(make([]byte, 10))
			return err
		}, io.EOF},
		{"the peer resets: reading says so", func(_ net.Conn, rw io.ReadWriter, peer *net.TCPConn) error {
			peer.SetLinger(0)
			peer.Close()
			_, err := rw.Read(make([]byte, 10))
			return err
		}, syscall.ECONNRESET},
		{"the peer resets: writing says so", func(_ net.Conn, rw io.ReadWriter, peer *net.TCPConn) error {
			peer.SetLinger(0)
			peer.Close()
			time.Sleep(10 * time.Millisecond)
			_, err := rw.Write([]byte("x"))
			if err == nil { // the first write can still be taken
				_, err = rw.Write([]byte("x"))
			}
			if errors.Is(err, syscall.EPIPE) {
				err = syscall.ECONNRESET
			}
			return err
		}, syscall.ECONNRESET},
		{"the read deadline passes while waiting", func(ours net.Conn, rw io.ReadWriter, _ *net.TCPConn) error {
			ours.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			_, err := rw.Read(make([]byte, 10))
			return err
		}, os.ErrDeadlineExceeded},
		{"the write deadline passes while the peer does not read", func(ours net.Conn, rw io.ReadWriter, _ *net.TCPConn) error {
			ours.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
			_, err := rw.Write(make([]byte, 64<<20))
			return err
		}, os.ErrDeadlineExceeded},
		{"our side closes while reading waits", func(ours net.Conn, rw io.ReadWriter, _ *net.TCPConn) error {
			time.AfterFunc(20*time.Millisecond, func() { ours.Close() })
			_, err := rw.Read(make([]byte, 10))
			return err
		}, net.ErrClosed},
		{"our side closes while writing waits", func(ours net.Conn, rw io.ReadWriter, _ *net.TCPConn) error {
			big := make([]byte, 64<<20) // made before the clock starts: that takes a while
			time.AfterFunc(20*time.Millisecond, func() { ours.Close() })
			n, err := rw.Write(big)
			if n == 0 || n >= 64<<20 {
				t.Errorf("wrote %d bytes before the close; want some, not all", n)
			}
			return err
		}, net.ErrClosed},
		{"the peer resets in the middle of a long write", func(_ net.Conn, rw io.ReadWriter, peer *net.TCPConn) error {
			big := make([]byte, 64<<20)
			time.AfterFunc(20*time.Millisecond, func() { peer.SetLinger(0); peer.Close() })
			n, err := rw.Write(big)
			if n == 0 || n >= 64<<20 {
				t.Errorf("wrote %d bytes before the reset; want some, not all (%v)", n, err)
			}
			if errors.Is(err, syscall.EPIPE) {
				err = syscall.ECONNRESET
			}
			return err
		}, syscall.ECONNRESET},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ours, rw, peer := socketPair(t)
			err := tt.do(ours, rw, peer)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v; want %v", err, tt.want)
			}
			if tt.want != io.EOF && !errors.As(err, new(*net.OpError)) {
				t.Errorf("%v (%T) does not say which connection failed", err, err)
			}
		})
	}
}

func TestRawSocketEmptyCallsAndOtherConnections(t *testing.T) {
	_, rw, _ := socketPair(t)
	if n, err := rw.Read(nil); n != 0 || err != nil {
		t.Errorf("Read(nil) = %d, %v; want 0, nil", n, err)
	}
	if n, err := rw.Write(nil); n != 0 || err != nil {
		t.Errorf("Write(nil) = %d, %v; want 0, nil", n, err)
	}
	a, b := net.Pipe() // no descriptor: used as it is
	defer a.Close()
	defer b.Close()
	if got := socketIO(a); got != io.ReadWriter(a) {
		t.Errorf("socketIO(a pipe) = %T; want the pipe itself", got)
	}
}

// TestRawSocketAllocatesNothing: a request and its answer, each a write
// and a read, cost no allocation (the functions handed to the runtime are
// made once per connection).
func TestRawSocketAllocatesNothing(t *testing.T) {
	_, rw, peer := socketPair(t)
	go io.Copy(peer, peer) // an echo
	msg, back := pattern(512), make([]byte, 512)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := rw.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(rw, back); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per write and read; want 0", allocs)
	}
	if !bytes.Equal(back, msg) {
		t.Error("the echo differs from what was written")
	}
}
