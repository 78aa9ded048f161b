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
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := false
	err = raw.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		alive = err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
		return true
	})
	return err == nil && alive
}
