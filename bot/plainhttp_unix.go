//go:build unix

package bot

import (
	"net"
	"syscall"
)

// aliveAfterIdle reports whether the server has left c open while it sat
// idle: a peek that neither waits nor consumes finds nothing to read. The
// end of the stream, an error, or an answer nobody asked for all mean the
// connection cannot carry another request.
func aliveAfterIdle(c net.Conn) bool {
	raw, ok := rawConn(c)
	if !ok {
		return false
	}
	alive := false
	err := raw.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		alive = err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
		return true
	})
	return err == nil && alive
}

// awaitAfter runs write and then waits until c has something to read or
// its read deadline passes, so that reading the answer does not begin
// with a read that finds nothing (one system call per request saved). The
// wait is armed before write: armed after it, an answer quick enough to
// come in between would be forgotten and the wait would last until the
// deadline. Arming it forgets whether the connection was readable before
// (see send). Anything other than a connection with an empty read buffer
// just runs write.
func awaitAfter(c *plainConn, write func() error) error {
	raw, ok := rawConn(c.Conn)
	if !ok || c.br.Buffered() > 0 {
		return write()
	}
	wrote := false
	var werr error
	err := raw.Read(func(uintptr) bool {
		if wrote {
			return true // readable
		}
		wrote, werr = true, write()
		return werr != nil
	})
	if !wrote {
		return write() // the wait could not be armed
	}
	if werr != nil {
		return werr
	}
	return err
}

// rawConn is c's file descriptor, for the looks at it that net.Conn has
// no call for.
func rawConn(c net.Conn) (syscall.RawConn, bool) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, false
	}
	raw, err := sc.SyscallConn()
	return raw, err == nil
}
